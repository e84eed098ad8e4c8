package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/service"
	"keyhouse/internal/sqlstore"
)

// TestResourceServers: create prints the credential once (text and
// --json), list shows the server without it, delete takes the id as
// --id or as the first argument, the database holds only an HMAC, and
// each change leaves a deployment-wide audit event.
func TestResourceServers(t *testing.T) {
	db := filepath.Join(t.TempDir(), "kh.db")
	out, msg := cli(t, db, "resource-servers", "create", "--name", "orders", "--json")
	var created struct{ ID, Name, Credential string }
	if err := json.Unmarshal([]byte(out), &created); msg != "" || err != nil ||
		!strings.HasPrefix(created.ID, "rs_") || created.Name != "orders" || !strings.HasPrefix(created.Credential, "khrs_") {
		t.Fatalf("create --json = %q (%s)", out, msg)
	}
	out, msg = cli(t, db, "resource-servers", "create", "--name", "billing")
	if msg != "" || !strings.Contains(out, "credential (shown once") || !strings.Contains(out, "khrs_") {
		t.Fatalf("create = %q (%s)", out, msg)
	}
	out, _ = cli(t, db, "resource-servers", "list")
	if !strings.Contains(out, created.ID) || !strings.Contains(out, "billing") || strings.Contains(out, "khrs_") {
		t.Fatalf("list = %q", out)
	}
	store, err := sqlstore.Open(context.Background(), "sqlite:"+db)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := store.FindResourceServer(context.Background(), created.ID)
	if err != nil || len(rs.SecretHash) != 32 || strings.Contains(string(rs.SecretHash), created.Credential) {
		t.Fatalf("stored: %+v, %v", rs, err)
	}
	store.Close()

	bad := []struct {
		name string
		args []string
		want string
	}{
		{"no name", []string{"resource-servers", "create"}, "--name: is required"},
		{"control characters", []string{"resource-servers", "create", "--name", "a\x01b"}, "name: must not contain control characters"},
		{"no id", []string{"resource-servers", "delete"}, "--id: is required"},
		{"two ids", []string{"resource-servers", "delete", "rs_a", "--id", "rs_b"}, "--id: give one resource server id"},
		{"unknown id", []string{"resource-servers", "delete", "rs_nope"}, "not found"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, msg := cli(t, db, tt.args...); !strings.Contains(msg, tt.want) {
				t.Errorf("message %q, want it to contain %q", msg, tt.want)
			}
		})
	}

	if out, msg = cli(t, db, "resource-servers", "delete", created.ID, "--json"); msg != "" || !strings.Contains(out, created.ID) {
		t.Fatalf("delete = %q (%s)", out, msg)
	}
	out, _ = cli(t, db, "resource-servers", "list", "--json")
	if strings.Contains(out, created.ID) || !strings.Contains(out, "billing") {
		t.Fatalf("list after delete = %q", out)
	}
	assertAudit(t, db, keyhouse.ActionResourceServerCreated, 2)
	assertAudit(t, db, keyhouse.ActionResourceServerDeleted, 1)
}

// assertAudit checks that the deployment-wide audit log holds n events
// of action.
func assertAudit(t *testing.T, db, action string, n int) {
	t.Helper()
	store, err := sqlstore.Open(context.Background(), "sqlite:"+db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var got []*keyhouse.AuditEvent
	err = store.View(context.Background(), func(tx service.Tx) (err error) {
		got, err = tx.ListAudit(keyhouse.AuditFilter{OrgID: "", Action: action})
		return err
	})
	if err != nil || len(got) != n {
		t.Errorf("%s events: %d (%v), want %d", action, len(got), err, n)
	}
	for _, ev := range got {
		if ev.Actor != "operator" || !strings.HasPrefix(ev.Target, "rs_") {
			t.Errorf("%s event: %+v", action, ev)
		}
	}
}

// TestResourceServerDeletedWhileServing: on SQLite, `keyhouse
// resource-servers delete` (another process, no notice) ends the
// credential on a running `keyhouse serve` that has it cached: it
// introspects no more within the cache's second. The delay is logged.
func TestResourceServerDeletedWhileServing(t *testing.T) {
	dir := t.TempDir()
	db, secret := filepath.Join(dir, "kh.db"), filepath.Join(dir, "kh.secret")
	apiKey := seedKey(t, db, secret)
	in := startServe(t, "--db", "sqlite:"+db, "--secret-file", secret)
	access := accessToken(t, in, apiKey)
	out, msg := cli(t, db, "resource-servers", "create", "--name", "orders", "--json", "--secret-file", secret)
	var created struct{ ID, Credential string }
	if err := json.Unmarshal([]byte(out), &created); msg != "" || err != nil {
		t.Fatalf("create = %q (%s)", out, msg)
	}
	introspect := func() int {
		status, body := in.send(t, "/oauth2/introspect", "application/x-www-form-urlencoded", "token="+access,
			map[string]string{"Authorization": "Bearer " + created.Credential})
		if status == 200 && !strings.Contains(body, `"active":true`) {
			t.Fatalf("introspection: %s", body)
		}
		return status
	}
	if status := introspect(); status != 200 {
		t.Fatalf("introspection before the deletion: %d", status)
	}
	if _, msg := cli(t, db, "resource-servers", "delete", created.ID, "--secret-file", secret); msg != "" {
		t.Fatal(msg)
	}
	start := time.Now()
	for status := introspect(); status != 401; status = introspect() {
		if status != 200 || time.Since(start) > 5*time.Second {
			t.Fatalf("introspection %v after the deletion: %d", time.Since(start), status)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("refused %v after the deletion", time.Since(start))
}
