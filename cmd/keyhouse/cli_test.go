package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"keyhouse"
	"keyhouse/internal/service"
	"keyhouse/internal/sqlstore"
)

// cli runs one keyhouse command against db and returns its standard
// output, or the one-line message main would print.
func cli(t *testing.T, db string, args ...string) (string, string) {
	t.Helper()
	var out bytes.Buffer
	if !slices.Contains(args, "--db") {
		args = append(args, "--db", "sqlite:"+db)
	}
	err := run(context.Background(), args, func(string) string { return "" }, &out, &bytes.Buffer{})
	if err != nil {
		msg := message(err)
		if strings.Contains(msg, "\n") {
			t.Errorf("%v: message is not one line: %q", args, msg)
		}
		return out.String(), msg
	}
	return out.String(), ""
}

func TestCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "kh.db")

	if _, msg := cli(t, db, "migrate"); msg != "" {
		t.Fatalf("migrate: %s", msg)
	}
	out, msg := cli(t, db, "org", "create", "--name", "Acme", "--owner-email", "owner@acme.example", "--json")
	var org struct {
		OrganizationID string `json:"organization_id"`
		ActivationURL  string `json:"activation_url"`
	}
	if err := json.Unmarshal([]byte(out), &org); msg != "" || err != nil || org.OrganizationID == "" || !strings.HasPrefix(org.ActivationURL, "http://127.0.0.1:8080/activate?token=khl_") {
		t.Fatalf("org create --json = %q (%s)", out, msg)
	}
	out, _ = cli(t, db, "org", "list")
	if !strings.Contains(out, org.OrganizationID) || !strings.Contains(out, "pending") {
		t.Fatalf("org list = %q", out)
	}
	// A pending organization gets no client.
	if _, msg := cli(t, db, "client", "init", "--org", org.OrganizationID, "--env", "sandbox", "--name", "Shop"); !strings.Contains(msg, "not active") {
		t.Fatalf("client init in a pending org: %q", msg)
	}
	activateForTest(t, db, org.OrganizationID)

	out, msg = cli(t, db, "client", "init", "--org", org.OrganizationID, "--env", "sandbox", "--name", "Shop", "--json")
	var client struct {
		ClientID string `json:"client_id"`
	}
	if err := json.Unmarshal([]byte(out), &client); msg != "" || err != nil || len(client.ClientID) != 10 {
		t.Fatalf("client init --json = %q (%s)", out, msg)
	}
	file := filepath.Join(t.TempDir(), "legacy.txt")
	os.WriteFile(file, []byte("LEGACY-0123456789-abcdefgh\n\nLEGACY-9876543210-zyxwvuts\n"), 0o600)
	out, msg = cli(t, db, "keys", "import-legacy", "--org", org.OrganizationID, "--env", "sandbox", "--client", client.ClientID, "--file", file)
	if msg != "" || !strings.Contains(out, "2 legacy keys imported") {
		t.Fatalf("import-legacy = %q (%s)", out, msg)
	}

	badFile := filepath.Join(t.TempDir(), "bad.txt")
	os.WriteFile(badFile, []byte("LEGACY-1111111111-abcdefgh\n\nshort key\n"), 0o600)

	bad := []struct {
		name string
		args []string
		want string
	}{
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"bad env", []string{"client", "init", "--org", org.OrganizationID, "--env", "staging", "--name", "X"}, "--env: must be sandbox or production"},
		{"no name", []string{"client", "init", "--org", org.OrganizationID, "--env", "sandbox"}, "name: is required"},
		{"unknown org", []string{"client", "init", "--org", "org_nope", "--env", "sandbox", "--name", "X"}, "not found"},
		{"bad e-mail", []string{"org", "create", "--name", "X", "--owner-email", "nope"}, "owner_email: must be an e-mail address"},
		{"postgres without a secret", []string{"org", "list", "--db", "postgres://nobody@127.0.0.1:1/none"}, "--secret-file (KEYHOUSE_SECRET_FILE) is required with PostgreSQL"},
		{"stray argument", []string{"org", "list", "extra"}, `unexpected argument "extra"`},
		{"no file", []string{"keys", "import-legacy", "--org", org.OrganizationID, "--env", "sandbox", "--client", client.ClientID}, "--file: is required"},
		{"bad legacy key names its line", []string{"keys", "import-legacy", "--org", org.OrganizationID, "--env", "sandbox", "--client", client.ClientID, "--file", badFile}, "line 3: legacy key: at least 20 characters"},
		{"duplicate legacy key", []string{"keys", "import-legacy", "--org", org.OrganizationID, "--env", "sandbox", "--client", client.ClientID, "--file", file}, "line 1: this key is already imported"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, msg := cli(t, db, tt.args...); !strings.Contains(msg, tt.want) {
				t.Errorf("message %q, want it to contain %q", msg, tt.want)
			}
		})
	}
}

// activateForTest marks an organization active in the database, as its
// Owner's activation would (the end-to-end test walks that part).
func activateForTest(t *testing.T, db, orgID string) {
	t.Helper()
	store, err := sqlstore.Open(context.Background(), "sqlite:"+db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	err = store.Update(context.Background(), func(tx service.Tx) error {
		return tx.SetOrgState(orgID, keyhouse.OrgActive)
	})
	if err != nil {
		t.Fatal(err)
	}
}
