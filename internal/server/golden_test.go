package server_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"keyhouse/internal/keyhousetest"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/golden")

// volatile are the JSON fields whose values change from run to run (ids,
// secrets, times, links): a golden file holds "<field>" in their place, or
// null where the answer had null, so that it still pins which fields may
// be null.
var volatile = map[string]bool{
	"id": true, "key_id": true, "api_key": true, "secret": true, "secret_last4": true,
	"client_id": true, "sub": true, "api_key_id": true, "organization_id": true, "org": true,
	"user_id": true, "token": true, "access_token": true, "jti": true, "iat": true, "exp": true,
	"nbf": true, "created_at": true, "initialized_at": true, "last_used_at": true,
	"last_received_at": true, "expires_at": true, "time": true, "target": true,
	"activation_url": true, "next_cursor": true, "ids": true, "email": true, "created_by": true,
	"cursor": true, "revoked_at": true, "replaces": true, "old_key_expires_at": true,
}

// localURL is the test server's address, which changes from run to run.
var localURL = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+`)

// normalize replaces the volatile values of a JSON document.
func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if volatile[k] && x != nil {
				v[k] = "<" + k + ">"
				continue
			}
			v[k] = normalize(x)
		}
	case []any:
		for i, x := range v {
			v[i] = normalize(x)
		}
	case string:
		return localURL.ReplaceAllString(v, "http://SERVER")
	}
	return v
}

// goldenHeaders are the response headers a golden file pins.
var goldenHeaders = []string{"Content-Type", "Cache-Control", "Pragma", "WWW-Authenticate", "Retry-After"}

// checkGolden compares an answer (status, pinned headers, normalized
// body) with testdata/golden/name.json, or rewrites it with -update.
func checkGolden(t *testing.T, name string, r reply) {
	t.Helper()
	var doc any
	if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
		t.Fatalf("%s: not JSON: %v: %s", name, err, r.body)
	}
	headers := map[string]string{}
	for _, h := range goldenHeaders {
		if v := r.header.Get(h); v != "" {
			headers[h] = v
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(map[string]any{"status": r.status, "headers": headers, "body": normalize(doc)}); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s:\n%s", name, path, got)
	}
}

// reply is an answer: status, headers, body.
type reply struct {
	status int
	header http.Header
	body   string
}

// send makes a request to the fixture's server.
func (f *fixture) send(t *testing.T, method, path, auth, contentType, body string) reply {
	t.Helper()
	status, header, b := call(t, method, f.srv.URL+path, contentType, auth, strings.NewReader(body))
	return reply{status, header, b}
}

// jsonField returns one string field of a JSON answer.
func jsonField(t *testing.T, r reply, field string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("%v: %s", err, r.body)
	}
	s, _ := m[field].(string)
	return s
}

// TestGoldenAnswers pins the main answers of the management API and the
// data plane, and every OAuth error, against testdata/golden.
func TestGoldenAnswers(t *testing.T) {
	f := newFixture(t)
	f.e.Run(t)
	owner := "Bearer " + f.owner.Token
	keys := "/api/v1/environments/sandbox/clients/" + f.client["own"] + "/keys"

	resp := f.send(t, "POST", keys, owner, "application/json", `{"description":"Web shop"}`)
	apiKey := jsonField(t, resp, "api_key")
	keyID := jsonField(t, resp, "key_id")
	checkGolden(t, "key_generate", resp)
	checkGolden(t, "key_update", f.send(t, "PATCH", keys+"/"+keyID, owner, "application/json", `{"description":"Shop"}`))
	checkGolden(t, "client_create", f.send(t, "POST", "/api/v1/environments/sandbox/clients", owner, "application/json", `{"name":"CRM"}`))

	resp = f.send(t, "POST", "/as/token", "Basic "+apiKey, form, "grant_type=client_credentials")
	access := jsonField(t, resp, "access_token")
	checkGolden(t, "token", resp)
	checkGolden(t, "events_accepted", f.send(t, "POST", "/v1/events", "Bearer "+access, "application/json", `{"order":1}`))
	checkGolden(t, "introspection_active", f.send(t, "POST", "/oauth2/introspect", "Basic "+apiKey, form, "token="+access))
	checkGolden(t, "introspection_inactive", f.send(t, "POST", "/oauth2/introspect", "Basic "+apiKey, form, "token=garbage"))
	checkGolden(t, "metadata", f.send(t, "GET", "/.well-known/oauth-authorization-server", "", "", ""))

	checkGolden(t, "client_list", f.send(t, "GET", "/api/v1/environments/sandbox/clients", owner, "", ""))
	checkGolden(t, "summary", f.send(t, "GET", "/api/v1/environments/sandbox/summary", owner, "", ""))
	checkGolden(t, "user_list", f.send(t, "GET", "/api/v1/users", owner, "", ""))
	checkGolden(t, "user_invite", f.send(t, "POST", "/api/v1/users", owner, "application/json", `{"email":"new@acme.example","roles":["view"]}`))
	checkGolden(t, "me", f.send(t, "GET", "/api/v1/me", owner, "", ""))
	checkGolden(t, "audit_page", f.send(t, "GET", "/api/v1/audit-events?limit=2", owner, "", ""))
	checkGolden(t, "session", f.send(t, "POST", "/api/v1/sessions", "", "application/json",
		`{"email":"`+f.owner.Email+`","password":"Correct-Horse-9battery","otp":"`+f.e.Code(t, f.owner.Secret)+`"}`))
	checkGolden(t, "error_invalid", f.send(t, "PATCH", keys+"/"+keyID, owner, "application/json", `{"description":"`+strings.Repeat("x", 256)+`"}`))
	checkGolden(t, "error_unauthorized", f.send(t, "GET", "/api/v1/me", "", "", ""))
	checkGolden(t, "healthz", f.send(t, "GET", "/healthz", "", "", ""))
	checkGolden(t, "readyz", f.send(t, "GET", "/readyz", "", "", ""))
	checkGolden(t, "events_unauthorized", f.send(t, "POST", "/v1/events", "Bearer nope", "application/json", `{}`))

	// The key lifecycle: the organization's policy, a key with an expiry
	// and addresses, and its roll (the new key expires at the maximum).
	org := "/api/v1/organization"
	checkGolden(t, "organization", f.send(t, "GET", org, owner, "", ""))
	checkGolden(t, "organization_update", f.send(t, "PATCH", org, owner, "application/json", `{"max_key_lifetime_days":30}`))
	expires := f.e.Clock.Now().Add(24 * time.Hour).Format(time.RFC3339)
	resp = f.send(t, "POST", keys, owner, "application/json", `{"description":"Billing","expires_at":"`+expires+`","allowed_cidrs":["203.0.113.0/24"]}`)
	checkGolden(t, "key_roll", f.send(t, "POST", keys+"/"+jsonField(t, resp, "key_id")+"/roll", owner, "application/json", `{"grace_seconds":3600}`))
	f.send(t, "PATCH", org, owner, "application/json", `{"max_key_lifetime_days":null}`)

	oauthErrors := []struct{ name, auth, body string }{
		{"oauth_invalid_client", "Basic bm9wZTpub3Bl", "grant_type=client_credentials"},
		{"oauth_no_client", "", "grant_type=client_credentials"},
		{"oauth_invalid_request", "Basic " + apiKey, ""},
		{"oauth_unsupported_grant_type", "Basic " + apiKey, "grant_type=password"},
		{"oauth_invalid_scope", "Basic " + apiKey, "grant_type=client_credentials&scope=admin"},
		{"oauth_repeated_parameter", "Basic " + apiKey, "grant_type=client_credentials&grant_type=password"},
		{"oauth_two_methods", "Basic " + apiKey, "grant_type=client_credentials&client_id=a&client_secret=b"},
		{"oauth_too_large", "Basic " + apiKey, "grant_type=client_credentials&x=" + strings.Repeat("a", 17<<10)},
	}
	for _, tt := range oauthErrors {
		checkGolden(t, tt.name, f.send(t, "POST", "/as/token", tt.auth, form, tt.body))
	}
	checkGolden(t, "oauth_introspect_invalid_client", f.send(t, "POST", "/oauth2/introspect", "Basic bm9wZTpub3Bl", form, "token=x"))

	// The revocation feed and introspection, for a resource server.
	rs, err := f.e.Svc.CreateResourceServer(keyhousetest.Operator(""), "orders")
	if err != nil {
		t.Fatal(err)
	}
	feed := "Bearer " + rs.Credential
	checkGolden(t, "introspection_resource_server", f.send(t, "POST", "/oauth2/introspect", feed, form, "token="+access))
	checkGolden(t, "oauth_introspect_invalid_resource_server", f.send(t, "POST", "/oauth2/introspect", "Bearer khrs_nope", form, "token="+access))
	f.send(t, "DELETE", keys+"/"+keyID, owner, "application/json", `{"confirm_client_id":"`+f.client["own"]+`"}`)
	checkGolden(t, "revocations", f.send(t, "GET", "/v1/revocations", feed, "", ""))
	checkGolden(t, "revocations_expired", f.send(t, "GET", "/v1/revocations?after=999999", feed, "", ""))
	checkGolden(t, "revocations_unauthorized", f.send(t, "GET", "/v1/revocations", "", "", ""))

	// Failed client authentications from one source end in a 429.
	for i := 0; ; i++ {
		if f.send(t, "POST", "/as/token", "Basic bm9wZTpub3Bl", form, "grant_type=client_credentials").status == http.StatusTooManyRequests {
			break
		}
		if i == 100 {
			t.Fatal("no 429 after 100 failed client authentications")
		}
	}
	checkGolden(t, "oauth_throttled", f.send(t, "POST", "/as/token", "Basic bm9wZTpub3Bl", form, "grant_type=client_credentials"))

}
