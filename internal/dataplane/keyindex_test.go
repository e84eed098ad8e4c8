package dataplane

import (
	"context"
	"fmt"
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
