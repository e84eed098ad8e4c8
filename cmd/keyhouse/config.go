package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strings"

	"keyhouse"
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
	LogLevel   string
	SMTPURL    string // --smtp-url: e-mail links through this server
	MailFrom   string // --mail-from
	// mailer is what --smtp-url and --mail-from make (nil: no SMTP).
	mailer service.Mailer
	// readOnly is set by commands that only read: they create neither the
	// database nor the server secret.
	readOnly bool
}

// flags returns the flag set of the command name with the shared flags
// that apply to it registered; their defaults read KEYHOUSE_* variables.
func (e *env) flags(name string, c *common) *flagSet {
	cmd := find(name)
	fs := e.newFlagSet(cmd)
	if cmd.flags&noDB == 0 {
		fs.StringVar(&c.DB, "db", e.def("db", "sqlite:keyhouse.db"), "database: sqlite:PATH or postgres://…")
		fs.check("db", checkDB)
		fs.StringVar(&c.SecretFile, "secret-file", e.def("secret-file", ""), "server secret file (default: next to the SQLite database; required with PostgreSQL)")
	}
	if cmd.flags&withBaseURL != 0 {
		fs.StringVar(&c.BaseURL, "base-url", e.def("base-url", ""), "URL people reach keyhouse at, for links (default: http:// and the listening address)")
		fs.check("base-url", checkBaseURL)
	}
	if cmd.flags&withJSON != 0 {
		fs.BoolVar(&c.JSON, "json", e.def("json", "") == "true", "print one JSON object")
	}
	if cmd.flags&withMail != 0 {
		mailFlags(fs, e, c)
	}
	c.LogFormat = "text"
	if cmd.flags&withLogFormat != 0 {
		fs.StringVar(&c.LogFormat, "log-format", e.def("log-format", "text"), "log format: text or json")
		fs.StringVar(&c.LogLevel, "log-level", e.def("log-level", "info"), "least level logged: debug (also every data-plane and probe request), info, warn or error")
		fs.check("log-level", oneOf("debug", "info", "warn", "error"))
		fs.check("log-format", oneOf("text", "json"))
	}
	return fs
}

// def returns KEYHOUSE_<NAME> or fallback.
func (e *env) def(name, fallback string) string {
	if v := e.getenv(envName(name)); v != "" {
		return v
	}
	return fallback
}

// logger returns the log for c.
func (e *env) logger(c *common) *slog.Logger {
	var level slog.Level
	if c.LogLevel != "" {
		_ = level.UnmarshalText([]byte(c.LogLevel)) // checked by its flag
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
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
	if c.readOnly {
		if err := requireDatabase(c); err != nil {
			return nil, err
		}
	}
	secret, err := e.secret(c, logger)
	if err != nil {
		return nil, err
	}
	store, err := openStore(ctx, c.DB)
	if err != nil {
		return nil, err
	}
	if c.BaseURL == "" { // the commands' links point at a default serve
		c.BaseURL = "http://" + e.def("addr", defaultAddr)
	}
	cfg.BaseURL, cfg.Logger = strings.TrimRight(c.BaseURL, "/"), logger
	if cfg.Mailer == nil && c.mailer != nil {
		cfg.Mailer = c.mailer
	}
	svc, err := service.New(store, secret, cfg)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("start service: %w", err)
	}
	return &app{store: store, svc: svc, logger: logger}, nil
}

// openStore opens the database of dsn; its error names the database
// (without a password) and the cause, for the operator's terminal.
func openStore(ctx context.Context, dsn string) (*sqlstore.Store, error) {
	store, err := sqlstore.Open(ctx, dsn)
	if err == nil {
		return store, nil
	}
	cause := err
	if e, ok := errors.AsType[*keyhouse.Error](err); ok && e.Err != nil {
		cause = e.Err // the driver's words: which host, what failed
	}
	return nil, fmt.Errorf("database %s: %s", redactDSN(dsn), oneLine(cause.Error()))
}

// oneLine joins the lines of text (a driver's report of each address it
// tried) with "; ", once each.
func oneLine(text string) string {
	var parts []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" && !slices.Contains(parts, l) {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " ")
}

// redactDSN returns dsn without a password.
func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		return u.Redacted()
	}
	return dsn
}

// secret loads the server secret. With SQLite and no --secret-file, it
// lives next to the database and is created on first use, except by a
// command that only reads.
func (e *env) secret(c *common, logger *slog.Logger) ([]byte, error) {
	path, beside := secretPath(c)
	if path == "" {
		return nil, fmt.Errorf("--secret-file (KEYHOUSE_SECRET_FILE) is required with PostgreSQL: every instance must share it")
	}
	// A new secret only beside a new database: beside one with data, a
	// missing secret was lost, and a new one would open nothing in it.
	dbPath, _ := sqlitePath(c.DB)
	create := beside && !c.readOnly && !hasData(dbPath)
	key, created, err := seal.LoadKeyFile(path, create)
	if errors.Is(err, fs.ErrNotExist) && path == c.SecretFile {
		return nil, fmt.Errorf("no server secret at %s (--secret-file)", path)
	} else if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no server secret at %s beside the database: restore the one it was made with (a new secret opens nothing in it), or give --secret-file", path)
	} else if err != nil {
		return nil, err // its message names the server secret and the path
	}
	if created {
		logger.Info("generated a new server secret; back it up with the database", "path", path)
	}
	return key, nil
}

// secretPath returns the server secret's file: --secret-file, or beside
// the SQLite database (beside true); "" for PostgreSQL without one.
func secretPath(c *common) (path string, beside bool) {
	if c.SecretFile != "" {
		return c.SecretFile, false
	}
	if dbPath, ok := sqlitePath(c.DB); ok {
		return dbPath + ".secret", true
	}
	return "", false
}

// hasData reports whether the SQLite database at path exists and is not
// empty.
func hasData(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Size() > 0
}

// requireDatabase refuses a command that only reads when c's SQLite
// database does not exist yet (opening it would create an empty one).
func requireDatabase(c *common) error {
	path, ok := sqlitePath(c.DB)
	if !ok {
		return nil
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("--db: no database at %s; keyhouse serve or keyhouse migrate creates it", path)
	}
	return nil
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
