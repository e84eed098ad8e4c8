package verify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"keyhouse"
	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/token"
	"keyhouse/verify"
)

// TestForgeries: what an attacker could send in place of a token keyhouse
// issued is refused by the middleware with 401 and the RFC 6750
// challenge, among it tokens signed with keyhouse's own stolen key whose
// claims keyhouse would never write; the real token passes.
func TestForgeries(t *testing.T) {
	h := keyhousetest.NewHouse(t, "")
	keyID, real := h.Token(t)
	kid := h.A.SigningKeyIDs(t)[0]
	stolen := h.A.StealSigningKey(t, kid)
	now := h.A.Clock.Now()
	claims := func(change func(*token.Claims)) token.Claims {
		c := token.Claims{
			Issuer: h.Srv.URL, ClientID: h.ClientID, OrgID: h.Owner.OrgID, Env: keyhouse.Sandbox,
			APIKeyID: keyID, Scope: "integration", IssuedAt: now, NotBefore: now,
			Expiry: now.Add(token.Lifetime), ID: token.NewJTI(),
		}
		change(&c)
		return c
	}
	same := func(*token.Claims) {}
	mine, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, token string
		want        int
	}{
		{"keyhouse's token", real, 200},
		{"none", "", 401},
		{"garbage", "not.a.token", 401},
		{"payload changed", tamper(real), 401},
		{"alg none", unsigned(real), 401},
		{"HS256 keyed with the public key", hs256(t, &stolen.Private.PublicKey, claims(same)), 401},
		{"another key under keyhouse's kid", keyhousetest.Forge(t, token.Key{ID: kid, Private: mine, CreatedAt: now}, claims(same)), 401},
		{"another key under a made-up kid", keyhousetest.Forge(t, token.Key{ID: "made-up", Private: mine, CreatedAt: now}, claims(same)), 401},
		{"stolen key, expired", keyhousetest.Forge(t, stolen, claims(func(c *token.Claims) {
			c.IssuedAt, c.NotBefore, c.Expiry = now.Add(-time.Hour), now.Add(-time.Hour), now.Add(-time.Hour+token.Lifetime)
		})), 401},
		{"stolen key, a year long", keyhousetest.Forge(t, stolen, claims(func(c *token.Claims) { c.Expiry = now.AddDate(1, 0, 0) })), 401},
		{"stolen key, other issuer", keyhousetest.Forge(t, stolen, claims(func(c *token.Claims) { c.Issuer = "https://evil.example" })), 401},
		{"stolen key, other audience", keyhousetest.Forge(t, stolen, claims(func(c *token.Claims) { c.Audience = "other" })), 401},
		{"stolen key, other scope", keyhousetest.Forge(t, stolen, claims(func(c *token.Claims) { c.Scope = "admin" })), 401},
	}
	v := follow(t, h, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := ask(v, tt.token)
			if w.Code != tt.want {
				t.Fatalf("%d %s, want %d", w.Code, w.Body, tt.want)
			}
			if tt.want == 401 && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("no challenge: %q", w.Header())
			}
		})
	}
}

// TestMadeUpKids: a flood of tokens naming kids keyhouse never made is
// refused, and costs keyhouse at most one JWKS fetch in each refresh gap
// (500 ms), not one a token.
func TestMadeUpKids(t *testing.T) {
	h := keyhousetest.NewHouse(t, "")
	var fetches atomic.Int64
	v := follow(t, h, &http.Client{Transport: countJWKS{&fetches, http.DefaultTransport}})
	mine, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := h.A.Clock.Now()
	c := token.Claims{Issuer: h.Srv.URL, ClientID: "c", OrgID: "o", Env: keyhouse.Sandbox, APIKeyID: "k",
		Scope: "integration", IssuedAt: now, NotBefore: now, Expiry: now.Add(time.Minute), ID: token.NewJTI()}
	forged := make([]string, 100)
	for i := range forged {
		forged[i] = keyhousetest.Forge(t, token.Key{ID: "kid-" + token.NewJTI(), Private: mine, CreatedAt: now}, c)
	}
	start := time.Now()
	var accepted atomic.Int64
	var wg sync.WaitGroup
	for _, tok := range forged { // at once, as a flood comes
		wg.Go(func() {
			if _, err := v.Verify(context.Background(), tok); err == nil {
				accepted.Add(1)
			}
		})
	}
	wg.Wait()
	if accepted.Load() > 0 {
		t.Fatalf("%d tokens of made-up kids accepted", accepted.Load())
	}
	gaps := int64(time.Since(start)/(500*time.Millisecond)) + 1
	if n := fetches.Load(); n > 1+gaps { // the one at New, then one per gap at most
		t.Fatalf("%d JWKS fetches for 100 made-up kids in %v", n, time.Since(start))
	}
}

// follow returns a verifier of h's tokens that uses client (nil: the
// default), closed at the test's end.
func follow(t *testing.T, h *keyhousetest.House, client *http.Client) *verify.Verifier {
	t.Helper()
	return followWith(t, h, func(c *verify.Config) { c.HTTPClient = client })
}

// followWith is follow with the configuration that set gives.
func followWith(t *testing.T, h *keyhousetest.House, set func(*verify.Config)) *verify.Verifier {
	t.Helper()
	cfg := verify.Config{Issuer: h.Srv.URL, Credential: h.Credential, Now: h.A.Clock.Now, Logger: slog.New(slog.DiscardHandler)}
	set(&cfg)
	v, err := verify.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// ask sends GET /v1/orders with token through v's middleware.
func ask(v *verify.Verifier, token string) *httptest.ResponseRecorder {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, found := verify.ClaimsFrom(r.Context()); !found {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	req := httptest.NewRequest("GET", "/v1/orders", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	v.Middleware(ok).ServeHTTP(w, req)
	return w
}

// countJWKS counts the JWKS requests that pass through it.
type countJWKS struct {
	n    *atomic.Int64
	next http.RoundTripper
}

func (c countJWKS) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/jwks.json") {
		c.n.Add(1)
	}
	return c.next.RoundTrip(r)
}

// tamper flips a bit of a character in the token's payload.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	p := []byte(parts[1])
	p[10] ^= 1
	return parts[0] + "." + string(p) + "." + parts[2]
}

// unsigned is tok's payload under an "alg":"none" header, unsigned.
func unsigned(tok string) string {
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	return header + "." + strings.Split(tok, ".")[1] + "."
}

// hs256 signs c with HMAC-SHA256 keyed by the public key's bytes: the
// algorithm-confusion attack on verifiers that take the header's alg.
func hs256(t *testing.T, pub *ecdsa.PublicKey, c token.Claims) string {
	t.Helper()
	secret, err := pub.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: secret}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(map[string]any{
		"iss": c.Issuer, "sub": c.ClientID, "client_id": c.ClientID, "aud": token.Audience, "org": c.OrgID,
		"env": string(c.Env), "api_key_id": c.APIKeyID, "scope": c.Scope,
		"iat": c.IssuedAt.Unix(), "nbf": c.NotBefore.Unix(), "exp": c.Expiry.Unix(), "jti": c.ID,
	}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
