package token

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// b64 is base64url without padding (RFC 7515 §2), refusing non-zero
// trailing bits so that each byte string has one encoding.
var b64 = base64.RawURLEncoding.Strict()

// sigLen is the length of an ES256 signature, r||s (RFC 7518 §3.4), and
// sigB64Len the length of its encoding.
const (
	sigLen    = 64
	sigB64Len = 86
)

// bufPool holds scratch buffers for Sign and Verify, large enough for a
// token and its decoded payload.
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 0, 2*MaxLength)
	return &b
}}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(p *[]byte, b []byte) {
	if cap(b) <= 4*MaxLength {
		*p = b[:0]
		bufPool.Put(p)
	}
}

// Sign returns c as a compact JWS signed by the current key, with the
// header {"alg":"ES256","kid":…,"typ":"JWT"}.
func (r *Ring) Sign(c Claims) (string, error) {
	k := r.load().current
	if k == nil {
		return "", ErrNoKey
	}
	if err := c.check(); err != nil {
		return "", err
	}
	p := getBuf()
	b := appendPayload((*p)[:0], &c)
	n := len(b) // b[:n] is the payload JSON, b[n:] the token
	b = append(b, k.header...)
	b = append(b, '.')
	b = b64.AppendEncode(b, b[:n])
	digest := sha256.Sum256(b[n:])
	var sig [sigLen]byte
	kn, err := r.nonces.take()
	if err == nil {
		err = signDigest(&sig, k.d, &digest, kn)
	}
	if err != nil {
		putBuf(p, b)
		return "", fmt.Errorf("token: sign: %w", err)
	}
	b = append(b, '.')
	b = b64.AppendEncode(b, sig[:])
	tok := string(b[n:])
	putBuf(p, b)
	if len(tok) > MaxLength {
		return "", errors.New("token: sign: claims too long")
	}
	return tok, nil
}

// Verify checks token and returns its claims: compact form, alg ES256, a
// kid in the ring, the signature, aud, exp (with Leeway), nbf and iat (with
// Leeway), and every claim present. Errors are the sentinels of this
// package.
func (r *Ring) Verify(token string, now time.Time) (Claims, error) {
	if len(token) > MaxLength {
		return Claims{}, ErrMalformed
	}
	d1 := strings.IndexByte(token, '.')
	if d1 < 0 {
		return Claims{}, ErrMalformed
	}
	d2 := strings.IndexByte(token[d1+1:], '.') + d1 + 1
	if d2 == d1 || strings.IndexByte(token[d2+1:], '.') >= 0 {
		return Claims{}, ErrMalformed
	}
	k, err := r.load().keyFor(token[:d1])
	if err != nil {
		return Claims{}, err
	}
	p := getBuf()
	b := append((*p)[:0], token...)
	if err := verifySignature(&k.Private.PublicKey, b[:d2], b[d2+1:]); err != nil {
		putBuf(p, b)
		return Claims{}, err
	}
	var w wireClaims
	n := len(b)
	b, err = b64.AppendDecode(b, b[d1+1:d2])
	if err == nil {
		err = json.Unmarshal(b[n:], &w)
	}
	putBuf(p, b)
	if err != nil {
		return Claims{}, ErrMalformed
	}
	c, err := w.claims()
	if err != nil {
		return Claims{}, err
	}
	if err := c.validate(now); err != nil {
		return Claims{}, err
	}
	return c, nil
}

// keyFor returns the key that verifies a token with the encoded header
// hdr. The header Sign writes is found by one map look-up; any other is
// decoded and must name ES256 and a kid in the ring.
func (s *snapshot) keyFor(hdr string) (*ringKey, error) {
	if k := s.byHeader[hdr]; k != nil {
		return k, nil
	}
	raw, err := b64.DecodeString(hdr)
	if err != nil {
		return nil, ErrMalformed
	}
	var h struct {
		Alg  string          `json:"alg"`
		Kid  string          `json:"kid"`
		Crit json.RawMessage `json:"crit"`
	}
	if json.Unmarshal(raw, &h) != nil || h.Alg != "ES256" || h.Kid == "" || h.Crit != nil {
		return nil, ErrMalformed
	}
	if k := s.byID[h.Kid]; k != nil {
		return k, nil
	}
	return nil, ErrUnknownKey
}

// verifySignature checks the encoded ES256 signature enc of input.
func verifySignature(pub *ecdsa.PublicKey, input, enc []byte) error {
	var sig [sigLen]byte
	if len(enc) != sigB64Len {
		return ErrMalformed
	}
	if n, err := b64.Decode(sig[:], enc); err != nil || n != sigLen {
		return ErrMalformed
	}
	digest := sha256.Sum256(input)
	var der [2 + 2*(3+sigLen/2)]byte
	if !ecdsa.VerifyASN1(pub, digest[:], appendDER(der[:0], &sig)) {
		return ErrSignature
	}
	return nil
}

// appendDER appends r||s as ASN.1 DER, the form crypto/ecdsa verifies.
func appendDER(b []byte, sig *[sigLen]byte) []byte {
	b = append(b, 0x30, 0)
	b = appendDERInt(b, sig[:sigLen/2])
	b = appendDERInt(b, sig[sigLen/2:])
	b[1] = byte(len(b) - 2)
	return b
}

func appendDERInt(b, v []byte) []byte {
	for len(v) > 1 && v[0] == 0 {
		v = v[1:]
	}
	b = append(b, 0x02)
	if v[0]&0x80 != 0 {
		b = append(b, byte(len(v)+1), 0)
	} else {
		b = append(b, byte(len(v)))
	}
	return append(b, v...)
}

// appendPayload appends the claims JSON: the names of wireClaims, in order.
func appendPayload(b []byte, c *Claims) []byte {
	aud := c.Audience
	if aud == "" {
		aud = Audience
	}
	b = appendField(b, `{"iss":`, c.Issuer)
	b = appendField(b, `,"sub":`, c.ClientID)
	b = appendField(b, `,"client_id":`, c.ClientID)
	b = appendField(b, `,"aud":`, aud)
	b = appendField(b, `,"org":`, c.OrgID)
	b = appendField(b, `,"env":`, string(c.Env))
	b = appendField(b, `,"api_key_id":`, c.APIKeyID)
	b = appendField(b, `,"scope":`, c.Scope)
	b = strconv.AppendInt(append(b, `,"iat":`...), c.IssuedAt.Unix(), 10)
	b = strconv.AppendInt(append(b, `,"nbf":`...), c.NotBefore.Unix(), 10)
	b = strconv.AppendInt(append(b, `,"exp":`...), c.Expiry.Unix(), 10)
	b = appendField(b, `,"jti":`, c.ID)
	return append(b, '}')
}

func appendField(b []byte, name, value string) []byte {
	return appendString(append(b, name...), value)
}

// appendString appends s as a JSON string. Like encoding/json, it writes
// invalid UTF-8 as U+FFFD.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
		}
		b = append(b, s[start:i]...)
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, `\ufffd`...)
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
