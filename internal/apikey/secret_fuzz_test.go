package apikey

import (
	"errors"
	"hash/crc32"
	"regexp"
	"testing"

	"keyhouse"
)

// The forms of SPEC §2, written out as the fuzz oracle: not the code's
// own tables.
var (
	keyIDForm  = regexp.MustCompile(`^khk_[0-9A-Za-z]{20}$`)
	secretForm = regexp.MustCompile(`^kh_(sandbox|production)_[0-9A-Za-z]{32}([0-9A-Za-z]{6})$`)
)

// specSecret returns the environment of a well-formed secret by the
// spec's words: the prefix, 32 base62 characters, and the CRC32 (IEEE) of
// everything before it as 6 base62 digits.
func specSecret(s string) (keyhouse.Environment, bool) {
	m := secretForm.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	var sum uint64
	for _, c := range []byte(m[2]) {
		sum = sum*62 + uint64(indexBase62(c))
	}
	if sum != uint64(crc32.ChecksumIEEE([]byte(s[:len(s)-6]))) {
		return "", false
	}
	return keyhouse.Environment(m[1]), true
}

func indexBase62(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return int(c-'a') + 36
}

// FuzzCheckSecret checks the parsers of a key id and a secret given apart
// (client_id and client_secret of the token endpoint's form) against the
// spec's forms: never a panic, ErrMalformed for anything else.
func FuzzCheckSecret(f *testing.F) {
	// The seeds are in testdata/fuzz/FuzzCheckSecret.
	f.Fuzz(func(t *testing.T, id, secret string) {
		if got, want := ValidKeyID(id), keyIDForm.MatchString(id); got != want {
			t.Fatalf("ValidKeyID(%q) = %v, want %v", id, got, want)
		}
		env, err := CheckSecret(secret)
		wantEnv, ok := specSecret(secret)
		switch {
		case err != nil && (!errors.Is(err, ErrMalformed) || env != ""):
			t.Fatalf("CheckSecret(%q) = %q, %v", secret, env, err)
		case (err == nil) != ok || env != wantEnv:
			t.Fatalf("CheckSecret(%q) = %q, %v; the spec says %q, %v", secret, env, err, wantEnv, ok)
		}
	})
}
