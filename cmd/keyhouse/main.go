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

const usage = `usage: keyhouse [command] [flags]

commands:
  serve                 run the service (the default)
  migrate               apply database migrations and exit
  org create            create an organization and its Owner's activation link
  org list              list organizations
  client init           initialize a client and print its client ID
  keys import-legacy    import legacy API keys, one per line
  signing-keys rotate   new token-signing key; the old one verifies until its tokens expire,
                        or with --revoke stops verifying at once
  users unlock          end the sign-in locks and delays of an account

Run "keyhouse COMMAND -h" for a command's flags. Every flag also reads
KEYHOUSE_<FLAG> from the environment (for example KEYHOUSE_DB).`

// run is the program: args without the program name, getenv for flag
// defaults, stdout for results, stderr for logs.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd, rest := "serve", args
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, rest = args[0], args[1:]
		if (cmd == "org" || cmd == "client" || cmd == "keys" || cmd == "signing-keys" || cmd == "users") && len(rest) > 0 {
			cmd, rest = cmd+" "+rest[0], rest[1:]
		}
	}
	e := &env{getenv: getenv, stdout: stdout, stderr: stderr}
	switch cmd {
	case "serve":
		return e.serve(ctx, rest)
	case "migrate":
		return e.migrate(ctx, rest)
	case "org create":
		return e.orgCreate(ctx, rest)
	case "org list":
		return e.orgList(ctx, rest)
	case "client init":
		return e.clientInit(ctx, rest)
	case "keys import-legacy":
		return e.importLegacy(ctx, rest)
	case "signing-keys rotate":
		return e.rotateSigningKey(ctx, rest)
	case "users unlock":
		return e.unlock(ctx, rest)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q (run \"keyhouse help\")", cmd)
}
