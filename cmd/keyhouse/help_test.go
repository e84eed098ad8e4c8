package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"keyhouse/internal/seal"
)

// runCLI runs keyhouse with args and the environment env, and returns
// what it printed on each stream and whether main would exit 0.
func runCLI(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, ok bool, err error) {
	t.Helper()
	var out, errs bytes.Buffer
	err = run(context.Background(), args, func(k string) string { return env[k] }, &out, &errs)
	return out.String(), errs.String(), err == nil || errors.Is(err, flag.ErrHelp), err
}

// flagsIn returns the flags a help text lists.
func flagsIn(help string) []string {
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^  --([a-z-]+)`).FindAllStringSubmatch(help, -1) {
		names = append(names, m[1])
	}
	return names
}

// TestHelp: every way of asking for help prints it on standard output and
// exits 0, and a command's help lists the flags that apply to it, no others.
func TestHelp(t *testing.T) {
	everything := []string{"serve", "migrate", "org create", "org list", "client init", "keys import-legacy", "signing-keys rotate", "resource-servers create", "resource-servers list", "resource-servers delete", "users unlock", "version"}
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		out, errs, ok, err := runCLI(t, nil, args...)
		if !ok || errs != "" || !strings.HasPrefix(out, "usage: keyhouse") {
			t.Errorf("keyhouse %v: ok=%v err=%v stderr=%q stdout=%q", args, ok, err, errs, out)
		}
		for _, c := range everything {
			if !strings.Contains(out, "  "+c+" ") {
				t.Errorf("keyhouse %v does not list %q", args, c)
			}
		}
	}
	for _, args := range [][]string{{"org"}, {"org", "--help"}, {"client", "--help"}, {"help", "keys"}, {"signing-keys"}, {"resource-servers"}, {"users", "-h"}} {
		out, errs, ok, err := runCLI(t, nil, args...)
		if !ok || errs != "" || !strings.HasPrefix(out, "usage: keyhouse "+args[len(args)-1]) && !strings.HasPrefix(out, "usage: keyhouse "+args[0]) {
			t.Errorf("keyhouse %v: ok=%v err=%v stderr=%q stdout=%q", args, ok, err, errs, out)
		}
	}

	db := []string{"db", "secret-file"}
	want := map[string][]string{
		"serve":                   append([]string{"addr", "base-url", "intake-rate", "log-format", "mail-from", "mfa", "password-hashes", "smtp-url", "trusted-proxies"}, db...),
		"migrate":                 append([]string{"json"}, db...),
		"org create":              append([]string{"base-url", "json", "mail-from", "name", "owner-email", "smtp-url"}, db...),
		"org list":                append([]string{"json"}, db...),
		"client init":             append([]string{"env", "json", "name", "org"}, db...),
		"keys import-legacy":      append([]string{"client", "env", "file", "json", "org"}, db...),
		"signing-keys rotate":     append([]string{"json", "revoke"}, db...),
		"users unlock":            append([]string{"email", "json"}, db...),
		"resource-servers create": append([]string{"json", "name"}, db...),
		"resource-servers list":   append([]string{"json"}, db...),
		"resource-servers delete": append([]string{"id", "json"}, db...),
		"version":                 nil,
	}
	for name, flags := range want {
		for _, args := range [][]string{append(strings.Fields(name), "--help"), {"help", name}} {
			out, errs, ok, err := runCLI(t, nil, args...)
			if !ok || errs != "" || !strings.HasPrefix(out, "usage: keyhouse "+name+" [flags]") {
				t.Errorf("keyhouse %v: ok=%v err=%v stderr=%q stdout=%q", args, ok, err, errs, out)
				continue
			}
			got := flagsIn(out)
			slices.Sort(flags)
			// serve's list grows with its settings: it must hold these, and
			// never a flag of another command.
			if name == "serve" {
				for _, f := range flags {
					if !slices.Contains(got, f) {
						t.Errorf("serve --help lacks --%s", f)
					}
				}
				if slices.Contains(got, "json") || slices.Contains(got, "owner-email") {
					t.Errorf("serve --help lists other commands' flags: %v", got)
				}
				continue
			}
			if !slices.Equal(got, flags) {
				t.Errorf("keyhouse %v lists %v, want %v", args, got, flags)
			}
		}
	}
}

// TestVersion: version and --version print one line with the Go version.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, errs, ok, err := runCLI(t, nil, args...)
		if !ok || errs != "" || !strings.HasPrefix(out, "keyhouse ") || !strings.Contains(out, "go1.") || strings.Count(out, "\n") != 1 {
			t.Errorf("keyhouse %v: ok=%v err=%v stderr=%q stdout=%q", args, ok, err, errs, out)
		}
	}
}

// TestBadFlags: every bad value stops the command, serve included, with
// one line that names the flag (and the variable it came from) and the
// rule, before anything is created or listened on.
func TestBadFlags(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "kh.db")
	cases := []badFlag{
		{"log format", nil, []string{"serve", "--log-format", "xml", "--db", db}, `--log-format: must be text or json (got "xml")`},
		{"log format from the environment", map[string]string{"KEYHOUSE_LOG_FORMAT": "xml"}, []string{"serve", "--db", db}, "--log-format (from KEYHOUSE_LOG_FORMAT): must be text or json"},
		{"base URL", nil, []string{"serve", "--base-url", "not-a-url", "--db", db}, "--base-url: must be an absolute http:// or https:// URL"},
		{"base URL with a query", nil, []string{"org", "create", "--base-url", "https://k.example/?a=1", "--db", db}, "--base-url: must have no user, query or fragment"},
		{"address", nil, []string{"serve", "--addr", "nope", "--db", db}, "--addr: must be host:port"},
		{"mfa", nil, []string{"serve", "--mfa", "sometimes", "--db", db}, `--mfa: must be required or optional (got "sometimes")`},
		{"intake rate from the environment", map[string]string{"KEYHOUSE_INTAKE_RATE": "fast"}, []string{"serve", "--db", db}, "--intake-rate (from KEYHOUSE_INTAKE_RATE): must be a number, 0 or more"},
		{"mfa from the environment", map[string]string{"KEYHOUSE_MFA": "maybe"}, []string{"serve", "--db", db}, "--mfa (from KEYHOUSE_MFA): must be required or optional"},
		{"sqlite without a path", nil, []string{"org", "list", "--db", "sqlite:"}, "--db: sqlite: needs the database's path"},
		{"unknown database", nil, []string{"org", "list", "--db", "mysql://x"}, `--db: must be sqlite:PATH or postgres://… ("mysql" is not a database keyhouse knows)`},
		{"no such directory", nil, []string{"org", "list", "--db", "sqlite:/no/such/dir/x.db"}, "--db: the directory /no/such/dir of the SQLite database does not exist"},
		{"no database yet", nil, []string{"org", "list", "--db", db}, "--db: no database at " + filepath.Join(dir, "kh.db")},
		{"flag of another command", nil, []string{"org", "list", "--base-url", "http://x", "--db", db}, "flag provided but not defined: -base-url"},
		{"unknown subcommand", nil, []string{"org", "frob"}, `unknown command "org frob"`},
		{"secret file missing", nil, []string{"org", "list", "--db", "postgres://postgres@127.0.0.1:1/x", "--secret-file", filepath.Join(dir, "none")}, "no server secret at " + filepath.Join(dir, "none")},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) { tt.refused(t) })
	}
	noFilesIn(t, dir)
}

