package server_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/server"
)

// lifecycleFixture is a data fixture whose server believes the loopback
// proxy's X-Forwarded-For, so that a test chooses the client address.
type lifecycleFixture struct {
	*dataFixture
	keys string // the own client's keys path
}

func newLifecycleFixture(t *testing.T) *lifecycleFixture {
	f := newDataFixture(t)
	f.srv.Close()
	h := server.New(f.e.Svc, slog.New(slog.DiscardHandler), false)
	h.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	f.srv = checkedServer(t, h)
	return &lifecycleFixture{dataFixture: f, keys: "/api/v1/environments/sandbox/clients/" + f.client["own"] + "/keys"}
}

// from is the header of a request from the client address ip.
func from(ip string, h map[string]string) map[string]string {
	out := map[string]string{"X-Forwarded-For": ip}
	for k, v := range h {
		out[k] = v
	}
	return out
}

// tokenStatus asks for a token with apiKey from ip; status and body.
func (f *lifecycleFixture) tokenStatus(t *testing.T, apiKey, ip string) (int, string) {
	status, _, body := f.post(t, "/as/token", form, "grant_type=client_credentials", from(ip, map[string]string{"Authorization": "Basic " + apiKey}))
	return status, body
}

// intakeStatus sends one event with an access token from ip.
func (f *lifecycleFixture) intakeStatus(t *testing.T, tok, ip string) int {
	status, _, _ := f.post(t, "/v1/events", "application/json", `{"n":1}`, from(ip, map[string]string{"Authorization": "Bearer " + tok}))
	return status
}

// generate makes a key through the API with body and decodes the answer.
func (f *lifecycleFixture) generate(t *testing.T, body string) map[string]any {
	t.Helper()
	status, b := f.do(t, f.owner.Token, "POST", f.keys, body)
	if status != 201 {
		t.Fatalf("generate %s: %d %s", body, status, b)
	}
	var out map[string]any
	json.Unmarshal([]byte(b), &out)
	return out
}

// errorOf checks an error answer's status and that its message holds want.
func errorOf(t *testing.T, status int, body string, wantStatus int, want string) {
	t.Helper()
	var e struct{ Code, Message string }
	json.Unmarshal([]byte(body), &e)
	if status != wantStatus || !strings.Contains(e.Message, want) {
		t.Errorf("got %d %s, want %d with %q", status, body, wantStatus, want)
	}
}

