package sqlstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// sqlitePath returns the file of a SQLite data source name, or "" for an
// in-memory database.
func sqlitePath(name string) string {
	path, query, _ := strings.Cut(name, "?")
	path = strings.TrimPrefix(path, "file:")
	if path == ":memory:" || strings.Contains(query, "mode=memory") {
		return ""
	}
	return path
}

// createPrivate creates an empty database file at path with mode 0600
// unless one exists, so that SQLite finds it there: SQLite gives the
// -wal and -shm files it makes beside a database the database's mode, so
// they are 0600 too. The database holds hashes, sealed keys and events:
// no other user of the machine has any business reading them. An
// existing file keeps the mode it has.
func createPrivate(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	return f.Close()
}
