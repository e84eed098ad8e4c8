package sqlstore

import (
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/service"
)

// testRevocationFeed: deletions and revoked signing keys come out in
// order, after a cursor, with the cursor to ask with next; pruning moves
// the horizon, and cursors before it (or past the newest entry) are
// expired while starting over (-1) gives every retained entry.
func testRevocationFeed(t *testing.T, s *Store) {
	org := MustCreateOrg(t, s)
	c := MustCreateClient(t, s, org, keyhouse.Sandbox, "3000000001", "Shop")
	a, b, d := MustCreateKey(t, s, c, t0), MustCreateKey(t, s, c, t0), MustCreateKey(t, s, c, t0)
	empty := mustList(t, s, -1, 100)
	if len(empty.Entries) != 0 || empty.Last != 0 || empty.Expired {
		t.Fatalf("empty feed: %+v", empty)
	}
	MustUpdate(t, s, func(tx service.Tx) error { return tx.DeleteKey(a.KeyID, t0) })
	sk := &keyhouse.SigningKey{ID: "kid-1", SealedKey: "x", CreatedAt: t0}
	MustUpdate(t, s, func(tx service.Tx) error { return tx.CreateSigningKey(sk) })
	MustUpdate(t, s, func(tx service.Tx) error {
		_, err := tx.RevokeSigningKeys(t0.Add(time.Hour))
		return err
	})
	MustUpdate(t, s, func(tx service.Tx) error { return tx.DeleteKey(b.KeyID, t0.Add(2*time.Hour)) })

	all := mustList(t, s, -1, 100)
	want := []keyhouse.Revocation{
		{Kind: keyhouse.RevokedAPIKey, Subject: a.KeyID, At: t0},
		{Kind: keyhouse.RevokedSigningKey, Subject: "kid-1", At: t0.Add(time.Hour)},
		{Kind: keyhouse.RevokedAPIKey, Subject: b.KeyID, At: t0.Add(2 * time.Hour)},
	}
	if len(all.Entries) != len(want) {
		t.Fatalf("feed: %+v", all.Entries)
	}
	for i, e := range all.Entries {
		if e.Kind != want[i].Kind || e.Subject != want[i].Subject || !e.At.Equal(want[i].At) {
			t.Errorf("entry %d = %+v, want %+v", i, e, want[i])
		}
		if i > 0 && e.ID <= all.Entries[i-1].ID {
			t.Errorf("entry %d: id %d not after %d", i, e.ID, all.Entries[i-1].ID)
		}
	}
	if all.Last != all.Entries[2].ID {
		t.Errorf("Last = %d, want the last entry's %d", all.Last, all.Entries[2].ID)
	}
	// After a cursor: only what follows; at the end: nothing, same cursor.
	if p := mustList(t, s, all.Entries[0].ID, 1); len(p.Entries) != 1 || p.Entries[0].Subject != "kid-1" || p.Last != all.Entries[1].ID {
		t.Errorf("after the first, one at a time: %+v", p)
	}
	if p := mustList(t, s, all.Last, 100); len(p.Entries) != 0 || p.Last != all.Last || p.Expired {
		t.Errorf("at the end: %+v", p)
	}
	if p := mustList(t, s, all.Last+1, 100); !p.Expired {
		t.Errorf("a cursor past the newest entry: %+v, want expired", p)
	}
	// Pruning what is older than 90 minutes forgets the first two.
	MustUpdate(t, s, func(tx service.Tx) error { return tx.PruneRevocations(t0.Add(90 * time.Minute)) })
	if p := mustList(t, s, all.Entries[0].ID, 100); !p.Expired {
		t.Errorf("a cursor before the horizon: %+v, want expired", p)
	}
	if p := mustList(t, s, all.Entries[1].ID, 100); p.Expired || len(p.Entries) != 1 {
		t.Errorf("a cursor at the horizon: %+v", p)
	}
	if p := mustList(t, s, -1, 100); len(p.Entries) != 1 || p.Entries[0].Subject != b.KeyID {
		t.Errorf("starting over after pruning: %+v", p)
	}
	// Ids are never reused, even once every entry is pruned.
	MustUpdate(t, s, func(tx service.Tx) error { return tx.PruneRevocations(t0.Add(24 * time.Hour)) })
	MustUpdate(t, s, func(tx service.Tx) error { return tx.DeleteKey(d.KeyID, t0.Add(25*time.Hour)) })
	if p := mustList(t, s, all.Last, 100); p.Expired || len(p.Entries) != 1 || p.Entries[0].ID <= all.Last {
		t.Errorf("after pruning everything: %+v", p)
	}
}

