package sqlstore

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// TestMigrationGaps: numbers may leave gaps (branches reserve theirs); a
// migration that arrives later with a number below one applied already is
// applied then; numbers that do not rise are refused; a database holding
// a migration this version lacks is refused.
func TestMigrationGaps(t *testing.T) {
	file := func(sql string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(sql)} }
	first := fstest.MapFS{
		"m/0001_a.sql": file(`CREATE TABLE a (x INTEGER);`),
		"m/0003_c.sql": file(`CREATE TABLE c (x INTEGER);`),
	}
	later := fstest.MapFS{"m/0002_b.sql": file(`CREATE TABLE b (x INTEGER);`)}
	for k, v := range first {
		later[k] = v
	}
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "gaps.db")+"?"+sqliteParams)
	if err != nil {
		t.Fatal(err)
	}
	s := New(db, SQLite)
	defer s.Close()
	for _, step := range []fstest.MapFS{first, later, later} {
		ms, err := readMigrations(step, "m")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.migrate(t.Context(), ms); err != nil {
			t.Fatalf("migrate %d files: %v", len(step), err)
		}
	}
	var n int
	if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('a', 'b', 'c')`).Scan(&n); err != nil || n != 3 {
		t.Errorf("%d of the three tables, %v", n, err)
	}
	ms, _ := readMigrations(first, "m")
	if err := s.migrate(t.Context(), ms); err == nil || !strings.Contains(err.Error(), "newer keyhouse (migration 2; this version knows up to 3)") {
		t.Errorf("a database with migration 2 under a version without it: %v", err)
	}
	bad := fstest.MapFS{"m/0002_b.sql": file(``), "m/0002_c.sql": file(``)}
	if _, err := readMigrations(bad, "m"); err == nil || !strings.Contains(err.Error(), "want a number above 2") {
		t.Errorf("two migrations numbered 2: %v", err)
	}
}
