package dataplane

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"testing"
	"time"

	"keyhouse"
)

// dayStore records AddKeyDays calls and fails the first when fail is set.
type dayStore struct {
	Store
	fail    bool
	calls   [][]keyhouse.KeyDay
	touched map[string]time.Time
}

func (s *dayStore) TouchKeys(_ context.Context, times map[string]time.Time) error {
	if s.touched == nil {
		s.touched = map[string]time.Time{}
	}
	maps.Copy(s.touched, times)
	return nil
}

func (s *dayStore) AddKeyDays(_ context.Context, counts []keyhouse.KeyDay) error {
	s.calls = append(s.calls, counts)
	if s.fail {
		s.fail = false
		return errors.New("database unavailable")
	}
	return nil
}

// TestUsageDays: requests are counted per key and UTC day in memory and
// written by the flush, one batch; a failed batch is kept and added to
// the next.
func TestUsageDays(t *testing.T) {
	store := &dayStore{fail: true}
	u := newUsage(store, slog.New(slog.DiscardHandler))
	k := &keyhouse.APIKey{KeyID: "khk_a", OrgID: "o", ClientID: "c", Environment: keyhouse.Sandbox}
	day := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	u.used(k, day.Add(23*time.Hour))
	u.used(k, day.Add(23*time.Hour+59*time.Minute))
	u.used(k, day.Add(24*time.Hour+time.Minute)) // the next day
	if err := u.flush(t.Context()); err == nil {
		t.Fatal("the failing flush reported no error")
	}
	u.used(k, day.Add(25*time.Hour))
	if err := u.flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := map[time.Time]int64{}
	for _, d := range store.calls[1] {
		got[d.Day] += d.Count
		if d.OrgID != "o" || d.ClientID != "c" || d.KeyID != "khk_a" || d.Environment != keyhouse.Sandbox {
			t.Errorf("row %+v names the wrong key", d)
		}
	}
	if want := map[time.Time]int64{day: 2, day.AddDate(0, 0, 1): 2}; len(got) != 2 || got[day] != 2 || got[day.AddDate(0, 0, 1)] != 2 {
		t.Errorf("second flush wrote %v, want %v", got, want)
	}
	if len(store.calls) != 2 {
		t.Errorf("%d AddKeyDays calls, want 2", len(store.calls))
	}
}

// TestUsageConcurrent: requests noted at once from many goroutines, over
// keys spread across the shards, are all counted, and each key's
// last-used time is its latest.
func TestUsageConcurrent(t *testing.T) {
	store := &dayStore{}
	u := newUsage(store, slog.New(slog.DiscardHandler))
	keys := make([]*keyhouse.APIKey, 50)
	for i := range keys {
		keys[i] = &keyhouse.APIKey{KeyID: fmt.Sprintf("khk_%02d", i), OrgID: "o", ClientID: "c", Environment: keyhouse.Production}
	}
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	const workers, each = 8, 1000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				u.used(keys[(w+i)%len(keys)], t0.Add(time.Duration(w*each+i)*time.Millisecond))
			}
		})
	}
	wg.Wait()
	if err := u.flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, d := range store.calls[0] {
		total += d.Count
	}
	if total != workers*each {
		t.Errorf("%d requests counted, want %d", total, workers*each)
	}
	if len(store.touched) != len(keys) {
		t.Fatalf("%d keys touched, want %d", len(store.touched), len(keys))
	}
	for _, k := range keys {
		var latest time.Time
		for w := range workers {
			for i := range each {
				if keys[(w+i)%len(keys)] == k {
					latest = t0.Add(time.Duration(w*each+i) * time.Millisecond)
				}
			}
		}
		if got := store.touched[k.KeyID]; !got.Equal(latest) {
			t.Errorf("%s last used %v, want %v", k.KeyID, got, latest)
		}
	}
}