// badFlag is a command line that must be refused with a message
// containing want.
type badFlag struct {
	name string
	env  map[string]string
	args []string
	want string
}

// refused runs the command line and wants it refused in one line on the
// error path, nothing on standard error; it returns the message.
func (tt badFlag) refused(t *testing.T) string {
	t.Helper()
	out, errs, ok, err := runCLI(t, tt.env, tt.args...)
	if ok {
		t.Fatalf("keyhouse %v succeeded: %q", tt.args, out)
	}
	msg := message(err)
	if !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") || errs != "" {
		t.Errorf("keyhouse %v: %q (stderr %q), want one line containing %q", tt.args, msg, errs, tt.want)
	}
	return msg
}

// noFilesIn fails when refused commands left files in dir.
func noFilesIn(t *testing.T, dir string) {
	t.Helper()
	if matches, _ := filepath.Glob(filepath.Join(dir, "*")); len(matches) > 0 {
		t.Errorf("refused commands left files: %v", matches)
	}
}

// TestDatabaseErrorsSayWhy: an unreachable PostgreSQL names the address
// and the cause, never the password.
func TestDatabaseErrorsSayWhy(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	if _, _, err := seal.LoadKeyFile(secret, true); err != nil {
		t.Fatal(err)
	}
	_, _, ok, err := runCLI(t, nil, "migrate", "--db", "postgres://keyhouse:s3cret-pw@127.0.0.1:1/none", "--secret-file", secret)
	msg := message(err)
	if ok || !strings.Contains(msg, "127.0.0.1:1") || !strings.Contains(msg, "connection refused") ||
		strings.Contains(msg, "s3cret-pw") || strings.Contains(msg, "\n") || strings.Count(msg, "connection refused") != 1 {
		t.Errorf("migrate against a closed port: %q", msg)
	}
}

