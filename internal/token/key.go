package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Key is a token-signing key.
type Key struct {
	ID        string            // kid: the RFC 7638 thumbprint of the public key, base64url
	Private   *ecdsa.PrivateKey // P-256
	CreatedAt time.Time
	RetiredAt time.Time // zero while the key is current
}

// Retired reports whether k no longer signs new tokens.
func (k Key) Retired() bool { return !k.RetiredAt.IsZero() }

// Published reports whether k may still verify an unexpired token at now,
// and so is in the JWKS: it is current, or it was retired less than
// Lifetime+Leeway ago. From then on it verifies nothing.
func (k Key) Published(now time.Time) bool {
	return !k.Retired() || now.Before(k.RetiredAt.Add(Lifetime+Leeway))
}

// NewKey generates a P-256 key created at now.
func NewKey(now time.Time) (Key, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Key{}, fmt.Errorf("generate signing key: %w", err)
	}
	id, err := Thumbprint(&priv.PublicKey)
	if err != nil {
		return Key{}, err
	}
	return Key{ID: id, Private: priv, CreatedAt: now}, nil
}

// Thumbprint returns the RFC 7638 SHA-256 thumbprint of pub, base64url
// without padding: the key id NewKey gives.
func Thumbprint(pub *ecdsa.PublicKey) (string, error) {
	sum, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("signing key thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}

// errNotP256 is returned for any key that is not an ECDSA P-256 key.
var errNotP256 = errors.New("token: signing key is not an ECDSA P-256 key")

// isP256 reports whether k is a valid P-256 private key: its scalar in
// range and its public point on the curve.
func isP256(k *ecdsa.PrivateKey) bool {
	// The nil checks keep Bytes from panicking on a hand-made key.
	if k == nil || k.Curve != elliptic.P256() || k.D == nil || k.X == nil || k.Y == nil {
		return false
	}
	_, err := k.Bytes()
	return err == nil
}

// MarshalPrivate encodes k as PKCS #8 DER. The caller seals the result
// before storing it.
func MarshalPrivate(k *ecdsa.PrivateKey) ([]byte, error) {
	if !isP256(k) {
		return nil, errNotP256
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("marshal signing key: %w", err)
	}
	return der, nil
}

// ParsePrivate decodes a PKCS #8 DER P-256 key written by MarshalPrivate.
func ParsePrivate(der []byte) (*ecdsa.PrivateKey, error) {
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse signing key: %w", err)
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok || !isP256(ec) {
		return nil, errNotP256
	}
	return ec, nil
}