// TestRoll: a roll answers the new key as generation does plus replaces
// and old_key_expires_at; the old key and its tokens work until then and
// are refused from then on, like a deleted key; grace 0 deletes the old
// key at once; bad grace values and a second roll of the same key are
// refused and change nothing.
func TestRoll(t *testing.T) {
	f := newLifecycleFixture(t)
	old := f.key
	oldTok := f.token(t, old.APIKey)
	start := f.e.Clock.Now()
	status, b := f.do(t, f.owner.Token, "POST", f.keys+"/"+old.KeyID+"/roll", `{"grace_seconds":600}`)
	if status != 201 {
		t.Fatalf("roll: %d %s", status, b)
	}
	var rolled struct {
		KeyID           string    `json:"key_id"`
		APIKey          string    `json:"api_key"`
		Secret          string    `json:"secret"`
		Replaces        string    `json:"replaces"`
		Description     *string   `json:"description"`
		OldKeyExpiresAt time.Time `json:"old_key_expires_at"`
	}
	json.Unmarshal([]byte(b), &rolled)
	if rolled.Replaces != old.KeyID || rolled.APIKey == "" || rolled.Secret == "" || rolled.KeyID == old.KeyID ||
		rolled.Description == nil || *rolled.Description != "integration" || !rolled.OldKeyExpiresAt.Equal(start.Add(10*time.Minute)) {
		t.Fatalf("roll answer: %s", b)
	}
	newTok := f.token(t, rolled.APIKey)
	for _, at := range []struct {
		name    string
		advance time.Duration
		old     int
	}{{"during the grace", 10*time.Minute - time.Second, 202}, {"at its end", time.Second, 401}} {
		f.e.Clock.Add(at.advance)
		if got := f.intakeStatus(t, oldTok, "203.0.113.1"); got != at.old {
			t.Errorf("%s: the old key's token gets %d, want %d", at.name, got, at.old)
		}
		if got, _ := f.tokenStatus(t, old.APIKey, "203.0.113.1"); got != map[int]int{202: 200, 401: 401}[at.old] {
			t.Errorf("%s: the old key gets a token: %d", at.name, got)
		}
		if got := f.intakeStatus(t, newTok, "203.0.113.1"); got != 202 {
			t.Errorf("%s: the new key's token gets %d", at.name, got)
		}
	}
	if k := f.e.KeyOf(t, f.owner, old.KeyID); k == nil || !k.Expired || k.ReplacedBy == nil || *k.ReplacedBy != rolled.KeyID {
		t.Errorf("the old key is listed as %+v, want expired and replaced", k)
	}
	if err := f.e.Svc.KeyLifecycle(t.Context()); err != nil {
		t.Fatal(err)
	}
	if k := f.e.KeyOf(t, f.owner, old.KeyID); k != nil {
		t.Errorf("the old key is still listed once its grace ended and the lifecycle ran: %+v", k)
	}

	// Grace 0: the old key is gone in the same call.
	status, b = f.do(t, f.owner.Token, "POST", f.keys+"/"+rolled.KeyID+"/roll", `{"grace_seconds":0}`)
	if status != 201 || f.e.KeyOf(t, f.owner, rolled.KeyID) != nil || f.intakeStatus(t, newTok, "203.0.113.1") != 401 {
		t.Errorf("roll with no grace: %d %s; the old key is still there or its token works", status, b)
	}
	var third struct {
		KeyID string `json:"key_id"`
	}
	json.Unmarshal([]byte(b), &third)

	refused := []struct {
		name, body, path string
		status           int
		want             string
	}{
		{"negative", `{"grace_seconds":-1}`, third.KeyID, 422, "grace_seconds: is required, 0 to 604800"},
		{"over a week", `{"grace_seconds":604801}`, third.KeyID, 422, "grace_seconds"},
		{"missing", `{}`, third.KeyID, 422, "grace_seconds: is required"},
		{"unknown key", `{"grace_seconds":10}`, "khk_AAAAAAAAAAAAAAAAAAAA", 404, "not found"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			status, b := f.do(t, f.owner.Token, "POST", f.keys+"/"+tt.path+"/roll", tt.body)
			errorOf(t, status, b, tt.status, tt.want)
		})
	}
	f.do(t, f.owner.Token, "POST", f.keys+"/"+third.KeyID+"/roll", `{"grace_seconds":60}`)
	status, b = f.do(t, f.owner.Token, "POST", f.keys+"/"+third.KeyID+"/roll", `{"grace_seconds":60}`)
	errorOf(t, status, b, 409, "already rolled")
	if n := f.auditCount(t, keyhouse.ActionKeyRolled); n != 3 {
		t.Errorf("%d api_key.rolled events, want 3", n)
	}
}

// auditCount counts the own organization's audit events of action.
func (f *lifecycleFixture) auditCount(t *testing.T, action string) int {
	t.Helper()
	status, b := f.do(t, f.owner.Token, "GET", "/api/v1/audit-events?action="+action, "")
	var out struct {
		AuditEvents []json.RawMessage `json:"audit_events"`
	}
	if err := json.Unmarshal([]byte(b), &out); err != nil || status != 200 {
		t.Fatalf("audit: %d %s", status, b)
	}
	return len(out.AuditEvents)
}

