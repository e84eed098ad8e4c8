package sqlstore

import (
	"context"
	"os"
	"strings"
	"testing"

	"keyhouse"
)

func TestPostgres(t *testing.T) {
	dsn := os.Getenv("KEYHOUSE_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("KEYHOUSE_TEST_POSTGRES is not set: CI must run the PostgreSQL conformance suite")
		}
		t.Skip("KEYHOUSE_TEST_POSTGRES is not set")
	}
	runConformance(t, func(t *testing.T) *Store { return MustOpenPostgres(t, dsn) })
}

// MustOpenPostgres opens the database at dsn in a schema of its own, made
// for tb and dropped after it.
func MustOpenPostgres(tb testing.TB, dsn string) *Store {
	tb.Helper()
	s, err := Open(context.Background(), MustSchemaDSN(tb, dsn))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// MustSchemaDSN makes a schema for tb, dropped after it, and returns dsn
// with that schema as its search path.
func MustSchemaDSN(tb testing.TB, dsn string) string {
	tb.Helper()
	ctx := context.Background()
	admin, err := openPostgres(dsn)
	if err != nil {
		tb.Fatalf("open postgres: %v", err)
	}
	tb.Cleanup(func() { admin.Close() })
	schema := "test_" + strings.ToLower(keyhouse.RandomBase62(12))
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			tb.Errorf("drop schema: %v", err)
		}
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}
