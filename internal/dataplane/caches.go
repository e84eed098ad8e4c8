package dataplane

import (
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
	seen *generations.Sync[string, time.Time]
}

func newAbsentCache(limit int) *absentCache {
	return &absentCache{seen: generations.NewSync[string, time.Time](limit)}
}

// has reports whether the store said lately that name does not exist.
func (a *absentCache) has(name string, now time.Time) bool {
	at, ok := a.seen.Load(name)
	return ok && now.Sub(at) < absentFor
}

// add remembers that the store said at now that name does not exist.
func (a *absentCache) add(name string, now time.Time) { a.seen.Store(name, now) }

// size returns the number of entries.
func (a *absentCache) size() int { return a.seen.Len() }

// tokenCache remembers verified tokens by their SHA-256 until they
// expire, and revoked ones so that they cost no store look-up. A token
// used again is promoted, so that the tokens in use stay while a flood
// of others comes and goes.
type tokenCache struct {
	entries *generations.Sync[[32]byte, cached]
}

type cached struct {
	grant   *Grant
	revoked bool
}

func newTokenCache(limit int) *tokenCache {
	return &tokenCache{entries: generations.NewSync[[32]byte, cached](limit)}
}

// get returns the cached grant of a token still valid at now, or whether
// the token is known revoked.
func (c *tokenCache) get(sum [32]byte, now time.Time) (*Grant, bool) {
	e, ok := c.entries.Load(sum)
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
func (c *tokenCache) put(sum [32]byte, g *Grant) { c.entries.Store(sum, cached{grant: g}) }

// revoke marks a cached token revoked.
func (c *tokenCache) revoke(sum [32]byte) {
	c.entries.Update(sum, func(e cached) cached { e.revoked = true; return e })
}

// size returns the number of entries.
func (c *tokenCache) size() int { return c.entries.Len() }
