package dataplane

import (
	"context"
	"fmt"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/apikey"
)

// keysStore serves ForEachKey from a slice; the index needs nothing else.
type keysStore struct {
	Store
	keys []*keyhouse.APIKey
}

func (s *keysStore) ForEachKey(_ context.Context, fn func(*keyhouse.APIKey)) error {
	for _, k := range s.keys {
		fn(k)
	}
	return nil
}

func testKey(client string, legacy bool) *keyhouse.APIKey {
	k := apikey.Generate(keyhouse.Production)
	h := apikey.NewHasher([]byte("k")).Hash(k.Secret)
	return &keyhouse.APIKey{KeyID: k.ID, OrgID: "org_1", Environment: keyhouse.Production, ClientID: client, SecretHash: h, Legacy: legacy}
}

func TestKeyIndex(t *testing.T) {
	x := newKeyIndex()
	a, b, legacy := testKey("1000000001", false), testKey("1000000001", false), testKey("1000000002", true)
	for _, k := range []*keyhouse.APIKey{a, b, legacy} {
		x.put(k)
	}
	if got := x.get(a.KeyID); got == nil || got.ClientID != a.ClientID || got.OrgID != "org_1" || got.Environment != keyhouse.Production || !apikey.Equal(got.SecretHash, a.SecretHash) {
		t.Fatalf("get = %+v", got)
	}
	if got := x.getLegacy(legacy.SecretHash); got == nil || got.KeyID != legacy.KeyID || !got.Legacy {
		t.Fatalf("getLegacy = %+v", got)
	}
	if x.get("khk_nope") != nil || x.get("") != nil || x.getLegacy(a.SecretHash) != nil {
		t.Fatal("found what is not there")
	}
	now := time.Now()
	x.remove(legacy.KeyID, now)
	if x.get(legacy.KeyID) != nil || x.getLegacy(legacy.SecretHash) != nil {
		t.Fatal("a removed key is still found")
	}
	x.put(legacy) // a late look-up must not bring it back
	if x.get(legacy.KeyID) != nil {
		t.Fatal("put brought back a deleted key")
	}
	// A reload that read the store before the deletion leaves it out too.
	if err := x.reload(context.Background(), &keysStore{keys: []*keyhouse.APIKey{a, b, legacy}}, now); err != nil {
		t.Fatal(err)
	}
	if len(x.byID) != 2 || x.get(legacy.KeyID) != nil || x.get(b.KeyID) == nil {
		t.Fatalf("after reload: %d keys", len(x.byID))
	}
	// Ten minutes on, the deletion is forgotten (the store is the truth again).
	if err := x.reload(context.Background(), &keysStore{keys: []*keyhouse.APIKey{a}}, now.Add(goneFor+time.Second)); err != nil {
		t.Fatal(err)
	}
	if len(x.byID) != 1 || len(x.gone) != 0 {
		t.Fatalf("after the second reload: %d keys, %d remembered deletions", len(x.byID), len(x.gone))
	}
}

// BenchmarkKeyIndexMemory reports the heap one indexed key takes, with
// 100 keys per client.
func BenchmarkKeyIndexMemory(b *testing.B) {
	const n = 200_000
	keys := make([]*keyhouse.APIKey, n)
	for i := range keys {
		keys[i] = testKey(fmt.Sprintf("%010d", i/100), false)
	}
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		x := newKeyIndex()
		for _, k := range keys {
			x.add(k)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/key")
		runtime.KeepAlive(x)
	}
}

// duringScan is keysStore that calls during while ForEachKey is half
// way: what another goroutine does while a reload reads the store.
type duringScan struct {
	keysStore
	during func()
}

func (s *duringScan) ForEachKey(ctx context.Context, fn func(*keyhouse.APIKey)) error {
	err := s.keysStore.ForEachKey(ctx, fn)
	s.during()
	return err
}

// TestReloadKeepsLaterChanges: a key changed while a reload reads the
// store (new allowed addresses, the expiry a roll gives the old key, put
// by this instance or at another's notice) keeps its change: the reload's
// older copy does not bring the old addresses and no expiry back until
// the next reload.
func TestReloadKeepsLaterChanges(t *testing.T) {
	x := newKeyIndex()
	a, b := testKey("1000000001", false), testKey("1000000001", false)
	x.put(a)
	x.put(b)
	changed := *a
	until := time.Now().Add(time.Minute).UTC().Truncate(time.Microsecond)
	changed.ExpiresAt, changed.AllowedCIDRs = &until, []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}
	store := &duringScan{keysStore{keys: []*keyhouse.APIKey{a, b}}, func() { x.put(&changed) }}
	if err := x.reload(context.Background(), store, time.Now()); err != nil {
		t.Fatal(err)
	}
	got := x.get(a.KeyID)
	if got == nil || got.ExpiresAt == nil || !got.ExpiresAt.Equal(until) || keyhouse.FormatCIDRs(got.AllowedCIDRs) != "203.0.113.0/24" {
		t.Fatalf("after the reload: %+v, want the change made during it", got)
	}
	if x.get(b.KeyID) == nil {
		t.Fatal("the other key is gone")
	}
}
