package sqlstore

import (
	"fmt"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/service"
)

func testClients(t *testing.T, s *Store) {
	org, other := MustCreateOrg(t, s), MustCreateOrg(t, s)
	b := MustCreateClient(t, s, org, keyhouse.Sandbox, "1000000002", "Beta")
	a2 := MustCreateClient(t, s, org, keyhouse.Sandbox, "1000000003", "Alpha")
	a1 := MustCreateClient(t, s, org, keyhouse.Sandbox, "1000000004", "Alpha")
	MustCreateClient(t, s, org, keyhouse.Production, "1000000005", "Prod")
	MustCreateClient(t, s, other, keyhouse.Sandbox, "1000000006", "Other")
	uninit := &keyhouse.Client{ClientID: "1000000007", OrgID: org.ID, Environment: keyhouse.Production, Name: "New", CreatedAt: t0}
	MustUpdate(t, s, func(tx service.Tx) error { return tx.CreateClient(uninit) })

	// A client ID is unique in the deployment, whatever the organization.
	err := s.Update(t.Context(), func(tx service.Tx) error {
		return tx.CreateClient(&keyhouse.Client{ClientID: b.ClientID, OrgID: other.ID, Environment: keyhouse.Production, Name: "dup", CreatedAt: t0})
	})
	MustFail(t, err, keyhouse.ECONFLICT)

	MustView(t, s, func(tx service.Tx) error {
		got, err := tx.FindClient(org.ID, keyhouse.Sandbox, b.ClientID)
		if err != nil {
			return err
		}
		MustEqual(t, "FindClient", got, b)
		got, err = tx.FindClient(org.ID, keyhouse.Production, uninit.ClientID)
		if err != nil {
			return err
		}
		MustEqual(t, "FindClient (not initialized)", got, uninit)
		tests := []struct {
			name, org string
			env       keyhouse.Environment
			id        string
		}{
			{"other environment", org.ID, keyhouse.Production, b.ClientID},
			{"other organization", other.ID, keyhouse.Sandbox, b.ClientID},
			{"no such client", org.ID, keyhouse.Sandbox, "1999999999"},
		}
		for _, tt := range tests {
			_, err := tx.FindClient(tt.org, tt.env, tt.id)
			if keyhouse.ErrorCode(err) != keyhouse.ENOTFOUND {
				t.Errorf("FindClient, %s: %v; want ENOTFOUND", tt.name, err)
			}
		}
		cs, err := tx.ListClients(org.ID, keyhouse.Sandbox)
		if err != nil {
			return err
		}
		MustEqual(t, "ListClients (by name, then ID)", cs, []*keyhouse.Client{a2, a1, b})
		return nil
	})
}

