package sqlstore

import (
	"reflect"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/service"
)

// testDays: per-day counts of key requests add up across batches, and
// the per-day reads return the days from since on, of one organization
// and environment only.
func testDays(t *testing.T, s *Store) {
	ctx := t.Context()
	day := t0.Truncate(24 * time.Hour)
	kd := func(org string, env keyhouse.Environment, key string, d int, n int64) keyhouse.KeyDay {
		return keyhouse.KeyDay{OrgID: org, Environment: env, ClientID: "c_" + key, KeyID: key, Day: day.AddDate(0, 0, -d), Count: n}
	}
	batches := [][]keyhouse.KeyDay{
		{kd("o1", keyhouse.Sandbox, "k1", 0, 2), kd("o1", keyhouse.Sandbox, "k2", 1, 5), kd("o1", keyhouse.Sandbox, "k1", 20, 9)},
		{kd("o1", keyhouse.Sandbox, "k1", 0, 3), kd("o2", keyhouse.Sandbox, "k3", 0, 7), kd("o1", keyhouse.Production, "k4", 0, 1)},
	}
	for _, b := range batches {
		if err := s.AddKeyDays(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	err := s.InsertEvents(ctx, []*keyhouse.Event{
		{ID: "e1", OrgID: "o1", Environment: keyhouse.Sandbox, ClientID: "c1", KeyID: "k1", ReceivedAt: day.Add(time.Hour), Payload: []byte(`{}`)},
		{ID: "e2", OrgID: "o1", Environment: keyhouse.Sandbox, ClientID: "c1", KeyID: "k1", ReceivedAt: day.Add(2 * time.Hour), Payload: []byte(`{}`)},
		{ID: "e3", OrgID: "o1", Environment: keyhouse.Sandbox, ClientID: "c2", KeyID: "k2", ReceivedAt: day.AddDate(0, 0, -1), Payload: []byte(`{}`)},
		{ID: "e4", OrgID: "o1", Environment: keyhouse.Sandbox, ClientID: "c1", KeyID: "k1", ReceivedAt: day.AddDate(0, 0, -30), Payload: []byte(`{}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	MustView(t, s, func(tx service.Tx) error {
		keys, err := tx.KeyDays("o1", keyhouse.Sandbox, day.AddDate(0, 0, -13))
		if err != nil {
			return err
		}
		want := []keyhouse.KeyDay{kd("o1", keyhouse.Sandbox, "k2", 1, 5), kd("o1", keyhouse.Sandbox, "k1", 0, 5)}
		if !reflect.DeepEqual(keys, want) {
			t.Errorf("KeyDays = %+v, want %+v", keys, want)
		}
		evs, err := tx.EventDays("o1", keyhouse.Sandbox, day.AddDate(0, 0, -29))
		if err != nil {
			return err
		}
		wantEvs := []keyhouse.ClientDay{{ClientID: "c2", Day: day.AddDate(0, 0, -1), Count: 1}, {ClientID: "c1", Day: day, Count: 2}}
		if !reflect.DeepEqual(evs, wantEvs) {
			t.Errorf("EventDays = %+v, want %+v", evs, wantEvs)
		}
		return nil
	})
}
