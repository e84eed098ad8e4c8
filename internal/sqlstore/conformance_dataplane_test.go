package sqlstore

import (
	"fmt"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/service"
)

func testInsertEvents(t *testing.T, s *Store) {
	org := MustCreateOrg(t, s)
	a := MustCreateKey(t, s, MustCreateClient(t, s, org, keyhouse.Sandbox, "5000000001", "A"), t0)
	b := MustCreateKey(t, s, MustCreateClient(t, s, org, keyhouse.Sandbox, "5000000002", "B"), t0)
	midnight := t0.Truncate(24 * time.Hour)
	var batch []*keyhouse.Event
	for i := range 250 { // three multi-row INSERTs
		k, at := a, midnight.Add(time.Duration(i)*time.Second)
		if i%5 == 0 {
			k, at = b, midnight.Add(-time.Duration(i)*time.Second) // the day before
		}
		batch = append(batch, &keyhouse.Event{
			ID: fmt.Sprintf("evt_%03d", i), OrgID: k.OrgID, Environment: k.Environment, ClientID: k.ClientID,
			KeyID: k.KeyID, ReceivedAt: at, Payload: fmt.Appendf(nil, `{"n":%d}`, i),
		})
	}
	if err := s.InsertEvents(t.Context(), batch); err != nil {
		t.Fatal(err)
	}
	var n int
	var payload []byte
	if err := s.DB().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM events`).Scan(&n); err != nil || n != 250 {
		t.Fatalf("events stored = %d, %v; want 250", n, err)
	}
	q := s.d.rebind(`SELECT payload FROM events WHERE id = ?`)
	if err := s.DB().QueryRowContext(t.Context(), q, "evt_123").Scan(&payload); err != nil || string(payload) != `{"n":123}` {
		t.Fatalf("payload = %s, %v", payload, err)
	}
	// A second batch adds to the same days.
	MustInsertEvent(t, s, a, midnight.Add(time.Hour))
	lastA, lastB := midnight.Add(time.Hour), midnight // b's event 0 is at midnight: today
	MustView(t, s, func(tx service.Tx) error {
		got, err := tx.EventSummaries(org.ID, keyhouse.Sandbox, midnight, midnight.AddDate(0, 0, -6))
		MustEqual(t, "EventSummaries", got, map[string]keyhouse.EventSummary{
			a.ClientID: {Today: 201, Last7Days: 201, Total: 201, LastReceivedAt: &lastA},
			b.ClientID: {Today: 1, Last7Days: 50, Total: 50, LastReceivedAt: &lastB},
		})
		return err
	})
	// A batch that fails in its last statement leaves nothing: here the
	// event after the first full statement has no payload (NOT NULL).
	failing := make([]*keyhouse.Event, rowsPerInsert+1)
	for i := range failing {
		failing[i] = &keyhouse.Event{ID: fmt.Sprintf("evt_new%03d", i), OrgID: org.ID, Environment: keyhouse.Sandbox,
			ClientID: a.ClientID, KeyID: a.KeyID, ReceivedAt: t0, Payload: []byte(`{}`)}
	}
	failing[rowsPerInsert].Payload = nil
	if err := s.InsertEvents(t.Context(), failing); err == nil {
		t.Fatal("InsertEvents with a NULL payload: no error")
	}
	if err := s.DB().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM events`).Scan(&n); err != nil || n != 251 {
		t.Fatalf("events after a failed batch = %d, %v; want 251", n, err)
	}
}

func testSigningKeys(t *testing.T, s *Store) {
	first := &keyhouse.SigningKey{ID: "kid1", SealedKey: "v1.sealed1", CreatedAt: t0}
	MustUpdate(t, s, func(tx service.Tx) error { return tx.CreateSigningKey(first) })
	MustFail(t, s.Update(t.Context(), func(tx service.Tx) error { return tx.CreateSigningKey(first) }), keyhouse.ECONFLICT)
	later := t0.Add(time.Hour)
	second := &keyhouse.SigningKey{ID: "kid2", SealedKey: "v1.sealed2", CreatedAt: later}
	MustUpdate(t, s, func(tx service.Tx) error {
		if err := tx.RetireSigningKeys(later); err != nil {
			return err
		}
		return tx.CreateSigningKey(second)
	})
	ks, err := s.ListSigningKeys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	first.RetiredAt = &later
	MustEqual(t, "ListSigningKeys", ks, []*keyhouse.SigningKey{first, second})
}

func testForEachKey(t *testing.T, s *Store) {
	org := MustCreateOrg(t, s)
	c := MustCreateClient(t, s, org, keyhouse.Production, "6000000001", "C")
	want := map[string]bool{}
	for range 5 {
		want[MustCreateKey(t, s, c, t0).KeyID] = true
	}
	got := map[string]bool{}
	err := s.ForEachKey(t.Context(), func(k *keyhouse.APIKey) {
		if k.ClientID != c.ClientID || len(k.SecretHash) == 0 {
			t.Errorf("key %+v", k)
		}
		got[k.KeyID] = true
	})
	if err != nil {
		t.Fatal(err)
	}
	MustEqual(t, "keys", got, want)
}
