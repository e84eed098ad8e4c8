package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/keyhousetest"
)

// feedFixture is a data fixture with a resource-server credential.
type feedFixture struct {
	*dataFixture
	credential string
}

func newFeedFixture(t testing.TB) *feedFixture {
	f := newDataFixture(t)
	rs, err := f.e.Svc.CreateResourceServer(keyhousetest.Operator(""), "orders")
	if err != nil {
		t.Fatal(err)
	}
	return &feedFixture{dataFixture: f, credential: rs.Credential}
}

// feed is one answer of GET /v1/revocations.
type feed struct {
	Revoked []struct {
		APIKeyID  string    `json:"api_key_id"`
		RevokedAt time.Time `json:"revoked_at"`
	} `json:"revoked"`
	RetiredKids []string `json:"retired_kids"`
	Cursor      string   `json:"cursor"`
	Code        string   `json:"code"`
	Message     string   `json:"message"`
}

// get sends GET path with headers to base and returns status, headers and
// body.
func get(t testing.TB, base, path string, header map[string]string) (int, http.Header, string) {
	t.Helper()
	return sendHTTP(t, "GET", base+path, "", "", header)
}

// readFeed asks base's feed with query as the resource server cred and
// decodes the answer.
func readFeed(t testing.TB, base, cred, query string) (int, feed) {
	t.Helper()
	status, _, body := get(t, base, "/v1/revocations"+query, map[string]string{"Authorization": "Bearer " + cred})
	var out feed
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("feed%s: %d %q", query, status, body)
	}
	return status, out
}

// revoked reports whether the answer lists keyID.
func (fd feed) revoked(keyID string) bool {
	for _, r := range fd.Revoked {
		if r.APIKeyID == keyID {
			return true
		}
	}
	return false
}

// deleteKey deletes a key of the own organization through the API.
func (f *feedFixture) deleteKey(t *testing.T, keyID string) {
	t.Helper()
	path := "/api/v1/environments/sandbox/clients/" + f.client["own"] + "/keys/" + keyID
	if status, body := f.do(t, f.owner.Token, "DELETE", path, `{"confirm_client_id":"`+f.client["own"]+`"}`); status != 204 {
		t.Fatalf("delete: %d %s", status, body)
	}
}

