// Command keyhouse runs the keyhouse API-key service and its operator
// commands. All the wiring of the program is here.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"keyhouse"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "keyhouse:", message(err))
		os.Exit(1)
	}
}

// message returns the one line shown for err: the safe message of a
// domain error, the error text otherwise.
func message(err error) string {
	if e, ok := errors.AsType[*keyhouse.Error](err); ok && e.Code != keyhouse.EINTERNAL {
		return e.Message
	}
	return err.Error()
}

// run is the program: args without the program name, getenv for flag
// defaults, stdout for results and help, stderr for logs.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	e := &env{getenv: getenv, stdout: stdout, stderr: stderr}
	cmd, group, rest := lookUp(args)
	switch {
	case cmd == nil && inGroup(group) != nil:
		if len(rest) > 0 && !isHelp(rest[0]) {
			return fmt.Errorf("unknown command %q (run \"keyhouse %s --help\")", group+" "+rest[0], group)
		}
		usage(stdout, group, inGroup(group))
		return nil
	case cmd == nil:
		return fmt.Errorf("unknown command %q (run \"keyhouse help\")", group)
	case cmd.name == "help":
		return e.help(ctx, rest)
	case cmd.name == "version":
		return e.version(ctx, rest)
	}
	return cmd.run(e, ctx, rest)
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "-help" || arg == "help"
}
