package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"
	"unicode/utf8"
)

// querier is what *sql.Tx and *sql.DB have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// txn implements service.Tx over a *sql.Tx: the service's methods do not
// take a context, so txn holds the one of the transaction. Store's
// single-statement look-ups run a txn over the *sql.DB.
type txn struct {
	ctx context.Context
	q   querier
	d   Dialect
}

func (t *txn) exec(query string, args ...any) (sql.Result, error) {
	return t.q.ExecContext(t.ctx, t.d.rebind(query), t.d.text(args)...)
}

func (t *txn) query(query string, args ...any) (*sql.Rows, error) {
	return t.q.QueryContext(t.ctx, t.d.rebind(query), t.d.text(args)...)
}

func (t *txn) queryRow(query string, args ...any) *sql.Row {
	return t.q.QueryRowContext(t.ctx, t.d.rebind(query), t.d.text(args)...)
}

// text returns args with each string PostgreSQL cannot hold as text (not
// UTF-8, or with a NUL byte) made one it can, the offending bytes replaced
// by U+FFFD. SQLite takes any bytes. Such a string comes only from outside
// (a path segment, a query value): on PostgreSQL it failed the statement
// (SQLSTATE 22021, a 500); now it finds no row, as on SQLite, since no
// stored id holds those bytes.
func (d Dialect) text(args []any) []any {
	if d != Postgres {
		return args
	}
	for i, a := range args {
		if s, ok := a.(string); ok && (!utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0) {
			args[i] = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
		}
	}
	return args
}

// execOne runs an UPDATE or DELETE of one row: ENOTFOUND, "<what> not
// found", when it changed none.
func (t *txn) execOne(op, what, query string, args ...any) error {
	res, err := t.exec(query, args...)
	if err != nil {
		return translate(op, what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(op, what, err)
	}
	if n == 0 {
		return translate(op, what, sql.ErrNoRows)
	}
	return nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// scanAll reads every row with scan and closes rows.
func scanAll[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Times are stored as unix microseconds and read back in UTC.

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(n int64) time.Time { return time.UnixMicro(n).UTC() }

// stored returns t as the database will give it back: UTC, microseconds.
func stored(t time.Time) time.Time { return fromMicros(micros(t)) }

// nullMicros returns NULL for nil and for the zero time.
func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil || t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(*t), Valid: true}
}

func fromNullMicros(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMicros(n.Int64)
	return &t
}

// storedPtr is stored for an optional time.
func storedPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	return fromNullMicros(nullMicros(t))
}

// Lock takes a lock named by kind and id until the transaction ends, so
// that check-then-act rules (the last Owner, the keys per client, a TOTP
// step, a throttle count) hold between concurrent transactions. On SQLite
// every read-write transaction already holds the database's write lock, so
// it does nothing; on PostgreSQL it is a transaction-level advisory lock.
func (t *txn) Lock(kind, id string) error {
	if t.d != Postgres {
		return nil
	}
	_, err := t.exec(`SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`, kind+":"+id)
	return translate("lock "+kind, kind, err)
}