// TestRevocationFeedAuth: only a resource-server credential reads the
// feed; everything else is the same 401.
func TestRevocationFeedAuth(t *testing.T) {
	f := newFeedFixture(t)
	gone, err := f.e.Svc.CreateResourceServer(keyhousetest.Operator(""), "retired")
	if err != nil {
		t.Fatal(err)
	}
	rss, _ := f.e.Svc.ListResourceServers(keyhousetest.Operator(""))
	for _, rs := range rss {
		if rs.Name == "retired" {
			if err := f.e.Svc.DeleteResourceServer(keyhousetest.Operator(""), rs.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	wrong := f.credential[:len(f.credential)-4] + "AAAA"
	tests := []struct {
		name   string
		header map[string]string
		status int
	}{
		{"resource server", map[string]string{"Authorization": "Bearer " + f.credential}, 200},
		{"no credential", nil, 401},
		{"API key, Basic", map[string]string{"Authorization": "Basic " + f.key.APIKey}, 401},
		{"API key as a bearer", map[string]string{"Authorization": "Bearer " + f.key.APIKey}, 401},
		{"access token", map[string]string{"Authorization": "Bearer " + f.token(t, f.key.APIKey)}, 401},
		{"session token", map[string]string{"Authorization": "Bearer " + f.owner.Token}, 401},
		{"session cookie", map[string]string{"Cookie": "keyhouse_session=" + f.owner.Token}, 401},
		{"wrong secret", map[string]string{"Authorization": "Bearer " + wrong}, 401},
		{"resource server as Basic", map[string]string{"Authorization": "Basic " + f.credential}, 401},
		{"deleted resource server", map[string]string{"Authorization": "Bearer " + gone.Credential}, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := get(t, f.srv.URL, "/v1/revocations", tt.header)
			if status != tt.status {
				t.Fatalf("status %d %s, want %d", status, body, tt.status)
			}
			if status == 401 && (!strings.Contains(body, `"code":"unauthorized"`) || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer")) {
				t.Errorf("401 answer: %s, WWW-Authenticate %q", body, h.Get("WWW-Authenticate"))
			}
		})
	}
}

// TestResourceServerLimits: a resource-server credential introspects
// every organization's tokens, and gets no token, sends no events, and
// reaches neither the management API nor the console.
func TestResourceServerLimits(t *testing.T) {
	f := newFeedFixture(t)
	bearer := map[string]string{"Authorization": "Bearer " + f.credential}
	introspect := func(tok string, header map[string]string) (int, map[string]any) {
		status, _, body := f.post(t, "/oauth2/introspect", form, "token="+url.QueryEscape(tok), header)
		var m map[string]any
		json.Unmarshal([]byte(body), &m)
		return status, m
	}
	own, other := f.token(t, f.key.APIKey), f.token(t, f.keyOf(t, "other"))
	for name, tok := range map[string]string{"own organization's": own, "other organization's": other} {
		if status, m := introspect(tok, bearer); status != 200 || m["active"] != true || m["org"] == "" {
			t.Errorf("%s token: %d %v", name, status, m)
		}
	}
	if status, m := introspect("garbage", bearer); status != 200 || m["active"] != false || len(m) != 1 {
		t.Errorf("garbage: %d %v", status, m)
	}
	wrong := map[string]string{"Authorization": "Bearer " + f.credential[:len(f.credential)-4] + "AAAA"}
	if status, m := introspect(own, wrong); status != 401 || m["error"] != "invalid_client" {
		t.Errorf("wrong credential: %d %v", status, m)
	}

	refused := []struct {
		name, method, path, contentType, body string
		header                                map[string]string
	}{
		{"token, Basic", "POST", "/as/token", form, "grant_type=client_credentials", map[string]string{"Authorization": "Basic " + f.credential}},
		{"token, bearer", "POST", "/oauth2/token", form, "grant_type=client_credentials", bearer},
		{"token, client_secret_post", "POST", "/as/token", form, "grant_type=client_credentials&client_id=" + f.credential[:25] + "&client_secret=" + f.credential[26:], nil},
		{"events", "POST", "/v1/events", "application/json", `{"n":1}`, bearer},
		{"me", "GET", "/api/v1/me", "", "", bearer},
		{"clients", "GET", "/api/v1/environments/sandbox/clients", "", "", bearer},
		{"audit", "GET", "/api/v1/audit-events", "", "", bearer},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, f.srv.URL+tt.path, strings.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 401 {
				t.Errorf("status %d, want 401", resp.StatusCode)
			}
		})
	}
	// The console sends it to the sign-in page.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", f.srv.URL+"/dashboard", nil)
	req.Header.Set("Authorization", "Bearer "+f.credential)
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == 200 {
		t.Errorf("console with the credential: %d", resp.StatusCode)
	}
}

// TestRevocationFeed: deletions and revoked signing keys appear in order
// after the cursor; without after, every retained entry; bad parameters
// are 400 naming the field; an unknown cursor is 410 cursor_expired.
func TestRevocationFeed(t *testing.T) {
	f := newFeedFixture(t)
	base := f.srv.URL
	status, start := readFeed(t, base, f.credential, "")
	if status != 200 || len(start.Revoked) != 0 || len(start.RetiredKids) != 0 || start.Cursor == "" {
		t.Fatalf("empty feed: %d %+v", status, start)
	}
	id1, id2 := f.newKeyID(t), f.newKeyID(t)
	f.deleteKey(t, id1)
	rot, err := f.e.Svc.RotateSigningKey(keyhousetest.Operator(""), true)
	if err != nil || len(rot.Revoked) != 1 {
		t.Fatalf("rotate --revoke: %+v, %v", rot, err)
	}
	f.deleteKey(t, id2)

	_, got := readFeed(t, base, f.credential, "?after="+start.Cursor)
	if len(got.Revoked) != 2 || got.Revoked[0].APIKeyID != id1 || got.Revoked[1].APIKeyID != id2 ||
		len(got.RetiredKids) != 1 || got.RetiredKids[0] != rot.Revoked[0] || !got.Revoked[0].RevokedAt.Equal(f.e.Clock.Now()) {
		t.Fatalf("after the deletions: %+v", got)
	}
	if _, again := readFeed(t, base, f.credential, ""); len(again.Revoked) != 2 || again.Cursor != got.Cursor {
		t.Errorf("starting over: %+v, want both deletions and cursor %s", again, got.Cursor)
	}
	if _, tail := readFeed(t, base, f.credential, "?after="+got.Cursor+"&wait=0s"); len(tail.Revoked) != 0 || tail.Cursor != got.Cursor {
		t.Errorf("at the end: %+v", tail)
	}

	bad := []struct {
		query, code, field string
		status             int
	}{
		{"?after=x", "bad_request", "after:", 400},
		{"?after=-1", "bad_request", "after:", 400},
		{"?wait=2m", "bad_request", "wait:", 400},
		{"?wait=soon", "bad_request", "wait:", 400},
		{"?wait=-1s", "bad_request", "wait:", 400},
		{"?wait=36028797018963968", "bad_request", "wait:", 400}, // 2^55 seconds: 0 once wrapped as nanoseconds
		{"?after=999999", "cursor_expired", "start over", 410},
	}
	for _, tt := range bad {
		status, out := readFeed(t, base, f.credential, tt.query)
		if status != tt.status || out.Code != tt.code || !strings.Contains(out.Message, tt.field) {
			t.Errorf("%s: %d %+v, want %d %s naming %q", tt.query, status, out, tt.status, tt.code, tt.field)
		}
	}
}