// TestExpiry: a key made to expire works until that moment, then it and
// its tokens are refused, and it is listed as expired; the organization's
// maximum lifetime caps what generation accepts and is the default expiry.
func TestExpiry(t *testing.T) {
	f := newLifecycleFixture(t)
	now := f.e.Clock.Now()
	at := now.Add(10 * time.Minute).Format(time.RFC3339)
	gen := f.generate(t, `{"description":"short","expires_at":"`+at+`"}`)
	if gen["expires_at"] != at {
		t.Errorf("expires_at answered %v, want %s", gen["expires_at"], at)
	}
	apiKey := gen["api_key"].(string)
	tok := f.token(t, apiKey)
	f.e.Clock.Add(10*time.Minute - time.Second)
	if f.intakeStatus(t, tok, "203.0.113.1") != 202 {
		t.Error("refused a second before its expiry")
	}
	f.e.Clock.Add(time.Second)
	if got := f.intakeStatus(t, tok, "203.0.113.1"); got != 401 {
		t.Errorf("the expired key's token gets %d", got)
	}
	status, body := f.tokenStatus(t, apiKey, "203.0.113.1")
	_, badBody := f.tokenStatus(t, "bm90OmEta2V5", "203.0.113.1")
	if status != 401 || body != badBody {
		t.Errorf("the expired key gets %d %s; a bad credential gets %s", status, body, badBody)
	}
	if k := f.e.KeyOf(t, f.owner, gen["key_id"].(string)); k == nil || !k.Expired {
		t.Errorf("listed as %+v, want expired", k)
	}

	// The organization's maximum: read by every member, set by Owners.
	for role, want := range map[string]int{"owner": 200, "admin": 200, "standard": 200, "view": 200} {
		if status, b := f.do(t, f.roles[role].Token, "GET", "/api/v1/organization", ""); status != want || !strings.Contains(b, `"max_key_lifetime_days":null`) {
			t.Errorf("GET organization as %s: %d %s", role, status, b)
		}
	}
	policy := []struct {
		name, body string
		status     int
		want       string
	}{
		{"zero", `{"max_key_lifetime_days":0}`, 422, "max_key_lifetime_days: must be null or 1 to 3650"},
		{"fraction", `{"max_key_lifetime_days":1.5}`, 422, "max_key_lifetime_days"},
		{"missing", `{}`, 422, "max_key_lifetime_days: is required"},
		{"thirty days", `{"max_key_lifetime_days":30}`, 200, ""},
	}
	for _, tt := range policy {
		status, b := f.do(t, f.owner.Token, "PATCH", "/api/v1/organization", tt.body)
		errorOf(t, status, b, tt.status, tt.want)
	}
	now = f.e.Clock.Now()
	gens := []struct {
		name, body string
		status     int
		want       string
	}{
		{"past", `{"expires_at":"` + now.Add(-time.Second).Format(time.RFC3339) + `"}`, 422, "expires_at: must be in the future"},
		{"not a time", `{"expires_at":"tomorrow"}`, 422, "expires_at: must be an RFC 3339 time"},
		{"beyond the maximum", `{"expires_at":"` + now.Add(31*24*time.Hour).Format(time.RFC3339) + `"}`, 422, "expires_at: at most 30 days ahead"},
	}
	for _, tt := range gens {
		status, b := f.do(t, f.owner.Token, "POST", f.keys, tt.body)
		errorOf(t, status, b, tt.status, tt.want)
	}
	if gen := f.generate(t, `{}`); gen["expires_at"] != now.Add(30*24*time.Hour).Format(time.RFC3339) {
		t.Errorf("with a maximum and no expiry asked: expires_at %v, want the maximum", gen["expires_at"])
	}
	if n := f.auditCount(t, keyhouse.ActionOrgUpdated); n != 1 {
		t.Errorf("%d organization.updated events, want 1", n)
	}
}

