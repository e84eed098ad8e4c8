package server_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/server"
)

// TestConsoleFirstRun walks a new deployment as its first Owner does:
// the printed setup link, activation with the QR code, sign-in, then the
// Admin pages: initialize a client, invite a user, read the audit report.
func TestConsoleFirstRun(t *testing.T) {
	e := keyhousetest.New(t)
	link, err := e.Svc.EnsureSetupLink(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(e.Svc, slog.New(slog.DiscardHandler), false))
	t.Cleanup(srv.Close)
	b := newTab(t, srv.URL)

	b.open("/setup?token=" + keyhousetest.TokenOf(t, link))
	b.heading("Set up keyhouse")
	b.typeInto("#organization_name", "Acme")
	b.typeInto("#owner_email", "owner@acme.example")
	b.screenshot("setup", true)
	inspect(t, b, "setup")
	b.click("form button[type=submit]")
	b.heading("Organization created")
	if got := b.text("#activation-link"); !strings.HasPrefix(got, "http://kh.test/activate?token=khl_") {
		t.Errorf("activation link = %q", got)
	}
	activatePath := eval[string](b, `new URL(document.querySelector("#activation-link").textContent.trim()).pathname + new URL(document.querySelector("#activation-link").textContent.trim()).search`)
	b.clickLink("Activate the Owner account")

	b.heading("Activate your account")
	inspect(t, b, "activation, password")
	b.typeInto("#password", keyhousetest.Password)
	b.typeInto("#password2", keyhousetest.Password+"x")
	b.click("form button[type=submit]")
	b.visible("#password2-error")
	b.typeInto("#password", keyhousetest.Password)
	b.typeInto("#password2", keyhousetest.Password)
	b.click("form button[type=submit]")
	b.visible("img.qr")
	if !eval[bool](b, `(() => { const i = document.querySelector("img.qr"); return i.complete && i.naturalWidth > 0 && i.src.startsWith("data:image/png;base64,") })()`) {
		t.Error("the QR code does not show")
	}
	secret := b.textContent("#totp-secret")
	b.screenshot("activate", true)
	inspect(t, b, "activation, authenticator")
	b.typeInto("#otp", "000000")
	b.click("form button[type=submit]")
	b.visible("#otp-error")
	b.visible("img.qr")
	code := e.Code(t, secret)
	b.typeInto("#otp", code)
	b.click("form button[type=submit]")

	// Activation ends signed in: the person has just shown the link, the
	// new password and a fresh code, and that code cannot be used again.
	b.heading("Dashboard")
	if got := b.text(".notice"); !strings.Contains(got, "you are signed in") {
		t.Errorf("notice after activation = %q", got)
	}
	b.screenshot("dashboard-empty", true)
	inspect(t, b, "dashboard, no clients")

	// Signing out and in again with the code just used is refused, and
	// the page says why that may be; the next code works.
	signOut(b)
	b.typeInto("#email", "owner@acme.example")
	b.typeInto("#password", keyhousetest.Password)
	b.screenshot("login", true)
	inspect(t, b, "sign-in")
	b.click("form button[type=submit]")
	b.visible("#otp")
	inspect(t, b, "sign-in, code")
	b.typeInto("#otp", code)
	b.click("form button[type=submit]")
	if got := b.text("#login-error"); !strings.Contains(got, "wait for the next") {
		t.Errorf("sign-in with the code used at activation: %q, want a word on codes working once", got)
	}
	b.typeInto("#email", "owner@acme.example")
	b.typeInto("#password", keyhousetest.Password)
	b.click("form button[type=submit]")
	b.visible("#otp")
	b.typeInto("#otp", e.Code(t, secret))
	b.click("form button[type=submit]")
	b.heading("Dashboard")

	// Dead links say so at once, with no form, and what to do: the used
	// setup link, the used activation link, a made-up one, none at all.
	setupPath := "/setup?token=" + keyhousetest.TokenOf(t, link)
	for _, dead := range []struct{ path, heading, advice string }{
		{setupPath, "This setup link does not work", "sign in"},
		{"/setup", "This page needs a setup link", "printed in its log"},
		{activatePath, "This link does not work", "send a new invitation"},
		{"/activate?token=khl_" + strings.Repeat("x", 43), "This link does not work", "send a new invitation"},
	} {
		b.open(dead.path)
		b.heading(dead.heading)
		if n := b.count("main form, main input"); n != 0 {
			t.Errorf("%s: the dead link shows a form", dead.path)
		}
		if got := b.text("main"); !strings.Contains(got, dead.advice) {
			t.Errorf("%s: %q does not say what to do (%q)", dead.path, got, dead.advice)
		}
		inspect(t, b, "dead link: "+dead.heading)
	}
	b.screenshot("dead-link", true)
	b.open("/dashboard")
	b.heading("Dashboard")

	// The empty dashboard carries its action.
	b.clickLink("Initialize client")
	b.visible("#init-dialog")
	b.do(chromedp.KeyEvent("\x1b"))
	b.heading("API Keys")

	// Initialize a client from the API Keys page.
	b.clickLink("Admin")
	b.heading("Admin")
	b.screenshot("admin", true)
	inspect(t, b, "admin")
	b.open(keysPage)
	b.heading("API Keys")
	inspect(t, b, "api keys, no clients")
	b.click("#init-open")
	b.visible("#init-dialog")
	b.typeInto("#init-name", "Web shop")
	b.click("#init-dialog button[type=submit]")
	b.waitXPath(`//div[contains(@class, "notice") and contains(., "Client initialized")]`)
	if got := b.text(".client-name"); got != "Web shop" {
		t.Errorf("client = %q", got)
	}
	if !eval[bool](b, `document.querySelector("details.client").open`) {
		t.Error("the new client is not expanded")
	}

	// Invite an Admin.
	b.open("/admin/users")
	b.heading("Users")
	b.click("#invite-open")
	b.visible("#invite-dialog")
	b.typeInto("#invite-email", "ada@acme.example")
	b.click(`#invite-dialog input[value="admin"]`)
	b.click(`#invite-dialog input[value="view"]`) // ticked by default: untick
	b.click("#invite-dialog button[type=submit]")
	b.visible("#pass-on-link")
	if got := b.text("#pass-on-link"); !strings.Contains(got, "/activate?token=khl_") {
		t.Errorf("invitation link = %q", got)
	}
	if got := b.text("main table"); !strings.Contains(got, "ada@acme.example") || !strings.Contains(got, "Pending activation") {
		t.Errorf("users table = %q", got)
	}
	// The only Owner is not offered what would be refused.
	if eval[bool](b, `document.querySelector('[aria-label="Remove owner@acme.example"]') !== null`) ||
		!eval[bool](b, `document.querySelector('[aria-label="Remove ada@acme.example"]') !== null`) ||
		!strings.Contains(b.text("main table"), "The only Owner") {
		t.Errorf("Remove offered to the only Owner, or not to Ada: %q", b.text("main table"))
	}
	b.screenshot("users", true)
	inspect(t, b, "users")

	b.open("/admin/audit")
	b.heading("Security audit")
	// The report speaks in words: what, who (e-mail), on what (the
	// client's name and ID).
	report := b.text("main table")
	for _, words := range []string{"User invited", "Client initialized", "Signed in", "Account activated",
		"owner@acme.example", "Web shop · client ID "} {
		if !strings.Contains(report, words) {
			t.Errorf("the audit report lacks %q", words)
		}
	}
	if strings.Contains(report, "client.initialized") {
		t.Error("the audit report shows action codes")
	}
	b.screenshot("audit", true)
	inspect(t, b, "audit")
}
