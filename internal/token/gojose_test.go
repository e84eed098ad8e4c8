package token

import (
	"crypto/ecdsa"
	"encoding/json"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// privateClaims are the claims of SPEC §3 that jwt.Claims does not name.
type privateClaims struct {
	ClientID string `json:"client_id"`
	Org      string `json:"org"`
	Env      string `json:"env"`
	APIKeyID string `json:"api_key_id"`
	Scope    string `json:"scope"`
}

// TestGoJoseVerifiesWithJWKS verifies a token as an outside resource
// server would: with go-jose, knowing nothing but the JWKS bytes.
func TestGoJoseVerifiesWithJWKS(t *testing.T) {
	old := MustKey(t, t0.Add(-time.Hour))
	old.RetiredAt = t0.Add(-time.Minute)
	r := MustRing(t, old, MustKey(t, t0))
	c := testClaims(t0)
	tokens := map[string]string{"current key": MustSign(t, r, c)}
	oldRing := MustRing(t, Key{ID: old.ID, Private: old.Private, CreatedAt: old.CreatedAt})
	tokens["retired key"] = MustSign(t, oldRing, testClaims(t0.Add(-2*time.Minute)))
	body := r.JWKS(t0)

	for name, tok := range tokens {
		t.Run(name, func(t *testing.T) {
			var set jose.JSONWebKeySet
			if err := json.Unmarshal(body, &set); err != nil {
				t.Fatal(err)
			}
			parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256})
			if err != nil {
				t.Fatal(err)
			}
			h := parsed.Headers[0]
			if h.Algorithm != "ES256" || h.ExtraHeaders[jose.HeaderType] != "JWT" {
				t.Fatalf("header alg %q typ %v", h.Algorithm, h.ExtraHeaders[jose.HeaderType])
			}
			keys := set.Key(h.KeyID)
			if len(keys) != 1 || !keys[0].IsPublic() || keys[0].Algorithm != "ES256" || keys[0].Use != "sig" {
				t.Fatalf("JWKS keys for kid %q: %+v", h.KeyID, keys)
			}
			var std jwt.Claims
			var priv privateClaims
			if err := parsed.Claims(keys[0].Key, &std, &priv); err != nil {
				t.Fatalf("go-jose Claims: %v", err)
			}
			err = std.ValidateWithLeeway(jwt.Expected{
				Issuer:      c.Issuer,
				Subject:     c.ClientID,
				AnyAudience: jwt.Audience{Audience},
				Time:        t0.Add(time.Minute),
			}, Leeway)
			if err != nil {
				t.Fatalf("go-jose Validate: %v", err)
			}
			want := privateClaims{c.ClientID, c.OrgID, string(c.Env), c.APIKeyID, c.Scope}
			if priv != want || std.ID == "" || std.Expiry.Time().Sub(std.IssuedAt.Time()) != Lifetime {
				t.Fatalf("claims %+v %+v", std, priv)
			}
		})
	}
}

// TestVerifyGoJoseSigned verifies tokens that go-jose signed: the format
// is plain RFC 7515, whichever side wrote it.
func TestVerifyGoJoseSigned(t *testing.T) {
	k := MustKey(t, t0)
	r := MustRing(t, k)
	c := testClaims(t0)
	tok, err := signGoJose(newGoJoseSigner(t, k), c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Verify(tok, t0)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	c.Audience = Audience
	c.KeyID = k.ID
	if got != c {
		t.Fatalf("Verify = %+v, want %+v", got, c)
	}
	c.KeyID = ""
	if got, err := verifyGoJose(map[string]*ecdsa.PublicKey{k.ID: &k.Private.PublicKey}, MustSign(t, r, c), t0); err != nil || got != c {
		t.Fatalf("verifyGoJose = %+v, %v", got, err)
	}
}

// newGoJoseSigner, signGoJose and verifyGoJose do with go-jose what Sign
// and Verify do by hand; the benchmarks compare them.
func newGoJoseSigner(tb testing.TB, k Key) jose.Signer {
	tb.Helper()
	s, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: k.Private, KeyID: k.ID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func signGoJose(s jose.Signer, c Claims) (string, error) {
	return jwt.Signed(s).Claims(wireClaims{
		Iss: c.Issuer, Sub: c.ClientID, ClientID: c.ClientID, Aud: Audience,
		Org: c.OrgID, Env: string(c.Env), APIKeyID: c.APIKeyID, Scope: c.Scope,
		Iat: c.IssuedAt.Unix(), Nbf: c.NotBefore.Unix(), Exp: c.Expiry.Unix(), Jti: c.ID,
	}).Serialize()
}

func verifyGoJose(keys map[string]*ecdsa.PublicKey, tok string, now time.Time) (Claims, error) {
	if len(tok) > MaxLength {
		return Claims{}, ErrMalformed
	}
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return Claims{}, ErrMalformed
	}
	pub := keys[parsed.Headers[0].KeyID]
	if pub == nil {
		return Claims{}, ErrUnknownKey
	}
	var w wireClaims
	if err := parsed.Claims(pub, &w); err != nil {
		return Claims{}, ErrSignature
	}
	c, err := w.claims()
	if err != nil {
		return Claims{}, err
	}
	return c, c.validate(now)
}
