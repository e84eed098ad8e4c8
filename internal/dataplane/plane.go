// Package dataplane is the machinery of keyhouse's hot path: the
// in-memory index of every API key, the bounded caches of absent keys and
// verified tokens, the batching of last-used times, the listening for
// other instances' changes, and the revocation feed's followers. It holds
// no rules: internal/service decides who may do what, and calls it, with
// one entry per action (Revoke for a deleted key).
package dataplane

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"keyhouse"
)

// Store is what the data plane needs of the database. internal/sqlstore
// implements it for SQLite and PostgreSQL.
type Store interface {
	// FindKey returns the key with the given id (ENOTFOUND when none).
	FindKey(ctx context.Context, keyID string) (*keyhouse.APIKey, error)
	// FindKeyByHash returns the key whose SecretHash is hash (legacy keys).
	FindKeyByHash(ctx context.Context, hash []byte) (*keyhouse.APIKey, error)
	// ForEachKey calls fn with every API key: the loading of the index.
	ForEachKey(ctx context.Context, fn func(*keyhouse.APIKey)) error
	// FindResourceServer returns the resource server with id (ENOTFOUND
	// when none).
	FindResourceServer(ctx context.Context, id string) (*keyhouse.ResourceServer, error)
	// WatchChanges calls w's functions for the key and resource-server
	// deletions and signing-key changes of every instance until ctx ends,
	// and w.Resync whenever notices may have been missed (after each
	// connection to the database).
	WatchChanges(ctx context.Context, w Watcher)
	// TouchKeys sets last_used_at for many keys in one transaction; ids of
	// keys deleted since are ignored.
	TouchKeys(ctx context.Context, used map[string]time.Time) error
	// AddKeyDays adds per-day request counts of API keys in one
	// transaction.
	AddKeyDays(ctx context.Context, counts []keyhouse.KeyDay) error
	// ListRevocations reads at most limit entries of the revocation feed
	// after the cursor after (every retained entry when after is
	// negative), oldest first.
	ListRevocations(ctx context.Context, after int64, limit int) (*keyhouse.RevocationPage, error)
}

// Watcher is what Store.WatchChanges calls: the changes other instances
// make to what the data plane keeps in memory.
type Watcher struct {
	KeyDeleted         func(keyID string) // an API key was deleted
	KeyChanged         func(keyID string) // an API key's expiry or addresses changed
	SigningKeysChanged func()             // a signing key was made, rotated or revoked
	Resync             func()             // notices may have been missed: reload everything
	Failed             func(error)        // the watch failed and will be retried

	// ResourceServerDeleted: a resource server's credential was deleted.
	ResourceServerDeleted func(id string)
}

// Metrics receives what the data plane counts; it must be cheap and safe
// for concurrent use.
type Metrics interface {
	// Revoked is a revocation this instance applied: kind "api_key" (a
	// deletion here or another instance's notice) or "signing_key".
	Revoked(kind string)
}

// Config holds the settings of a Plane.
type Config struct {
	Now     func() time.Time
	Logger  *slog.Logger
	Metrics Metrics // nil: nothing counted
	// ReloadKeys is how often the key index is rebuilt from the store,
	// the safety net under other instances' deletion notices; 0 never.
	ReloadKeys time.Duration
	// StaleKeys is how long the key index goes on answering alone once
	// this instance may miss other instances' deletions (its PostgreSQL
	// listening connection is down): past it, every key is confirmed in
	// the store. 0: confirm at once.
	StaleKeys time.Duration
	// TokenCacheSize and AbsentCacheSize bound the caches (0: 100,000
	// each, about 60 MB and 10 MB when full).
	TokenCacheSize, AbsentCacheSize int
}

// Plane is one instance's data plane.
type Plane struct {
	store   Store
	cfg     Config
	keys    *keyIndex    // every API key, for the token endpoint
	absent  *absentCache // keys the store said lately do not exist
	tokens  *tokenCache  // verified access tokens
	servers *serverCache // resource servers found lately
	usage   *usage       // last-used times not yet written
	hearing hearing      // whether keys holds every deletion of other instances
	news    *bell        // rung at every revocation: the feed's followers wake
}

// New returns a Plane on store.
func New(store Store, cfg Config) *Plane {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = noMetrics{}
	}
	if cfg.TokenCacheSize <= 0 {
		cfg.TokenCacheSize = maxCachedTokens
	}
	if cfg.AbsentCacheSize <= 0 {
		cfg.AbsentCacheSize = absentMax
	}
	return &Plane{
		store: store, cfg: cfg, keys: newKeyIndex(),
		tokens: newTokenCache(cfg.TokenCacheSize), absent: newAbsentCache(cfg.AbsentCacheSize),
		usage: newUsage(store, cfg.Logger), news: newBell(), servers: newServerCache(),
	}
}

type noMetrics struct{}

func (noMetrics) Revoked(string) {}

func (p *Plane) now() time.Time { return p.cfg.Now().UTC() }

