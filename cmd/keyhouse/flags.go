package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// flagSet is a command's flags: those that apply to it and no others,
// defaults from KEYHOUSE_<FLAG>, the checks of their values, and help on
// standard output.
type flagSet struct {
	*flag.FlagSet
	cmd    *command
	stdout io.Writer
	getenv func(string) string
	checks map[string]func(string) error
}

// newFlagSet returns the empty flag set of cmd.
func (e *env) newFlagSet(cmd *command) *flagSet {
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned, help is printed by Parse
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, cmd: cmd, stdout: e.stdout, getenv: e.getenv, checks: map[string]func(string) error{}}
}

// check makes Parse refuse a value of the flag name that fails rule.
func (fs *flagSet) check(name string, rule func(string) error) {
	fs.checks[name] = rule
}

// Parse parses args after the environment's KEYHOUSE_<FLAG> values, so
// that the command line wins. It prints the command's help for -h and
// --help (and returns flag.ErrHelp), refuses stray arguments, and checks
// every value: each error is one line naming the flag and its rule.
func (fs *flagSet) Parse(args []string) error {
	if err := fs.setFromEnv(); err != nil {
		return err
	}
	if err := fs.FlagSet.Parse(args); errors.Is(err, flag.ErrHelp) {
		fs.cmd.help(fs.stdout, fs)
		return err
	} else if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (run \"keyhouse %s --help\")", fs.Arg(0), fs.cmd.name)
	}
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		rule := fs.checks[f.Name]
		if rule == nil || err != nil {
			return
		}
		v := f.Value.String()
		if e := rule(v); e != nil && v == fs.getenv(envName(f.Name)) {
			err = fmt.Errorf("--%s (from %s): %w", f.Name, envName(f.Name), e)
		} else if e != nil {
			err = fmt.Errorf("--%s: %w", f.Name, e)
		}
	})
	return err
}

// setFromEnv sets every flag whose KEYHOUSE_<FLAG> is set to its value.
func (fs *flagSet) setFromEnv() error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if v := fs.getenv(envName(f.Name)); v != "" && err == nil {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s: invalid value for --%s", envName(f.Name), f.Name)
			}
		}
	})
	return err
}

// envName is the environment variable of the flag name.
func envName(name string) string {
	return "KEYHOUSE_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// oneOf is a rule: the value is one of the words.
func oneOf(words ...string) func(string) error {
	return func(v string) error {
		for _, w := range words {
			if v == w {
				return nil
			}
		}
		return fmt.Errorf("must be %s (got %q)", strings.Join(words, " or "), v)
	}
}

// between is a rule: a whole number from lo to hi. The upper bounds of
// serve's counts keep what they are multiplied into (gates, memory
// limits, processors) from wrapping round.
func between(lo, hi int) func(string) error {
	return func(v string) error {
		if i, err := strconv.Atoi(v); err != nil || i < lo || i > hi {
			return fmt.Errorf("must be a whole number from %d to %d (got %q)", lo, hi, v)
		}
		return nil
	}
}

// nonNegative is a rule: a number, 0 or more (not NaN, not infinite).
func nonNegative(v string) error {
	if f, err := strconv.ParseFloat(v, 64); err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("must be a number, 0 or more (got %q)", v)
	}
	return nil
}

// checkBaseURL is the rule of --base-url: empty (derived), or an absolute
// http or https URL with a host and nothing after the path.
func checkBaseURL(v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("must be an absolute http:// or https:// URL such as https://keys.example.com (got %q)", v)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("must have no user, query or fragment (got %q)", v)
	}
	return nil
}

// checkAddr is the rule of --addr: host:port, the host may be empty.
func checkAddr(v string) error {
	if _, _, err := net.SplitHostPort(v); err != nil {
		return fmt.Errorf("must be host:port, such as 127.0.0.1:8080 or :8080 (got %q)", v)
	}
	return nil
}

// checkDB is the rule of --db: sqlite:PATH in a directory that exists,
// or a postgres:// URL. Its messages never repeat the value, which may
// hold a password.
func checkDB(v string) error {
	if strings.HasPrefix(v, "postgres://") || strings.HasPrefix(v, "postgresql://") {
		if _, err := url.Parse(v); err != nil {
			return errors.New("is not a valid postgres:// URL")
		}
		return nil
	}
	path, ok := sqlitePath(v)
	if !ok && strings.HasPrefix(v, "sqlite:") {
		return errors.New("sqlite: needs the database's path, such as sqlite:keyhouse.db")
	}
	if !ok || (!strings.HasPrefix(v, "sqlite:") && !strings.HasSuffix(path, ".db")) {
		scheme, _, _ := strings.Cut(v, ":")
		return fmt.Errorf("must be sqlite:PATH or postgres://… (%q is not a database keyhouse knows)", scheme)
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("the directory %s of the SQLite database does not exist", dir)
	}
	return nil
}
