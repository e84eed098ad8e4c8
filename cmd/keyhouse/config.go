package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"keyhouse/internal/seal"
	"keyhouse/internal/service"
	"keyhouse/internal/sqlstore"
)

// defaultAddr is where serve listens unless told otherwise.
const defaultAddr = "127.0.0.1:8080"

// env is what every command gets from its process.
type env struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

// common holds the flags every database command takes.
type common struct {
	DB         string
	SecretFile string
	BaseURL    string
	JSON       bool
	LogFormat  string
}

// flags returns a flag set whose defaults read KEYHOUSE_* variables, with
// the common flags registered.
func (e *env) flags(name string, c *common) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&c.DB, "db", e.def("db", "sqlite:keyhouse.db"), "database: sqlite:PATH or postgres://…")
	fs.StringVar(&c.SecretFile, "secret-file", e.def("secret-file", ""), "server secret file (default: next to the SQLite database)")
	fs.StringVar(&c.BaseURL, "base-url", e.def("base-url", ""), "URL people reach keyhouse at, for links (default: http:// and --addr)")
	fs.BoolVar(&c.JSON, "json", e.def("json", "") == "true", "print one JSON object")
	fs.StringVar(&c.LogFormat, "log-format", e.def("log-format", "text"), "log format: text or json")
	return fs
}

// def returns KEYHOUSE_<NAME> or fallback.
func (e *env) def(name, fallback string) string {
	if v := e.getenv("KEYHOUSE_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))); v != "" {
		return v
	}
	return fallback
}

// logger returns the log for c.
func (e *env) logger(c *common) *slog.Logger {
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, nil))
	}
	return slog.New(slog.NewTextHandler(e.stderr, nil))
}

// app is an opened database with the service on it.
type app struct {
	store  *sqlstore.Store
	svc    *service.Service
	logger *slog.Logger
}

// open opens the database, applies migrations, loads (or on SQLite first
// creates) the server secret and builds the service.
func (e *env) open(ctx context.Context, c *common, cfg service.Config) (*app, error) {
	logger := e.logger(c)
	secret, err := e.secret(c, logger)
	if err != nil {
		return nil, err
	}
	store, err := sqlstore.Open(ctx, c.DB)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if c.BaseURL == "" { // the commands' links point at a default serve
		c.BaseURL = "http://" + e.def("addr", defaultAddr)
	}
	cfg.BaseURL, cfg.Logger = strings.TrimRight(c.BaseURL, "/"), logger
	svc, err := service.New(store, secret, cfg)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("start service: %w", err)
	}
	return &app{store: store, svc: svc, logger: logger}, nil
}

// secret loads the server secret. With SQLite and no --secret-file, it
// lives next to the database and is created on first use.
func (e *env) secret(c *common, logger *slog.Logger) ([]byte, error) {
	path, create := c.SecretFile, false
	if path == "" {
		dbPath, ok := sqlitePath(c.DB)
		if !ok {
			return nil, fmt.Errorf("--secret-file (KEYHOUSE_SECRET_FILE) is required with PostgreSQL: every instance must share it")
		}
		path, create = dbPath+".secret", true
	}
	key, created, err := seal.LoadKeyFile(path, create)
	if err != nil {
		return nil, fmt.Errorf("server secret: %w", err)
	}
	if created {
		logger.Info("generated a new server secret; back it up with the database", "path", path)
	}
	return key, nil
}

// sqlitePath returns the file of a SQLite DSN.
func sqlitePath(dsn string) (string, bool) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return "", false
	}
	p := strings.TrimPrefix(dsn, "sqlite:")
	p = strings.TrimPrefix(p, "file:")
	p, _, _ = strings.Cut(p, "?")
	return p, p != ""
}