// Revoke is the one entry of a deleted API key into this instance's data
// plane: the key leaves the index (and stays out of it against stale
// reloads), its pending last-used time is dropped, its cached tokens are
// refused from their next use on (their key is no longer found), and the
// followers of the revocation feed wake. The deletion's own transaction
// has made it durable, appended it to the feed and notified the other
// instances (Store's DeleteKey); their listeners call Revoke with the
// notice.
func (p *Plane) Revoke(keyID string) {
	p.keys.remove(keyID, p.now())
	p.usage.forget(keyID)
	p.cfg.Metrics.Revoked("api_key")
	p.news.ring()
}

// RevokedSigningKeys records that signing keys were revoked (their
// tokens stop verifying once the ring reloads): the feed's followers
// wake.
func (p *Plane) RevokedSigningKeys(n int) {
	for range n {
		p.cfg.Metrics.Revoked("signing_key")
	}
	p.news.ring()
}

// Put adds a key created or imported by this instance to the index.
func (p *Plane) Put(k *keyhouse.APIKey) { p.keys.put(k) }

// RecordUse notes that k authenticated at t, for last_used_at and the
// per-day request counts (key_days).
func (p *Plane) RecordUse(k *keyhouse.APIKey, t time.Time) { p.usage.used(k, t) }

// FlushUsage writes the pending last-used times now.
func (p *Plane) FlushUsage(ctx context.Context) error { return p.usage.flush(ctx) }

// KeyIndexSize is how many API keys this instance holds in memory.
func (p *Plane) KeyIndexSize() int { return p.keys.size() }

// CacheSizes returns the entries in the caches of tokens and absent keys.
func (p *Plane) CacheSizes() (tokens, absent int) { return p.tokens.size(), p.absent.size() }

// Load reloads the key index from the store, allowing it backgroundWait.
func (p *Plane) Load(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, backgroundWait)
	defer cancel()
	return p.keys.reload(ctx, p.store, p.now())
}

// backgroundWait bounds loading every key into the index.
const backgroundWait = time.Minute

// Run does the data plane's background work until ctx ends: applying
// other instances' changes as their notices arrive (ringChanged runs for
// a signing-key change and whenever notices may have been missed),
// reloading the key index every Config.ReloadKeys, and flushing last-used
// times every 30 seconds (and once more at the end).
func (p *Plane) Run(ctx context.Context, ringChanged func()) {
	var wg sync.WaitGroup
	wg.Go(func() { p.watch(ctx, ringChanged) })
	wg.Go(func() { p.usage.run(ctx, usageEvery) })
	if p.cfg.ReloadKeys > 0 {
		wg.Go(func() { p.reloadLoop(ctx) })
	}
	wg.Wait()
}

// reloadLoop reloads the key index every Config.ReloadKeys.
func (p *Plane) reloadLoop(ctx context.Context) {
	t := time.NewTicker(p.cfg.ReloadKeys)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := p.Load(ctx); err != nil && ctx.Err() == nil {
				p.cfg.Logger.Warn("reload api keys", "err", err)
			}
		}
	}
}

// refresh reads a key that another instance changed (its expiry or
// addresses) into the index; a key gone from the store leaves it.
func (p *Plane) refresh(ctx context.Context, keyID string) {
	ctx, cancel := context.WithTimeout(ctx, backgroundWait)
	defer cancel()
	k, err := p.store.FindKey(ctx, keyID)
	switch {
	case keyhouse.ErrorCode(err) == keyhouse.ENOTFOUND:
		p.keys.remove(keyID, p.now())
	case err != nil:
		p.cfg.Logger.Warn("reload changed api key; the next reload brings it", "api_key_id", keyID, "err", err)
	default:
		p.keys.put(k)
	}
	p.news.ring() // an expiry may have entered the feed
}

// watch applies other instances' changes as their notices arrive: a
// deleted key goes through Revoke; a changed one is read again; a signing-key change runs ringChanged
// and wakes the feed's followers; a deleted resource server leaves the
// cache; after each connection (when notices may have been missed) the
// index is reloaded and the resource servers are forgotten. The index counts as current
// (see hearing) from the first reload after each connection until the
// connection fails.
func (p *Plane) watch(ctx context.Context, ringChanged func()) {
	p.store.WatchChanges(ctx, Watcher{
		KeyDeleted: p.Revoke,
		KeyChanged: func(keyID string) { p.refresh(ctx, keyID) },
		SigningKeysChanged: func() {
			ringChanged()
			p.news.ring()
		},
		ResourceServerDeleted: p.ForgetResourceServer,
		Resync: func() { // also at the first connection: a change may fall between Start and LISTEN
			p.servers.drop("")
			p.resync(ctx)
			ringChanged()
			p.news.ring()
		},
		Failed: func(err error) {
			p.hearing.lost(p.now())
			p.cfg.Logger.Warn("listen for changes; retrying", "err", err)
		},
	})
}
