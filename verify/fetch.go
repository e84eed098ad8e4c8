package verify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// maxBody bounds what the verifier reads of keyhouse's answers.
const maxBody = 4 << 20

// fetchJWKS fetches keyhouse's JWKS and keeps its P-256 signing keys.
func (v *Verifier) fetchJWKS(ctx context.Context) error {
	v.fetchMu.Lock()
	defer v.fetchMu.Unlock()
	return v.fetchLocked(ctx)
}

// fetchLocked is fetchJWKS; the caller holds fetchMu.
func (v *Verifier) fetchLocked(ctx context.Context) error {
	var set jose.JSONWebKeySet
	if err := v.get(ctx, "/.well-known/jwks.json", "", &set); err != nil {
		return fmt.Errorf("verify: fetch the JWKS: %w", err)
	}
	keys := make(map[string]*ecdsa.PublicKey, len(set.Keys))
	for _, k := range set.Keys {
		pub, ok := k.Key.(*ecdsa.PublicKey)
		if ok && k.KeyID != "" && k.Algorithm == string(jose.ES256) && pub.Curve == elliptic.P256() {
			keys[k.KeyID] = pub
		}
	}
	v.keys.Store(&keys)
	v.fetched = time.Now()
	return nil
}

// get fetches path of the issuer as JSON into out, with the credential as
// bearer when given; a status other than 200 is an error naming it.
func (v *Verifier) get(ctx context.Context, path, bearer string, out any) error {
	req, err := http.NewRequestWithContext(ctx, "GET", v.cfg.Issuer+path, nil)
	if err != nil {
		return err
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := v.cfg.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return &statusError{code: resp.StatusCode, body: body}
	}
	return json.Unmarshal(body, out)
}

// statusError is an answer other than 200.
type statusError struct {
	code int
	body []byte
}

func (e *statusError) Error() string {
	var b struct{ Code, Message string }
	if json.Unmarshal(e.body, &b) == nil && b.Code != "" {
		return fmt.Sprintf("%d %s: %s", e.code, b.Code, b.Message)
	}
	return fmt.Sprintf("status %d", e.code)
}
