package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/sqlstore"
)

func TestJudge(t *testing.T) {
	ok := eventCheck{Acked: 100, Answered202: 100, PerRequest: 1, Stored: 103, InFlightMax: 64}
	tests := []struct {
		name   string
		change func(c *eventCheck)
		want   string // in Problem; "" for none
	}{
		{"all stored, some cut off in flight", func(c *eventCheck) {}, ""},
		{"exactly the acknowledged", func(c *eventCheck) { c.Stored = 100 }, ""},
		{"acknowledged but lost", func(c *eventCheck) { c.Stored = 99 }, "lost events: 100 acknowledged, 99 stored"},
		{"more than in flight", func(c *eventCheck) { c.Stored = 165 }, "more than the 100 acknowledged and 64 in flight"},
		{"accepted count off", func(c *eventCheck) { c.Acked = 101 }, "100 answers 202 should accept 100 events, they accepted 101"},
		{"batch counts", func(c *eventCheck) { c.PerRequest, c.Acked, c.Stored, c.InFlightMax = 100, 10000, 10000, 6400 }, ""},
		{"duplicate bodies", func(c *eventCheck) { c.Duplicates = 2 }, "2 events stored twice"},
		{"id missing", func(c *eventCheck) { c.ByID, c.IDs, c.Missing = true, 100, 1 }, "1 acknowledged event ids are not in the database"},
		{"ids not all written", func(c *eventCheck) { c.ByID, c.IDs = true, 90 }, "90 ids acknowledged for 100 accepted events"},
		{"id acknowledged twice", func(c *eventCheck) { c.ByID, c.IDs, c.AckedTwice = true, 100, 1 }, "1 event ids acknowledged twice"},
		{"by id, all there", func(c *eventCheck) { c.ByID, c.IDs = true, 100 }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.change(&c)
			c.judge()
			if tt.want == "" && !c.OK() {
				t.Errorf("problem %q, want none", c.Problem)
			}
			if tt.want != "" && !strings.Contains(c.Problem, tt.want) {
				t.Errorf("problem %q, want %q", c.Problem, tt.want)
			}
		})
	}
}

// mustStore returns a fresh SQLite store.
func mustStore(tb testing.TB) *sqlstore.Store {
	tb.Helper()
	s, err := sqlstore.Open(context.Background(), "sqlite:"+filepath.Join(tb.TempDir(), "k.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// mustInsert stores events with the given ids and bodies.
func mustInsert(tb testing.TB, s *sqlstore.Store, idsAndBodies ...string) {
	tb.Helper()
	now := time.Now()
	var events []*keyhouse.Event
	for i := 0; i < len(idsAndBodies); i += 2 {
		events = append(events, &keyhouse.Event{ID: idsAndBodies[i], OrgID: "org_x", Environment: keyhouse.Sandbox,
			ClientID: "9000000000", KeyID: "khk_x", ReceivedAt: now, Payload: []byte(idsAndBodies[i+1])})
	}
	if err := s.InsertEvents(context.Background(), events); err != nil {
		tb.Fatal(err)
	}
}

// mustWriteIDs writes an ids file as load.lua does.
func mustWriteIDs(tb testing.TB, dir, name string, ids ...string) {
	tb.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Join(ids, "\n")+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
}

func TestExactlyOnceAgainstDatabase(t *testing.T) {
	ctx := context.Background()
	s := mustStore(t)
	mustInsert(t, s, "evt_1", `{"seq":1}`, "evt_2", `{"seq":2}`, "evt_3", `{"seq":3}`)
	n, err := countEvents(ctx, s.DB())
	if err != nil || n != 3 {
		t.Fatalf("countEvents = %d, %v; want 3", n, err)
	}
	if n, err := settledCount(ctx, s.DB()); err != nil || n != 3 {
		t.Fatalf("settledCount = %d, %v; want 3", n, err)
	}
	if d, err := countDuplicates(ctx, s.DB()); err != nil || d != 0 {
		t.Fatalf("countDuplicates = %d, %v; want 0", d, err)
	}

	dir := t.TempDir()
	mustWriteIDs(t, dir, "ids-1.txt", "evt_1", "evt_2")
	mustWriteIDs(t, dir, "ids-2.txt", "evt_3")
	c := &eventCheck{Acked: 3, Answered202: 3, PerRequest: 1, Stored: 3}
	if err := checkIDs(ctx, s.DB(), dir, c); err != nil {
		t.Fatal(err)
	}
	if c.judge(); !c.OK() || c.IDs != 3 {
		t.Errorf("all ids stored: ids %d, problem %q", c.IDs, c.Problem)
	}

	mustWriteIDs(t, dir, "ids-3.txt", "evt_404", "evt_1") // one lost, one acknowledged twice
	mustInsert(t, s, "evt_4", `{"seq":1}`)                // a body stored twice
	c = &eventCheck{Acked: 5, Answered202: 5, PerRequest: 1, Stored: 5}
	if err := checkIDs(ctx, s.DB(), dir, c); err != nil {
		t.Fatal(err)
	}
	if c.IDs != 5 || c.Missing != 1 || c.AckedTwice != 1 {
		t.Errorf("ids, missing, twice = %d, %d, %d; want 5, 1, 1", c.IDs, c.Missing, c.AckedTwice)
	}
	if c.Duplicates, err = countDuplicates(ctx, s.DB()); err != nil || c.Duplicates != 1 {
		t.Errorf("countDuplicates = %d, %v; want 1", c.Duplicates, err)
	}
	if c.judge(); c.OK() {
		t.Error("a lost and a duplicated event passed the check")
	}
}
