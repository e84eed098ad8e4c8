package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"keyhouse"
	"keyhouse/internal/service"
	"keyhouse/internal/sqlstore"
	"keyhouse/internal/token"
)

// operator returns ctx acting as the operator in orgID.
func operator(ctx context.Context, orgID string) context.Context {
	return keyhouse.NewContextWithPrincipal(ctx, &keyhouse.Principal{Operator: true, OrgID: orgID})
}

// withService opens the database and the service for one command, runs
// fn, and closes the database.
func (e *env) withService(ctx context.Context, c *common, fn func(svc *service.Service) error) error {
	a, err := e.open(ctx, c, service.Config{})
	if err != nil {
		return err
	}
	defer a.store.Close()
	return fn(a.svc)
}

// printResult prints v as one JSON object with --json, text otherwise.
func (e *env) printResult(c *common, v any, text string) error {
	if c.JSON {
		return json.NewEncoder(e.stdout).Encode(v)
	}
	_, err := fmt.Fprintln(e.stdout, text)
	return err
}

func (e *env) migrate(ctx context.Context, args []string) error {
	var c common
	if err := e.flags("migrate", &c).Parse(args); err != nil {
		return err
	}
	// The secret is checked (or on SQLite made) too: whatever serves
	// this database next will need it.
	if _, err := e.secret(&c, e.logger(&c)); err != nil {
		return err
	}
	store, err := openStore(ctx, c.DB)
	if err != nil {
		return err
	}
	defer store.Close()
	return e.printResult(&c, map[string]string{"status": "migrated"}, "migrations applied")
}

func (e *env) orgCreate(ctx context.Context, args []string) error {
	var c common
	fs := e.flags("org create", &c)
	name := fs.String("name", "", "organization name")
	email := fs.String("owner-email", "", "e-mail of the first Owner")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := c.setMailer(); err != nil {
		return err
	}
	if c.BaseURL == "" {
		fmt.Fprintf(e.stderr, "keyhouse: the link assumes keyhouse is reached at http://%s (no --base-url or KEYHOUSE_BASE_URL)\n", e.def("addr", defaultAddr))
	}
	return e.withService(ctx, &c, func(svc *service.Service) error {
		out, err := svc.CreateOrganization(operator(ctx, ""), *name, *email)
		if err != nil {
			return err
		}
		text := fmt.Sprintf("organization %s created (pending)\nactivation link for %s: %s", out.OrganizationID, *email, out.ActivationURL)
		if out.EmailSent {
			text = fmt.Sprintf("organization %s created (pending)\nactivation link sent to %s", out.OrganizationID, *email)
		}
		if err := e.printResult(&c, newCreatedOrgJSON(out), text); err != nil {
			return err
		}
		if out.MailError != "" {
			return fmt.Errorf("org create: %s", out.MailError)
		}
		return nil
	})
}

func (e *env) orgList(ctx context.Context, args []string) error {
	c := common{readOnly: true}
	if err := e.flags("org list", &c).Parse(args); err != nil {
		return err
	}
	var orgs []*keyhouse.Organization
	err := e.withService(ctx, &c, func(svc *service.Service) (err error) {
		orgs, err = svc.ListOrganizations(operator(ctx, ""))
		return err
	})
	if err != nil {
		return err
	}
	if c.JSON {
		return json.NewEncoder(e.stdout).Encode(newOrgListJSON(orgs))
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSTATE\tCREATED")
	for _, o := range orgs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.ID, o.Name, o.State, o.CreatedAt.Format("2006-01-02 15:04"))
	}
	return tw.Flush()
}

