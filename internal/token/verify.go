package token

import (
	"crypto/ecdsa"
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
	var k *ringKey
	c, err := verifyWith(token, now, func(kid string) (*ecdsa.PublicKey, error) {
		k = r.load().byID[kid]
		switch {
		case k == nil:
			return nil, ErrUnknownKey
		case !k.Published(now):
			return nil, ErrRetiredKey
		}
		return &k.Private.PublicKey, nil
	})
	if err != nil {
		return Claims{}, err
	}
	if k.Retired() && c.IssuedAt.After(k.RetiredAt) {
		return Claims{}, ErrRetiredKey
	}
	return c, nil
}

// VerifyPublic checks token as Verify does, with the public keys of a
// published JWKS instead of a ring: key returns the key of a kid (or
// ErrUnknownKey). The JWKS carries no retirement times, so the one rule of
// Verify it cannot apply is "iat not after the key's retirement"; a key
// revoked at once (signing-keys rotate --revoke) leaves the JWKS and the
// revocation feed names it.
func VerifyPublic(token string, now time.Time, key func(kid string) (*ecdsa.PublicKey, error)) (Claims, error) {
	return verifyWith(token, now, key)
}

// verifyWith parses token with go-jose (ES256 only), checks its signature
// with the key that key gives for its kid, and applies the rules of SPEC
// §3 but the ring's: exp - iat at most Lifetime, aud, exp, nbf and iat at
// now (with Leeway), every claim present.
func verifyWith(token string, now time.Time, key func(kid string) (*ecdsa.PublicKey, error)) (Claims, error) {
	if len(token) > MaxLength {
		return Claims{}, ErrMalformed
	}
	parsed, err := jwt.ParseSigned(token, es256)
	if err != nil || len(parsed.Headers) != 1 {
		return Claims{}, ErrMalformed
	}
	kid := parsed.Headers[0].KeyID
	if kid == "" {
		return Claims{}, ErrMalformed
	}
	pub, err := key(kid)
	if err != nil {
		return Claims{}, err
	}
	var w wireClaims
	if err := parsed.Claims(pub, &w); errors.Is(err, jose.ErrCryptoFailure) {
		return Claims{}, ErrSignature
	} else if err != nil {
		return Claims{}, ErrMalformed
	}
	c, err := w.claims()
	if err != nil {
		return Claims{}, err
	}
	c.KeyID = kid
	if c.Expiry.Sub(c.IssuedAt) > Lifetime {
		return Claims{}, ErrLifetime
	}
	return c, c.validate(now)
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
