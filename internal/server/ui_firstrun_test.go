package server_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

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
	b.click("form button[type=submit]")
	b.heading("Organization created")
	if got := b.text("#activation-link"); !strings.HasPrefix(got, "http://kh.test/activate?token=khl_") {
		t.Errorf("activation link = %q", got)
	}
	b.clickLink("Activate the Owner account")

	b.heading("Activate your account")
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
	b.typeInto("#otp", "000000")
	b.click("form button[type=submit]")
	b.visible("#otp-error")
	b.visible("img.qr")
	b.typeInto("#otp", e.Code(t, secret))
	b.click("form button[type=submit]")

	b.heading("Sign in to keyhouse")
	if got := b.text(".notice"); !strings.Contains(got, "Your account is active") {
		t.Errorf("notice after activation = %q", got)
	}
	b.typeInto("#email", "owner@acme.example")
	b.typeInto("#password", keyhousetest.Password)
	b.screenshot("login", true)
	b.click("form button[type=submit]")
	b.visible("#otp")
	b.typeInto("#otp", e.Code(t, secret))
	b.click("form button[type=submit]")
	b.heading("Dashboard")
	b.screenshot("dashboard-empty", true)

	// Initialize a client from the API Keys page.
	b.clickLink("Admin")
	b.heading("Admin")
	b.screenshot("admin", true)
	b.open(keysPage)
	b.heading("API Keys")
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

	b.open("/admin/audit")
	b.heading("Security audit")
	report := b.text("main table")
	for _, action := range []string{"user.invited", "client.initialized", "signin.succeeded", "user.activated"} {
		if !strings.Contains(report, action) {
			t.Errorf("the audit report lacks %s", action)
		}
	}
	b.screenshot("audit", true)
}
