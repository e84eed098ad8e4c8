package sqlstore

import (
	"errors"
	"strconv"
	"strings"
)

// Dialect is the SQL flavour of a database. The few places where SQLite and
// PostgreSQL differ are in this file; every query of the package is written
// once, with ? placeholders.
type Dialect int

// The supported dialects.
const (
	SQLite Dialect = iota
	Postgres
)

// String returns the dialect's name, which is also the name of its
// migrations folder.
func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// rebind rewrites the ? placeholders of q as $1, $2, … for PostgreSQL.
// The queries of this package hold no ? inside literals or comments.
func (d Dialect) rebind(q string) string {
	if d != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] != '?' {
			b.WriteByte(q[i])
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// greatest returns the SQL for the larger of two values: SQLite's
// two-argument max is PostgreSQL's GREATEST.
func (d Dialect) greatest(a, b string) string {
	if d == Postgres {
		return "GREATEST(" + a + ", " + b + ")"
	}
	return "max(" + a + ", " + b + ")"
}

// migrationLock returns the statement that makes a migration transaction
// the only one running, or "" when beginning it was enough: on SQLite the
// read-write transaction holds the write lock from BEGIN IMMEDIATE.
func (d Dialect) migrationLock() string {
	if d == Postgres {
		return "SELECT pg_advisory_xact_lock(7305976112400)" // any constant, the same in every instance
	}
	return ""
}

// sqliteParams configure every SQLite connection (modernc.org/sqlite DSN
// keys):
//   - WAL, so that readers never wait for the writer;
//   - busy_timeout 5 s, how long a writer waits for another;
//   - foreign keys enforced;
//   - synchronous FULL: every commit is on disk (the WAL is synced) before
//     it returns, so a 202 from the intake API survives a power loss. The
//     cost is one fsync per commit, which group commit shares between all
//     the events of concurrent requests;
//   - _txlock=immediate: every read-write transaction begins with BEGIN
//     IMMEDIATE and takes the write lock at once, so concurrent writers
//     queue on busy_timeout instead of failing with SQLITE_BUSY when a read
//     lock cannot be upgraded. Read-only transactions (View) still begin
//     deferred and run beside the writer.
//
// Parameters already in the DSN win: modernc reads the first of each key.
const sqliteParams = "_busy_timeout=5000&_journal_mode=WAL&_foreign_keys=on&_synchronous=FULL&_txlock=immediate"

var errDSN = errors.New("database: want sqlite:PATH, sqlite:file:URI, PATH.db or postgres://…")

// parseDSN returns the dialect of a --db value and the data source name its
// driver takes. Errors never repeat the DSN: it may hold a password.
func parseDSN(dsn string) (Dialect, string, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return Postgres, dsn, nil
	case strings.HasPrefix(dsn, "sqlite:"):
		dsn = strings.TrimPrefix(dsn, "sqlite:")
	case strings.HasSuffix(strings.SplitN(dsn, "?", 2)[0], ".db"):
	default:
		return 0, "", errDSN
	}
	if path := strings.TrimPrefix(strings.SplitN(dsn, "?", 2)[0], "file:"); path == "" {
		return 0, "", errDSN
	}
	if strings.Contains(dsn, "?") {
		return SQLite, dsn + "&" + sqliteParams, nil
	}
	return SQLite, dsn + "?" + sqliteParams, nil
}
