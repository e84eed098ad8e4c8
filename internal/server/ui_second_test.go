package server_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"keyhouse"
)

// TestConsoleGeneratedKeyStays: a refused description does not cost the
// new key. The key stays on screen with the message under the field (in
// the field's words), the message goes once the field changes, a valid
// description saves; closing asks whether the key was copied.
func TestConsoleGeneratedKeyStays(t *testing.T) {
	f := newFixture(t)
	clientID := f.client["own"]
	b := newTab(t, f.srv.URL)
	b.setSession(f.owner.Token)
	b.open(keysPage + "?env=sandbox&open=" + clientID)
	b.click("#generate-" + clientID)
	b.visible("#generated-dialog")
	apiKey := b.text("#new-api-key")
	keyID := b.textContent("#new-key-id")

	b.typeInto("#generated-description", strings.Repeat("é", 256))
	b.click("#generated-confirm")
	b.visible("#generated-description-error")
	if got := b.text("#generated-description-error"); got != "Description must be at most 255 characters" {
		t.Errorf("refusal under the field = %q", got)
	}
	if got := b.text("#new-api-key"); got != apiKey {
		t.Fatalf("after the refusal the dialog shows %q, want the key", got)
	}
	if !eval[bool](b, `document.querySelector("#generated-dialog").matches(":modal")`) {
		t.Error("the dialog is no longer modal")
	}
	b.screenshot("generate-refused", false)
	inspect(t, b, "generate dialog, description refused")
	if k := f.e.KeyOf(t, f.owner, keyID); k == nil || *k.Description != "" {
		t.Error("the refused description was saved")
	}

	// The message is about the old value: typing clears it.
	b.do(chromedp.SendKeys(chromedp.CSS("#generated-description"), kb.Backspace))
	b.waitFor(`document.querySelector("#generated-description-error").hidden`)
	if eval[bool](b, `document.querySelector("#generated-description").hasAttribute("aria-invalid")`) {
		t.Error("the field is still marked invalid after the change")
	}
	eval[chromedp.Void](b, `document.querySelector("#generated-description").value = ""`)
	b.typeInto("#generated-description", "Checkout")
	b.click("#generated-confirm")
	b.waitXPath(`//tr[@id="key-` + keyID + `"]//td[contains(., "Checkout")]`)

	// Closing asks first; "Back to the key" shows it again.
	b.click("#generate-" + clientID)
	b.visible("#generated-dialog")
	second := b.text("#new-api-key")
	b.click("#generated-close")
	b.visible("#generated-leave")
	if got := b.text("#generated-leave-title"); got != "Did you copy the API key?" {
		t.Errorf("closing asks %q", got)
	}
	b.screenshot("generate-close-asks", false)
	inspect(t, b, "generate dialog, closing asks")
	b.click("#generated-leave-stay")
	if got := b.text("#new-api-key"); got != second {
		t.Errorf("back to the key shows %q", got)
	}
	b.click("#generated-close")
	b.click("#generated-leave-go")
	b.heading("API Keys")
	if b.count("#generated-dialog") != 0 || strings.Contains(eval[string](b, `document.body.innerHTML`), second) {
		t.Error("the key is still on the page after closing")
	}
}

