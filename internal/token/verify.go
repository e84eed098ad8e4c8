package token

import (
	"errors"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// es256 is the one algorithm Verify accepts.
var es256 = []jose.SignatureAlgorithm{jose.ES256}

// Verify checks token and returns its claims. go-jose parses the compact
// JWS (ES256 only) and checks the signature; Verify then applies SPEC §3:
// the kid names a key of the ring that is published at now (in the JWKS),
// exp - iat is at most Lifetime, iat is not after the key's retirement,
// aud is Audience, exp, nbf and iat hold at now (with Leeway), and every
// claim is present. Errors are the sentinels of this package.
func (r *Ring) Verify(token string, now time.Time) (Claims, error) {
	if len(token) > MaxLength {
		return Claims{}, ErrMalformed
	}
	parsed, err := jwt.ParseSigned(token, es256)
	if err != nil || len(parsed.Headers) != 1 {
		return Claims{}, ErrMalformed
	}
	kid := parsed.Headers[0].KeyID
	k := r.load().byID[kid]
	switch {
	case kid == "":
		return Claims{}, ErrMalformed
	case k == nil:
		return Claims{}, ErrUnknownKey
	case !k.Published(now):
		return Claims{}, ErrRetiredKey
	}
	var w wireClaims
	if err := parsed.Claims(&k.Private.PublicKey, &w); errors.Is(err, jose.ErrCryptoFailure) {
		return Claims{}, ErrSignature
	} else if err != nil {
		return Claims{}, ErrMalformed
	}
	c, err := w.claims()
	if err != nil {
		return Claims{}, err
	}
	c.KeyID = kid
	if err := k.allows(&c); err != nil {
		return Claims{}, err
	}
	return c, c.validate(now)
}

// allows checks the claims that bind a token to its signing key: a
// lifetime of at most Lifetime, and an iat not after the key's retirement.
func (k *ringKey) allows(c *Claims) error {
	if c.Expiry.Sub(c.IssuedAt) > Lifetime {
		return ErrLifetime
	}
	if k.Retired() && c.IssuedAt.After(k.RetiredAt) {
		return ErrRetiredKey
	}
	return nil
}

// Verifies reports whether a token that Verify accepted, signed by the
// key kid and issued at iat, would still be accepted at now as far as its
// signing key goes: the key is still in the ring and published, and iat
// is not after its retirement. It is the check a cached token needs, for
// keys retired or revoked since it was verified.
func (r *Ring) Verifies(kid string, iat, now time.Time) bool {
	k := r.load().byID[kid]
	return k != nil && k.Published(now) && (!k.Retired() || !iat.After(k.RetiredAt))
}
