package sqlstore

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

func TestSQLite(t *testing.T) {
	runConformance(t, func(t *testing.T) *Store { return MustOpenSQLite(t) })
}

// MustOpenSQLite opens a fresh database file in tb.TempDir().
func MustOpenSQLite(tb testing.TB) *Store {
	tb.Helper()
	s, err := Open(context.Background(), "sqlite:"+filepath.Join(tb.TempDir(), "keyhouse.db"))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestOpenSQLiteDSNs(t *testing.T) {
	dir := t.TempDir()
	tests := []string{
		"sqlite:" + filepath.Join(dir, "a.db"),
		"sqlite:" + filepath.Join(dir, "b.sqlite") + "?_synchronous=FULL",
		"sqlite:file:" + filepath.Join(dir, "c.db"),
		"sqlite:file:" + filepath.Join(dir, "d.db") + "?cache=private",
		filepath.Join(dir, "e.db"),
	}
	for _, dsn := range tests {
		t.Run(filepath.Base(dsn), func(t *testing.T) {
			s, err := Open(t.Context(), dsn)
			if err != nil {
				t.Fatalf("Open(%q): %v", dsn, err)
			}
			defer s.Close()
			var mode string
			var fk, timeout, sync int
			db := s.DB()
			// FULL (2): a commit is on disk before it returns; the intake's
			// 202 depends on it.
			if err := db.QueryRowContext(t.Context(), `PRAGMA synchronous`).Scan(&sync); err != nil || sync != 2 {
				t.Errorf("synchronous = %d, %v; want 2 (FULL)", sync, err)
			}
			if err := db.QueryRowContext(t.Context(), `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
				t.Errorf("journal_mode = %q, %v; want wal", mode, err)
			}
			if err := db.QueryRowContext(t.Context(), `PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
				t.Errorf("foreign_keys = %d, %v; want 1", fk, err)
			}
			if err := db.QueryRowContext(t.Context(), `PRAGMA busy_timeout`).Scan(&timeout); err != nil || timeout != 5000 {
				t.Errorf("busy_timeout = %d, %v; want 5000", timeout, err)
			}
		})
	}
}

func TestParseDSN(t *testing.T) {
	tests := []struct {
		dsn     string
		dialect Dialect
		name    string // "" when the DSN is refused
	}{
		{"sqlite:keyhouse.db", SQLite, "keyhouse.db?" + sqliteParams},
		{"sqlite:/var/lib/kh/data", SQLite, "/var/lib/kh/data?" + sqliteParams},
		{"sqlite:kh.db?_synchronous=FULL", SQLite, "kh.db?_synchronous=FULL&" + sqliteParams},
		{"sqlite:file:/tmp/kh.db?mode=rwc", SQLite, "file:/tmp/kh.db?mode=rwc&" + sqliteParams},
		{"data/keyhouse.db", SQLite, "data/keyhouse.db?" + sqliteParams},
		{"postgres://u:secret@db/kh?sslmode=disable", Postgres, "postgres://u:secret@db/kh?sslmode=disable"},
		{"postgresql://db/kh", Postgres, "postgresql://db/kh"},
		{"sqlite:", SQLite, ""},
		{"sqlite:file:", SQLite, ""},
		{"keyhouse.sqlite", SQLite, ""},
		{"mysql://u:secret@db/kh", SQLite, ""},
	}
	for _, tt := range tests {
		d, name, err := parseDSN(tt.dsn)
		if tt.name == "" {
			if err == nil || strings.Contains(err.Error(), "secret") {
				t.Errorf("parseDSN(%q) = %q, %v; want an error without the DSN", tt.dsn, name, err)
			}
			continue
		}
		if err != nil || d != tt.dialect || name != tt.name {
			t.Errorf("parseDSN(%q) = %v, %q, %v; want %v, %q", tt.dsn, d, name, err, tt.dialect, tt.name)
		}
	}
}

func TestRebind(t *testing.T) {
	q := `SELECT a FROM t WHERE b = ? AND c IN (?, ?)`
	if got := SQLite.rebind(q); got != q {
		t.Errorf("SQLite.rebind = %q", got)
	}
	if got, want := Postgres.rebind(q), `SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)`; got != want {
		t.Errorf("Postgres.rebind = %q, want %q", got, want)
	}
}

// TestOpenConcurrently opens one new database from several goroutines, as
// commands started together do: every Open migrates or waits, none fails.
func TestOpenConcurrently(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "keyhouse.db")
	errs := make(chan error, 4)
	for range cap(errs) {
		go func() {
			s, err := Open(t.Context(), dsn)
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Errorf("Open: %v", err)
		}
	}
}

// TestEventsByRowid checks migration 0003 on a database that has events:
// they are all still there, and the table has no index left to keep.
func TestEventsByRowid(t *testing.T) {
	ctx := t.Context()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "keyhouse.db")+"?"+sqliteParams)
	if err != nil {
		t.Fatal(err)
	}
	s := New(db, SQLite)
	defer s.Close()
	ms, err := SQLite.migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:2] {
		if err := s.apply(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"evt_b", "evt_a"} {
		if _, err := db.ExecContext(ctx, `INSERT INTO events (id, org_id, environment, client_id, key_id, received_at, payload)
			VALUES (?, 'org_1', 'sandbox', '0123456789', 'khk_1', 1, X'7B7D')`, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var ids string
	if err := db.QueryRowContext(ctx, `SELECT group_concat(id, ' ') FROM (SELECT id FROM events ORDER BY rowid)`).Scan(&ids); err != nil || ids != "evt_a evt_b" {
		t.Errorf("events after the migration = %q, %v; want evt_a evt_b, in id order", ids, err)
	}
	var indexes int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'events'`).Scan(&indexes); err != nil || indexes != 0 {
		t.Errorf("indexes on events = %d, %v; want 0", indexes, err)
	}
}

// TestNewerDatabaseRefused: a database migrated by a newer keyhouse (a
// migration this version does not know) is refused, not used.
func TestNewerDatabaseRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kh.db")
	s, err := Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(context.Background(), "sqlite:"+path)
	if err == nil || !strings.Contains(err.Error(), "migrated by a newer keyhouse (migration 999") {
		t.Fatalf("open a newer database: %v", err)
	}
}
