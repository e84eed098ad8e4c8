package token

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"keyhouse"
)

// fixedKeyPKCS8 is a P-256 test key, PKCS #8 DER in base64. It signed the
// valid seed of FuzzVerify, so it must stay as it is.
const fixedKeyPKCS8 = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgFcTdMjLsLSbzBsCkEgsg+UFpaiJmSMYvLsSbjHgihHahRANCAARDQuREe/AtMvoLs+hOO4xD5voqaKlCUbz/yjsGqmSDXoN7UTTxYPXX8wX+XYcH9Ly4YMDDhnjDDVb47mKMs3xI"

// t0 is the test clock: 2026-01-01T00:00:00Z.
var t0 = time.Unix(1767225600, 0).UTC()

// MustFixedKey returns the key of fixedKeyPKCS8, created at t0.
func MustFixedKey(tb testing.TB) Key {
	tb.Helper()
	der, err := base64.StdEncoding.DecodeString(fixedKeyPKCS8)
	if err != nil {
		tb.Fatal(err)
	}
	priv, err := ParsePrivate(der)
	if err != nil {
		tb.Fatal(err)
	}
	id, err := Thumbprint(&priv.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	return Key{ID: id, Private: priv, CreatedAt: t0}
}

// MustKey returns a new key created at now.
func MustKey(tb testing.TB, now time.Time) Key {
	tb.Helper()
	k, err := NewKey(now)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// MustRing returns a ring holding keys.
func MustRing(tb testing.TB, keys ...Key) *Ring {
	tb.Helper()
	r := NewRing()
	if err := r.Set(keys); err != nil {
		tb.Fatal(err)
	}
	return r
}

// MustSign signs c with r.
func MustSign(tb testing.TB, r *Ring, c Claims) string {
	tb.Helper()
	tok, err := r.Sign(c)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// testClaims returns the claims of a token issued at iat.
func testClaims(iat time.Time) Claims {
	return Claims{
		Issuer:    "https://keyhouse.example.com",
		ClientID:  "1234567890",
		OrgID:     "org_5Hq2",
		Env:       keyhouse.Sandbox,
		APIKeyID:  "khk_ABCDEFGHIJKLMNOPQRST",
		Scope:     "integration",
		IssuedAt:  iat,
		NotBefore: iat,
		Expiry:    iat.Add(Lifetime),
		ID:        NewJTI(),
	}
}

// segments splits a compact JWS into its three parts.
func segments(tb testing.TB, tok string) (hdr, payload, sig string) {
	tb.Helper()
	p := strings.Split(tok, ".")
	if len(p) != 3 {
		tb.Fatalf("token has %d segments", len(p))
	}
	return p[0], p[1], p[2]
}

func b64s(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
