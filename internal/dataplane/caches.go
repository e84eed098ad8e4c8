package dataplane

import (
	"sync"
	"time"

	"keyhouse/internal/token"
)

// The data plane's caches of what outsiders send: the API keys the store
// said do not exist, and the access tokens verified. Anyone can send
// made-up credentials by the million, so each has a bound, and forgets in
// halves (generations) rather than all at once: a flood of new entries
// costs each entry in use at most one more look-up, never the whole cache.

// Bounds of the caches: about 10 MB of absent keys and 60 MB of tokens
// when full (TestCacheMemory measures them).
const (
	absentMax       = 100_000
	maxCachedTokens = 100_000
	// absentFor is how long a miss is trusted.
	absentFor = 10 * time.Second
)

// generations is a map of at most limit entries that forgets in halves:
// entries go into the young generation; once it holds limit/2, the old
// generation is dropped and the young one takes its place. An entry
// found in the old generation can be moved back to the young one
// (promote), so that what is in use outlives a flood of new entries. It
// does no locking.
type generations[K comparable, V any] struct {
	young, old map[K]V
	half       int
}

func newGenerations[K comparable, V any](limit int) *generations[K, V] {
	return &generations[K, V]{young: map[K]V{}, old: map[K]V{}, half: max(limit/2, 1)}
}

// get returns the value of k, whether it is there, and whether it is in
// the old generation.
func (g *generations[K, V]) get(k K) (v V, ok, old bool) {
	if v, ok = g.young[k]; ok {
		return v, true, false
	}
	v, ok = g.old[k]
	return v, ok, ok
}

// put sets the value of k in the young generation, first making it the
// old one if it is full.
func (g *generations[K, V]) put(k K, v V) {
	if _, ok := g.young[k]; !ok {
		delete(g.old, k)
		if len(g.young) >= g.half {
			g.old, g.young = g.young, make(map[K]V, len(g.young)/2)
		}
	}
	g.young[k] = v
}

// promote moves k, if it is in the old generation, to the young one.
func (g *generations[K, V]) promote(k K) {
	if v, ok := g.old[k]; ok {
		g.put(k, v)
	}
}

// len returns the number of entries.
func (g *generations[K, V]) len() int { return len(g.young) + len(g.old) }

// absentCache remembers for a few seconds the keys the store said do not
// exist, so that a stream of made-up credentials (a key id with a valid
// checksum is easy to make) costs a map look-up, not a query each. A key
// created by another instance is never in it: its id was unknown until
// then.
type absentCache struct {
	mu   sync.Mutex
	seen *generations[string, time.Time]
}

func newAbsentCache(limit int) *absentCache {
	return &absentCache{seen: newGenerations[string, time.Time](limit)}
}

// has reports whether the store said lately that name does not exist.
func (a *absentCache) has(name string, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	at, ok, _ := a.seen.get(name)
	return ok && now.Sub(at) < absentFor
}

// add remembers that the store said at now that name does not exist.
func (a *absentCache) add(name string, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seen.put(name, now)
}

// size returns the number of entries.
func (a *absentCache) size() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.seen.len()
}

// tokenCache remembers verified tokens by their SHA-256 until they
// expire, and revoked ones so that they cost no store look-up. A token
// used again is promoted, so that the tokens in use stay while a flood
// of others comes and goes.
type tokenCache struct {
	mu      sync.RWMutex
	entries *generations[[32]byte, cached]
}

type cached struct {
	grant   *Grant
	revoked bool
}

func newTokenCache(limit int) *tokenCache {
	return &tokenCache{entries: newGenerations[[32]byte, cached](limit)}
}

// get returns the cached grant of a token still valid at now, or whether
// the token is known revoked.
func (c *tokenCache) get(sum [32]byte, now time.Time) (*Grant, bool) {
	c.mu.RLock()
	e, ok, old := c.entries.get(sum)
	c.mu.RUnlock()
	if old { // once per generation at most: the read lock stays the rule
		c.mu.Lock()
		c.entries.promote(sum)
		c.mu.Unlock()
	}
	switch {
	case !ok:
		return nil, false
	case e.revoked:
		return nil, true
	case !now.Before(e.grant.Claims.Expiry.Add(token.Leeway)):
		return nil, false
	}
	return e.grant, false
}

// put caches a verified token's grant.
func (c *tokenCache) put(sum [32]byte, g *Grant) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries.put(sum, cached{grant: g})
}

// revoke marks a cached token revoked.
func (c *tokenCache) revoke(sum [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok, _ := c.entries.get(sum); ok {
		e.revoked = true
		c.entries.put(sum, e)
	}
}

// size returns the number of entries.
func (c *tokenCache) size() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.entries.len()
}
