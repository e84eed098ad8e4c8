package service

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// usage batches the last-used times of API keys so that authenticating a
// key costs no database write: a flush every interval writes them all in
// one transaction.
type usage struct {
	store  Store
	logger *slog.Logger
	mu     sync.Mutex
	seen   map[string]time.Time
}

func newUsage(store Store, logger *slog.Logger) *usage {
	return &usage{store: store, logger: logger, seen: make(map[string]time.Time)}
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

// flush writes the pending times. On failure they are kept for the next
// flush, unless a newer time arrived meanwhile.
func (u *usage) flush(ctx context.Context) error {
	u.mu.Lock()
	batch := u.seen
	u.seen = make(map[string]time.Time)
	u.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	if err := u.store.TouchKeys(ctx, batch); err != nil {
		for id, t := range batch {
			u.record(id, t)
		}
		return err
	}
	return nil
}

// run flushes every interval until ctx ends, then once more.
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
			if err := u.flush(context.WithoutCancel(ctx)); err != nil {
				u.logger.Warn("flush key usage at shutdown", "err", err)
			}
			return
		}
	}
}
