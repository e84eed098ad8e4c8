package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"runtime"
	"runtime/debug"
	"strings"
	"text/tabwriter"
)

// command is one keyhouse command: its name ("org create"), what it does
// in one line, the flags beyond the database's that apply to it, and what
// runs it.
type command struct {
	name    string
	summary string
	flags   commonFlags
	run     func(e *env, ctx context.Context, args []string) error
}

// commonFlags says which of the shared flags a command takes; every
// command that opens the database takes --db and --secret-file.
type commonFlags uint8

const (
	noDB commonFlags = 1 << iota // the command opens no database
	withBaseURL
	withJSON
	withLogFormat
	withMail // --smtp-url and --mail-from
)

// commands returns every command, in the order help prints them (a
// function, not a variable: the commands' own code looks them up).
func commands() []*command {
	return []*command{
		{"serve", "run the service (the default command)", withBaseURL | withLogFormat | withMail, (*env).serve},
		{"migrate", "apply the database migrations and exit", withJSON, (*env).migrate},
		{"org create", "create a pending organization and its first Owner's activation link", withBaseURL | withJSON | withMail, (*env).orgCreate},
		{"org list", "list the organizations and their state", withJSON, (*env).orgList},
		{"client init", "initialize a client in an organization and print its client ID", withJSON, (*env).clientInit},
		{"keys import-legacy", "import legacy API keys, one per line", withJSON, (*env).importLegacy},
		{"signing-keys rotate", "make a new token-signing key; the old one verifies its tokens until they expire, or with --revoke stops at once", withJSON, (*env).rotateSigningKey},
		{"backup", "write a consistent copy of a live SQLite database to a new file", withJSON, (*env).backup},
		{"resource-servers create", "make a credential for the product's own services (introspection, revocation feed), shown once", withJSON, (*env).resourceServerCreate},
		{"resource-servers list", "list the resource servers", withJSON, (*env).resourceServerList},
		{"resource-servers delete", "delete a resource server's credential (--id ID, or the id first)", withJSON, (*env).resourceServerDelete},
		{"users unlock", "end the sign-in locks and delays of an account, from every source", withJSON, (*env).unlock},
		{"version", "print the version, the commit and the Go version", noDB, nil}, // run by run
		{"help", "print this help, or a command's with keyhouse COMMAND --help", noDB, nil},
	}
}

// lookUp returns the command args start with and the arguments after its
// name; a group's name alone ("org") gives the group, with nil command.
func lookUp(args []string) (cmd *command, group string, rest []string) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		switch {
		case len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help"):
			return find("help"), "", args[1:]
		case len(args) > 0 && (args[0] == "--version" || args[0] == "-version"):
			return find("version"), "", args[1:]
		}
		return find("serve"), "", args
	}
	if len(args) > 1 {
		if c := find(args[0] + " " + args[1]); c != nil {
			return c, "", args[2:]
		}
	}
	if c := find(args[0]); c != nil {
		return c, "", args[1:]
	}
	return nil, args[0], args[1:]
}

// find returns the command called name, or nil.
func find(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

// inGroup returns the commands whose name starts with group and a space.
func inGroup(group string) []*command {
	var out []*command
	for _, c := range commands() {
		if strings.HasPrefix(c.name, group+" ") {
			out = append(out, c)
		}
	}
	return out
}

// usage is the help of keyhouse, or of a group of its commands: every
// command in a line.
func usage(w io.Writer, group string, cmds []*command) {
	if group == "" {
		fmt.Fprintln(w, "usage: keyhouse [command] [flags]")
	} else {
		fmt.Fprintf(w, "usage: keyhouse %s COMMAND [flags]\n", group)
	}
	fmt.Fprintln(w, "\ncommands:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range cmds {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nRun \"keyhouse COMMAND --help\" for a command's flags. Every flag also reads")
	fmt.Fprintln(w, "KEYHOUSE_<FLAG> from the environment (for example KEYHOUSE_DB for --db);")
	fmt.Fprintln(w, "a flag on the command line wins.")
}

// help prints what c does and its flags, with their defaults and
// environment variables.
func (c *command) help(w io.Writer, fs *flagSet) {
	fmt.Fprintf(w, "usage: keyhouse %s [flags]\n\n%s.\n", c.name, strings.ToUpper(c.summary[:1])+c.summary[1:])
	if fs == nil || !hasFlags(fs) {
		return
	}
	fmt.Fprintln(w, "\nflags:")
	fs.VisitAll(func(f *flag.Flag) {
		kind, text := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  --%s %s\n      %s", f.Name, kind, text)
		if def := shownDefault(f); def != "" {
			fmt.Fprintf(w, " (default %s)", def)
		}
		fmt.Fprintf(w, " [%s]\n", envName(f.Name))
	})
}

// hasFlags reports whether fs has any flag.
func hasFlags(fs *flagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// shownDefault is the default help shows for f: none for an empty or
// false one, and a database URL's password never.
func shownDefault(f *flag.Flag) string {
	switch d := f.DefValue; {
	case d == "" || d == "false" || d == "0" && strings.Contains(f.Usage, "(0:"):
		return ""
	case f.Name == "db" || f.Name == "smtp-url":
		if u, err := url.Parse(d); err == nil && u.User != nil {
			return u.Redacted()
		}
		return d
	default:
		return d
	}
}

// help is the help command.
func (e *env) help(_ context.Context, args []string) error {
	if len(args) > 0 {
		if c, group, _ := lookUp(args); c != nil {
			return e.commandHelp(c)
		} else if cmds := inGroup(group); cmds != nil {
			usage(e.stdout, group, cmds)
			return nil
		}
		return fmt.Errorf("unknown command %q (run \"keyhouse help\")", strings.Join(args, " "))
	}
	usage(e.stdout, "", commands())
	return nil
}

// commandHelp prints c's help through its own flag set.
func (e *env) commandHelp(c *command) error {
	if c.flags&noDB != 0 {
		c.help(e.stdout, nil)
		return nil
	}
	err := c.run(e, context.Background(), []string{"--help"})
	if err == flag.ErrHelp {
		return nil
	}
	return err
}

// version is the version command.
func (e *env) version(_ context.Context, args []string) error {
	fs := e.newFlagSet(find("version"))
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, err := fmt.Fprintln(e.stdout, versionText())
	return err
}

// buildVersion is set at build time with -ldflags "-X main.buildVersion=v1.2.3";
// otherwise the module's version (or "devel") is shown.
var buildVersion string

// versionText is "keyhouse VERSION (commit C[, modified], BUILT) GOVERSION OS/ARCH".
func versionText() string {
	v, commit, modified, when := buildVersion, "unknown", false, ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value[:min(12, len(s.Value))]
			case "vcs.modified":
				modified = s.Value == "true"
			case "vcs.time":
				when = ", " + s.Value
			}
		}
	}
	if v == "" {
		v = "devel"
	}
	if modified {
		commit += ", modified"
	}
	return fmt.Sprintf("keyhouse %s (commit %s%s) %s %s/%s", v, commit, when, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