func testKeys(t *testing.T, s *Store) {
	org := MustCreateOrg(t, s)
	c := MustCreateClient(t, s, org, keyhouse.Sandbox, "2000000001", "Shop")
	prod := MustCreateClient(t, s, org, keyhouse.Production, "2000000002", "Shop")
	k2 := MustCreateKey(t, s, c, t0.Add(time.Minute))
	k1 := MustCreateKey(t, s, c, t0)
	MustCreateKey(t, s, prod, t0)
	legacy := &keyhouse.APIKey{
		KeyID: keyhouse.NewID("khk"), OrgID: org.ID, Environment: keyhouse.Sandbox, ClientID: c.ClientID,
		SecretHash: []byte("legacy-hash"), SecretLast4: "wxyz", Legacy: true, CreatedAt: t0.Add(time.Hour), CreatedBy: "operator",
	}
	MustUpdate(t, s, func(tx service.Tx) error { return tx.CreateKey(legacy) })

	conflicts := []struct {
		name string
		key  keyhouse.APIKey
	}{
		{"key id", keyhouse.APIKey{KeyID: k1.KeyID, SecretHash: []byte("fresh")}},
		{"secret hash", keyhouse.APIKey{KeyID: keyhouse.NewID("khk"), SecretHash: k1.SecretHash}},
	}
	for _, tt := range conflicts {
		k := tt.key
		k.OrgID, k.Environment, k.ClientID, k.CreatedBy = org.ID, keyhouse.Sandbox, c.ClientID, "usr_test"
		err := s.Update(t.Context(), func(tx service.Tx) error { return tx.CreateKey(&k) })
		if keyhouse.ErrorCode(err) != keyhouse.ECONFLICT {
			t.Errorf("CreateKey with a taken %s: %v; want ECONFLICT", tt.name, err)
		}
	}

	got, err := s.FindKey(t.Context(), k1.KeyID)
	if err != nil {
		t.Fatal(err)
	}
	MustEqual(t, "Store.FindKey", got, k1)
	got, err = s.FindKeyByHash(t.Context(), legacy.SecretHash)
	if err != nil {
		t.Fatal(err)
	}
	MustEqual(t, "Store.FindKeyByHash (legacy, no description)", got, legacy)
	_, err = s.FindKey(t.Context(), "khk_missing")
	MustFail(t, err, keyhouse.ENOTFOUND)
	if msg := keyhouse.ErrorMessage(err); msg != "api key not found" {
		t.Errorf("message %q, want %q", msg, "api key not found")
	}
	_, err = s.FindKeyByHash(t.Context(), []byte("missing"))
	MustFail(t, err, keyhouse.ENOTFOUND)

	MustUpdate(t, s, func(tx service.Tx) error {
		ks, err := tx.ListKeys(org.ID, keyhouse.Sandbox)
		if err != nil {
			return err
		}
		MustEqual(t, "ListKeys (by creation)", ks, []*keyhouse.APIKey{k1, k2, legacy})
		if n, err := tx.CountKeys(c.ClientID, t0); err != nil || n != 3 {
			t.Errorf("CountKeys = %d, %v; want 3", n, err)
		}
		if err := tx.UpdateKeyDescription(k1.KeyID, "Checkout — prod mirror"); err != nil {
			return err
		}
		MustFail(t, tx.UpdateKeyDescription("khk_missing", "x"), keyhouse.ENOTFOUND)
		got, err := tx.FindKey(k1.KeyID)
		if err != nil {
			return err
		}
		if got.Description == nil || *got.Description != "Checkout — prod mirror" {
			t.Errorf("description after update = %v", got.Description)
		}
		if err := tx.DeleteKey(k2.KeyID, t0); err != nil {
			return err
		}
		MustFail(t, tx.DeleteKey(k2.KeyID, t0), keyhouse.ENOTFOUND)
		_, err = tx.FindKey(k2.KeyID)
		MustFail(t, err, keyhouse.ENOTFOUND)
		if n, err := tx.CountKeys(c.ClientID, t0); err != nil || n != 2 {
			t.Errorf("CountKeys after delete = %d, %v; want 2", n, err)
		}
		expiring := *k1
		expiring.ExpiresAt = new(t0.Add(time.Hour))
		if err := tx.UpdateKeyPolicy(&expiring); err != nil {
			return err
		}
		if n, err := tx.CountKeys(c.ClientID, t0.Add(time.Hour-time.Microsecond)); err != nil || n != 2 {
			t.Errorf("CountKeys before k1 expires = %d, %v; want 2", n, err)
		}
		if n, err := tx.CountKeys(c.ClientID, t0.Add(time.Hour)); err != nil || n != 1 {
			t.Errorf("CountKeys once k1 expired = %d, %v; want 1 (expired keys do not count)", n, err)
		}
		return nil
	})
}