// TestConsoleKeyboardOnly generates, describes and deletes a key with the
// keyboard alone: Enter on the buttons, Tab between the controls, Escape
// asks before the new key goes.
func TestConsoleKeyboardOnly(t *testing.T) {
	f := newFixture(t)
	clientID := f.client["own"]
	b := newTab(t, f.srv.URL)
	b.setSession(f.owner.Token)
	b.open(keysPage + "?env=sandbox&open=" + clientID)
	b.heading("API Keys")
	focused := func() string {
		return eval[string](b, `document.activeElement.id || document.activeElement.textContent.trim()`)
	}
	press := func(keys string, want string) {
		t.Helper()
		b.do(chromedp.KeyEvent(keys))
		if got := focused(); got != want {
			t.Fatalf("after %q the focus is on %q, want %q", keys, got, want)
		}
	}

	eval[chromedp.Void](b, `document.getElementById("generate-`+clientID+`").focus()`)
	b.do(chromedp.KeyEvent(kb.Enter))
	b.visible("#generated-dialog")
	b.waitFor(`document.activeElement.id === "copy-api-key"`)
	press(kb.Enter, "copy-api-key")
	b.waitFor(`document.querySelector("#copy-api-key").dataset.copied === "true"`)
	// Escape asks; Enter on "Back to the key" returns to Copy.
	press(kb.Escape, "generated-leave-stay")
	press(kb.Enter, "copy-api-key")
	press("\t", "Key ID and secret, for OAuth libraries")
	press("\t", "generated-description")
	b.do(chromedp.KeyEvent("Kiosk 7"))
	press("\t", "generated-confirm")
	b.do(chromedp.KeyEvent(kb.Enter))
	b.waitXPath(`//td[contains(., "Kiosk 7")]`)
	keyID := strings.TrimPrefix(eval[string](b, `document.querySelector("tr[id^=key-]").id`), "key-")

	eval[chromedp.Void](b, `document.getElementById("delete-open-`+keyID+`").focus()`)
	b.do(chromedp.KeyEvent(kb.Enter))
	b.visible("#delete-" + keyID)
	b.waitFor(`document.activeElement.id === "delete-` + keyID + `-confirm"`)
	b.do(chromedp.KeyEvent(clientID))
	press("\t", "Cancel")
	press("\t", "Delete")
	b.do(chromedp.KeyEvent(kb.Enter))
	b.waitXPath(`//div[contains(@class, "notice") and contains(., "API key deleted")]`)
	if f.e.KeyOf(t, f.owner, keyID) != nil {
		t.Error("the key was not deleted")
	}
}

// TestConsoleErrorPages: every error page is inside the layout, with the
// navigation and a way back: a Standard user on API Keys (403), an
// unknown address signed in and out (404), a refused CSV export.
func TestConsoleErrorPages(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, user, path, heading string
		nav                       bool
	}{
		{"standard on API Keys", "standard", keysPage, "You don't have access to this page", true},
		{"view on the audit export", "view", "/admin/audit/export.csv", "You don't have access to this page", true},
		{"bad export filter", "owner", "/admin/audit/export.csv?from=yesterday", "This request was refused", true},
		{"unknown address", "owner", "/admin/nothing-here", "Page not found", true},
		{"unknown address, signed out", "", "/nothing-here", "Page not found", false},
	}
	tabs := &roleTabs{parent: t, f: f, tabs: map[string]*tab{}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tabs.get(t, tt.user)
			b.open(tt.path)
			b.heading(tt.heading)
			if got := b.count(".mainnav") == 1; got != tt.nav {
				t.Errorf("navigation shown = %v, want %v", got, tt.nav)
			}
			back := "Sign in"
			if tt.nav {
				back = "Go to the dashboard"
			}
			b.clickLink(back)
			if tt.nav {
				b.heading("Dashboard")
			} else {
				b.heading("Sign in to keyhouse")
			}
			b.open(tt.path)
			b.heading(tt.heading)
			b.screenshot("error-"+strings.ReplaceAll(tt.name, " ", "-"), true)
			inspect(t, b, tt.name)
		})
	}
	// The 390 px check can fail: a box wider than its card is reported.
	b := tabs.get(t, "")
	b.open("/nothing-here")
	b.heading("Page not found")
	b.do(chromedp.EmulateViewport(390, 844))
	eval[chromedp.Void](b, `(() => { const d = document.createElement("div"); d.style.width = "600px"; d.style.height = "4px"; document.querySelector(".card").appendChild(d); })()`)
	if got := eval[[]string](b, overflowScript); len(got) == 0 {
		t.Error("the overflow check misses a box 600 px wide in a card at 390 px")
	}
}

