package dataplane

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"keyhouse"
)

// dayStore records AddKeyDays calls and fails the first when fail is set.
type dayStore struct {
	Store
	fail  bool
	calls [][]keyhouse.KeyDay
}

func (s *dayStore) TouchKeys(context.Context, map[string]time.Time) error { return nil }

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