// TestAllowedCIDRs: a key bound to addresses works from them only; from
// any other address its token request and its tokens' intake get the
// same 401 as a bad credential; the refusal is audited at most once a
// minute; PATCH changes the list ([] is anywhere); bad lists are refused
// naming the field and index.
func TestAllowedCIDRs(t *testing.T) {
	f := newLifecycleFixture(t)
	gen := f.generate(t, `{"allowed_cidrs":["203.0.113.0/24","2001:db8::/32"]}`)
	apiKey, keyID := gen["api_key"].(string), gen["key_id"].(string)
	if fmt.Sprint(gen["allowed_cidrs"]) != "[203.0.113.0/24 2001:db8::/32]" {
		t.Errorf("allowed_cidrs answered %v", gen["allowed_cidrs"])
	}
	_, badBody := f.tokenStatus(t, "bm90OmEta2V5", "198.51.100.7")
	for _, tt := range []struct {
		ip     string
		status int
	}{{"203.0.113.9", 200}, {"2001:db8::1", 200}, {"198.51.100.7", 401}, {"2001:db9::1", 401}} {
		status, body := f.tokenStatus(t, apiKey, tt.ip)
		if status != tt.status || (status == 401 && body != badBody) {
			t.Errorf("token from %s: %d %s, want %d (a bad credential's answer: %s)", tt.ip, status, body, tt.status, badBody)
		}
	}
	_, body := f.tokenStatus(t, apiKey, "203.0.113.9")
	var issued struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal([]byte(body), &issued)
	if f.intakeStatus(t, issued.AccessToken, "203.0.113.200") != 202 || f.intakeStatus(t, issued.AccessToken, "192.0.2.1") != 401 ||
		f.intakeStatus(t, issued.AccessToken, "203.0.113.201") != 202 {
		t.Error("intake: want 202 from the allowed range, 401 from another address, then 202 again")
	}
	if n := f.auditCount(t, keyhouse.ActionKeyRefusedAddress); n != 1 {
		t.Errorf("%d api_key.refused_address events after three refusals in a minute, want 1", n)
	}
	f.e.Clock.Add(time.Minute)
	f.tokenStatus(t, apiKey, "198.51.100.7")
	if n := f.auditCount(t, keyhouse.ActionKeyRefusedAddress); n != 2 {
		t.Errorf("%d api_key.refused_address events a minute later, want 2", n)
	}

	path := f.keys + "/" + keyID
	patches := []struct {
		name, body string
		status     int
		want       string
	}{
		{"host bits", `{"allowed_cidrs":["10.0.0.5/24"]}`, 422, "allowed_cidrs[0]: 10.0.0.5/24 has bits set past the prefix; did you mean 10.0.0.0/24?"},
		{"not a range", `{"allowed_cidrs":["10.0.0.0/8","example.com"]}`, 422, "allowed_cidrs[1]: must be a CIDR range"},
		{"too many", `{"allowed_cidrs":[` + strings.Repeat(`"10.0.0.1",`, 100) + `"10.0.0.2"]}`, 422, "allowed_cidrs: at most 100 ranges"},
		{"nothing", `{}`, 422, "description: is required"},
		{"anywhere", `{"allowed_cidrs":[]}`, 200, ""},
	}
	for _, tt := range patches {
		status, b := f.do(t, f.owner.Token, "PATCH", path, tt.body)
		errorOf(t, status, b, tt.status, tt.want)
	}
	if status, _ := f.tokenStatus(t, apiKey, "198.51.100.7"); status != 200 {
		t.Errorf("after PATCH [], a token from anywhere: %d", status)
	}
	if status, b := f.do(t, f.owner.Token, "PATCH", path, `{"allowed_cidrs":["198.51.100.0/24"]}`); status != 200 || !strings.Contains(b, `"allowed_cidrs":["198.51.100.0/24"]`) {
		t.Errorf("PATCH allowed_cidrs: %d %s", status, b)
	}
	if status, _ := f.tokenStatus(t, apiKey, "203.0.113.9"); status != 401 {
		t.Errorf("after PATCH, a token from the old range: %d", status)
	}
}
