//go:build !pgx

package sqlstore

import (
	"database/sql"
	"errors"
)

// openPostgres would open a PostgreSQL database through pgx's database/sql
// driver, github.com/jackc/pgx/v5/stdlib. That package imports pgxpool,
// whose github.com/jackc/puddle/v2 go.mod does not list yet; driver_pgx.go
// (build tag pgx) is the real one, and replaces this file once it does.
func openPostgres(string) (*sql.DB, error) {
	return nil, errors.New("postgres: this build has no PostgreSQL driver (build with -tags pgx)")
}
