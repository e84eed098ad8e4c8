package apikey

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"hash"
	"sync"
)

// HashLen is the length of a secret hash: HMAC-SHA256.
const HashLen = sha256.Size

// Hasher computes the hash stored in place of a secret: HMAC-SHA256 keyed
// with the server secret. It is safe for concurrent use, and reuses HMAC
// states instead of allocating one per call.
type Hasher struct {
	pool sync.Pool // of *hmacState
}

// hmacState is one pooled HMAC with a scratch buffer: hash.Hash.Write
// takes a []byte, and converting the secret string would allocate.
type hmacState struct {
	mac     hash.Hash
	scratch [256]byte
}

// NewHasher returns a Hasher keyed with key, which it copies. The key
// should be at least 32 random bytes (see seal.Derive).
func NewHasher(key []byte) *Hasher {
	key = bytes.Clone(key)
	h := &Hasher{}
	h.pool.New = func() any {
		return &hmacState{mac: hmac.New(sha256.New, key)}
	}
	return h
}

// Hash returns HMAC-SHA256(key, secret), HashLen bytes.
func (h *Hasher) Hash(secret string) []byte {
	return h.AppendHash(make([]byte, 0, HashLen), secret)
}

// AppendHash appends HMAC-SHA256(key, secret) to dst and returns the
// extended slice.
func (h *Hasher) AppendHash(dst []byte, secret string) []byte {
	s := h.pool.Get().(*hmacState)
	for len(secret) > 0 {
		n := copy(s.scratch[:], secret)
		s.mac.Write(s.scratch[:n])
		clear(s.scratch[:n])
		secret = secret[n:]
	}
	dst = s.mac.Sum(dst)
	s.mac.Reset()
	h.pool.Put(s)
	return dst
}

// Equal reports whether the hashes a and b are equal, in time that does
// not depend on their contents. Empty slices are never equal: a missing
// hash must not match another missing hash.
func Equal(a, b []byte) bool {
	return len(a) > 0 && subtle.ConstantTimeCompare(a, b) == 1
}