// TestConsoleCharts: the dashboard draws events per day per client and
// token requests per day, the API Keys page a 14-day sparkline per key
// and "Last used" in words; the numbers are in a table and in titles.
func TestConsoleCharts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	gen, err := f.e.Svc.GenerateKey(f.owner.Ctx, keyhouse.Sandbox, f.client["own"], "Till 1")
	if err != nil {
		t.Fatal(err)
	}
	second, err := f.e.Svc.InitClient(f.owner.Ctx, keyhouse.Sandbox, "Warehouse")
	if err != nil {
		t.Fatal(err)
	}
	now := f.e.Clock.Now()
	today := now.Truncate(24 * time.Hour)
	var events []*keyhouse.Event
	for d, n := range map[int]int{0: 3, 1: 5, 6: 2, 29: 4, 30: 9} { // day 30 is out of the window
		for range n {
			events = append(events, &keyhouse.Event{ID: keyhouse.RandomBase62(20), OrgID: f.owner.OrgID, Environment: keyhouse.Sandbox,
				ClientID: f.client["own"], KeyID: gen.KeyID, ReceivedAt: today.AddDate(0, 0, -d).Add(time.Hour), Payload: []byte(`{}`)})
		}
	}
	events = append(events, &keyhouse.Event{ID: keyhouse.RandomBase62(20), OrgID: f.owner.OrgID, Environment: keyhouse.Sandbox,
		ClientID: second.ClientID, KeyID: "khk_x", ReceivedAt: today.AddDate(0, 0, -1), Payload: []byte(`{}`)})
	if err := f.e.Store.InsertEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	// Token requests: two today, through the real path (the batched
	// usage flush), and seven three days ago.
	for range 2 {
		if got := tokenStatus(t, f, gen.APIKey); got != 200 {
			t.Fatalf("token: %d", got)
		}
	}
	if err := f.e.Svc.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}
	err = f.e.Store.AddKeyDays(ctx, []keyhouse.KeyDay{{OrgID: f.owner.OrgID, Environment: keyhouse.Sandbox,
		ClientID: f.client["own"], KeyID: gen.KeyID, Day: today.AddDate(0, 0, -3), Count: 7}})
	if err != nil {
		t.Fatal(err)
	}
	f.e.Clock.Add(3 * time.Minute)

	b := newTab(t, f.srv.URL)
	b.setSession(f.owner.Token)
	b.open("/dashboard")
	b.heading("Dashboard")
	events30 := "#events-sandbox"
	if got := b.text(events30 + " .chart-total"); got != "15 in 30 days" {
		t.Errorf("events in 30 days = %q, want 15 (3+5+2+4 and 1 of Warehouse)", got)
	}
	if got := b.text("#requests-sandbox .chart-total"); got != "9 in 30 days" {
		t.Errorf("token requests in 30 days = %q, want 9", got)
	}
	titles := eval[[]string](b, `[...document.querySelectorAll("#events-sandbox rect title")].map(t => t.textContent)`)
	yesterday := today.AddDate(0, 0, -1).Format("Mon 2 Jan")
	if !slices.Contains(titles, yesterday+" · Web shop: 5 events") {
		t.Errorf("bar titles = %q", titles)
	}
	if !containsPrefix(titles, yesterday+" · Warehouse: 1 event") {
		t.Errorf("no bar for Warehouse yesterday: %q", titles)
	}
	if got := eval[string](b, `document.querySelector("#events-sandbox svg").getAttribute("role")`); got != "img" {
		t.Errorf("chart role = %q", got)
	}
	b.click(events30 + " .chart-data > summary")
	if got := b.text(events30 + " .chart-table tbody tr:nth-child(2)"); !strings.HasPrefix(got, yesterday) || !strings.HasSuffix(got, "6") {
		t.Errorf("table row of yesterday = %q, want its total 6", got)
	}
	b.screenshot("dashboard", true)
	inspect(t, b, "dashboard with data")

	b.open(keysPage + "?env=sandbox&open=" + f.client["own"])
	b.heading("API Keys")
	row := "#key-" + gen.KeyID
	if got := b.text(row + " td[data-label='Last used'] time"); got != "3 minutes ago" {
		t.Errorf("last used = %q, want 3 minutes ago", got)
	}
	if got := eval[string](b, `document.querySelector("`+row+` td[data-label='Last used'] time").title`); !strings.HasSuffix(got, "UTC") {
		t.Errorf("last used title = %q, want the exact time", got)
	}
	if got := eval[int](b, `document.querySelectorAll("`+row+` .spark-svg rect").length`); got != 14 {
		t.Errorf("sparkline has %d days, want 14", got)
	}
	if got := eval[string](b, `document.querySelector("`+row+` .spark-svg").getAttribute("aria-label")`); got != "9 requests in the last 14 days, 2 requests today" {
		t.Errorf("sparkline label = %q", got)
	}
	b.screenshot("api-keys-charts", true)
	inspect(t, b, "api keys with sparklines")
}

