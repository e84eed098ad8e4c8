package token

import (
	"crypto/sha256"
	"hash"
	"sync"
)

// Sum is a cache's name for an access token: its SHA-256, so that a cache
// holds no token. It copies the token through a pooled buffer into a
// pooled hash, since sha256.Sum256([]byte(raw)) allocates the copy of
// every token of a few hundred bytes on the hot path of keyhouse's
// intake and of package verify (BENCHMARKS.md; TestSum checks it against
// sha256.Sum256).
func Sum(raw string) (sum [32]byte) {
	s := summers.Get().(*summer)
	s.h.Reset()
	for len(raw) > 0 {
		n := copy(s.buf[:], raw)
		s.h.Write(s.buf[:n])
		raw = raw[n:]
	}
	s.out = s.h.Sum(s.out[:0]) // into the pooled buffer: sum[:0] would escape
	copy(sum[:], s.out)
	summers.Put(s)
	return sum
}

// summer is a hash and a buffer for Sum.
type summer struct {
	h   hash.Hash
	buf [512]byte
	out []byte
}

var summers = sync.Pool{New: func() any { return &summer{h: sha256.New()} }}
