package server_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"keyhouse/internal/keyhousetest"
)

// tokenStatus asks /as/token for an access token with an API key and
// returns the status.
func tokenStatus(t *testing.T, f *fixture, apiKey string) int {
	t.Helper()
	status, _, _ := f.post(t, "/as/token", form, "grant_type=client_credentials&scope=integration",
		map[string]string{"Authorization": "Basic " + apiKey})
	return status
}

// signIn walks the sign-in form as a person does: e-mail and password,
// then a TOTP code.
func signIn(t *testing.T, f *fixture, b *tab, u *keyhousetest.User) {
	t.Helper()
	b.open("/dashboard")
	b.heading("Sign in to keyhouse")
	b.typeInto("#email", u.Email)
	b.typeInto("#password", keyhousetest.Password)
	b.click("form button[type=submit]")
	b.visible("#otp")
	b.typeInto("#otp", f.e.Code(t, u.Secret))
	b.click("form button[type=submit]")
	b.heading("Dashboard")
}

// TestConsoleSeedFlow walks the page this product models, as a person
// would: sign in, find the API Keys page through the Admin menu, generate
// a key, copy it, describe it, use it, edit it, delete it.
func TestConsoleSeedFlow(t *testing.T) {
	f := newFixture(t)
	f.e.Run(t)
	b := newTab(t, f.srv.URL)
	clientID := f.client["own"]

	signIn(t, f, b, f.owner)

	b.clickLink("Admin")
	b.heading("Admin")
	b.clickLink("Product Configuration")
	b.heading("Product Configuration")
	b.clickLink("System Settings")
	b.heading("System Settings")
	b.clickLink("API Keys")
	b.heading("API Keys")
	if got := b.text(".crumbs"); !strings.Contains(got, "Admin") || !strings.Contains(got, "Product Configuration") ||
		!strings.Contains(got, "System Settings") || !strings.Contains(got, "API Keys") {
		t.Errorf("breadcrumbs = %q", got)
	}

	// Expand the client and generate a key: a modal dialog shows it once.
	b.click("#client-" + clientID + " > summary")
	b.click("#generate-" + clientID)
	b.visible("#generated-dialog")
	apiKey, keyID, secret := b.text("#new-api-key"), b.textContent("#new-key-id"), b.textContent("#new-secret")
	if apiKey == "" || !strings.HasPrefix(keyID, "khk_") || !strings.HasPrefix(secret, "kh_sandbox_") {
		t.Fatalf("generated dialog: key %q, id %q, secret %q", apiKey, keyID, secret)
	}
	if !eval[bool](b, `document.querySelector("#generated-dialog").matches(":modal")`) {
		t.Error("the generate dialog is not modal")
	}
	if got := eval[string](b, `document.activeElement.id`); got != "copy-api-key" {
		t.Errorf("focus is on %q, want the Copy button", got)
	}
	if w := b.text("#generated-warning"); !strings.Contains(w, "won't be shown again") {
		t.Errorf("warning = %q", w)
	}
	b.screenshot("generate-dialog", false)
	inspect(t, b, "generate dialog")

	b.click("#copy-api-key")
	b.waitFor(`document.querySelector("#copy-api-key").dataset.copied === "true"`)
	if got := eval[string](b, `navigator.clipboard.readText()`); got != apiKey {
		t.Errorf("clipboard = %q, want the API key", got)
	}
	if loc := b.location(); strings.Contains(loc, "/keys") {
		t.Errorf("the address after generating is %s: reloading would post again", loc)
	}

	b.typeInto("#generated-description", "Checkout of the web shop")
	if got := b.text("#generated-description-count"); got != "24 / 255" {
		t.Errorf("live count = %q", got)
	}
	b.click("#generated-confirm")
	b.waitXPath(`//tr[@id="key-` + keyID + `"]//td[contains(., "Checkout of the web shop")]`)
	if n := b.count(".notice"); n != 1 {
		t.Errorf("%d notices after Confirm", n)
	}

	if got := tokenStatus(t, f, apiKey); got != 200 {
		t.Fatalf("/as/token with the new key: %d, want 200", got)
	}

	// Reloading never shows the key again.
	b.do(chromedp.Reload())
	b.heading("API Keys")
	if eval[bool](b, `document.documentElement.innerHTML.includes(`+jsString(secret)+`)`) {
		t.Fatal("the page shows the secret again after a reload")
	}
	b.screenshot("api-keys", true)
	inspect(t, b, "api keys")

	// Edit the description.
	b.click("#edit-open-" + keyID)
	b.visible("#edit-" + keyID)
	inspect(t, b, "edit dialog")
	b.typeInto("#edit-"+keyID+"-description", "Checkout, EU store")
	b.click("#edit-" + keyID + " button[type=submit]")
	b.waitXPath(`//tr[@id="key-` + keyID + `"]//td[contains(., "Checkout, EU store")]`)

	// Delete: a wrong client ID keeps Delete disabled, and the server
	// refuses it too; the right one deletes the key.
	b.click("#delete-open-" + keyID)
	b.visible("#delete-" + keyID)
	if got := b.text("#delete-" + keyID + " .reference-value"); got != clientID {
		t.Errorf("the delete dialog shows client ID %q, want %q", got, clientID)
	}
	wrong := clientID[:len(clientID)-1] + string('0'+(clientID[len(clientID)-1]-'0'+1)%10)
	confirm := "#delete-" + keyID + "-confirm"
	submit := "#delete-" + keyID + " [data-match-submit]"
	b.typeInto(confirm, wrong)
	if !eval[bool](b, `document.querySelector(`+jsString(submit)+`).disabled`) {
		t.Error("Delete is enabled with a wrong client ID")
	}
	eval[chromedp.Void](b, `document.querySelector(`+jsString("#delete-"+keyID+" form")+`).submit()`)
	b.visible("#delete-" + keyID + "-error")
	if got := b.textContent("#delete-" + keyID + "-error"); got != "Confirm client ID must equal the client ID exactly" {
		t.Errorf("server's answer to a wrong client ID: %q", got)
	}
	if got := b.textContent(confirm); got != "" || eval[string](b, `document.querySelector(`+jsString(confirm)+`).value`) != wrong {
		t.Error("the refused form lost what was typed")
	}
	b.screenshot("delete-dialog", false)
	inspect(t, b, "delete dialog, refused")
	if got := tokenStatus(t, f, apiKey); got != 200 {
		t.Fatalf("the key stopped working after a refused delete: %d", got)
	}

	b.typeInto(confirm, clientID)
	if eval[bool](b, `document.querySelector(`+jsString(submit)+`).disabled`) {
		t.Fatal("Delete stays disabled with the right client ID")
	}
	b.click(submit)
	b.waitXPath(`//div[contains(@class, "notice") and contains(., "API key deleted")]`)
	if n := b.count("#key-" + keyID); n != 0 {
		t.Error("the deleted key is still listed")
	}
	if got := tokenStatus(t, f, apiKey); got != 401 {
		t.Errorf("/as/token with the deleted key: %d, want 401", got)
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + "'"
}
