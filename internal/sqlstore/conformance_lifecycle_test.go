package sqlstore

import (
	"net/netip"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/service"
)

// testKeyLifecycle: expiry, allowed addresses and replacement round-trip
// through UpdateKeyPolicy, FindKey and ForEachKey; ExpiringKeys and
// EndedRolls select by expiry and replacement; a reminder is claimed once
// (a later one after an earlier one, never the reverse); the
// organization's maximum lifetime is stored.
func testKeyLifecycle(t *testing.T, s *Store) {
	org := MustCreateOrg(t, s)
	c := MustCreateClient(t, s, org, keyhouse.Sandbox, "3000000001", "Shop")
	soon, later, rolled := MustCreateKey(t, s, c, t0), MustCreateKey(t, s, c, t0), MustCreateKey(t, s, c, t0)
	set := func(k *keyhouse.APIKey, at time.Time, cidrs []netip.Prefix, by *string) {
		k.ExpiresAt, k.AllowedCIDRs, k.ReplacedBy = &at, cidrs, by
		MustUpdate(t, s, func(tx service.Tx) error { return tx.UpdateKeyPolicy(k) })
	}
	ranges := []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32")}
	set(soon, t0.Add(time.Hour), ranges, nil)
	set(later, t0.Add(48*time.Hour), []netip.Prefix{}, nil)
	set(rolled, t0.Add(2*time.Hour), []netip.Prefix{}, &soon.KeyID)
	got, err := s.FindKey(t.Context(), soon.KeyID)
	if err != nil {
		t.Fatal(err)
	}
	MustEqual(t, "FindKey after UpdateKeyPolicy", got, soon)
	loaded := map[string]*keyhouse.APIKey{}
	if err := s.ForEachKey(t.Context(), func(k *keyhouse.APIKey) { loaded[k.KeyID] = k }); err != nil {
		t.Fatal(err)
	}
	if k := loaded[soon.KeyID]; k == nil || !k.ExpiresAt.Equal(*soon.ExpiresAt) || keyhouse.FormatCIDRs(k.AllowedCIDRs) != "203.0.113.0/24,2001:db8::/32" {
		t.Errorf("ForEachKey gives %+v", k)
	}
	MustView(t, s, func(tx service.Tx) error {
		ks, err := tx.ExpiringKeys(t0, t0.Add(24*time.Hour))
		if err != nil || len(ks) != 1 || ks[0].KeyID != soon.KeyID {
			t.Errorf("ExpiringKeys within a day: %v, %v; want only the unreplaced key", ks, err)
		}
		ks, err = tx.EndedRolls(t0.Add(3 * time.Hour))
		if err != nil || len(ks) != 1 || ks[0].KeyID != rolled.KeyID {
			t.Errorf("EndedRolls: %v, %v; want the rolled key", ks, err)
		}
		return nil
	})
	announce := func(at time.Time) (due bool, ids []string) {
		MustView(t, s, func(tx service.Tx) (err error) { due, err = tx.ExpiriesDue(at); return err })
		MustUpdate(t, s, func(tx service.Tx) (err error) { ids, err = tx.AnnounceExpiries(at); return err })
		return due, ids
	}
	if due, ids := announce(t0.Add(3 * time.Hour)); !due || len(ids) != 2 || ids[0] != soon.KeyID || ids[1] != rolled.KeyID {
		t.Errorf("AnnounceExpiries 3 h on: due %v, %v; want the two keys expired by then, soonest first", due, ids)
	}
	if due, ids := announce(t0.Add(3 * time.Hour)); due || len(ids) != 0 {
		t.Errorf("AnnounceExpiries again: due %v, %v; want nothing", due, ids)
	}
	page, err := s.ListRevocations(t.Context(), -1, 10)
	if err == nil {
		page, err = s.ListRevocations(t.Context(), 0, 10)
	}
	if err != nil || len(page.Entries) < 2 {
		t.Fatalf("the feed: %+v, %v", page, err)
	}
	if e := page.Entries[len(page.Entries)-2]; e.Subject != soon.KeyID || e.Kind != keyhouse.RevokedAPIKey || !e.At.Equal(*soon.ExpiresAt) {
		t.Errorf("the feed's entry for the expired key: %+v", e)
	}
	claims := []struct {
		days int
		want bool
	}{{7, true}, {7, false}, {1, true}, {7, false}, {1, false}}
	for _, c := range claims {
		var got bool
		MustUpdate(t, s, func(tx service.Tx) (err error) { got, err = tx.ClaimExpiryReminder(later.KeyID, c.days); return err })
		if got != c.want {
			t.Errorf("ClaimExpiryReminder(%d) = %v, want %v", c.days, got, c.want)
		}
	}
	days := 30
	MustUpdate(t, s, func(tx service.Tx) error { return tx.SetOrgKeyLifetime(org.ID, &days) })
	MustView(t, s, func(tx service.Tx) error {
		o, err := tx.FindOrg(org.ID)
		if err != nil || o.MaxKeyLifetimeDays == nil || *o.MaxKeyLifetimeDays != 30 {
			t.Errorf("FindOrg after SetOrgKeyLifetime: %+v, %v", o, err)
		}
		return nil
	})
}
