// Package sqlstore implements service.Store with database/sql on SQLite
// (modernc.org/sqlite) and PostgreSQL (pgx). Queries are written once with
// ? placeholders; dialect.go holds what differs between the two.
package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"time"

	"keyhouse"
	"keyhouse/internal/service"
)

// PostgresPool is the most connections one instance opens to PostgreSQL,
// besides the one that listens for key deletions.
const PostgresPool = 16

// DefaultTimeout is the Timeout `keyhouse serve` gives its store unless
// told otherwise (--store-timeout): a request meets a database that is
// gone, locked or unreachable with a fast EUNAVAILABLE instead of
// hanging, and every request transaction takes milliseconds.
const DefaultTimeout = time.Second

// Store is the keyhouse database. Each exported method runs in one
// transaction.
type Store struct {
	// Timeout bounds each call whose context has no deadline, waits
	// included: for this process's turn to write and SQLite's write lock,
	// for a pooled connection, connecting, and the statements. Callers
	// that may rightly take longer (loading every key, migrations) set a
	// deadline of their own. Set it before the first call; 0, no bound
	// (the command line's one-off commands, such as a large import).
	Timeout time.Duration
	// ListenHeartbeat is how quiet PostgreSQL's listening connection may
	// be before it must answer a SELECT 1 (0: listenHeartbeat, 5 s).
	ListenHeartbeat time.Duration

	db    *sql.DB
	d     Dialect
	dsn   string     // PostgreSQL's, for the listening connection
	stmts statements // the intake's prepared statements
	// writer is SQLite's one write transaction at a time, taken in this
	// process before BEGIN: see writeTurn.
	writer writeTurn
}

// Open connects to the database named by dsn and applies the migrations.
// dsn is sqlite:PATH, sqlite:file:URI, a bare PATH ending in .db, or a
// postgres:// (postgresql://) URL.
func Open(ctx context.Context, dsn string) (*Store, error) {
	d, name, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	var db *sql.DB
	if d == Postgres {
		db, err = openPostgres(name)
	} else if err = createPrivate(sqlitePath(name)); err == nil {
		db, err = sql.Open("sqlite", name)
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if d == SQLite {
		db.SetMaxIdleConns(8) // keep connections: each new one re-runs the DSN pragmas
	} else {
		// PostgresPool bounds each instance's share of max_connections.
		db.SetMaxOpenConns(PostgresPool)
		db.SetMaxIdleConns(PostgresPool)
	}
	s := New(db, d)
	if d == Postgres {
		s.dsn = name
	}
	if err := s.start(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// start connects and migrates. Processes that open a new SQLite file at
// the same moment can meet SQLITE_BUSY while one of them switches it to
// WAL, which SQLite does not wait for: a few short retries get past it.
func (s *Store) start(ctx context.Context) error {
	var err error
	for attempt := range 10 {
		if err = s.ping(ctx); err != nil {
			err = translate("open database", "database", err)
		} else if err = s.Migrate(ctx); err == nil {
			return nil
		}
		if s.d != SQLite || keyhouse.ErrorCode(err) != keyhouse.EUNAVAILABLE {
			return err
		}
		select {
		case <-time.After(time.Duration(attempt+1) * 20 * time.Millisecond):
		case <-ctx.Done():
			return err
		}
	}
	return err
}

// ping checks that the database answers, within the store's Timeout.
func (s *Store) ping(ctx context.Context) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.db.PingContext(ctx)
}

// New returns a Store over db, a database of dialect d. It applies no
// migrations: call Migrate.
func New(db *sql.DB, d Dialect) *Store {
	return &Store{db: db, d: d, writer: newWriteTurn()}
}

// DB returns the underlying database, for tests and for the intake API.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the prepared statements and the database.
func (s *Store) Close() error {
	s.stmts.mu.Lock()
	for _, stmt := range s.stmts.m {
		stmt.Close()
	}
	s.stmts.m = nil
	s.stmts.mu.Unlock()
	return s.db.Close()
}

// Update runs fn in one read-write transaction: committed when fn returns
// nil, rolled back otherwise. On SQLite the transaction holds the write
// lock from its start (BEGIN IMMEDIATE, see sqliteParams).
func (s *Store) Update(ctx context.Context, fn func(service.Tx) error) error {
	return s.run(ctx, nil, func(t *txn) error { return fn(t) })
}

// View runs fn in one read-only transaction.
func (s *Store) View(ctx context.Context, fn func(service.Tx) error) error {
	return s.run(ctx, &sql.TxOptions{ReadOnly: true}, func(t *txn) error { return fn(t) })
}

// bound returns ctx with the store's Timeout, unless it has a deadline
// already or there is no Timeout.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok || s.Timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.Timeout)
}

// run runs fn in one transaction, read-only when opts says so; on SQLite
// a read-write one waits for this process's turn to write first. The
// whole of it, waits included, is bounded (see bound).
func (s *Store) run(ctx context.Context, opts *sql.TxOptions, fn func(*txn) error) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if s.d == SQLite && (opts == nil || !opts.ReadOnly) {
		release, err := s.writer.acquire(ctx)
		if err != nil {
			return err
		}
		defer release()
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return translate("begin", "transaction", err)
	}
	defer tx.Rollback()
	if err := fn(&txn{ctx: ctx, q: tx, d: s.d}); err != nil {
		return err
	}
	return translate("commit", "transaction", tx.Commit())
}

// FindKey returns the key with the given id in one statement, outside any
// transaction.
func (s *Store) FindKey(ctx context.Context, keyID string) (*keyhouse.APIKey, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return (&txn{ctx: ctx, q: s.db, d: s.d}).FindKey(keyID)
}

// FindKeyByHash returns the key whose SecretHash is hash.
func (s *Store) FindKeyByHash(ctx context.Context, hash []byte) (*keyhouse.APIKey, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	t := &txn{ctx: ctx, q: s.db, d: s.d}
	return t.findKey("find key by hash", "secret_hash = ?", hash)
}

// TouchKeys moves last_used_at of many keys forward, never back, in one
// transaction. Ids of keys deleted since are ignored.
func (s *Store) TouchKeys(ctx context.Context, used map[string]time.Time) error {
	if len(used) == 0 {
		return nil
	}
	// The same key order in every transaction: on PostgreSQL, two instances
	// touching the same keys cannot deadlock.
	ids := slices.Sorted(maps.Keys(used))
	return s.run(ctx, nil, func(t *txn) error {
		stmt, err := t.q.PrepareContext(ctx, s.d.rebind(
			`UPDATE api_keys SET last_used_at = ?
			WHERE key_id = ? AND (last_used_at IS NULL OR last_used_at < ?)`))
		if err != nil {
			return translate("prepare touch keys", "api key", err)
		}
		defer stmt.Close()
		for _, id := range ids {
			at := micros(used[id])
			if _, err := stmt.ExecContext(ctx, at, id, at); err != nil {
				return translate("touch key", "api key", err)
			}
		}
		return nil
	})
}
