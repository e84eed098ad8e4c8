package dataplane

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"keyhouse"
)

// touchStore records TouchKeys calls; it fails the call numbered failAt
// (from 1) when failAt is set. usage calls nothing else of a Store.
type touchStore struct {
	Store
	calls  []map[string]time.Time
	failAt int
}

func (s *touchStore) TouchKeys(_ context.Context, used map[string]time.Time) error {
	s.calls = append(s.calls, used)
	if len(s.calls) == s.failAt {
		return errors.New("database unavailable")
	}
	return nil
}

// TestUsageFlush checks that a flush writes every pending time once, in
// transactions of at most usageChunk keys taken in key order, and keeps
// what it could not write for the next flush.
func TestUsageFlush(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	const keys = 2*usageChunk + 500
	fill := func(u *usage) {
		for i := range keys {
			u.record(fmt.Sprintf("khk_%05d", i), t0.Add(time.Duration(i)*time.Second))
		}
	}
	store := &touchStore{}
	u := newUsage(store, slog.New(slog.DiscardHandler))
	fill(u)
	if err := u.flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := len(store.calls); got != 3 {
		t.Fatalf("%d transactions for %d keys, want 3", got, keys)
	}
	var all []string
	for i, c := range store.calls {
		ids := slices.Sorted(maps.Keys(c))
		if len(ids) > usageChunk {
			t.Errorf("transaction %d wrote %d keys, more than %d", i, len(ids), usageChunk)
		}
		all = append(all, ids...)
	}
	if len(all) != keys || !slices.IsSorted(all) {
		t.Fatalf("wrote %d keys (sorted across transactions: %v), want %d", len(all), slices.IsSorted(all), keys)
	}
	if got, want := store.calls[2]["khk_02499"], t0.Add(2499*time.Second); !got.Equal(want) {
		t.Errorf("khk_02499 written as %v, want %v", got, want)
	}

	failing := &touchStore{failAt: 2}
	u = newUsage(failing, slog.New(slog.DiscardHandler))
	fill(u)
	if err := u.flush(t.Context()); err == nil {
		t.Fatal("flush succeeded with a failing store")
	}
	if got, want := u.pendingKeys(), keys-usageChunk; got != want {
		t.Errorf("%d times kept after the second transaction failed, want %d", got, want)
	}
}

// stuckStore is a store whose TouchKeys answers only when its context
// ends, as a database that stopped answering.
type stuckStore struct{ Store }

func (stuckStore) TouchKeys(ctx context.Context, _ map[string]time.Time) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestUsageShutdownFlushBounded checks that the flush at shutdown gives up
// after lastWait when the store does not answer, so that a SIGTERM still
// ends the process.
func TestUsageShutdownFlushBounded(t *testing.T) {
	u := newUsage(stuckStore{}, slog.New(slog.DiscardHandler))
	u.lastWait = 50 * time.Millisecond
	u.record("khk_1", time.Now())
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { u.run(ctx, time.Hour); close(done) }()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the flush at shutdown still waits for the store 5 s later")
	}
	if _, kept := u.shard("khk_1").seen["khk_1"]; !kept {
		t.Error("the time the store did not take is dropped")
	}
}

// BenchmarkUsageUsed is what every authenticated request costs here, from
// as many goroutines as the token endpoint runs, over 1,000 keys.
func BenchmarkUsageUsed(b *testing.B) {
	u := newUsage(&touchStore{}, slog.New(slog.DiscardHandler))
	keys := make([]*keyhouse.APIKey, 1000)
	for i := range keys {
		keys[i] = &keyhouse.APIKey{KeyID: fmt.Sprintf("khk_%019d", i), OrgID: "org_1", ClientID: "client", Environment: keyhouse.Sandbox}
	}
	now := time.Now()
	b.SetParallelism(16)
	b.ReportAllocs()
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(7919))
		for pb.Next() {
			i++
			u.used(keys[i%len(keys)], now)
		}
	})
}
