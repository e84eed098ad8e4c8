package server_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"keyhouse"
	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/server"
)

// fixture is a running server with two organizations: "own" with a member
// of every role, and "other" with its Owner, its client and its objects.
type fixture struct {
	e      *keyhousetest.Env
	srv    *httptest.Server
	roles  map[string]*keyhousetest.User // own organization, by role
	owner  *keyhousetest.User            // own Owner, preparing objects
	other  *keyhousetest.User            // the other organization's Owner
	client map[string]string             // "own"/"other" → client ID
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	e := keyhousetest.New(t)
	f := &fixture{e: e, roles: map[string]*keyhousetest.User{}, client: map[string]string{}}
	f.owner = e.NewOrg(t, "acme")
	f.roles["owner"] = f.owner
	for _, r := range []string{"admin", "standard", "view"} {
		f.roles[r] = e.Invite(t, f.owner, r+"@acme.example", r)
	}
	f.other = e.NewOrg(t, "globex")
	f.client["own"] = e.NewClient(t, f.owner).ClientID
	f.client["other"] = e.NewClient(t, f.other).ClientID
	f.srv = checkedServer(t, server.New(e.Svc, slog.New(slog.DiscardHandler), false))
	return f
}

// do sends a request with a session token and returns the status and body.
func (f *fixture) do(t *testing.T, token, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// ownerOf returns the Owner of the "own" or "other" organization.
func (f *fixture) ownerOf(org string) *keyhousetest.User {
	if org == "own" {
		return f.owner
	}
	return f.other
}

// newKey makes a key in org's client and returns its path.
func (f *fixture) newKey(t testing.TB, org string) string {
	t.Helper()
	gen, err := f.e.Svc.GenerateKey(f.ownerOf(org).Ctx, keyhouse.Sandbox, f.client[org], "")
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("/api/v1/environments/sandbox/clients/%s/keys/%s", f.client[org], gen.KeyID)
}

// freshKey makes a key in a new client of org (the fixture's clients fill
// up) and returns its path.
func freshKey(t *testing.T, f *fixture, org string) string {
	t.Helper()
	c, err := f.e.Svc.InitClient(f.ownerOf(org).Ctx, keyhouse.Sandbox, "Spare")
	if err != nil {
		t.Fatal(err)
	}
	gen, err := f.e.Svc.GenerateKey(f.ownerOf(org).Ctx, keyhouse.Sandbox, c.ClientID, "")
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("/api/v1/environments/sandbox/clients/%s/keys/%s", c.ClientID, gen.KeyID)
}

// newMember invites a pending member into org and returns its path.
func (f *fixture) newMember(t *testing.T, org string) string {
	t.Helper()
	inv, err := f.e.Svc.InviteUser(f.ownerOf(org).Ctx, keyhouse.RandomBase62(8)+"@example.com", []string{"standard"})
	if err != nil {
		t.Fatal(err)
	}
	return "/api/v1/users/" + inv.ID
}

// assertNothingOfOther fails when a response shows anything of the other
// organization: its client, its Owner, its organization id.
func (f *fixture) assertNothingOfOther(t *testing.T, body string) {
	t.Helper()
	for _, s := range []string{f.client["other"], f.other.Email, f.other.OrgID} {
		if strings.Contains(body, s) {
			t.Errorf("the response shows another organization's %q: %s", s, body)
		}
	}
}

// cell is a route to try: how to make its path and body for "own" or
// "other", and the status each role must get there.
type cell struct {
	name   string
	method string
	path   func(t *testing.T, f *fixture, org string) string
	body   func(f *fixture, org string) string
	own    [4]int // owner, admin, standard, view
	other  [4]int // the same route on the other organization's object
}

var roleOrder = [4]string{"owner", "admin", "standard", "view"}

func fixed(p string) func(*testing.T, *fixture, string) string {
	return func(*testing.T, *fixture, string) string { return p }
}

func none(*fixture, string) string { return "" }

func clientKeys(t *testing.T, f *fixture, org string) string {
	return "/api/v1/environments/sandbox/clients/" + f.client[org] + "/keys"
}

func confirm(f *fixture, org string) string {
	return `{"confirm_client_id":"` + f.client[org] + `"}`
}

func body(s string) func(*fixture, string) string { return func(*fixture, string) string { return s } }

// same is a row that has no other-organization object: the list routes
// answer the caller's own organization whatever it asks.
func same(row [4]int) [4]int { return row }

func TestPermissionMatrix(t *testing.T) {
	f := newFixture(t)
	key := func(t *testing.T, _ *fixture, org string) string { return f.newKey(t, org) }
	member := func(t *testing.T, _ *fixture, org string) string { return f.newMember(t, org) }
	all, managers, owners := [4]int{200, 200, 200, 200}, [4]int{200, 200, 403, 403}, [4]int{0, 403, 403, 403}
	gone := [4]int{404, 404, 404, 404} // another organization's object, whatever the role
	with := func(row [4]int, owner, admin int) [4]int {
		row[0] = owner
		if admin != 0 {
			row[1] = admin
		}
		return row
	}
	cells := []cell{
		{"me", "GET", fixed("/api/v1/me"), none, all, same(all)},
		{"summary", "GET", fixed("/api/v1/environments/sandbox/summary"), none, all, same(all)},
		{"list clients", "GET", fixed("/api/v1/environments/sandbox/clients"), none, managers, same(managers)},
		{"init client", "POST", fixed("/api/v1/environments/sandbox/clients"), body(`{"name":"New"}`), with(managers, 201, 201), with(managers, 201, 201)},
		{"generate key", "POST", clientKeys, body(`{"description":"d"}`), with(owners, 201, 0), gone},
		{"edit key", "PATCH", key, body(`{"description":"d2"}`), with(owners, 200, 0), gone},
		{"delete key", "DELETE", key, confirm, with(owners, 204, 0), gone},
		{"roll key", "POST", func(t *testing.T, f *fixture, org string) string { return freshKey(t, f, org) + "/roll" },
			body(`{"grace_seconds":60}`), with(owners, 201, 0), gone},
		{"edit key addresses", "PATCH", freshKey, body(`{"allowed_cidrs":["203.0.113.0/24"]}`), with(owners, 200, 0), gone},
		{"read organization", "GET", fixed("/api/v1/organization"), none, all, same(all)},
		{"set key lifetime", "PATCH", fixed("/api/v1/organization"), body(`{"max_key_lifetime_days":null}`), with(owners, 200, 0), same(with(owners, 200, 0))},
		{"list users", "GET", fixed("/api/v1/users"), none, managers, same(managers)},
		{"invite user", "POST", fixed("/api/v1/users"), func(*fixture, string) string {
			return `{"email":"` + keyhouse.RandomBase62(8) + `@example.com","roles":["view"]}`
		}, with(managers, 201, 201), with(managers, 201, 201)},
		{"change roles", "PATCH", member, body(`{"roles":["view"]}`), managers, gone},
		{"remove user", "DELETE", member, none, with(managers, 204, 204), gone},
		{"password reset", "POST", func(t *testing.T, f *fixture, org string) string {
			return f.newMember(t, org) + "/password-reset"
		}, none, managers, gone},
		{"resend invitation", "POST", func(t *testing.T, f *fixture, org string) string {
			return f.newMember(t, org) + "/invitation"
		}, none, managers, gone},
		{"audit report", "GET", fixed("/api/v1/audit-events"), none, managers, same(managers)},
	}
	for _, c := range cells {
		for _, org := range []string{"own", "other"} {
			want := c.own
			if org == "other" {
				want = c.other
			}
			for i, role := range roleOrder {
				t.Run(fmt.Sprintf("%s/%s/%s", c.name, org, role), func(t *testing.T) {
					path := c.path(t, f, org)
					got, b := f.do(t, f.roles[role].Token, c.method, path, c.body(f, org))
					if got != want[i] {
						t.Errorf("%s %s as %s: status %d, want %d (%s)", c.method, path, role, got, want[i], b)
					}
					f.assertNothingOfOther(t, b)
				})
			}
		}
		t.Run(c.name+"/signed out", func(t *testing.T) {
			if got, _ := f.do(t, "", c.method, c.path(t, f, "own"), c.body(f, "own")); got != 401 {
				t.Errorf("without a session: status %d, want 401", got)
			}
		})
	}
}
