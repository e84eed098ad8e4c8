package apikey

import (
	"bytes"
	"encoding/base64"
	"strings"

	"keyhouse"
)

// Legacy key limits: any printable ASCII string (0x21 to 0x7E) of
// LegacyMinLen to LegacyMaxLen characters.
const (
	LegacyMinLen = 20
	LegacyMaxLen = 256
)

// The longest Basic credential that can hold a key id and a secret: every
// character of both percent-encoded (3 bytes each) plus the colon, then
// base64.
const (
	maxBasicRaw = 3*(KeyIDLen+maxSecretLen) + 1
	maxBasicLen = (maxBasicRaw + 2) / 3 * 4
)

// Credential is what an HTTP Basic credential holds: a key id and its
// secret, or a legacy key (Legacy set, KeyID and Environment empty, the
// whole key in Secret).
type Credential struct {
	KeyID       string
	Secret      string
	Environment keyhouse.Environment // of the secret; "" for a legacy key
	Legacy      bool
}

// ParseBasic parses cred, the text after "Basic " in an Authorization
// header. When cred is base64 (standard alphabet, padded or not) of
// "user:pass", and user and pass, once form-url-decoded (RFC 6749 §2.3.1),
// are a key id and a well-formed secret, it returns them; when user is a
// key id but the secret is not well formed (a typo, a truncation) it
// returns ErrMalformed, so that no store is asked. Otherwise, when cred is
// a valid legacy key, it returns it as such. Otherwise it returns
// ErrMalformed. The secret is checked for form and checksum only: whether it
// belongs to the key id is for the caller to decide.
func ParseBasic(cred string) (Credential, error) {
	c, keyID, ok := parseKeyPair(cred)
	if ok {
		return c, nil
	}
	if !keyID && legacyRule(cred) == "" {
		return Credential{Secret: cred, Legacy: true}, nil
	}
	return Credential{}, ErrMalformed
}

// parseKeyPair is the key-id-and-secret half of ParseBasic. It decodes and
// checks in a stack buffer, so a valid credential costs two allocations:
// the key id and the secret. keyID reports whether the user part was a key
// id, whatever the secret.
func parseKeyPair(cred string) (c Credential, keyID, ok bool) {
	// The decoders skip CR and LF: refuse them rather than accept a
	// credential that is not the one that was issued.
	if len(cred) > maxBasicLen || strings.IndexByte(cred, '\r') >= 0 || strings.IndexByte(cred, '\n') >= 0 {
		return Credential{}, keyID, false
	}
	enc := base64.StdEncoding
	if len(cred)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	var buf [maxBasicRaw + 2]byte
	n, err := enc.Decode(buf[:], []byte(cred))
	if err != nil {
		return Credential{}, keyID, false
	}
	raw := buf[:n]
	colon := bytes.IndexByte(raw, ':')
	if colon < 0 {
		return Credential{}, keyID, false
	}
	id, ok := formUnescape(raw[:colon])
	if !ok || !validKeyID(id) {
		return Credential{}, false, false
	}
	keyID = true
	secret, ok := formUnescape(raw[colon+1:])
	if !ok {
		return Credential{}, keyID, false
	}
	env, ok := checkSecret(secret)
	if !ok {
		return Credential{}, keyID, false
	}
	return Credential{KeyID: string(id), Secret: string(secret), Environment: env}, true, true
}

// formUnescape decodes b in place as application/x-www-form-urlencoded
// ('+' is a space, %XX a byte), with the rules of url.QueryUnescape, and
// returns the decoded prefix of b. It reports false for a bad escape.
func formUnescape(b []byte) ([]byte, bool) {
	j := 0
	for i := 0; i < len(b); i, j = i+1, j+1 {
		switch c := b[i]; c {
		case '+':
			b[j] = ' '
		case '%':
			if i+2 >= len(b) {
				return nil, false
			}
			hi, lo := unhex(b[i+1]), unhex(b[i+2])
			if hi < 0 || lo < 0 {
				return nil, false
			}
			b[j] = byte(hi<<4 | lo)
			i += 2
		default:
			b[j] = c
		}
	}
	return b[:j], true
}

// unhex returns the value of the hex digit c, or -1.
func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}

// ValidateLegacy returns nil when s is a valid legacy key: 20 to 256
// printable ASCII characters, without spaces. Otherwise it returns an
// EINVALID error that names the rule and never contains the key.
func ValidateLegacy(s string) error {
	if rule := legacyRule(s); rule != "" {
		return keyhouse.Errorf(keyhouse.EINVALID, "legacy key: %s", rule)
	}
	return nil
}

// legacyRule returns the rule s breaks as a legacy key, or "".
func legacyRule(s string) string {
	switch {
	case len(s) < LegacyMinLen:
		return "at least 20 characters"
	case len(s) > LegacyMaxLen:
		return "at most 256 characters"
	}
	for i := range len(s) {
		if s[i] < 0x21 || s[i] > 0x7e {
			return "printable ASCII characters only, without spaces"
		}
	}
	return ""
}