func testTouchKeys(t *testing.T, s *Store) {
	org := MustCreateOrg(t, s)
	c := MustCreateClient(t, s, org, keyhouse.Sandbox, "3000000001", "Shop")
	fresh, used, gone := MustCreateKey(t, s, c, t0), MustCreateKey(t, s, c, t0), MustCreateKey(t, s, c, t0)
	if err := s.TouchKeys(t.Context(), map[string]time.Time{used.KeyID: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	MustUpdate(t, s, func(tx service.Tx) error { return tx.DeleteKey(gone.KeyID, t0) })

	err := s.TouchKeys(t.Context(), map[string]time.Time{
		fresh.KeyID:   t0.Add(time.Minute),
		used.KeyID:    t0.Add(time.Minute), // earlier than the hour it has: kept
		gone.KeyID:    t0.Add(time.Minute),
		"khk_missing": t0.Add(time.Minute),
	})
	if err != nil {
		t.Fatalf("TouchKeys: %v", err)
	}
	if err := s.TouchKeys(t.Context(), nil); err != nil {
		t.Fatalf("TouchKeys(nil): %v", err)
	}
	tests := []struct {
		key  *keyhouse.APIKey
		want time.Time
	}{
		{fresh, t0.Add(time.Minute)},
		{used, t0.Add(time.Hour)},
	}
	for _, tt := range tests {
		k, err := s.FindKey(t.Context(), tt.key.KeyID)
		if err != nil {
			t.Fatal(err)
		}
		if k.LastUsedAt == nil || !k.LastUsedAt.Equal(tt.want) {
			t.Errorf("LastUsedAt = %v, want %v", k.LastUsedAt, tt.want)
		}
	}
	_, err = s.FindKey(t.Context(), gone.KeyID)
	MustFail(t, err, keyhouse.ENOTFOUND)
}

func testEventSummaries(t *testing.T, s *Store) {
	org, other := MustCreateOrg(t, s), MustCreateOrg(t, s)
	day := time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)
	week := day.AddDate(0, 0, -6)
	a := MustCreateKey(t, s, MustCreateClient(t, s, org, keyhouse.Sandbox, "4000000001", "A"), t0)
	b := MustCreateKey(t, s, MustCreateClient(t, s, org, keyhouse.Sandbox, "4000000002", "B"), t0)
	MustCreateClient(t, s, org, keyhouse.Sandbox, "4000000003", "No events")
	aProd := MustCreateKey(t, s, MustCreateClient(t, s, org, keyhouse.Production, "4000000004", "A prod"), t0)
	aOther := MustCreateKey(t, s, MustCreateClient(t, s, other, keyhouse.Sandbox, "4000000005", "Other"), t0)

	last := day.Add(13*time.Hour + time.Microsecond)
	for _, at := range []time.Time{day, last, day.Add(-time.Microsecond), week, week.Add(-time.Microsecond)} {
		MustInsertEvent(t, s, a, at)
	}
	MustInsertEvent(t, s, b, week.AddDate(0, -1, 0))
	MustInsertEvent(t, s, aProd, day)
	MustInsertEvent(t, s, aOther, day)

	oldB := week.AddDate(0, -1, 0)
	MustView(t, s, func(tx service.Tx) error {
		got, err := tx.EventSummaries(org.ID, keyhouse.Sandbox, day, week)
		if err != nil {
			return err
		}
		MustEqual(t, "EventSummaries", got, map[string]keyhouse.EventSummary{
			a.ClientID: {Today: 2, Last7Days: 4, Total: 5, LastReceivedAt: &last},
			b.ClientID: {Today: 0, Last7Days: 0, Total: 1, LastReceivedAt: &oldB},
		})
		got, err = tx.EventSummaries("org_missing", keyhouse.Sandbox, day, week)
		if err != nil || len(got) != 0 {
			t.Errorf("EventSummaries of an organization without events = %v, %v; want empty", got, err)
		}
		return nil
	})
}

func testAudit(t *testing.T, s *Store) {
	org, other := MustCreateOrg(t, s), MustCreateOrg(t, s)
	var evs []*keyhouse.AuditEvent // oldest first
	MustUpdate(t, s, func(tx service.Tx) error {
		for i := range 10 {
			ev := &keyhouse.AuditEvent{
				Time: t0.Add(time.Duration(i) * time.Minute), OrgID: org.ID, Environment: keyhouse.Sandbox,
				Actor: "usr_1", Action: []string{keyhouse.ActionKeyCreated, keyhouse.ActionKeyDeleted}[i%2],
				Target: fmt.Sprint("khk_", i), IP: "192.0.2.1", UserAgent: "test",
			}
			if err := tx.AppendAudit(ev); err != nil {
				return err
			}
			if len(evs) > 0 && ev.ID <= evs[len(evs)-1].ID {
				t.Fatalf("AppendAudit: id %d after %d", ev.ID, evs[len(evs)-1].ID)
			}
			evs = append(evs, ev)
		}
		return tx.AppendAudit(&keyhouse.AuditEvent{Time: t0, OrgID: other.ID, Actor: "operator", Action: keyhouse.ActionOrgCreated})
	})
	// newest returns evs[i] for each i, newest first.
	newest := func(is ...int) []*keyhouse.AuditEvent {
		var out []*keyhouse.AuditEvent
		for _, i := range is {
			out = append(out, evs[i])
		}
		return out
	}
	tests := []struct {
		name   string
		filter keyhouse.AuditFilter
		want   []*keyhouse.AuditEvent
	}{
		{"all", keyhouse.AuditFilter{}, newest(9, 8, 7, 6, 5, 4, 3, 2, 1, 0)},
		{"from", keyhouse.AuditFilter{From: t0.Add(7 * time.Minute)}, newest(9, 8, 7)},
		{"to", keyhouse.AuditFilter{To: t0.Add(2 * time.Minute)}, newest(1, 0)},
		{"from and to", keyhouse.AuditFilter{From: t0.Add(3 * time.Minute), To: t0.Add(5 * time.Minute)}, newest(4, 3)},
		{"action", keyhouse.AuditFilter{Action: keyhouse.ActionKeyDeleted}, newest(9, 7, 5, 3, 1)},
		{"unknown action", keyhouse.AuditFilter{Action: "api_key"}, nil},
		{"limit", keyhouse.AuditFilter{Limit: 3}, newest(9, 8, 7)},
		{"before", keyhouse.AuditFilter{Before: evs[7].ID, Limit: 3}, newest(6, 5, 4)},
		{"before and action", keyhouse.AuditFilter{Before: evs[3].ID, Action: keyhouse.ActionKeyCreated}, newest(2, 0)},
	}
	MustView(t, s, func(tx service.Tx) error {
		for _, tt := range tests {
			f := tt.filter
			f.OrgID = org.ID
			got, err := tx.ListAudit(f)
			if err != nil {
				return err
			}
			MustEqual(t, "ListAudit, "+tt.name, got, tt.want)
		}
		// Paging with the cursor visits every event once.
		var seen []*keyhouse.AuditEvent
		f := keyhouse.AuditFilter{OrgID: org.ID, Limit: 4}
		for page := 0; ; page++ {
			got, err := tx.ListAudit(f)
			if err != nil {
				return err
			}
			if len(got) == 0 || page > 10 {
				break
			}
			seen = append(seen, got...)
			f.Before = got[len(got)-1].ID
		}
		MustEqual(t, "paged ListAudit", seen, newest(9, 8, 7, 6, 5, 4, 3, 2, 1, 0))
		return nil
	})
}

func testAuditLimits(t *testing.T, s *Store) {
	org := MustCreateOrg(t, s)
	MustUpdate(t, s, func(tx service.Tx) error {
		for i := range 1005 {
			if err := tx.AppendAudit(&keyhouse.AuditEvent{Time: t0, OrgID: org.ID, Actor: "a", Action: "x", Target: fmt.Sprint(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct{ limit, want int }{{0, 100}, {-1, 100}, {250, 250}, {5000, 1001}}
	MustView(t, s, func(tx service.Tx) error {
		for _, tt := range tests {
			got, err := tx.ListAudit(keyhouse.AuditFilter{OrgID: org.ID, Limit: tt.limit})
			if err != nil || len(got) != tt.want {
				t.Errorf("ListAudit(Limit %d) = %d events, %v; want %d", tt.limit, len(got), err, tt.want)
			}
		}
		return nil
	})
}
