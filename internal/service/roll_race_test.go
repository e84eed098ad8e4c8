package service_test

import (
	"sync"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/keyhousetest"
)

// TestRollOnce: rolls of one key sent at the same moment (a double click,
// two Owners, two instances on one PostgreSQL database) make one new key:
// the others are refused as the roll of a key already rolled, and the
// client holds the old key and one new key.
func TestRollOnce(t *testing.T) {
	dsn := keyhousetest.PostgresDSN(t)
	a, b := keyhousetest.NewOn(t, dsn), keyhousetest.NewOn(t, dsn)
	owner := a.NewOrg(t, "acme")
	c := a.NewClient(t, owner)
	gen, err := a.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, c.ClientID, "")
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	rolled := 0
	for i := range n {
		e := []*keyhousetest.Env{a, b}[i%2]
		wg.Go(func() {
			_, err := e.Svc.RollKey(owner.Ctx, keyhouse.Sandbox, c.ClientID, gen.KeyID, time.Hour)
			if err == nil {
				mu.Lock()
				rolled++
				mu.Unlock()
			} else if keyhouse.ErrorCode(err) != keyhouse.ECONFLICT {
				t.Errorf("roll: %v", err)
			}
		})
	}
	wg.Wait()
	cs, err := a.Svc.ListClients(owner.Ctx, keyhouse.Sandbox)
	if err != nil {
		t.Fatal(err)
	}
	if keys := len(cs[0].Keys); rolled != 1 || keys != 2 {
		t.Fatalf("%d of %d rolls of one key went through, and the client holds %d keys; want 1 roll and 2 keys", rolled, n, keys)
	}
}
