package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"keyhouse"
)

// TestConsoleFormsPermissionMatrix is TestPermissionMatrix for the
// console's forms: every form that changes something, posted by every
// role that may not use it, answers 403 and changes nothing; posted by an
// Owner with another organization's client, key or member, 404.
func TestConsoleFormsPermissionMatrix(t *testing.T) {
	f := newFixture(t)
	keyPath := func(org string) string { // keys page path of a fresh key of org
		p := f.newKey(t, org)
		return keysPage + strings.TrimPrefix(p, "/api/v1/environments/sandbox")
	}
	member := func(org string) string {
		inv, err := f.e.Svc.InviteUser(f.ownerOf(org).Ctx, keyhouse.RandomBase62(8)+"@example.com", []string{"view"})
		if err != nil {
			t.Fatal(err)
		}
		return "/admin/users/" + inv.ID
	}
	sandbox := url.Values{"env": {"sandbox"}}
	forms := []struct {
		name    string
		path    func(org string) string
		form    url.Values
		refused []string // the roles that get 403
	}{
		{"init client", func(string) string { return keysPage + "/clients" }, url.Values{"env": {"sandbox"}, "name": {"Nope"}}, []string{"standard", "view"}},
		{"generate key", func(org string) string { return keysPage + "/clients/" + f.client[org] + "/keys" }, sandbox, []string{"admin", "standard", "view"}},
		{"edit description", func(org string) string { return keyPath(org) + "/description" }, url.Values{"env": {"sandbox"}, "description": {"changed"}}, []string{"admin", "standard", "view"}},
		{"delete key", func(org string) string { return keyPath(org) + "/delete" }, url.Values{"env": {"sandbox"}, "confirm_client_id": {"?"}}, []string{"admin", "standard", "view"}},
		{"roll key", func(org string) string { return keyPath(org) + "/roll" }, url.Values{"env": {"sandbox"}, "grace_seconds": {"0"}}, []string{"admin", "standard", "view"}},
		{"invite", func(string) string { return "/admin/users" }, url.Values{"email": {"x@example.com"}, "roles": {"view"}}, []string{"standard", "view"}},
		{"change roles", func(org string) string { return member(org) + "/roles" }, url.Values{"roles": {"admin"}}, []string{"standard", "view"}},
		{"remove", func(org string) string { return member(org) + "/remove" }, nil, []string{"standard", "view"}},
		{"password reset", func(org string) string { return member(org) + "/password-reset" }, nil, []string{"standard", "view"}},
		{"send again", func(org string) string { return member(org) + "/invitation" }, nil, []string{"standard", "view"}},
	}
	// Every object is made before the first snapshot: then any change
	// between the snapshots is a refused form's.
	type post struct {
		name, token, path string
		form              url.Values
		want              int
	}
	var posts []post
	for _, fm := range forms {
		for _, role := range fm.refused {
			posts = append(posts, post{fm.name + "/" + role, f.roles[role].Token, fm.path("own"), fm.form, http.StatusForbidden})
		}
		if fm.name != "init client" && fm.name != "invite" { // nothing of another organization in their address
			posts = append(posts, post{fm.name + "/other organization", f.owner.Token, fm.path("other"), fm.form, http.StatusNotFound})
		}
	}
	before := f.state(t)
	for _, p := range posts {
		t.Run(p.name, func(t *testing.T) {
			resp, body := newWebClient(t, f.srv.URL).session(p.token).post(p.path, p.form)
			if resp.StatusCode != p.want {
				t.Errorf("status %d, want %d: %.300s", resp.StatusCode, p.want, body)
			}
			f.assertNothingOfOther(t, body)
		})
	}
	for _, role := range []string{"standard", "view"} {
		c := newWebClient(t, f.srv.URL).session(f.roles[role].Token)
		for _, p := range []string{"/admin/users", "/admin/audit", "/admin/audit/export.csv", keysPage + "?env=sandbox"} {
			if resp, _ := c.get(p); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s: GET %s: status %d, want 403", role, p, resp.StatusCode)
			}
		}
	}
	if after := f.state(t); after != before {
		t.Errorf("refused forms changed something:\nbefore %s\nafter  %s", before, after)
	}
}

// state describes what the forms could change, the objects made for the
// test aside: both organizations' clients and keys (with descriptions),
// members and roles.
func (f *fixture) state(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, o := range []string{"own", "other"} {
		cs, err := f.e.Svc.ListClients(f.ownerOf(o).Ctx, keyhouse.Sandbox)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			b.WriteString(c.ClientID + "[")
			for _, k := range c.Keys {
				d := ""
				if k.Description != nil {
					d = *k.Description
				}
				b.WriteString(k.KeyID + ":" + d + " ")
			}
			b.WriteString("] ")
		}
		ms, err := f.e.Svc.ListUsers(f.ownerOf(o).Ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			b.WriteString(m.Email + "=" + m.Roles.String() + "/" + string(m.Status) + " ")
		}
	}
	return b.String()
}
