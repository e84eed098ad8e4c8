package sqlstore

import (
	"testing"
	"time"

	"keyhouse"
)

// TestCountByDay checks the sums and that the rows come in one order
// whatever the order of the events: commits of several instances lock
// event_days rows in that order.
func TestCountByDay(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 23, 59, 0, 0, time.UTC)
	ev := func(client string, at time.Time) *keyhouse.Event {
		return &keyhouse.Event{OrgID: "org", Environment: keyhouse.Sandbox, ClientID: client, ReceivedAt: at}
	}
	events := []*keyhouse.Event{
		ev("2", t0), ev("1", t0.Add(2*time.Minute)), ev("1", t0), ev("2", t0.Add(time.Second)), ev("1", t0.Add(time.Minute)),
	}
	got := countByDay(events)
	midnight := micros(t0.Truncate(24 * time.Hour))
	want := []dayCount{
		{org: "org", env: "sandbox", client: "1", day: midnight, count: 1, last: micros(t0)},
		{org: "org", env: "sandbox", client: "1", day: midnight + day, count: 2, last: micros(t0.Add(2 * time.Minute))},
		{org: "org", env: "sandbox", client: "2", day: midnight, count: 2, last: micros(t0.Add(time.Second))},
	}
	if len(got) != len(want) {
		t.Fatalf("countByDay = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
