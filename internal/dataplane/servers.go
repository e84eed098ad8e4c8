package dataplane

import (
	"context"
	"sync"
	"time"

	"keyhouse"
)

// serversFresh is how long a resource server read from the store answers
// without asking it again: the bound on a deletion this instance hears of
// by no notice (SQLite's command line, a notice lost on PostgreSQL). It
// is also how often the store is tried while it fails.
const serversFresh = time.Second

// serverCache keeps the resource servers the store found lately, by id,
// so that the product's services introspecting tokens and reading the
// feed cost no query a request. Only found ones: an unknown id asks the
// store each time, which the failed-authentication limit of its source
// bounds. Resource servers are few (the operator makes each), so the map
// needs no bound. The caller compares the credential with the record's
// hash every time.
type serverCache struct {
	mu sync.RWMutex
	m  map[string]serverEntry
	// epoch counts the evictions, so that a look-up that began before one
	// does not put back what it read.
	epoch uint64
}

// serverEntry is one cached resource server: when the store last said
// it exists, and when the store last failed to answer for it.
type serverEntry struct {
	rs              *keyhouse.ResourceServer
	checked, failed time.Time
}

func newServerCache() *serverCache { return &serverCache{m: map[string]serverEntry{}} }

// get returns the entry of id, and the epoch to pass to put.
func (c *serverCache) get(id string) (serverEntry, bool, uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.m[id]
	return e, ok, c.epoch
}

// put caches e unless an eviction happened since epoch.
func (c *serverCache) put(e serverEntry, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch == epoch {
		c.m[e.rs.ID] = e
	}
}

// drop evicts id; clear, with id "", evicts everything.
func (c *serverCache) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	if id == "" {
		clear(c.m)
	} else {
		delete(c.m, id)
	}
}

// ResourceServer returns the resource server with id (ENOTFOUND when
// there is none), from memory while it was read from the store less than
// serversFresh ago, else from the store. When the store does not answer,
// a resource server it confirmed within Config.StaleKeys is still
// returned (asking the store again once a serversFresh), as the key index
// answers for API keys meanwhile; past that, the store's error.
func (p *Plane) ResourceServer(ctx context.Context, id string) (*keyhouse.ResourceServer, error) {
	now := p.now()
	e, ok, epoch := p.servers.get(id)
	lenient := ok && now.Sub(e.checked) <= p.cfg.StaleKeys
	if ok && (now.Sub(e.checked) < serversFresh || lenient && now.Sub(e.failed) < serversFresh) {
		return e.rs, nil
	}
	rs, err := p.store.FindResourceServer(ctx, id)
	switch {
	case keyhouse.ErrorCode(err) == keyhouse.ENOTFOUND:
		if ok { // deleted by another process, unheard
			p.servers.drop(id)
		}
		return nil, err
	case err != nil && lenient:
		e.failed = now
		p.servers.put(e, epoch)
		return e.rs, nil
	case err != nil:
		return nil, err
	}
	p.servers.put(serverEntry{rs: rs, checked: now}, epoch)
	return rs, nil
}

// KnowsResourceServer reports whether id is cached, however long ago the
// store confirmed it: a source over its failed authentications may still
// authenticate as a resource server this instance knows (the credential is
// checked all the same), as it may with an API key in the index, so that
// an attacker sharing an address with the product's services cannot lock
// them out.
func (p *Plane) KnowsResourceServer(id string) bool {
	_, ok, _ := p.servers.get(id)
	return ok
}

// ForgetResourceServer evicts a deleted resource server: this instance's
// deletion once committed, or another instance's notice.
func (p *Plane) ForgetResourceServer(id string) { p.servers.drop(id) }
