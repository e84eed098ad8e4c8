package server_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"keyhouse"
)

// TestConsoleKeyLifecycle: the API Keys page offers an expiry on Generate
// within the organization's maximum, and Roll beside Edit and Delete; a
// roll shows the new key once, naming the old key and when it stops; the
// old key is listed with "Stops working in 24 hours"; Edit binds a key
// to addresses (a bad range comes back with its index); once the moment
// has passed the old key is marked Expired, and the banner names the key
// that stops within 7 days. A View member is refused the roll.
func TestConsoleKeyLifecycle(t *testing.T) {
	f := newFixture(t)
	owner := newWebClient(t, f.srv.URL).session(f.owner.Token)
	client := f.client["own"]
	days := 90
	if _, err := f.e.Svc.SetMaxKeyLifetime(f.owner.Ctx, &days); err != nil {
		t.Fatal(err)
	}
	page := keysPath() + "?env=sandbox&open=" + client
	_, body := owner.get(page)
	for _, want := range []string{`<option value="30">Expires in 30 days</option>`, `Expires in 90 days (the maximum)`, "at most 90 days"} {
		if !strings.Contains(body, want) {
			t.Errorf("the Generate form lacks %q", want)
		}
	}
	if strings.Contains(body, "Never expires") {
		t.Error("Never expires is offered beyond the organization's maximum")
	}
	resp, body := owner.post(keysPath()+"/clients/"+client+"/keys", url.Values{"env": {"sandbox"}, "expires_in_days": {"30"}})
	if resp.StatusCode != 200 || !strings.Contains(body, `id="generated-expires"`) {
		t.Fatalf("generate with an expiry: %d", resp.StatusCode)
	}
	keyID := regexp.MustCompile(`id="new-key-id"[^>]*>(khk_[A-Za-z0-9]+)<`).FindStringSubmatch(body)[1]
	_, body = owner.post(keysPath()+"/clients/"+client+"/keys", url.Values{"env": {"sandbox"}, "expires_in_days": {"30"}})
	soon := regexp.MustCompile(`id="new-key-id"[^>]*>(khk_[A-Za-z0-9]+)<`).FindStringSubmatch(body)[1]

	resp, body = newWebClient(t, f.srv.URL).session(f.roles["view"].Token).post(keysPath()+"/clients/"+client+"/keys/"+keyID+"/roll", url.Values{"env": {"sandbox"}, "grace_seconds": {"86400"}})
	if resp.StatusCode != 403 {
		t.Errorf("a View member rolls: %d", resp.StatusCode)
	}
	_, body = owner.get(page)
	if !strings.Contains(body, `id="roll-open-`+keyID+`"`) || !strings.Contains(body, `<option value="86400" selected>In 24 hours</option>`) {
		t.Fatal("no Roll button and dialog for the key")
	}
	resp, body = owner.post(keysPath()+"/clients/"+client+"/keys/"+keyID+"/roll", url.Values{"env": {"sandbox"}, "grace_seconds": {"86400"}})
	if resp.StatusCode != 200 || !strings.Contains(body, `id="new-api-key"`) || !strings.Contains(body, "It replaces <code>"+keyID+"</code>, which stops working") {
		t.Fatalf("roll: %d", resp.StatusCode)
	}
	_, body = owner.get(page)
	if !strings.Contains(body, "Stops working in 24 hours") || strings.Contains(body, `id="expiring-banner"`) {
		t.Errorf("the rolled key is not listed as stopping in 24 hours, or a banner with nothing within 7 days")
	}
	if strings.Contains(body, `id="new-api-key"`) {
		t.Error("the page shows a secret again")
	}
	// Edit binds the new key to addresses; a bad range comes back named.
	resp, body = owner.post(keysPath()+"/clients/"+client+"/keys/"+soon+"/description", url.Values{"env": {"sandbox"}, "description": {"eu"}, "allowed_cidrs": {"203.0.113.0/24, 10.0.0.5/24"}})
	if resp.StatusCode != 422 || !strings.Contains(body, "Allowed addresses: 10.0.0.5/24 has bits set past the prefix") || !strings.Contains(body, `value="203.0.113.0/24, 10.0.0.5/24"`) {
		t.Errorf("a bad range in Edit: %d", resp.StatusCode)
	}
	resp, _ = owner.post(keysPath()+"/clients/"+client+"/keys/"+soon+"/description", url.Values{"env": {"sandbox"}, "description": {"eu"}, "allowed_cidrs": {"203.0.113.0/24 2001:db8::/32"}})
	if k := f.e.KeyOf(t, f.owner, soon); resp.StatusCode != 303 || k == nil || keyhouse.FormatCIDRs(k.AllowedCIDRs) != "203.0.113.0/24,2001:db8::/32" {
		t.Errorf("Edit with addresses: %d, key %+v", resp.StatusCode, k)
	}

	f.e.Clock.Add(24 * 24 * time.Hour)
	f.e.SignIn(t, f.owner) // the console session ended meanwhile
	_, body = newWebClient(t, f.srv.URL).session(f.owner.Token).get(page)
	if !strings.Contains(body, `badge-expired">Expired</span>`) {
		t.Error("the old key is not marked Expired once its grace ended")
	}
	if !regexp.MustCompile(`(?s)id="expiring-banner".*<code>` + soon + `</code> of Web shop: Stops working in 5 days`).MatchString(body) {
		t.Errorf("the banner does not name the key that stops working in 5 days (6 days less the sign-ins): %s", regexp.MustCompile(`(?s)<div class="callout[^>]*id="expiring-banner".*?</div>`).FindString(body))
	}
	if k := f.e.KeyOf(t, f.owner, keyID); k == nil || !k.HasExpired(f.e.Clock.Now()) {
		t.Errorf("the old key: %+v", k)
	}
}

