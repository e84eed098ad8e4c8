package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to create and drop the database

	"keyhouse"
)

// database is a fresh keyhouse database for one run.
type database struct {
	DSN  string       // what keyhouse serve gets with --db
	drop func() error // removes it
}

// newDatabase returns a fresh database: a SQLite file in dir when db is
// "" or "sqlite", else a new database on the PostgreSQL server of the
// postgres:// URL db (which names an existing database to connect to).
func newDatabase(ctx context.Context, db, dir, name string) (*database, error) {
	switch {
	case db == "" || db == "sqlite":
		return &database{DSN: "sqlite:" + filepath.Join(dir, name+".db"), drop: func() error { return nil }}, nil
	case strings.HasPrefix(db, "postgres://"), strings.HasPrefix(db, "postgresql://"):
		return newPostgres(ctx, db)
	}
	return nil, fmt.Errorf("--db: want sqlite or postgres://…")
}

// newPostgres creates a database with a random name on the server of
// admin and returns its DSN.
func newPostgres(ctx context.Context, admin string) (*database, error) {
	u, err := url.Parse(admin)
	if err != nil {
		return nil, fmt.Errorf("--db: not a URL") // the URL may hold a password: not repeated
	}
	name := "keyhouse_bench_" + strings.ToLower(keyhouse.RandomBase62(12))
	if err := adminExec(ctx, admin, "CREATE DATABASE "+name); err != nil {
		return nil, fmt.Errorf("create database: %w", err)
	}
	u.Path = "/" + name
	drop := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return adminExec(ctx, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
	return &database{DSN: u.String(), drop: drop}, nil
}

// adminExec runs one statement on the database of dsn.
func adminExec(ctx context.Context, dsn, stmt string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, stmt)
	return err
}