// testRevocationPruneOrder: an entry's time is when its key stopped
// working, not when the entry was made: an expiry announced late (the
// deployment was down when it fell) is stamped long ago. Pruning what is
// older than a time never takes an entry made after the entries it keeps:
// a deletion made a moment ago, before such an expiry, stays in the feed.
func testRevocationPruneOrder(t *testing.T, s *Store) {
	org := MustCreateOrg(t, s)
	c := MustCreateClient(t, s, org, keyhouse.Sandbox, "3000000001", "Shop")
	deleted, expired := MustCreateKey(t, s, c, t0), MustCreateKey(t, s, c, t0)
	now := t0.Add(48 * time.Hour)
	expired.ExpiresAt = &t0 // fell two days ago, while nothing ran
	MustUpdate(t, s, func(tx service.Tx) error { return tx.UpdateKeyPolicy(expired) })
	MustUpdate(t, s, func(tx service.Tx) error { return tx.DeleteKey(deleted.KeyID, now) })
	MustUpdate(t, s, func(tx service.Tx) error { _, err := tx.AnnounceExpiries(now); return err })
	MustUpdate(t, s, func(tx service.Tx) error { return tx.PruneRevocations(now.Add(-25 * time.Hour)) })
	p := mustList(t, s, -1, 100)
	if len(p.Entries) == 0 || p.Entries[0].Subject != deleted.KeyID {
		t.Fatalf("after pruning what is older than a day: %+v, want the deletion made now first", p.Entries)
	}
}

func mustList(tb testing.TB, s *Store, after int64, limit int) *keyhouse.RevocationPage {
	tb.Helper()
	p, err := s.ListRevocations(tb.(*testing.T).Context(), after, limit)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// testResourceServers: create, find, list by name, delete; a taken hash
// is a conflict, a missing id not found.
func testResourceServers(t *testing.T, s *Store) {
	b := &keyhouse.ResourceServer{ID: "rs_b", Name: "orders", SecretHash: []byte("hash-b"), CreatedAt: t0, CreatedBy: "operator"}
	a := &keyhouse.ResourceServer{ID: "rs_a", Name: "billing", SecretHash: []byte("hash-a"), CreatedAt: t0, CreatedBy: "operator"}
	MustUpdate(t, s, func(tx service.Tx) error { return tx.CreateResourceServer(b) })
	MustUpdate(t, s, func(tx service.Tx) error { return tx.CreateResourceServer(a) })
	dup := &keyhouse.ResourceServer{ID: "rs_c", Name: "x", SecretHash: []byte("hash-a"), CreatedAt: t0}
	MustFail(t, s.Update(t.Context(), func(tx service.Tx) error { return tx.CreateResourceServer(dup) }), keyhouse.ECONFLICT)
	got, err := s.FindResourceServer(t.Context(), "rs_b")
	if err != nil || got.Name != "orders" || string(got.SecretHash) != "hash-b" || !got.CreatedAt.Equal(t0) || got.CreatedBy != "operator" {
		t.Fatalf("find = %+v, %v", got, err)
	}
	_, err = s.FindResourceServer(t.Context(), "rs_none")
	MustFail(t, err, keyhouse.ENOTFOUND)
	MustUpdate(t, s, func(tx service.Tx) error {
		list, err := tx.ListResourceServers()
		if err != nil {
			return err
		}
		if len(list) != 2 || list[0].ID != "rs_a" || list[1].ID != "rs_b" {
			t.Errorf("list = %+v", list)
		}
		if err := tx.DeleteResourceServer("rs_a"); err != nil {
			return err
		}
		MustFail(t, tx.DeleteResourceServer("rs_a"), keyhouse.ENOTFOUND)
		return nil
	})
}
