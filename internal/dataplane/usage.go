package dataplane

import (
	"context"
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
type usage struct {
	store  Store
	logger *slog.Logger
	// lastWait bounds the flush at shutdown: a store that does not
	// answer must not keep the process from exiting.
	lastWait time.Duration
	mu       sync.Mutex
	seen     map[string]time.Time
	days     map[dayKey]int64 // requests per key and UTC day, for key_days
}

// dayKey is one key's UTC day in usage.days.
type dayKey struct {
	org, client, key string
	env              keyhouse.Environment
	day              time.Time
}

func newUsage(store Store, logger *slog.Logger) *usage {
	return &usage{store: store, logger: logger, lastWait: usageLastWait, seen: make(map[string]time.Time), days: make(map[dayKey]int64)}
}

// used notes a request authenticated with k at t: its last-used time and
// one more request on t's day, both written by the next flush.
func (u *usage) used(k *keyhouse.APIKey, t time.Time) {
	dk := dayKey{org: k.OrgID, client: k.ClientID, key: k.KeyID, env: k.Environment, day: t.UTC().Truncate(24 * time.Hour)}
	u.mu.Lock()
	if t.After(u.seen[k.KeyID]) {
		u.seen[k.KeyID] = t
	}
	u.days[dk]++
	u.mu.Unlock()
}

// record notes that keyID was used at t.
func (u *usage) record(keyID string, t time.Time) {
	u.mu.Lock()
	if t.After(u.seen[keyID]) {
		u.seen[keyID] = t
	}
	u.mu.Unlock()
}

// forget drops a pending time of a deleted key.
func (u *usage) forget(keyID string) {
	u.mu.Lock()
	delete(u.seen, keyID)
	u.mu.Unlock()
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
	u.mu.Lock()
	batch, days := u.seen, u.days
	u.seen, u.days = make(map[string]time.Time), make(map[dayKey]int64)
	u.mu.Unlock()
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
func (u *usage) addDays(ctx context.Context, days map[dayKey]int64) error {
	if len(days) == 0 {
		return nil
	}
	counts := make([]keyhouse.KeyDay, 0, len(days))
	for k, n := range days {
		counts = append(counts, keyhouse.KeyDay{OrgID: k.org, Environment: k.env, ClientID: k.client, KeyID: k.key, Day: k.day, Count: n})
	}
	ctx, cancel := context.WithTimeout(ctx, touchWait)
	defer cancel()
	if err := u.store.AddKeyDays(ctx, counts); err != nil {
		u.mu.Lock()
		for k, n := range days {
			u.days[k] += n
		}
		u.mu.Unlock()
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
