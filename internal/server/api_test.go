package server_test

import (
	"encoding/csv"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"keyhouse"
)

func TestAPIErrors(t *testing.T) {
	f := newFixture(t)
	tok := f.owner.Token
	keys := "/api/v1/environments/sandbox/clients/" + f.client["own"] + "/keys"
	tests := []struct {
		name, method, path, body string
		status                   int
		code, message            string
	}{
		{"bad environment", "GET", "/api/v1/environments/staging/clients", "", 422, "invalid", "env: must be sandbox or production"},
		{"description too long", "POST", keys, `{"description":"` + strings.Repeat("é", 256) + `"}`, 422, "invalid", "description: at most 255 characters (got 256)"},
		{"control character", "POST", keys, `{"description":"a\u0007b"}`, 422, "invalid", "description: must not contain control characters"},
		{"malformed JSON", "POST", keys, `{"description":`, 400, "bad_request", "body: malformed JSON"},
		{"unknown field", "POST", "/api/v1/environments/sandbox/clients", `{"nmae":"x"}`, 400, "bad_request", `body: unknown field "nmae"`},
		{"wrong type", "POST", "/api/v1/users", `{"email":"a@b.example","roles":"owner"}`, 400, "bad_request", "body: roles: wrong type, want []string"},
		{"no confirmation", "DELETE", keys + "/" + f.keyID(t), "", 422, "invalid", "confirm_client_id: must equal the client ID exactly"},
		{"no body where one is needed", "POST", "/api/v1/users", "", 400, "bad_request", "body: a JSON object is required"},
		{"wrong method", "PUT", "/api/v1/users", "{}", 405, "", ""},
		{"unknown role", "POST", "/api/v1/users", `{"email":"a@b.example","roles":["root"]}`, 422, "invalid", `roles: "root" is not a role (owner, admin, standard, view)`},
		{"unknown route", "GET", "/api/v1/nothing", "", 404, "", ""},
		{"missing key", "PATCH", keys + "/khk_00000000000000000000", `{"description":"x"}`, 404, "not_found", "api key not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := f.do(t, tok, tt.method, tt.path, tt.body)
			var got struct{ Code, Message string }
			json.Unmarshal([]byte(body), &got)
			if status != tt.status || got.Code != tt.code || got.Message != tt.message {
				t.Errorf("got %d %s, want %d {%s %s}", status, body, tt.status, tt.code, tt.message)
			}
		})
	}
}

// keyID makes a key in the own organization and returns its id.
func (f *fixture) keyID(t *testing.T) string {
	t.Helper()
	gen, err := f.e.Svc.GenerateKey(f.owner.Ctx, keyhouse.Sandbox, f.client["own"], "")
	if err != nil {
		t.Fatal(err)
	}
	return gen.KeyID
}

func TestSignInAnswers(t *testing.T) {
	f := newFixture(t)
	status, body := f.do(t, "", "POST", "/api/v1/sessions", `{"email":"ghost@acme.example","password":"Wrong-password-1","otp":"123456"}`)
	if status != 401 || !strings.Contains(body, `"code":"invalid_credentials"`) {
		t.Fatalf("unknown e-mail: %d %s", status, body)
	}
	status, body2 := f.do(t, "", "POST", "/api/v1/sessions", `{"email":"`+f.owner.Email+`","password":"Wrong-password-1","otp":"123456"}`)
	if status != 401 || body2 != body {
		t.Fatalf("known e-mail answered differently: %d %s vs %s", status, body2, body)
	}
	status, body3 := f.do(t, "", "POST", "/api/v1/sessions", `{"email":`)
	if status != 401 || body3 != body {
		t.Fatalf("malformed body answered differently: %d %s vs %s", status, body3, body)
	}
	_, report := f.do(t, f.owner.Token, "GET", "/api/v1/audit-events?action=signin.failed", "")
	if !strings.Contains(report, `"target":"`+f.owner.Email+`"`) || strings.Contains(report, "ghost@") {
		t.Errorf("signin.failed in the owner's report: %s", report)
	}
}