// newKeyID generates a key in the own organization and returns its id.
func (f *feedFixture) newKeyID(t testing.TB) string {
	t.Helper()
	gen, err := f.e.Svc.GenerateKey(f.owner.Ctx, keyhouse.Sandbox, f.client["own"], "")
	if err != nil {
		t.Fatal(err)
	}
	return gen.KeyID
}

// TestRevocationFeedRetention: once the prune loop has forgotten entries
// older than the retention, a cursor before them is 410, and starting
// over gives every entry still retained.
func TestRevocationFeedRetention(t *testing.T) {
	f := newFeedFixture(t)
	_, start := readFeed(t, f.srv.URL, f.credential, "")
	old := f.newKeyID(t)
	f.deleteKey(t, old)
	_, afterOld := readFeed(t, f.srv.URL, f.credential, "?after="+start.Cursor)
	f.e.Clock.Add(24*time.Hour + 20*time.Minute + 11*time.Minute)
	recent := f.newKeyID(t)
	if err := f.e.Svc.DeleteKey(f.owner.Ctx, keyhouse.Sandbox, f.client["own"], recent, f.client["own"]); err != nil { // the session has ended
		t.Fatal(err)
	}
	if err := f.e.Svc.Prune(t.Context()); err != nil {
		t.Fatal(err)
	}
	if status, out := readFeed(t, f.srv.URL, f.credential, "?after="+start.Cursor); status != 410 || out.Code != "cursor_expired" {
		t.Errorf("a cursor before the pruned entry: %d %+v", status, out)
	}
	if status, out := readFeed(t, f.srv.URL, f.credential, "?after="+afterOld.Cursor); status != 200 || len(out.Revoked) != 1 || out.Revoked[0].APIKeyID != recent {
		t.Errorf("a cursor after the pruned entry: %d %+v", status, out)
	}
	if _, out := readFeed(t, f.srv.URL, f.credential, ""); len(out.Revoked) != 1 || out.Revoked[0].APIKeyID != recent || out.revoked(old) {
		t.Errorf("starting over: %+v, want the retained deletion only", out)
	}
}

// TestRevocationLongPoll: a request with wait is answered by the deletion
// that follows it, and one with nothing to wait for ends empty.
func TestRevocationLongPoll(t *testing.T) {
	f := newFeedFixture(t)
	_, start := readFeed(t, f.srv.URL, f.credential, "")
	if _, out := readFeed(t, f.srv.URL, f.credential, "?after="+start.Cursor+"&wait=100ms"); len(out.Revoked) != 0 || out.Cursor != start.Cursor {
		t.Errorf("nothing new within the wait: %+v", out)
	}
	id := f.newKeyID(t)
	done := make(chan feed, 1)
	go func() {
		_, out := readFeed(t, f.srv.URL, f.credential, "?after="+start.Cursor+"&wait=50s")
		done <- out
	}()
	time.Sleep(100 * time.Millisecond) // most likely waiting by now; either way the answer holds the deletion
	f.deleteKey(t, id)
	select {
	case out := <-done:
		if !out.revoked(id) {
			t.Errorf("long poll answered without the deletion: %+v", out)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("the long poll was not released by the deletion")
	}
}
