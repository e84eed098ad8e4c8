package sqlstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"keyhouse/internal/dataplane"
	"keyhouse/internal/keyhousetest"
)

// TestListenerFindsASilentConnection: when the network between an
// instance and PostgreSQL goes silent without closing anything (a
// firewall forgetting an idle connection, a peer gone), the listening
// connection is found dead within its heartbeat and the store's Timeout
// and reported as failed, so that the instance stops trusting its key
// index alone (--stale-keys-for) and reconnects, instead of missing other
// instances' deletions until TCP keep-alive gives up minutes later. Once
// the network is back it listens again and resynchronizes.
func TestListenerFindsASilentConnection(t *testing.T) {
	proxy, s := proxiedPostgres(t)
	s.Timeout = 300 * time.Millisecond
	s.ListenHeartbeat = 200 * time.Millisecond

	var mu sync.Mutex
	var failed, resynced []time.Time
	note := func(list *[]time.Time) { mu.Lock(); *list = append(*list, time.Now()); mu.Unlock() }
	count := func(list *[]time.Time) int { mu.Lock(); defer mu.Unlock(); return len(*list) }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.WatchChanges(ctx, dataplane.Watcher{
			KeyDeleted: func(string) {}, KeyChanged: func(string) {}, SigningKeysChanged: func() {},
			ResourceServerDeleted: func(string) {},
			Resync:                func() { note(&resynced) },
			Failed:                func(error) { note(&failed) },
		})
	}()
	t.Cleanup(func() { cancel(); <-done })

	keyhousetest.WaitFor(t, 10*time.Second, "listening", func() bool { return count(&resynced) == 1 })
	time.Sleep(time.Second) // quiet: the heartbeat answers, nothing fails
	if n := count(&failed); n != 0 {
		t.Fatalf("%d failures while the connection was quiet and well", n)
	}

	proxy.Freeze()
	took := keyhousetest.WaitFor(t, 10*time.Second, "the silent connection reported", func() bool { return count(&failed) > 0 })
	t.Logf("silent connection reported failed %v after the network went silent", took.Round(time.Millisecond))
	proxy.Thaw()
	keyhousetest.WaitFor(t, 10*time.Second, "listening again", func() bool { return count(&resynced) >= 2 })
}
