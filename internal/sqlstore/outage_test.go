package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/service"
	"keyhouse/internal/sqlstore"
)

// outage is a store whose database the test can take away and give back.
type outage struct {
	store   *sqlstore.Store
	cut     func()
	restore func()
	reads   bool // reads still work while cut (SQLite under another's write lock)
}

// TestOutage takes the database away from a store (with the Timeout of
// keyhouse serve) under a stream of writes and gives it back: while it is
// gone every call answers EUNAVAILABLE within 2 s (none hangs), Ready
// says so, the store serves
// again within 5 s of its return without being reopened, and every batch
// of events is stored whole or not at all (every acknowledged one whole).
// PostgreSQL is taken away by a TCP proxy that drops its connections and
// refuses new ones; SQLite by another connection holding the write lock.
func TestOutage(t *testing.T) {
	tests := []struct {
		name string
		open func(t *testing.T) outage
	}{
		{"sqlite", sqliteOutage},
		{"postgres", postgresOutage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { testOutage(t, tt.open(t)) })
	}
}

// sqliteOutage opens a SQLite store; its cut is a BEGIN EXCLUSIVE held
// by another connection, as another process would.
func sqliteOutage(t *testing.T) outage {
	path := filepath.Join(t.TempDir(), "kh.db")
	s, err := sqlstore.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.Timeout = sqlstore.DefaultTimeout // as keyhouse serve
	other, err := sql.Open("sqlite", path+"?_busy_timeout=20000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	var conn *sql.Conn
	cut := func() {
		if conn, err = other.Conn(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
			t.Fatalf("take the write lock: %v", err)
		}
	}
	restore := func() {
		if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
			t.Fatalf("release the write lock: %v", err)
		}
		conn.Close()
	}
	return outage{store: s, cut: cut, restore: restore, reads: true}
}

// postgresOutage opens a PostgreSQL store through a proxy of the test's.
func postgresOutage(t *testing.T) outage {
	proxy, s := proxiedPostgres(t)
	return outage{store: s, cut: proxy.Cut, restore: proxy.Restore}
}

// proxiedPostgres opens a PostgreSQL store of a schema of its own through
// a proxy of the test's, with the Timeout of keyhouse serve.
func proxiedPostgres(t *testing.T) (*keyhousetest.Proxy, *sqlstore.Store) {
	base := os.Getenv("KEYHOUSE_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("KEYHOUSE_TEST_POSTGRES is not set: CI must run the PostgreSQL outage tests")
		}
		t.Skip("KEYHOUSE_TEST_POSTGRES is not set")
	}
	proxy, dsn := keyhousetest.ProxyDSN(t, sqlstore.MustSchemaDSN(t, base))
	s, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.Timeout = sqlstore.DefaultTimeout
	return proxy, s
}

func testOutage(t *testing.T, o outage) {
	s := o.store
	org := sqlstore.MustCreateOrg(t, s)
	key := sqlstore.MustCreateKey(t, s, sqlstore.MustCreateClient(t, s, org, keyhouse.Sandbox, "5000000001", "A"), time.Now())
	w := startWriter(s, key)
	w.waitBatches(t, 5)

	o.cut()
	slowest := checkGone(t, o)
	start := time.Now()
	o.restore()
	recovery := waitBack(t, s)
	t.Logf("outage: slowest answer %v; served again %v after the database came back", slowest, recovery)
	w.waitBatchesAfter(t, start)
	w.stop()
	w.checkWhole(t, s)
}

// checkGone calls the store while its database is gone and returns the
// slowest answer.
func checkGone(t *testing.T, o outage) time.Duration {
	t.Helper()
	s := o.store
	ctx := context.Background()
	calls := []struct {
		name  string
		write bool
		call  func() error
	}{
		{"Update", true, func() error {
			return s.Update(ctx, func(tx service.Tx) error {
				return tx.CreateOrg(&keyhouse.Organization{ID: keyhouse.NewID("org"), Name: "During", State: keyhouse.OrgActive, CreatedAt: time.Now()})
			})
		}},
		{"InsertEvents", true, func() error { return s.InsertEvents(ctx, []*keyhouse.Event{event("gone", 0, nil)}) }},
		{"Ready", true, func() error { return s.Ready(ctx) }},
		// SQLite readers do not wait for the writer: these work there.
		{"View", false, func() error { return s.View(ctx, func(tx service.Tx) error { _, err := tx.ListOrgs(); return err }) }},
		{"FindKey", false, func() error { _, err := s.FindKey(ctx, "khk_AAAAAAAAAAAAAAAAAAAA"); return err }},
		{"ListSigningKeys", false, func() error { _, err := s.ListSigningKeys(ctx); return err }},
	}
	var mu sync.Mutex
	var slowest time.Duration
	for round := range 3 { // the first meets pooled connections, the next new ones
		var wg sync.WaitGroup
		for _, c := range calls { // together, as concurrent requests would
			wg.Go(func() {
				start := time.Now()
				err := c.call()
				took := time.Since(start)
				mu.Lock()
				slowest = max(slowest, took)
				mu.Unlock()
				if took > 2*time.Second {
					t.Errorf("round %d: %s took %v while the database was gone", round, c.name, took)
				}
				if (c.write || !o.reads) && keyhouse.ErrorCode(err) != keyhouse.EUNAVAILABLE {
					t.Errorf("round %d: %s while the database was gone: %v, want EUNAVAILABLE", round, c.name, err)
				}
			})
		}
		wg.Wait()
	}
	return slowest
}