func keysPath() string { return "/admin/product-configuration/system-settings/api-keys" }

// TestConsoleLifecycleNumbersOutOfRange: the Roll dialog's grace and the
// Generate form's expiry are refused, naming the field, when out of
// range, however large: a number whose nanoseconds overflow does not
// wrap round into a valid grace (3600 + 2^55 seconds is 1 hour once
// wrapped) or expiry (30 + 2^48 days is 30 days), and nothing is made.
func TestConsoleLifecycleNumbersOutOfRange(t *testing.T) {
	f := newFixture(t)
	owner := newWebClient(t, f.srv.URL).session(f.owner.Token)
	client := f.client["own"]
	gen, err := f.e.Svc.GenerateKey(f.owner.Ctx, keyhouse.Sandbox, client, "")
	if err != nil {
		t.Fatal(err)
	}
	keyID := gen.KeyID
	count := func() (n int) {
		cs, err := f.e.Svc.ListClients(f.owner.Ctx, keyhouse.Sandbox)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			n += len(c.Keys)
		}
		return n
	}
	before := count()
	resp, body := owner.post(keysPath()+"/clients/"+client+"/keys/"+keyID+"/roll", url.Values{"env": {"sandbox"}, "grace_seconds": {"36028797018967568"}})
	if resp.StatusCode != 422 || !strings.Contains(body, "Choose how long the old key keeps working: 0 to 604800 seconds") {
		t.Errorf("a roll with 3600 + 2^55 seconds of grace: %d", resp.StatusCode)
	}
	resp, body = owner.post(keysPath()+"/clients/"+client+"/keys", url.Values{"env": {"sandbox"}, "expires_in_days": {"281474976710686"}})
	if resp.StatusCode != 422 || !strings.Contains(body, "Expiry must be a whole number of days, 0 to 3650") {
		t.Errorf("a key expiring in 30 + 2^48 days: %d", resp.StatusCode)
	}
	if n := count(); n != before {
		t.Errorf("%d keys after the refusals, want %d", n, before)
	}
}
