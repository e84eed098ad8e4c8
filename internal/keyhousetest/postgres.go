package keyhousetest

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"

	"keyhouse"
	"keyhouse/internal/sqlstore"
)

// OpenStore returns a fresh, migrated store for tb: SQLite in a temporary
// folder, or, when KEYHOUSE_TEST_BACKEND is "postgres", a schema of its
// own in the database of KEYHOUSE_TEST_POSTGRES, dropped after the test.
func OpenStore(tb testing.TB) *sqlstore.Store {
	tb.Helper()
	dsn := "sqlite:" + filepath.Join(tb.TempDir(), "kh.db")
	if os.Getenv("KEYHOUSE_TEST_BACKEND") == "postgres" {
		dsn = PostgresDSN(tb)
	}
	store, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	return store
}

// PostgresDSN makes a schema of its own for tb in the database of
// KEYHOUSE_TEST_POSTGRES, drops it after the test, and returns a DSN that
// uses it. Without the variable the test is skipped, or fails under CI.
func PostgresDSN(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("KEYHOUSE_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("CI") != "" {
			tb.Fatal("KEYHOUSE_TEST_POSTGRES is not set: CI must run the PostgreSQL tests")
		}
		tb.Skip("KEYHOUSE_TEST_POSTGRES is not set")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	schema := "test_" + strings.ToLower(keyhouse.RandomBase62(12))
	if _, err := admin.ExecContext(context.Background(), `CREATE SCHEMA `+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			tb.Errorf("drop schema: %v", err)
		}
		admin.Close()
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

var _ = stdlib.GetDefaultDriver // the "pgx" database/sql driver
