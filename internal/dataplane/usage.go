package dataplane

import (
	"context"
	"hash/maphash"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"keyhouse"
)

// usage batches the last-used times of API keys so that authenticating a
// key costs no database write: a flush every usageEvery writes them, in
// transactions of at most usageChunk keys.
//
// A flush writes one row per key used since the last: with 100,000 keys in
// use, a flush every 2 seconds took a quarter of the server's CPU (50,000
// row updates a second). Every 30 seconds it is 3,300, and the console's
// "last used" is at most that late.
//
// Every authenticated request notes its key here, so the pending times
// are spread over usageShards locks by key: with one lock, 256
// connections of token requests kept four goroutines at a time waiting
// for it (a holder whose thread the OS had descheduled stalled them all).
type usage struct {
	store  Store
	logger *slog.Logger
	// lastWait bounds the flush at shutdown: a store that does not
	// answer must not keep the process from exiting.
	lastWait time.Duration
	seed     maphash.Seed
	shards   [usageShards]usageShard
}

// usageShards is how many locks the pending usage is spread over.
const usageShards = 32

// usageShard holds the pending usage of the keys whose id hashes to it.
type usageShard struct {
	mu   sync.Mutex
	seen map[string]time.Time
	days map[dayKey]dayCount // requests per key and UTC day, for key_days
	_    [40]byte            // a cache line of its own
}

// dayKey is one key's UTC day (Unix days) in usageShard.days.
type dayKey struct {
	key string
	day int64
}

// dayCount is the requests of one dayKey, with what key_days files them
// under.
type dayCount struct {
	org, client string
	env         keyhouse.Environment
	n           int64
}

func newUsage(store Store, logger *slog.Logger) *usage {
	u := &usage{store: store, logger: logger, lastWait: usageLastWait, seed: maphash.MakeSeed()}
	for i := range u.shards {
		u.shards[i].seen, u.shards[i].days = make(map[string]time.Time), make(map[dayKey]dayCount)
	}
	return u
}

// shard returns the shard of keyID.
func (u *usage) shard(keyID string) *usageShard {
	return &u.shards[maphash.String(u.seed, keyID)%usageShards]
}

// used notes a request authenticated with k at t: its last-used time and
// one more request on t's day, both written by the next flush.
func (u *usage) used(k *keyhouse.APIKey, t time.Time) {
	dk := dayKey{key: k.KeyID, day: unixDay(t)}
	sh := u.shard(k.KeyID)
	sh.mu.Lock()
	if t.After(sh.seen[k.KeyID]) {
		sh.seen[k.KeyID] = t
	}
	c, ok := sh.days[dk]
	if !ok {
		c = dayCount{org: k.OrgID, client: k.ClientID, env: k.Environment}
	}
	c.n++
	sh.days[dk] = c
	sh.mu.Unlock()
}

// unixDay is t's UTC day, in days since 1970-01-01.
func unixDay(t time.Time) int64 {
	s := t.Unix()
	d := s / 86400
	if s%86400 < 0 {
		d-- // floor, for times before 1970
	}
	return d
}

// record notes that keyID was used at t.
func (u *usage) record(keyID string, t time.Time) {
	sh := u.shard(keyID)
	sh.mu.Lock()
	if t.After(sh.seen[keyID]) {
		sh.seen[keyID] = t
	}
	sh.mu.Unlock()
}

// forget drops a pending time of a deleted key.
func (u *usage) forget(keyID string) {
	sh := u.shard(keyID)
	sh.mu.Lock()
	delete(sh.seen, keyID)
	sh.mu.Unlock()
}

// pending takes the pending times and day counts of every shard.
func (u *usage) pending() (map[string]time.Time, map[dayKey]dayCount) {
	batch, days := make(map[string]time.Time), make(map[dayKey]dayCount)
	for i := range u.shards {
		sh := &u.shards[i]
		sh.mu.Lock()
		seen, d := sh.seen, sh.days
		sh.seen, sh.days = make(map[string]time.Time), make(map[dayKey]dayCount)
		sh.mu.Unlock()
		maps.Copy(batch, seen) // a key is in one shard only
		maps.Copy(days, d)
	}
	return batch, days
}

// pendingKeys is how many keys have a last-used time waiting for a flush.
func (u *usage) pendingKeys() int {
	n := 0
	for i := range u.shards {
		sh := &u.shards[i]
		sh.mu.Lock()
		n += len(sh.seen)
		sh.mu.Unlock()
	}
	return n
}

// usageEvery is how often last-used times are written, and usageChunk
// the most keys one transaction writes: a transaction holds SQLite's write
// lock, which the intake's commits wait for, a few milliseconds at most.
const (
	usageEvery = 30 * time.Second
	usageChunk = 1000
)

// usageLastWait is how long the flush at shutdown may take.
const usageLastWait = 10 * time.Second

// flush writes the pending times, in key order. On failure the unwritten
// ones are kept for the next flush, unless a newer time arrived meanwhile.
func (u *usage) flush(ctx context.Context) error {
	batch, days := u.pending()
	if err := u.addDays(ctx, days); err != nil {
		for _, id := range slices.Sorted(maps.Keys(batch)) {
			u.record(id, batch[id])
		}
		return err
	}
	ids := slices.Sorted(maps.Keys(batch))
	for len(ids) > 0 {
		n := min(len(ids), usageChunk)
		chunk := make(map[string]time.Time, n)
		for _, id := range ids[:n] {
			chunk[id] = batch[id]
		}
		if err := u.touch(ctx, chunk); err != nil {
			for _, id := range ids {
				u.record(id, batch[id])
			}
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// run flushes every interval until ctx ends, then once more, for at most
// lastWait.
func (u *usage) run(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			if err := u.flush(ctx); err != nil {
				u.logger.Warn("flush key usage", "err", err)
			}
		case <-ctx.Done():
			last, cancel := context.WithTimeout(context.WithoutCancel(ctx), u.lastWait)
			defer cancel()
			if err := u.flush(last); err != nil {
				u.logger.Warn("flush key usage at shutdown", "err", err)
			}
			return
		}
	}
}

// addDays writes the per-day request counts in one transaction; on
// failure they are kept for the next flush.
func (u *usage) addDays(ctx context.Context, days map[dayKey]dayCount) error {
	if len(days) == 0 {
		return nil
	}
	counts := make([]keyhouse.KeyDay, 0, len(days))
	for k, c := range days {
		counts = append(counts, keyhouse.KeyDay{OrgID: c.org, Environment: c.env, ClientID: c.client, KeyID: k.key,
			Day: time.Unix(k.day*86400, 0).UTC(), Count: c.n})
	}
	ctx, cancel := context.WithTimeout(ctx, touchWait)
	defer cancel()
	if err := u.store.AddKeyDays(ctx, counts); err != nil {
		for k, c := range days {
			sh := u.shard(k.key)
			sh.mu.Lock()
			if kept, ok := sh.days[k]; ok {
				c.n += kept.n
			}
			sh.days[k] = c
			sh.mu.Unlock()
		}
		return err
	}
	return nil
}

// touchWait bounds the writing of one chunk of last-used times.
const touchWait = 10 * time.Second

// touch writes one chunk, allowing it touchWait.
func (u *usage) touch(ctx context.Context, chunk map[string]time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, touchWait)
	defer cancel()
	return u.store.TouchKeys(ctx, chunk)
}
