package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// RefreshBefore is how long before its expiry a cached access token is
// replaced by a new one, so that no request leaves with a token about to
// expire on the way.
const RefreshBefore = 2 * time.Minute

// TokenSource exchanges an API key for access tokens at keyhouse's token
// endpoint (client-credentials grant) and caches the token until
// RefreshBefore its expiry. It is safe for concurrent use; concurrent
// callers wait for one exchange.
type TokenSource struct {
	base   string
	apiKey string
	http   *http.Client
	// Now is the clock deciding when a token is due for refreshing;
	// time.Now when nil. Tests set it.
	Now func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
}

// NewTokenSource returns a TokenSource for apiKey (the key as shown at
// generation: base64 of key id ":" secret) at the keyhouse at baseURL. A
// nil hc is http.DefaultClient.
func NewTokenSource(baseURL, apiKey string, hc *http.Client) *TokenSource {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &TokenSource{base: strings.TrimRight(baseURL, "/"), apiKey: apiKey, http: hc}
}

func (ts *TokenSource) now() time.Time {
	if ts.Now != nil {
		return ts.Now()
	}
	return time.Now()
}

// Token returns the cached access token, or a new one when none is cached
// or the cached one expires within RefreshBefore.
func (ts *TokenSource) Token(ctx context.Context) (string, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.token != "" && ts.now().Before(ts.expires.Add(-RefreshBefore)) {
		return ts.token, nil
	}
	asked := ts.now()
	tok, lifetime, err := ts.fetch(ctx)
	if err != nil {
		return "", err
	}
	ts.token, ts.expires = tok, asked.Add(lifetime)
	return tok, nil
}

// Invalidate drops the cached token if it is tok (refused by a server),
// so that the next Token fetches a new one.
func (ts *TokenSource) Invalidate(tok string) {
	ts.mu.Lock()
	if ts.token == tok {
		ts.token = ""
	}
	ts.mu.Unlock()
}

// fetch makes one client-credentials exchange and returns the token and
// its lifetime.
func (ts *TokenSource) fetch(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"integration"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ts.base+"/as/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Authorization", "Basic "+ts.apiKey)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := ts.http.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("token: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", 0, errorOf(resp)
	}
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.AccessToken == "" {
		return "", 0, fmt.Errorf("token: no access_token in the answer")
	}
	return out.AccessToken, time.Duration(out.ExpiresIn) * time.Second, nil
}

// Integration sends data to keyhouse as an integration does: with an
// access token from Tokens, fetched again and the request retried once
// when the token is refused (401).
type Integration struct {
	Tokens *TokenSource
	base   string
	http   *http.Client
}

// NewIntegration returns an Integration for apiKey at the keyhouse at
// baseURL. A nil hc is http.DefaultClient.
func NewIntegration(baseURL, apiKey string, hc *http.Client) *Integration {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Integration{Tokens: NewTokenSource(baseURL, apiKey, hc), base: strings.TrimRight(baseURL, "/"), http: hc}
}

// SendEvents sends events (each a value that encodes to a JSON object) to
// the intake: one as application/json, several as an NDJSON batch. The
// answer comes once keyhouse has stored them durably.
func (in *Integration) SendEvents(ctx context.Context, events ...any) (*Accepted, error) {
	var body bytes.Buffer
	enc := json.NewEncoder(&body) // one object a line
	for _, e := range events {
		if err := enc.Encode(e); err != nil {
			return nil, fmt.Errorf("encode event: %w", err)
		}
	}
	contentType := "application/x-ndjson"
	if len(events) == 1 {
		contentType = "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.base+"/v1/events", bytes.NewReader(body.Bytes()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := in.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return nil, errorOf(resp)
	}
	var out Accepted
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("decode events answer: %w", err)
	}
	return &out, nil
}

// Do sends req with an access token (req itself is not modified). When
// the answer is 401 (the token was refused: its signing key revoked, say),
// it drops the token, fetches a new one and sends req once more; a request
// with a body needs GetBody for that, which http.NewRequest sets for the
// usual readers.
func (in *Integration) Do(req *http.Request) (*http.Response, error) {
	resp, tok, err := in.send(req, req.Body)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	body := req.Body
	if req.GetBody != nil {
		if body, err = req.GetBody(); err != nil {
			return resp, nil // cannot send it again: the 401 is the answer
		}
	} else if body != nil && body != http.NoBody {
		return resp, nil
	}
	resp.Body.Close()
	in.Tokens.Invalidate(tok)
	resp, _, err = in.send(req, body)
	return resp, err
}

// send sends a copy of req with body and the current token, and returns
// the token it used.
func (in *Integration) send(req *http.Request, body io.ReadCloser) (*http.Response, string, error) {
	tok, err := in.Tokens.Token(req.Context())
	if err != nil {
		return nil, "", err
	}
	r := req.Clone(req.Context())
	r.Body = body
	r.Header.Set("Authorization", "Bearer "+tok)
	resp, err := in.http.Do(r)
	return resp, tok, err
}