// TestOrgCreateLinks: links use --base-url or KEYHOUSE_BASE_URL; without
// either the command says which address it assumed. A second organization
// of the same name is refused.
func TestOrgCreateLinks(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "kh.db")
	out, errs, ok, err := runCLI(t, map[string]string{"KEYHOUSE_ADDR": "127.0.0.1:9090"}, "org", "create", "--name", "Acme", "--owner-email", "o@acme.example", "--db", db)
	if !ok || !strings.Contains(out, "http://127.0.0.1:9090/activate?token=khl_") ||
		!strings.Contains(errs, "the link assumes keyhouse is reached at http://127.0.0.1:9090") {
		t.Errorf("org create without a base URL: err=%v stdout=%q stderr=%q", err, out, errs)
	}
	out, errs, ok, err = runCLI(t, map[string]string{"KEYHOUSE_BASE_URL": "https://keys.example.com"}, "org", "create", "--name", "Globex", "--owner-email", "o@globex.example", "--db", db)
	if !ok || !strings.Contains(out, "https://keys.example.com/activate?token=khl_") || errs != "" {
		t.Errorf("org create with KEYHOUSE_BASE_URL: err=%v stdout=%q stderr=%q", err, out, errs)
	}
	_, _, ok, err = runCLI(t, nil, "org", "create", "--name", "acme ", "--owner-email", "o@acme.example", "--db", db)
	if msg := message(err); ok || !strings.Contains(msg, `name: an organization named "Acme" already exists`) {
		t.Errorf("second Acme: %q", msg)
	}
}

// TestLostSecretIsNotReplaced: beside a database that exists, a missing
// secret file is an error that says to restore it; no new secret is made.
func TestLostSecretIsNotReplaced(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "kh.db")
	if _, _, ok, err := runCLI(t, nil, "migrate", "--db", "sqlite:"+db); !ok {
		t.Fatal(message(err))
	}
	if err := os.Remove(db + ".secret"); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"migrate"}, {"org", "create", "--name", "Acme", "--owner-email", "o@acme.example"}} {
		_, _, ok, err := runCLI(t, nil, append(args, "--db", "sqlite:"+db)...)
		if msg := message(err); ok || !strings.Contains(msg, "no server secret at "+db+".secret beside the database: restore the one it was made with") {
			t.Errorf("%v: %q", args, msg)
		}
	}
	if _, err := os.Stat(db + ".secret"); err == nil {
		t.Error("a new secret was made beside the database")
	}
}
