// Package token issues and verifies the access tokens of the OAuth2
// client-credentials endpoint: ES256 JWTs (RFC 7519, RFC 7515 compact form),
// the ring of signing keys that sign them, and the JWKS that publishes their
// public halves.
//
// Signatures are crypto/ecdsa's. Sign writes the compact serialization's
// header and payload by hand, since it is on the hot path of token issue
// (BenchmarkSign against BenchmarkSignGoJose); the output is plain RFC
// 7515, and the tests prove that go-jose verifies it against the JWKS
// alone, as an outside resource server would. Verify parses and checks
// tokens with go-jose, ES256 only.
package token

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"time"

	"keyhouse"
)

// Audience is the aud claim of every access token.
const Audience = "keyhouse:integration"

// Lifetime is how long an access token is valid: exp = iat + Lifetime.
const Lifetime = 1200 * time.Second

// Leeway is the clock skew tolerated when checking exp, nbf and iat.
const Leeway = 30 * time.Second

// MaxLength is the longest token Verify will look at; longer input is
// refused before any parsing.
const MaxLength = 4096

// Errors returned by Verify. None of them carries any part of the token.
var (
	// ErrMalformed: not a compact JWS, an algorithm other than ES256, or
	// claims missing or of the wrong type.
	ErrMalformed = errors.New("token: malformed")
	// ErrUnknownKey: the kid names no key in the ring. The caller may
	// reload the ring from the database once and retry.
	ErrUnknownKey = errors.New("token: unknown signing key")
	// ErrSignature: the signature does not verify.
	ErrSignature = errors.New("token: invalid signature")
	// ErrExpired: exp is in the past, beyond Leeway.
	ErrExpired = errors.New("token: expired")
	// ErrNotYetValid: nbf or iat is in the future, beyond Leeway.
	ErrNotYetValid = errors.New("token: not yet valid")
	// ErrAudience: aud is not Audience.
	ErrAudience = errors.New("token: wrong audience")
	// ErrRetiredKey: the signing key is no longer published in the JWKS,
	// or the token was issued after the key's retirement.
	ErrRetiredKey = errors.New("token: signing key retired")
	// ErrLifetime: exp - iat is more than Lifetime.
	ErrLifetime = errors.New("token: lifetime too long")
)

// ErrNoKey is returned by Sign when the ring holds no current key.
var ErrNoKey = errors.New("token: no current signing key")

// Claims are the claims of an access token (SPEC §3). Times are whole
// seconds on the wire.
type Claims struct {
	Issuer    string               // iss: the base URL
	ClientID  string               // sub and client_id
	Audience  string               // aud; Sign uses the Audience constant when empty
	OrgID     string               // org
	Env       keyhouse.Environment // env: sandbox or production
	APIKeyID  string               // api_key_id
	Scope     string               // scope
	IssuedAt  time.Time            // iat
	NotBefore time.Time            // nbf
	Expiry    time.Time            // exp
	ID        string               // jti
	KeyID     string               // kid of the header: set by Verify, ignored by Sign
}

// wireClaims is the JSON payload of a token, with exactly the names of
// SPEC §3. Sign writes the same names by hand, in this order.
type wireClaims struct {
	Iss      string `json:"iss"`
	Sub      string `json:"sub"`
	ClientID string `json:"client_id"`
	Aud      string `json:"aud"`
	Org      string `json:"org"`
	Env      string `json:"env"`
	APIKeyID string `json:"api_key_id"`
	Scope    string `json:"scope"`
	Iat      int64  `json:"iat"`
	Nbf      int64  `json:"nbf"`
	Exp      int64  `json:"exp"`
	Jti      string `json:"jti"`
}

// claims checks that every claim is present and converts w. It does not
// check aud or the times against a clock.
func (w *wireClaims) claims() (Claims, error) {
	if w.Iss == "" || w.Sub == "" || w.ClientID != w.Sub || w.Aud == "" ||
		w.Org == "" || w.APIKeyID == "" || w.Scope == "" || w.Jti == "" ||
		w.Iat <= 0 || w.Nbf <= 0 || w.Exp <= 0 {
		return Claims{}, ErrMalformed
	}
	env := keyhouse.Environment(w.Env)
	if env != keyhouse.Sandbox && env != keyhouse.Production {
		return Claims{}, ErrMalformed
	}
	return Claims{
		Issuer:    w.Iss,
		ClientID:  w.Sub,
		Audience:  w.Aud,
		OrgID:     w.Org,
		Env:       env,
		APIKeyID:  w.APIKeyID,
		Scope:     w.Scope,
		IssuedAt:  time.Unix(w.Iat, 0).UTC(),
		NotBefore: time.Unix(w.Nbf, 0).UTC(),
		Expiry:    time.Unix(w.Exp, 0).UTC(),
		ID:        w.Jti,
	}, nil
}

// check reports the first claim Sign cannot write, by its wire name.
func (c *Claims) check() error {
	var missing string
	switch {
	case c.Issuer == "":
		missing = "iss"
	case c.ClientID == "":
		missing = "sub"
	case c.OrgID == "":
		missing = "org"
	case c.Env != keyhouse.Sandbox && c.Env != keyhouse.Production:
		missing = "env"
	case c.APIKeyID == "":
		missing = "api_key_id"
	case c.Scope == "":
		missing = "scope"
	case c.IssuedAt.Unix() <= 0:
		missing = "iat"
	case c.NotBefore.Unix() <= 0:
		missing = "nbf"
	case c.Expiry.Unix() <= 0:
		missing = "exp"
	case c.ID == "":
		missing = "jti"
	default:
		return nil
	}
	return errors.New("token: sign: claim " + missing + " missing or invalid")
}

// validate checks aud, exp, nbf and iat against now.
func (c *Claims) validate(now time.Time) error {
	if c.Audience != Audience {
		return ErrAudience
	}
	if !c.Expiry.After(now.Add(-Leeway)) {
		return ErrExpired
	}
	late := now.Add(Leeway)
	if c.NotBefore.After(late) || c.IssuedAt.After(late) {
		return ErrNotYetValid
	}
	return nil
}

// NewJTI returns a new token id: 128 random bits, base64url without padding.
func NewJTI() string {
	var b [16]byte
	rand.Read(b[:]) // never fails; crashes the program instead
	var s [22]byte
	base64.RawURLEncoding.Encode(s[:], b[:])
	return string(s[:])
}
