package server_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"keyhouse"
)

// TestConsoleRollInBrowser: in Chromium, an Owner generates a key with an
// expiry, rolls it from the modal Roll dialog choosing "1 hour", sees
// the new key once with the old one named, and then finds the old key
// listed as stopping in 1 hour (the test clock stands still) and the new
// key working.
func TestConsoleRollInBrowser(t *testing.T) {
	f := newFixture(t)
	f.e.Run(t)
	b := newTab(t, f.srv.URL)
	clientID := f.client["own"]
	old, err := f.e.Svc.GenerateKey(f.owner.Ctx, keyhouse.Sandbox, clientID, "checkout")
	if err != nil {
		t.Fatal(err)
	}
	b.setSession(f.owner.Token)
	b.open(keysPath() + "?env=sandbox&open=" + clientID)
	b.heading("API Keys")

	b.click("#roll-open-" + old.KeyID)
	b.visible("#roll-" + old.KeyID)
	if !eval[bool](b, `document.querySelector("#roll-`+old.KeyID+`").matches(":modal")`) {
		t.Error("the Roll dialog is not modal")
	}
	options := eval[string](b, `[...document.querySelectorAll("#roll-`+old.KeyID+`-grace option")].map(o => o.textContent).join("|")`)
	if options != "Now (delete the old key)|In 1 hour|In 24 hours|In 7 days" {
		t.Errorf("grace choices = %q", options)
	}
	b.do(chromedp.SetValue(chromedp.CSS("#roll-"+old.KeyID+"-grace"), "3600"))
	b.screenshot("roll-dialog", false)
	b.click("#roll-" + old.KeyID + "-submit")
	b.visible("#generated-dialog")
	apiKey, keyID := b.text("#new-api-key"), b.textContent("#new-key-id")
	if got := b.text("#generated-replaces"); !strings.Contains(got, old.KeyID) || !strings.Contains(got, "stops working") {
		t.Errorf("the new key's dialog says %q", got)
	}
	if keyID == old.KeyID || !strings.HasPrefix(keyID, "khk_") {
		t.Fatalf("new key id %q", keyID)
	}
	b.click("#generated-confirm")
	// The page behind the dialog lists the old key as stopping already:
	// wait for the page that Confirm leads to, which says it saved.
	b.waitXPath(`//div[@class="notice" and contains(., "Description saved.")]`)
	b.waitXPath(`//tr[@id="key-` + old.KeyID + `"]//span[contains(., "Stops working in")]`)
	if got := b.text("#key-" + old.KeyID + " .badge-expiry"); got != "Stops working in 1 hour" {
		t.Errorf("the old key's label = %q", got)
	}
	if n := b.count("#roll-open-" + old.KeyID); n != 0 {
		t.Error("the rolled key is offered Roll again")
	}
	for _, k := range []string{apiKey, old.APIKey} {
		if got := tokenStatus(t, f, k); got != 200 {
			t.Errorf("/as/token during the grace: %d, want 200", got)
		}
	}
}
