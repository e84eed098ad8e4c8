package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ErrBackupPostgres answers Backup on PostgreSQL, whose own tools make
// consistent copies of a live database.
var ErrBackupPostgres = errors.New("keyhouse backup copies SQLite databases; for PostgreSQL use pg_dump (and keep the server secret file beside the dump)")

// Backup writes a consistent copy of the live SQLite database to path, a
// file that must not exist yet; it is created mode 0600. The copy is one
// read transaction (VACUUM INTO): it holds every transaction committed
// before it began, the write-ahead log's included, and nothing of those
// after; writers go on meanwhile. It is a complete database, with
// nothing beside it to copy but the server secret.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.d == Postgres {
		return ErrBackupPostgres
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("backup: %s exists; name a new file", path)
	} else if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f.Close()
	if _, err := s.db.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		os.Remove(path)
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}
