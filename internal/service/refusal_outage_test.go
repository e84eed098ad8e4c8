package service_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/keyhousetest"
)

// TestRefusedAddressDuringOutage: a key used from an address it does not
// allow is refused at once while the database is locked by another
// process, as every other request then is: the audit of the refusal waits
// for the store no longer than the store's Timeout (it waited a minute's
// deadline of its own, so SQLite's 5 s busy timeout, or on PostgreSQL a
// whole minute, held the request and its admission turn).
func TestRefusedAddressDuringOutage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kh.db")
	e := keyhousetest.NewOn(t, "sqlite:"+path)
	e.Store.Timeout = 300 * time.Millisecond // as keyhouse serve's --store-timeout
	_, gen := boundKey(t, e)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK") //nolint:errcheck // the test is over

	at := keyhouse.NewContextWithRequest(context.Background(), keyhouse.RequestInfo{IP: "192.0.2.9"})
	start := time.Now()
	_, err = e.Svc.AuthenticateBasic(at, gen.APIKey)
	took := time.Since(start)
	if keyhouse.ErrorCode(err) != keyhouse.ECREDENTIALS {
		t.Errorf("key from an address it does not allow: %v, want %s", err, keyhouse.ECREDENTIALS)
	}
	// 300 ms of store timeout; the audit's own deadline made it SQLite's
	// busy timeout (5 s).
	if took > 3*time.Second {
		t.Errorf("refusal took %v with the database locked, want about the store timeout (%v)", took, e.Store.Timeout)
	}
}
