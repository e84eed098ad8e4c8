package token

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Ring is the set of signing keys. It is safe for concurrent use: Set
// swaps an immutable snapshot, and readers never block. The zero Ring is
// empty and ready to use.
type Ring struct {
	snap atomic.Pointer[snapshot]
}

// snapshot is one immutable key set, as given to Set.
type snapshot struct {
	keys    []*ringKey          // newest first
	byID    map[string]*ringKey // kid → key
	current *ringKey            // newest unretired key, or nil
	jwks    atomic.Pointer[jwksCache]
}

// ringKey is a Key with what Sign, Verify and JWKS precompute for it.
type ringKey struct {
	Key
	header string          // base64url of {"alg":"ES256","kid":…,"typ":"JWT"}
	jwk    jose.JSONWebKey // the public key, as published
}

// jwksCache is an encoded JWKS and which keys of the snapshot it holds.
type jwksCache struct {
	in   []bool // in[i] reports whether keys[i] is in body
	body []byte
}

var emptySnapshot = &snapshot{}

// NewRing returns an empty ring.
func NewRing() *Ring { return new(Ring) }

func (r *Ring) load() *snapshot {
	if s := r.snap.Load(); s != nil {
		return s
	}
	return emptySnapshot
}

// Set replaces the whole key set, as loaded from the database. It refuses
// a set with a key that is not P-256, has no id, or repeats an id, and then
// leaves the ring as it was.
func (r *Ring) Set(keys []Key) error {
	s := &snapshot{
		keys: make([]*ringKey, 0, len(keys)),
		byID: make(map[string]*ringKey, len(keys)),
	}
	for _, k := range keys {
		rk, err := newRingKey(k)
		if err != nil {
			return err
		}
		if s.byID[k.ID] != nil {
			return fmt.Errorf("token: signing key %q appears twice", k.ID)
		}
		s.keys = append(s.keys, rk)
		s.byID[k.ID] = rk
	}
	slices.SortFunc(s.keys, func(a, b *ringKey) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	for _, k := range s.keys {
		if !k.Retired() {
			s.current = k
			break
		}
	}
	r.snap.Store(s)
	return nil
}

func newRingKey(k Key) (*ringKey, error) {
	if k.ID == "" {
		return nil, fmt.Errorf("token: signing key without id")
	}
	if !isP256(k.Private) {
		return nil, fmt.Errorf("token: signing key %q: %w", k.ID, errNotP256)
	}
	hdr := appendString([]byte(`{"alg":"ES256","kid":`), k.ID)
	hdr = append(hdr, `,"typ":"JWT"}`...)
	rk := &ringKey{
		Key:    k,
		header: base64.RawURLEncoding.EncodeToString(hdr),
		jwk: jose.JSONWebKey{
			Key:       &k.Private.PublicKey,
			KeyID:     k.ID,
			Algorithm: string(jose.ES256),
			Use:       "sig",
		},
	}
	if _, err := rk.jwk.MarshalJSON(); err != nil { // so that JWKS cannot fail
		return nil, fmt.Errorf("token: signing key %q: %w", k.ID, err)
	}
	return rk, nil
}

// Current returns the newest key that is not retired: the key Sign uses.
func (r *Ring) Current() (Key, bool) {
	if k := r.load().current; k != nil {
		return k.Key, true
	}
	return Key{}, false
}

// Has reports whether the ring holds the key kid.
func (r *Ring) Has(kid string) bool {
	return r.load().byID[kid] != nil
}

// JWKS returns the JSON Web Key Set (RFC 7517) of the public keys that may
// still verify an unexpired token at now, newest first. The bytes are
// cached and shared: the caller must not modify them.
func (r *Ring) JWKS(now time.Time) []byte {
	s := r.load()
	if c := s.jwks.Load(); c != nil && c.holds(s, now) {
		return c.body
	}
	c := &jwksCache{in: make([]bool, len(s.keys))}
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(s.keys))}
	for i, k := range s.keys {
		if c.in[i] = k.Published(now); c.in[i] {
			set.Keys = append(set.Keys, k.jwk)
		}
	}
	body, err := json.Marshal(set)
	if err != nil { // unreachable: Set marshalled every key
		return []byte(`{"keys":[]}`)
	}
	c.body = body
	if s != emptySnapshot {
		s.jwks.Store(c)
	}
	return c.body
}

// holds reports whether c is the JWKS of s at now.
func (c *jwksCache) holds(s *snapshot, now time.Time) bool {
	for i, k := range s.keys {
		if c.in[i] != k.Published(now) {
			return false
		}
	}
	return true
}