func TestAuditReport(t *testing.T) {
	f := newFixture(t)
	gen, err := f.e.Svc.GenerateKey(f.owner.Ctx, "sandbox", f.client["own"], "")
	if err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/environments/sandbox/clients/" + f.client["own"] + "/keys/" + gen.KeyID
	req, _ := http.NewRequest("PATCH", f.srv.URL+path, strings.NewReader(`{"description":"audited"}`))
	req.Header.Set("Authorization", "Bearer "+f.owner.Token)
	req.Header.Set("User-Agent", "audit-test/1.0")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("patch: %v %v", resp, err)
	}

	var page struct {
		Events []struct {
			Action, Actor, Target, IP, Environment string
			UserAgent                              string `json:"user_agent"`
			Time                                   time.Time
		} `json:"audit_events"`
		NextCursor string `json:"next_cursor"`
	}
	_, body := f.do(t, f.owner.Token, "GET", "/api/v1/audit-events?action=api_key.updated", "")
	json.Unmarshal([]byte(body), &page)
	if len(page.Events) != 1 {
		t.Fatalf("api_key.updated events: %s", body)
	}
	ev := page.Events[0]
	if ev.Actor != f.owner.Email || ev.Target != gen.KeyID || ev.IP != "127.0.0.1" || ev.UserAgent != "audit-test/1.0" || ev.Environment != "sandbox" {
		t.Errorf("event = %+v", ev)
	}

	// Every kind of change so far is there: sign-ins, invitations, clients, keys.
	_, body = f.do(t, f.owner.Token, "GET", "/api/v1/audit-events?limit=1000", "")
	for _, action := range []string{"signin.succeeded", "user.invited", "user.activated", "client.initialized", "api_key.created", "api_key.updated"} {
		if !strings.Contains(body, `"action":"`+action+`"`) {
			t.Errorf("no %s event in the report", action)
		}
	}
	if strings.Contains(body, "globex") {
		t.Error("the report shows another organization's events")
	}

	// Paging: two at a time, newest first, until the cursor runs out.
	seen, cursor := 0, ""
	for range 100 {
		_, body = f.do(t, f.owner.Token, "GET", "/api/v1/audit-events?limit=2&cursor="+cursor, "")
		page.Events, page.NextCursor = nil, ""
		json.Unmarshal([]byte(body), &page)
		seen += len(page.Events)
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if seen < 10 {
		t.Errorf("paged through %d events", seen)
	}

	// Time filter: nothing before the organization existed.
	_, body = f.do(t, f.owner.Token, "GET", "/api/v1/audit-events?to=2020-01-01", "")
	if !strings.Contains(body, `"audit_events":[]`) {
		t.Errorf("events before 2020: %s", body)
	}
	status, body := f.do(t, f.owner.Token, "GET", "/api/v1/audit-events?from=yesterday", "")
	if status != 422 || !strings.Contains(body, "from: must be an RFC 3339 time") {
		t.Errorf("bad from: %d %s", status, body)
	}

	// CSV export.
	req, _ = http.NewRequest("GET", f.srv.URL+"/api/v1/audit-events?action=api_key.created", nil)
	req.Header.Set("Authorization", "Bearer "+f.owner.Token)
	req.Header.Set("Accept", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("csv: %v, %s, Cache-Control %q", err, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
	}
	if len(rows) != 2 || rows[0][5] != "action" || rows[1][5] != "api_key.created" || rows[1][6] != gen.KeyID {
		t.Errorf("csv rows = %q", rows)
	}
}

// TestMePermissions: /api/v1/me says in snake_case what each role may do.
func TestMePermissions(t *testing.T) {
	f := newFixture(t)
	want := map[string]map[string]bool{
		"owner":    {"view_keys": true, "init_client": true, "manage_keys": true, "manage_users": true, "audit": true},
		"admin":    {"view_keys": true, "init_client": true, "manage_keys": false, "manage_users": true, "audit": true},
		"standard": {"view_keys": false, "init_client": false, "manage_keys": false, "manage_users": false, "audit": false},
		"view":     {"view_keys": false, "init_client": false, "manage_keys": false, "manage_users": false, "audit": false},
	}
	for role, perms := range want {
		req, _ := http.NewRequest("GET", f.srv.URL+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+f.roles[role].Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var me struct {
			Permissions map[string]bool `json:"permissions"`
		}
		err = json.NewDecoder(resp.Body).Decode(&me)
		resp.Body.Close()
		if err != nil || !maps.Equal(me.Permissions, perms) {
			t.Errorf("%s: permissions %v (%v), want %v", role, me.Permissions, err, perms)
		}
	}
}
