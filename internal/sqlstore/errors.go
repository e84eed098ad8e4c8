package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"keyhouse"
)

// translate turns err into the keyhouse error the service acts on, by
// driver code and never by message text, and wraps it with op:
//   - sql.ErrNoRows: ENOTFOUND, "<what> not found";
//   - a unique or primary-key violation: ECONFLICT, "<what> already exists";
//   - a busy, locked or read-only database, a lost connection, no answer
//     within the store's deadline: EUNAVAILABLE.
//
// Anything else is only wrapped: the service reports it as EINTERNAL.
func translate(op, what string, err error) error {
	if err == nil {
		return nil
	}
	var code, msg string
	switch {
	case errors.Is(err, sql.ErrNoRows):
		code, msg = keyhouse.ENOTFOUND, what+" not found"
	case isUniqueViolation(err):
		code, msg = keyhouse.ECONFLICT, what+" already exists"
	case isUnavailable(err):
		code, msg = keyhouse.EUNAVAILABLE, "the database is unavailable; retry later"
	default:
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s: %w", op, &keyhouse.Error{Code: code, Message: msg, Err: err})
}

// isUniqueViolation reports whether err is a unique or primary-key
// constraint violation.
func isUniqueViolation(err error) bool {
	if e, ok := errors.AsType[*sqlite.Error](err); ok {
		switch e.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return true
		}
		return false
	}
	if e, ok := errors.AsType[*pgconn.PgError](err); ok {
		return e.Code == "23505" // unique_violation
	}
	return false
}

// isUnavailable reports whether err means that the database cannot serve
// the request now but may soon: nothing was changed and a retry may work.
func isUnavailable(err error) bool {
	if e, ok := errors.AsType[*sqlite.Error](err); ok {
		switch e.Code() & 0xff { // the primary code of an extended one
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN,
			sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_PROTOCOL,
			sqlite3.SQLITE_READONLY, sqlite3.SQLITE_INTERRUPT:
			return true
		}
		return false
	}
	if e, ok := errors.AsType[*pgconn.PgError](err); ok {
		// Classes 08 (connection exception) and 53 (insufficient
		// resources); 57P01-57P03 (shutting down, cannot connect now);
		// 40001, 40P01 and 55P03 (serialization failure, deadlock, lock
		// not available), which a retry resolves.
		return strings.HasPrefix(e.Code, "08") || strings.HasPrefix(e.Code, "53") ||
			slices.Contains([]string{"57P01", "57P02", "57P03", "40001", "40P01", "55P03"}, e.Code)
	}
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return true
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return true
	}
	return isLost(err)
}

// isLost reports whether err says that the database did not answer in
// time (the store's deadline, see Store.bound) or that the connection was
// lost. A commit whose connection is lost may have been applied: the
// caller hears "unavailable; retry", as with any database client.
func isLost(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, sql.ErrConnDone) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, io.EOF) || pgconn.Timeout(err) || pgconn.SafeToRetry(err)
}
