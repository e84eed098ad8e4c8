// Package apikey implements the API-key format of SPEC §2: key ids,
// secrets with an environment prefix and a CRC32 checksum, the API key that
// packs both into an HTTP Basic credential, legacy keys, and the HMAC that
// is stored in place of a secret.
//
// Everything here is on the authentication hot path: the functions avoid
// allocating beyond the strings they return, and none of them panics on any
// input.
package apikey

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"hash/crc32"

	"keyhouse"
)

// ErrMalformed is returned for a secret or credential that does not have
// the expected form. It says nothing about the value itself.
var ErrMalformed = errors.New("apikey: malformed credential")

// Format constants.
const (
	// KeyIDPrefix starts every key id.
	KeyIDPrefix = "khk_"
	// KeyIDLen is the length of a key id: the prefix and 20 base62 characters.
	KeyIDLen = len(KeyIDPrefix) + keyIDRandLen

	keyIDRandLen  = 20
	secretRandLen = 32
	checksumLen   = 6

	sandboxPrefix    = "kh_sandbox_"
	productionPrefix = "kh_production_"

	// maxSecretLen is the length of the longest secret (production).
	maxSecretLen = len(productionPrefix) + secretRandLen + checksumLen
	// maxRawLen is the longest "id:secret" before any URL-encoding.
	maxRawLen = KeyIDLen + 1 + maxSecretLen
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// base62Value maps a byte to its base62 digit value, or to -1.
var base62Value = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := range len(base62) {
		t[base62[i]] = int8(i)
	}
	return t
}()

// Key is a newly generated key: the public key id and the secret. The
// secret is shown once and never stored.
type Key struct {
	ID     string
	Secret string
}

// Generate returns a new key for env with crypto/rand. Any environment
// other than keyhouse.Production gets a sandbox secret.
//
// The id and the secret are separate allocations, so that an id kept for
// long (in a cache, say) does not keep the secret in memory with it.
func Generate(env keyhouse.Environment) Key {
	prefix := sandboxPrefix
	if env == keyhouse.Production {
		prefix = productionPrefix
	}
	var rnd [keyIDRandLen + secretRandLen]byte
	fillBase62(rnd[:])
	var id [KeyIDLen]byte
	copy(id[copy(id[:], KeyIDPrefix):], rnd[:keyIDRandLen])
	var secret [maxSecretLen]byte
	n := copy(secret[:], prefix)
	n += copy(secret[n:], rnd[keyIDRandLen:])
	encodeChecksum(secret[n:n+checksumLen], checksum(secret[:n]))
	return Key{ID: string(id[:]), Secret: string(secret[:n+checksumLen])}
}

// fillBase62 fills dst with characters drawn uniformly from the base62
// alphabet with crypto/rand, by rejection sampling.
func fillBase62(dst []byte) {
	var rnd [64]byte
	for i := 0; i < len(dst); {
		rand.Read(rnd[:])
		for _, r := range rnd {
			if r >= 248 { // 248 = 4*62: reject to keep the draw uniform
				continue
			}
			dst[i] = base62[r%62]
			if i++; i == len(dst) {
				return
			}
		}
	}
}

// crcTables are the slicing-by-8 tables of CRC32 (IEEE).
var crcTables = func() (t [8][256]uint32) {
	t[0] = *crc32.IEEETable
	for i := range 256 {
		for k := 1; k < 8; k++ {
			c := t[k-1][i]
			t[k][i] = t[0][c&0xff] ^ c>>8
		}
	}
	return t
}()

// checksum returns the CRC32 (IEEE) of s, eight bytes at a time. It is
// computed here because hash/crc32 makes its argument escape: a string
// would be copied to the heap on every check.
func checksum[T string | []byte](s T) uint32 {
	t := &crcTables
	crc := ^uint32(0)
	for ; len(s) >= 8; s = s[8:] {
		crc ^= uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
		crc = t[0][s[7]] ^ t[1][s[6]] ^ t[2][s[5]] ^ t[3][s[4]] ^
			t[4][crc>>24] ^ t[5][crc>>16&0xff] ^ t[6][crc>>8&0xff] ^ t[7][crc&0xff]
	}
	for i := range len(s) {
		crc = t[0][byte(crc)^s[i]] ^ crc>>8
	}
	return ^crc
}

// encodeChecksum writes v as 6 base62 digits, most significant first,
// left-padded with '0'. 62^6 > 2^32, so every uint32 fits.
func encodeChecksum(dst []byte, v uint32) {
	for i := checksumLen - 1; i >= 0; i-- {
		dst[i] = base62[v%62]
		v /= 62
	}
}

// APIKey returns what the user copies: the standard base64 encoding of
// ID + ":" + Secret, an HTTP Basic credential.
func (k Key) APIKey() string {
	raw := make([]byte, 0, maxRawLen)
	raw = append(raw, k.ID...)
	raw = append(raw, ':')
	raw = append(raw, k.Secret...)
	out := make([]byte, 0, (maxRawLen+2)/3*4)
	return string(base64.StdEncoding.AppendEncode(out, raw))
}

// Last4 returns the last four characters of the secret, kept for display.
func (k Key) Last4() string {
	if len(k.Secret) < 4 {
		return k.Secret
	}
	return k.Secret[len(k.Secret)-4:]
}

// CheckSecret reports the environment of secret, or ErrMalformed when its
// prefix, length, characters or checksum are wrong. It needs no database:
// a mistyped or truncated secret is refused here.
func CheckSecret(secret string) (keyhouse.Environment, error) {
	env, ok := checkSecret(secret)
	if !ok {
		return "", ErrMalformed
	}
	return env, nil
}

// checkSecret is CheckSecret for strings and byte slices, so that a
// credential can be checked before it is copied into strings.
func checkSecret[T string | []byte](secret T) (keyhouse.Environment, bool) {
	var env keyhouse.Environment
	var body T
	switch {
	case hasPrefix(secret, sandboxPrefix):
		env, body = keyhouse.Sandbox, secret[len(sandboxPrefix):]
	case hasPrefix(secret, productionPrefix):
		env, body = keyhouse.Production, secret[len(productionPrefix):]
	default:
		return "", false
	}
	if len(body) != secretRandLen+checksumLen || !isBase62(body) {
		return "", false
	}
	var sum uint64
	for i := secretRandLen; i < len(body); i++ {
		sum = sum*62 + uint64(base62Value[body[i]])
	}
	return env, sum == uint64(checksum(secret[:len(secret)-checksumLen]))
}

// ValidKeyID reports whether id has the form of a key id: "khk_" and 20
// base62 characters.
func ValidKeyID(id string) bool { return validKeyID(id) }

func validKeyID[T string | []byte](id T) bool {
	return len(id) == KeyIDLen && hasPrefix(id, KeyIDPrefix) &&
		isBase62(id[len(KeyIDPrefix):])
}

// hasPrefix reports whether s begins with prefix.
func hasPrefix[T string | []byte](s T, prefix string) bool {
	return len(s) >= len(prefix) && string(s[:len(prefix)]) == prefix
}

// isBase62 reports whether every byte of s is in [0-9A-Za-z].
func isBase62[T string | []byte](s T) bool {
	for i := range len(s) {
		if base62Value[s[i]] < 0 {
			return false
		}
	}
	return true
}

// NewKeyID returns a fresh key id, for keys whose secret is not generated
// here (legacy keys).
func NewKeyID() string {
	var id [KeyIDLen]byte
	n := copy(id[:], KeyIDPrefix)
	fillBase62(id[n:])
	return string(id[:])
}
