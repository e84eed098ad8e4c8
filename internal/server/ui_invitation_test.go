package server_test

import (
	"net/url"
	"strings"
	"testing"

	"keyhouse/internal/keyhousetest"
)

// TestConsoleInvitationLink walks the invitation page as each kind of
// visitor meets it: a dead link says so before any form; a new address
// sets a password; an existing account signs in there, and joins only
// with the right password and code.
func TestConsoleInvitationLink(t *testing.T) {
	f := newFixture(t)
	w := newWebClient(t, f.srv.URL)

	for _, token := range []string{"khl_madeup", ""} {
		resp, body := w.get("/activate?token=" + token)
		if resp.StatusCode != 404 || !strings.Contains(body, "This link does not work") || strings.Contains(body, `name="password"`) {
			t.Errorf("made-up link %q: %d, a form: %v", token, resp.StatusCode, strings.Contains(body, `name="password"`))
		}
	}

	fresh, err := f.e.Svc.InviteUser(f.owner.Ctx, "fresh@acme.example", []string{"admin"})
	if err != nil {
		t.Fatal(err)
	}
	resp, body := w.get(sitePathOf(t, fresh.ActivationURL))
	if resp.StatusCode != 200 || !strings.Contains(body, "join <strong>acme</strong> as <strong>Admin</strong>") || !strings.Contains(body, `action="/activate"`) {
		t.Errorf("a new address's link: %d\n%s", resp.StatusCode, body)
	}

	// globex's Owner is invited to acme: the link asks them to sign in.
	inv, err := f.e.Svc.InviteUser(f.owner.Ctx, f.other.Email, []string{"view"})
	if err != nil {
		t.Fatal(err)
	}
	link := sitePathOf(t, inv.ActivationURL)
	token := keyhousetest.TokenOf(t, inv.ActivationURL)
	resp, body = w.get(link)
	if resp.StatusCode != 200 || !strings.Contains(body, "Join acme") || !strings.Contains(body, `action="/activate/accept"`) || strings.Contains(body, "New password") {
		t.Fatalf("an existing account's link: %d\n%s", resp.StatusCode, body)
	}
	// Posting a new password to it sets nothing: the page asks to sign in.
	resp, body = w.post("/activate", url.Values{"token": {token}, "password": {"Other-password-1"}, "password2": {"Other-password-1"}})
	if !strings.Contains(body, `action="/activate/accept"`) || strings.Contains(body, "totp") {
		t.Errorf("a new password for an existing account: %d", resp.StatusCode)
	}
	resp, body = w.post("/activate/accept", url.Values{"token": {token}, "password": {"Wrong-password-1"}, "otp": {f.e.Code(t, f.other.Secret)}})
	if resp.StatusCode != 401 || !strings.Contains(body, "not right") || resp.Header.Get("Set-Cookie") != "" {
		t.Fatalf("wrong password: %d %v", resp.StatusCode, resp.Header)
	}
	if f.members(t, f.owner.Token)[f.other.Email]["status"] != "pending" {
		t.Fatal("a wrong password joined")
	}
	resp, _ = w.post("/activate/accept", url.Values{"token": {token}, "password": {keyhousetest.Password}, "otp": {f.e.Code(t, f.other.Secret)}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/dashboard?notice=joined" {
		t.Fatalf("accept: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body = w.get("/dashboard?notice=joined")
	if resp.StatusCode != 200 || !strings.Contains(body, "Invitation accepted") || !strings.Contains(body, "acme") {
		t.Errorf("after joining: %d", resp.StatusCode)
	}
	if f.members(t, f.owner.Token)[f.other.Email]["status"] != "active" {
		t.Error("not a member after accepting")
	}
	if resp, _ = w.get(link); resp.StatusCode != 404 {
		t.Errorf("the used link: %d", resp.StatusCode)
	}
}

// sitePathOf returns the path and query of a link.
func sitePathOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.RequestURI()
}
