// Package seal encrypts small secrets at rest (TOTP secrets, token-signing
// keys) with keys derived from the server secret, and loads or creates the
// server-secret file.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeyLen is the length of a Box key and of a derived key.
const KeyLen = 32

// version prefixes every sealed value, so that the format can change.
const version = "v1."

// ErrOpen is returned when a sealed value cannot be opened: bad format,
// wrong key, wrong associated data or tampering. Its message never holds
// the value or the plaintext.
var ErrOpen = errors.New("seal: cannot open sealed value")

var b64 = base64.RawURLEncoding.Strict()

// Derive returns the 32-byte sub-key of master for one purpose:
// HMAC-SHA256(master, "keyhouse/" + label). Each purpose (hashing API keys,
// sealing TOTP secrets, …) uses its own label, so no key serves two.
func Derive(master []byte, label string) []byte {
	m := hmac.New(sha256.New, master)
	m.Write([]byte("keyhouse/" + label))
	return m.Sum(nil)
}

// Box seals and opens values with AES-256-GCM. It is safe for concurrent
// use.
type Box struct {
	aead cipher.AEAD
}

// New returns a Box that uses key, which must be KeyLen bytes.
func New(key []byte) (*Box, error) {
	if len(key) != KeyLen {
		return nil, fmt.Errorf("seal: key must be %d bytes, not %d", KeyLen, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext bound to aad (what the value is and whose, such
// as "totp:" + user id, so that a sealed value cannot be moved to another
// row) and returns "v1." + base64url(nonce || ciphertext), without padding.
// The nonce is 12 random bytes.
func (b *Box) Seal(plaintext []byte, aad string) string {
	ns := b.aead.NonceSize()
	buf := make([]byte, ns, ns+len(plaintext)+b.aead.Overhead())
	rand.Read(buf)
	buf = b.aead.Seal(buf, buf[:ns], plaintext, []byte(aad))
	return version + b64.EncodeToString(buf)
}

// Open decrypts a value made by Seal with the same key and aad. Any
// failure is an error wrapping ErrOpen.
func (b *Box) Open(sealed, aad string) ([]byte, error) {
	rest, ok := strings.CutPrefix(sealed, version)
	if !ok {
		return nil, fmt.Errorf("%w: unknown format", ErrOpen)
	}
	// The decoder skips CR and LF; refuse them so that a sealed value has
	// exactly one spelling.
	if strings.ContainsAny(rest, "\r\n") {
		return nil, fmt.Errorf("%w: bad encoding", ErrOpen)
	}
	buf, err := b64.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("%w: bad encoding", ErrOpen)
	}
	ns := b.aead.NonceSize()
	if len(buf) < ns+b.aead.Overhead() {
		return nil, fmt.Errorf("%w: too short", ErrOpen)
	}
	plaintext, err := b.aead.Open(nil, buf[:ns], buf[ns:], []byte(aad))
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed", ErrOpen)
	}
	return plaintext, nil
}