func containsPrefix(list []string, prefix string) bool {
	for _, v := range list {
		if strings.HasPrefix(v, prefix) {
			return true
		}
	}
	return false
}

// TestConsoleEveryPage opens the pages and dialogs the other browser
// tests do not, as the role that sees them, and holds each to inspect:
// no serious accessibility violation, nothing too wide at 390 px. The
// pages do not depend on the database: CI's PostgreSQL run skips it.
func TestConsoleEveryPage(t *testing.T) {
	skipInspectOnPostgres(t)
	f := newFixture(t)
	keyPath := f.newKey(t, "own")
	keyID := keyPath[strings.LastIndex(keyPath, "/")+1:]
	clientID := f.client["own"]
	fresh, err := f.e.Svc.InviteUser(f.owner.Ctx, "fresh@acme.example", []string{"admin"})
	if err != nil {
		t.Fatal(err)
	}
	join, err := f.e.Svc.InviteUser(f.owner.Ctx, f.other.Email, []string{"view"})
	if err != nil {
		t.Fatal(err)
	}
	adminID := f.e.MemberID(t, f.owner, "admin@acme.example")
	pages := []struct {
		name, user, path, heading string
		dialog                    string // a dialog the address opens
	}{
		{"product-configuration", "owner", "/admin/product-configuration", "Product Configuration", ""},
		{"system-settings", "owner", "/admin/product-configuration/system-settings", "System Settings", ""},
		{"api-keys-production-empty", "owner", keysPage + "?env=production", "API Keys", ""},
		{"init-dialog", "owner", keysPage + "?env=sandbox&init=1", "API Keys", "#init-dialog"},
		{"edit-dialog", "owner", keysPage + "?env=sandbox&open=" + clientID + "&edit=" + keyID, "API Keys", "#edit-" + keyID},
		{"roll-dialog", "owner", keysPage + "?env=sandbox&open=" + clientID + "&roll=" + keyID, "API Keys", "#roll-" + keyID},
		{"api-keys-as-admin", "admin", keysPage + "?env=sandbox&open=" + clientID, "API Keys", ""},
		{"invite-dialog", "owner", "/admin/users?invite=1", "Users", "#invite-dialog"},
		{"roles-dialog", "owner", "/admin/users?roles=" + adminID, "Users", "#roles-" + adminID},
		{"remove-dialog", "owner", "/admin/users?remove=" + adminID, "Users", "#remove-" + adminID},
		{"dashboard-as-view", "view", "/dashboard", "Dashboard", ""},
		{"sign-out", "owner", "/logout", "Sign out", ""},
		{"activate-new-address", "", sitePathOf(t, fresh.ActivationURL), "Activate your account", ""},
		{"join-organization", "", sitePathOf(t, join.ActivationURL), "Join acme", ""},
	}
	tabs := &roleTabs{parent: t, f: f, tabs: map[string]*tab{}}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			b := tabs.get(t, p.user)
			b.open(p.path)
			b.heading(p.heading)
			if p.dialog != "" {
				b.visible(p.dialog)
			}
			b.screenshot(p.name, p.dialog == "")
			inspect(t, b, p.name)
		})
	}
}

// roleTabs keeps one tab per role ("" for signed out), opened in the
// parent test on first use: a tab costs more than a page.
type roleTabs struct {
	parent *testing.T
	f      *fixture
	tabs   map[string]*tab
}

// get returns role's tab, reporting to t.
func (r *roleTabs) get(t *testing.T, role string) *tab {
	b := r.tabs[role]
	if b == nil {
		b = newTab(r.parent, r.f.srv.URL)
		if role != "" {
			b.setSession(r.f.roles[role].Token)
		}
		r.tabs[role] = b
	}
	b.t = t
	return b
}
