package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/seal"
)

// testDB is a fresh database that the processes of one test share.
type testDB struct {
	kind   string   // "sqlite" or "postgres"
	flags  []string // serve's --db and --secret-file
	driver string   // for database/sql
	dsn    string
}

// newTestDB makes a fresh database of kind: a SQLite file in a temporary
// folder, or a PostgreSQL database of its own (created in the server of
// KEYHOUSE_TEST_POSTGRES and dropped after the test; without the variable
// the test is skipped, or fails under CI).
func newTestDB(t *testing.T, kind string) *testDB {
	t.Helper()
	dir := t.TempDir()
	if kind == "sqlite" {
		path := filepath.Join(dir, "kh.db")
		return &testDB{kind: kind, flags: []string{"--db", "sqlite:" + path}, driver: "sqlite", dsn: path}
	}
	dsn := freshPostgres(t)
	secret := filepath.Join(dir, "keyhouse.secret")
	if _, _, err := seal.LoadKeyFile(secret, true); err != nil {
		t.Fatal(err)
	}
	return &testDB{kind: kind, flags: []string{"--db", dsn, "--secret-file", secret}, driver: "pgx", dsn: dsn}
}

// freshPostgres creates a database of its own for t and returns its DSN;
// the database is dropped (with whatever connections a killed process
// left) when t ends.
func freshPostgres(t *testing.T) string {
	t.Helper()
	base := os.Getenv("KEYHOUSE_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("KEYHOUSE_TEST_POSTGRES is not set: CI must run the PostgreSQL tests")
		}
		t.Skip("KEYHOUSE_TEST_POSTGRES is not set")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	name := "kh_" + strings.ToLower(keyhouse.RandomBase62(12))
	if _, err := admin.ExecContext(context.Background(), `CREATE DATABASE `+name); err != nil {
		admin.Close()
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), `DROP DATABASE `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("drop database: %v", err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// open opens the database for the test's own checks.
func (d *testDB) open(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open(d.driver, d.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// bind rewrites ? placeholders for the database: $1, $2, … on PostgreSQL.
func (d *testDB) bind(query string) string {
	if d.kind != "postgres" {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// child is a `keyhouse serve` process that a test may kill or signal.
type child struct {
	process
	exited chan struct{} // closed when the process has ended
	err    error         // cmd.Wait's answer, once exited is closed
}

// spawn runs `keyhouse serve` from bin on db, on a free port, with no
// KEYHOUSE_ variables, and waits until it listens.
func spawn(t *testing.T, bin string, db *testDB) *child {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, db.flags...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KEYHOUSE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	log := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &child{process: process{instance: instance{log: log}, cmd: cmd}, exited: make(chan struct{})}
	go func() { s.err = cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() { s.kill() })
	addr := regexp.MustCompile(`keyhouse listening" addr=(\S+)`)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := addr.FindStringSubmatch(log.String()); m != nil {
			s.base = "http://" + m[1]
			return s
		}
		select {
		case <-s.exited:
			t.Fatalf("serve exited: %v\n%s", s.err, log.String())
		default:
		}
	}
	t.Fatalf("serve did not start:\n%s", log.String())
	return nil
}

// kill ends the process with SIGKILL, as a crash would, and waits for it.
func (s *child) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
}

// running reports whether the process has not ended yet.
func (s *child) running() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// admin signs the Owner of a new deployment in (first organization,
// activation, session) and returns the session token, which lives in the
// database and so outlives the process.
func (s *child) admin(t *testing.T) string {
	t.Helper()
	password, secret := s.owner(t)
	var sess struct{ Token string }
	s.call(t, "", "POST", "/api/v1/sessions", map[string]string{"email": "owner@acme.example", "password": password, "otp": code(t, secret, 0)}, 201, &sess)
	return sess.Token
}
