// Package password hashes passwords with argon2id and stores them as PHC
// strings, which carry their own parameters so that the parameters can be
// raised later without invalidating stored hashes.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over the memory
	Threads uint8  // lanes
}

// Default is OWASP's argon2id setting: 19 MiB, 2 passes, 1 lane.
var Default = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

// Limits on parameters, for new hashes and for stored strings alike: a
// stored string must not make Verify allocate or compute without bound.
const (
	MaxMemory = 1 << 20 // KiB: 1 GiB
	MaxTime   = 100
)

const (
	saltLen = 16
	keyLen  = 32

	minSaltLen, maxSaltLen = 8, 64
	minKeyLen, maxKeyLen   = 16, 128
)

// Errors. Neither says anything about the password.
var (
	// ErrMalformed is returned for a stored string that is not an argon2id
	// PHC string this package can verify.
	ErrMalformed = errors.New("password: malformed hash")
	// ErrParams is returned for parameters out of range.
	ErrParams = errors.New("password: parameters out of range")
)

var b64 = base64.RawStdEncoding.Strict()

// validate returns an error wrapping ErrParams when p is out of range.
func (p Params) validate() error {
	switch {
	case p.Threads < 1:
		return fmt.Errorf("%w: threads must be at least 1", ErrParams)
	case p.Time < 1 || p.Time > MaxTime:
		return fmt.Errorf("%w: time must be 1 to %d", ErrParams, MaxTime)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > MaxMemory:
		return fmt.Errorf("%w: memory must be 8*threads to %d KiB", ErrParams, MaxMemory)
	}
	return nil
}

// String returns the parameters as they appear in a PHC string.
func (p Params) String() string {
	return fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Time, p.Threads)
}

// Hash returns the argon2id hash of pw with parameters p and a random
// 16-byte salt, as a PHC string:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>.
func Hash(pw string, p Params) (string, error) {
	if err := p.validate(); err != nil {
		return "", err
	}
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$%s$%s$%s",
		argon2.Version, p, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether pw matches encoded, a PHC string made by Hash
// with any parameters. A wrong password is false and a nil error; a
// malformed string or parameters out of range are an error.
func Verify(pw, encoded string) (bool, error) {
	h, err := parse(encoded)
	if err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(pw), h.salt, h.params.Time, h.params.Memory,
		h.params.Threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}

// phc is a parsed argon2id PHC string.
type phc struct {
	params    Params
	salt, key []byte
}

// parse parses $argon2id$v=19$m=M,t=T,p=P$salt$hash, strictly: fields in
// this order, decimal numbers, canonical unpadded base64.
func parse(encoded string) (phc, error) {
	// The base64 decoders skip CR and LF, which would make the stored
	// string malleable.
	if strings.ContainsAny(encoded, "\r\n") {
		return phc{}, fmt.Errorf("%w: line break", ErrMalformed)
	}
	f := strings.Split(encoded, "$")
	if len(f) != 6 || f[0] != "" || f[1] != "argon2id" {
		return phc{}, fmt.Errorf("%w: not an argon2id PHC string", ErrMalformed)
	}
	if f[2] != "v="+strconv.Itoa(argon2.Version) {
		return phc{}, fmt.Errorf("%w: unsupported version", ErrMalformed)
	}
	p, err := parseParams(f[3])
	if err != nil {
		return phc{}, err
	}
	salt, err := b64.DecodeString(f[4])
	if err != nil || len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return phc{}, fmt.Errorf("%w: salt must be %d to %d bytes of base64", ErrMalformed, minSaltLen, maxSaltLen)
	}
	key, err := b64.DecodeString(f[5])
	if err != nil || len(key) < minKeyLen || len(key) > maxKeyLen {
		return phc{}, fmt.Errorf("%w: hash must be %d to %d bytes of base64", ErrMalformed, minKeyLen, maxKeyLen)
	}
	return phc{params: p, salt: salt, key: key}, nil
}

// parseParams parses "m=M,t=T,p=P" and checks the limits.
func parseParams(s string) (Params, error) {
	var v [3]uint64
	parts := strings.Split(s, ",")
	if len(parts) != len(v) {
		return Params{}, fmt.Errorf("%w: parameters must be m, t, p", ErrMalformed)
	}
	for i, name := range []string{"m=", "t=", "p="} {
		digits, ok := strings.CutPrefix(parts[i], name)
		n, err := strconv.ParseUint(digits, 10, 32)
		if !ok || err != nil || (len(digits) > 1 && digits[0] == '0') {
			return Params{}, fmt.Errorf("%w: parameters must be m, t, p", ErrMalformed)
		}
		v[i] = n
	}
	if v[2] > 255 {
		return Params{}, fmt.Errorf("%w: threads must be at most 255", ErrParams)
	}
	p := Params{Memory: uint32(v[0]), Time: uint32(v[1]), Threads: uint8(v[2])}
	if err := p.validate(); err != nil {
		return Params{}, err
	}
	return p, nil
}
