package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"keyhouse"
	"keyhouse/internal/keyhousetest"
)

const keysPage = "/admin/product-configuration/system-settings/api-keys"

// TestConsoleRoleViews opens the pages as each role: the buttons a role
// may not use are not there at all, and Standard and View users get a 403
// page for API Keys but see the dashboard.
func TestConsoleRoleViews(t *testing.T) {
	f := newFixture(t)
	f.newKey(t, "own")
	clientID := f.client["own"]
	tests := []struct {
		role                                string
		keysPage, initialize, manage, admin bool
	}{
		{"owner", true, true, true, true},
		{"admin", true, true, false, true},
		{"standard", false, false, false, false},
		{"view", false, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			b := newTab(t, f.srv.URL)
			b.setSession(f.roles[tt.role].Token)
			b.open("/dashboard")
			b.heading("Dashboard")
			if !strings.Contains(b.text("main"), clientID) {
				t.Errorf("%s: the dashboard does not show the client", tt.role)
			}
			if got := b.count(`.mainnav a[href="/admin"]`) == 1; got != tt.admin {
				t.Errorf("%s: Admin in the menu = %v, want %v", tt.role, got, tt.admin)
			}

			b.open(keysPage + "?env=sandbox&open=" + clientID)
			if !tt.keysPage {
				b.heading("You don't have access to this page")
				if n := b.count("#client-" + clientID); n != 0 {
					t.Errorf("%s: the 403 page lists the client", tt.role)
				}
				return
			}
			b.heading("API Keys")
			for sel, want := range map[string]bool{
				"#init-open":               tt.initialize,
				"#generate-" + clientID:    tt.manage,
				`[id^="edit-open-"]`:       tt.manage,
				`[id^="delete-open-"]`:     tt.manage,
				`dialog[id^="delete-khk"]`: tt.manage,
				`dialog[id^="edit-khk"]`:   tt.manage,
			} {
				if got := b.count(sel) > 0; got != want {
					t.Errorf("%s: %s present = %v, want %v", tt.role, sel, got, want)
				}
			}
		})
	}
}

// TestConsoleDescriptionTooLong types 256 characters into Edit: the live
// count says so, and the server's refusal comes back next to the field.
func TestConsoleDescriptionTooLong(t *testing.T) {
	f := newFixture(t)
	keyPath := f.newKey(t, "own")
	keyID := keyPath[strings.LastIndex(keyPath, "/")+1:]
	b := newTab(t, f.srv.URL)
	b.setSession(f.owner.Token)
	b.open(keysPage + "?env=sandbox&open=" + f.client["own"])
	b.click("#edit-open-" + keyID)
	field := "#edit-" + keyID + "-description"
	b.visible(field)
	if got := eval[string](b, `document.activeElement.id`); got != "edit-"+keyID+"-description" {
		t.Errorf("focus is on %q, want the description field", got)
	}
	b.typeInto(field, strings.Repeat("é", 256))
	if got := b.text("#edit-" + keyID + "-description-count"); got != "256 / 255" {
		t.Errorf("live count = %q", got)
	}
	if !eval[bool](b, `document.querySelector("#edit-`+keyID+`-description-count").classList.contains("count-over")`) {
		t.Error("the count does not show that it is over")
	}
	b.click("#edit-" + keyID + " button[type=submit]")
	b.visible("#edit-" + keyID + "-error")
	if got := b.textContent("#edit-" + keyID + "-error"); got != "Description must be at most 255 characters" {
		t.Errorf("server message = %q", got)
	}
	if !eval[bool](b, `document.querySelector("#edit-`+keyID+`").matches(":modal")`) {
		t.Error("the refused form is not back in a modal dialog")
	}
	if got := eval[string](b, `document.activeElement.id`); got != "edit-"+keyID+"-description" {
		t.Errorf("focus after the refusal is on %q, want the field", got)
	}
	if got := eval[int](b, `Array.from(document.querySelector("`+field+`").value).length`); got != 256 {
		t.Errorf("the refused form holds %d characters, want the 256 typed", got)
	}
	if k := f.e.KeyOf(t, f.owner, keyID); k == nil || *k.Description != "" {
		t.Error("the refused description was saved")
	}
	// Escape closes the dialog and puts the focus back on Edit.
	b.do(chromedp.KeyEvent("\x1b"))
	b.waitFor(`!document.querySelector("#edit-` + keyID + `").open && document.activeElement.id === "edit-open-` + keyID + `"`)
}

// TestConsoleSessionEnded lets a session go idle: the next click lands on
// the sign-in page with a message, and signing in comes back.
func TestConsoleSessionEnded(t *testing.T) {
	f := newFixture(t)
	b := newTab(t, f.srv.URL)
	b.setSession(f.owner.Token)
	b.open(keysPage)
	b.heading("API Keys")
	f.e.Clock.Add(keyhouse.SessionIdle + time.Minute)
	b.clickLink("Production")
	b.heading("Sign in to keyhouse")
	if got := b.text(".alert"); got != "Your session has ended. Sign in again to continue." {
		t.Errorf("message = %q", got)
	}
	b.typeInto("#email", f.owner.Email)
	b.typeInto("#password", keyhousetest.Password)
	b.click("form button[type=submit]")
	b.typeInto("#otp", f.e.Code(t, f.owner.Secret))
	b.click("form button[type=submit]")
	b.heading("API Keys")
	if loc := b.location(); !strings.HasSuffix(loc, keysPage+"?env=production") {
		t.Errorf("after signing in again: %s, want the production tab", loc)
	}
}

// TestConsoleWithoutJavaScript generates, describes, edits and deletes a
// key with script execution off: the dialogs are pages the server renders
// open, and only the copy button and the live count are missing.
func TestConsoleWithoutJavaScript(t *testing.T) {
	f := newFixture(t)
	clientID := f.client["own"]
	b := newTab(t, f.srv.URL)
	if _, err := chromedp.Call(b.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	b.setSession(f.owner.Token)
	b.open(keysPage)
	b.click("#client-" + clientID + " > summary")
	b.click("#generate-" + clientID)
	b.visible("#generated-dialog")
	apiKey := b.text("#new-api-key")
	if !strings.HasPrefix(b.textContent("#new-secret"), "kh_sandbox_") || apiKey == "" {
		t.Fatal("no key in the dialog")
	}
	b.typeInto("#generated-description", "POS")
	b.click("#generated-confirm")
	b.waitXPath(`//td[contains(., "POS")]`)
	keyID := strings.TrimPrefix(eval[string](b, `document.querySelector("tr[id^=key-]").id`), "key-")

	b.click("#edit-open-" + keyID)
	b.visible("#edit-" + keyID)
	b.typeInto("#edit-"+keyID+"-description", "POS, store 12")
	b.click("#edit-" + keyID + " button[type=submit]")
	b.waitXPath(`//td[contains(., "POS, store 12")]`)

	b.click("#delete-open-" + keyID)
	b.visible("#delete-" + keyID)
	b.typeInto("#delete-"+keyID+"-confirm", strings.ToLower(clientID)+" ")
	b.click("#delete-" + keyID + " [data-match-submit]")
	b.visible("#delete-" + keyID + "-error")
	b.screenshot("delete-dialog-without-javascript", false)
	b.typeInto("#delete-"+keyID+"-confirm", clientID)
	b.click("#delete-" + keyID + " [data-match-submit]")
	b.waitXPath(`//div[contains(@class, "notice") and contains(., "API key deleted")]`)
	if f.e.KeyOf(t, f.owner, keyID) != nil {
		t.Error("the key was not deleted")
	}
}