func (e *env) clientInit(ctx context.Context, args []string) error {
	var c common
	fs := e.flags("client init", &c)
	org := fs.String("org", "", "organization id")
	envName := fs.String("env", "", "environment: sandbox or production")
	name := fs.String("name", "", "client name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	environment, err := keyhouse.ParseEnvironment("--env", *envName)
	if err != nil {
		return err
	}
	return e.withService(ctx, &c, func(svc *service.Service) error {
		cl, err := svc.InitClient(operator(ctx, *org), environment, *name)
		if err != nil {
			return err
		}
		return e.printResult(&c, map[string]string{"client_id": cl.ClientID}, cl.ClientID)
	})
}

func (e *env) importLegacy(ctx context.Context, args []string) error {
	var c common
	fs := e.flags("keys import-legacy", &c)
	org := fs.String("org", "", "organization id")
	envName := fs.String("env", "", "environment: sandbox or production")
	client := fs.String("client", "", "client ID")
	file := fs.String("file", "", "file with one legacy key per line (- for standard input)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	environment, err := keyhouse.ParseEnvironment("--env", *envName)
	if err != nil {
		return err
	}
	keys, err := readLines(*file)
	if err != nil {
		return err
	}
	return e.withService(ctx, &c, func(svc *service.Service) error {
		n, err := svc.ImportLegacy(operator(ctx, *org), environment, *client, keys)
		if err != nil {
			return err
		}
		return e.printResult(&c, map[string]int{"imported": n}, fmt.Sprintf("%d legacy %s imported", n, plural(n, "key", "keys")))
	})
}

// readLines reads the lines of path, trimmed; blank lines stay (as "") so
// that errors can name the line of the file.
func readLines(path string) ([]string, error) {
	if path == "" {
		return nil, fmt.Errorf("--file: is required")
	}
	f := os.Stdin
	if path != "-" {
		var err error
		if f, err = os.Open(path); err != nil {
			return nil, fmt.Errorf("--file: %w", err)
		}
		defer f.Close()
	}
	var lines []string
	blank := true
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		lines, blank = append(lines, l), blank && l == ""
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--file: %w", err)
	}
	if blank {
		return nil, fmt.Errorf("--file: no keys in %s", path)
	}
	return lines, nil
}

func (e *env) rotateSigningKey(ctx context.Context, args []string) error {
	var c common
	fs := e.flags("signing-keys rotate", &c)
	revoke := fs.Bool("revoke", e.def("revoke", "") == "true", "delete the current key at once: its tokens stop verifying on every instance within 1 s")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return e.withService(ctx, &c, func(svc *service.Service) error {
		r, err := svc.RotateSigningKey(operator(ctx, ""), *revoke)
		if err != nil {
			return err
		}
		return e.printResult(&c, rotationJSON{KID: r.KeyID, Revoked: append([]string{}, r.Revoked...)}, rotationText(r, *revoke))
	})
}

// rotationJSON is what `signing-keys rotate --json` prints.
type rotationJSON struct {
	KID     string   `json:"kid"`
	Revoked []string `json:"revoked"`
}

// rotationText is what `signing-keys rotate` prints.
func rotationText(r *service.Rotation, revoke bool) string {
	text := fmt.Sprintf("new signing key %s; running instances pick it up within %s", r.KeyID, service.SigningKeyPoll)
	switch {
	case !revoke:
		text += fmt.Sprintf("; the old key verifies its tokens until they expire (%s)", token.Lifetime)
	case len(r.Revoked) == 0:
		text += "; there was no current key to revoke"
	default:
		text += fmt.Sprintf("; revoked %s: its tokens are refused on every instance within 1s", strings.Join(r.Revoked, ", "))
	}
	return text
}

// unlock ends the sign-in locks and delays of one account, from every
// source.
func (e *env) unlock(ctx context.Context, args []string) error {
	var c common
	fs := e.flags("users unlock", &c)
	email := fs.String("email", "", "e-mail of the account")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return e.withService(ctx, &c, func(svc *service.Service) error {
		n, err := svc.Unlock(operator(ctx, ""), *email)
		if err != nil {
			return err
		}
		text := fmt.Sprintf("unlocked %s: forgot its failed sign-ins from %d %s", *email, n, plural(n, "source", "sources"))
		return e.printResult(&c, map[string]any{"email": *email, "sources": n}, text)
	})
}

// plural returns one when n is 1, else many.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// backup copies a live SQLite database into a new file; for PostgreSQL it
// says what to do instead.
func (e *env) backup(ctx context.Context, args []string) error {
	c := common{readOnly: true}
	fs := e.flags("backup", &c)
	to := fs.String("to", "", "the new file to write the copy to (mode 0600; it must not exist)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *to == "" {
		return fmt.Errorf("--to: is required")
	}
	if _, ok := sqlitePath(c.DB); !ok {
		return sqlstore.ErrBackupPostgres
	}
	if err := requireDatabase(&c); err != nil {
		return err
	}
	store, err := openStore(ctx, c.DB)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Backup(ctx, *to); err != nil {
		return err
	}
	secret, _ := secretPath(&c)
	text := fmt.Sprintf("backup written to %s; keep it with the server secret %s (without it no API key verifies)", *to, secret)
	return e.printResult(&c, map[string]string{"backup": *to, "secret_file": secret}, text)
}
