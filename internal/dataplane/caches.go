package dataplane

import (
	"sync"
	"time"

	"keyhouse/internal/generations"
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

// absentCache remembers for a few seconds the keys the store said do not
// exist, so that a stream of made-up credentials (a key id with a valid
// checksum is easy to make) costs a map look-up, not a query each. A key
// created by another instance is never in it: its id was unknown until
// then.
type absentCache struct {
	mu   sync.Mutex
	seen *generations.Map[string, time.Time]
}

func newAbsentCache(limit int) *absentCache {
	return &absentCache{seen: generations.New[string, time.Time](limit)}
}

// has reports whether the store said lately that name does not exist.
func (a *absentCache) has(name string, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	at, ok, _ := a.seen.Get(name)
	return ok && now.Sub(at) < absentFor
}

// add remembers that the store said at now that name does not exist.
func (a *absentCache) add(name string, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seen.Put(name, now)
}

// size returns the number of entries.
func (a *absentCache) size() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.seen.Len()
}

// tokenCache remembers verified tokens by their SHA-256 until they
// expire, and revoked ones so that they cost no store look-up. A token
// used again is promoted, so that the tokens in use stay while a flood
// of others comes and goes.
type tokenCache struct {
	mu      sync.RWMutex
	entries *generations.Map[[32]byte, cached]
}

type cached struct {
	grant   *Grant
	revoked bool
}

func newTokenCache(limit int) *tokenCache {
	return &tokenCache{entries: generations.New[[32]byte, cached](limit)}
}

// get returns the cached grant of a token still valid at now, or whether
// the token is known revoked.
func (c *tokenCache) get(sum [32]byte, now time.Time) (*Grant, bool) {
	c.mu.RLock()
	e, ok, old := c.entries.Get(sum)
	c.mu.RUnlock()
	if old { // once per generation at most: the read lock stays the rule
		c.mu.Lock()
		c.entries.Promote(sum)
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
	c.entries.Put(sum, cached{grant: g})
}

// revoke marks a cached token revoked.
func (c *tokenCache) revoke(sum [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok, _ := c.entries.Get(sum); ok {
		e.revoked = true
		c.entries.Put(sum, e)
	}
}

// size returns the number of entries.
func (c *tokenCache) size() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.entries.Len()
}