// waitBack returns how long the store took to write again, and fails the
// test past 5 s.
func waitBack(t *testing.T, s *sqlstore.Store) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		err := s.Update(context.Background(), func(tx service.Tx) error {
			return tx.CreateOrg(&keyhouse.Organization{ID: keyhouse.NewID("org"), Name: "After", State: keyhouse.OrgActive, CreatedAt: time.Now()})
		})
		if err == nil && s.Ready(context.Background()) == nil {
			return time.Since(start)
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("the store does not serve 5 s after the database came back: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// writer inserts batches of events in a loop and records which were
// acknowledged.
type writer struct {
	mu       sync.Mutex
	acked    map[int]bool // batch → InsertEvents returned nil
	ackedAt  []time.Time
	tried    int
	cancel   context.CancelFunc
	finished chan struct{}
}

// batchSize spans three multi-row INSERTs: a cut can fall between them.
const batchSize = 250

func startWriter(s *sqlstore.Store, k *keyhouse.APIKey) *writer {
	ctx, cancel := context.WithCancel(context.Background())
	w := &writer{acked: map[int]bool{}, cancel: cancel, finished: make(chan struct{})}
	go func() {
		defer close(w.finished)
		for b := 0; ctx.Err() == nil; b++ {
			events := make([]*keyhouse.Event, batchSize)
			for i := range events {
				events[i] = event(fmt.Sprintf("%04d", b), i, k)
			}
			err := s.InsertEvents(context.Background(), events)
			w.mu.Lock()
			w.tried = b + 1
			if err == nil {
				w.acked[b] = true
				w.ackedAt = append(w.ackedAt, time.Now())
			}
			w.mu.Unlock()
			// A pause between batches, as between an intake's group
			// commits, so that the test's other connection can take
			// SQLite's write lock: its busy handler polls, and
			// back-to-back commits starved it past its timeout under -race
			// on a loaded machine.
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return w
}

// event returns event i of a batch, for key k (a made-up one when nil).
func event(batch string, i int, k *keyhouse.APIKey) *keyhouse.Event {
	if k == nil {
		k = &keyhouse.APIKey{KeyID: "khk_none", OrgID: "org_none", Environment: keyhouse.Sandbox, ClientID: "0"}
	}
	return &keyhouse.Event{ID: fmt.Sprintf("evt_%s_%04d", batch, i), OrgID: k.OrgID, Environment: k.Environment,
		ClientID: k.ClientID, KeyID: k.KeyID, ReceivedAt: time.Now(), Payload: []byte(`{}`)}
}

// waitBatches waits until n batches were acknowledged.
func (w *writer) waitBatches(t *testing.T, n int) {
	t.Helper()
	w.waitAcked(t, time.Time{}, n)
}

// waitBatchesAfter waits until a batch was acknowledged after since.
func (w *writer) waitBatchesAfter(t *testing.T, since time.Time) {
	t.Helper()
	w.waitAcked(t, since, 1)
}

// waitAcked waits until want batches were acknowledged after since.
func (w *writer) waitAcked(t *testing.T, since time.Time, want int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		w.mu.Lock()
		got := 0
		for _, at := range w.ackedAt {
			if at.After(since) {
				got++
			}
		}
		w.mu.Unlock()
		if got >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d batches stored after %v in 10 s, want %d", got, since, want)
		}
	}
}

func (w *writer) stop() { w.cancel(); <-w.finished }

// checkWhole checks that every batch is stored whole or not at all, and
// whole when it was acknowledged.
func (w *writer) checkWhole(t *testing.T, s *sqlstore.Store) {
	t.Helper()
	rows, err := s.DB().QueryContext(context.Background(), `SELECT id FROM events`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	stored := map[string]int{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		stored[strings.Split(id, "_")[1]]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	lost := 0
	for b := range w.tried {
		n := stored[fmt.Sprintf("%04d", b)]
		switch {
		case n != 0 && n != batchSize:
			t.Errorf("batch %d: %d of %d events stored: half-written", b, n, batchSize)
		case w.acked[b] && n == 0:
			t.Errorf("batch %d was acknowledged and is not stored", b)
		case !w.acked[b] && n == batchSize:
			lost++ // committed, but the answer was lost with the connection
		}
	}
	t.Logf("%d batches tried, %d acknowledged; %d stored without an acknowledgement", w.tried, len(w.acked), lost)
}
