package sqlstore

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDatabaseFilesArePrivate: a new SQLite database, its -wal and its
// -shm are readable by their owner alone (mode 0600), whatever the umask.
func TestDatabaseFilesArePrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyhouse.db")
	s, err := Open(t.Context(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	MustCreateOrg(t, s) // a write, so that the -wal and -shm exist
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %#o; want 0600", filepath.Base(name), mode)
		}
	}
}

func TestSQLitePath(t *testing.T) {
	tests := []struct{ name, want string }{
		{"kh.db?_pragma=x", "kh.db"},
		{"file:/var/lib/kh.db?mode=rwc", "/var/lib/kh.db"},
		{":memory:?x=1", ""},
		{"file:x?mode=memory&cache=shared", ""},
	}
	for _, tt := range tests {
		if got := sqlitePath(tt.name); got != tt.want {
			t.Errorf("sqlitePath(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}
