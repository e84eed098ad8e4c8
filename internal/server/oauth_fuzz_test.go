package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// oauthErrors are the error codes of RFC 6749 §5.2.
var oauthErrors = []string{
	"invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
	"unsupported_grant_type", "invalid_scope",
}

// checkOAuthError fails unless a is an RFC 6749 §5.2 error: 400, or 401
// with WWW-Authenticate for invalid_client, never cached; or a 429 with
// Retry-After.
func checkOAuthError(t *testing.T, a answer) {
	t.Helper()
	if a.StatusCode == http.StatusTooManyRequests {
		if a.Header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
		return
	}
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.Unmarshal([]byte(a.body), &e); err != nil || !contains(oauthErrors, e.Error) || e.Description == "" {
		t.Fatalf("status %d: %q is not an RFC 6749 error", a.StatusCode, a.body)
	}
	switch {
	case a.StatusCode == 401 && e.Error == "invalid_client" && a.Header.Get("WWW-Authenticate") != "":
	case a.StatusCode == 400 && e.Error != "invalid_client":
	default:
		t.Fatalf("status %d with %s, WWW-Authenticate %q", a.StatusCode, a.body, a.Header.Get("WWW-Authenticate"))
	}
	if a.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("error without Cache-Control: no-store: %v", a.Header)
	}
}

// withQuery returns path with query, when there is one.
func withQuery(path, query string) string {
	if query == "" {
		return path
	}
	return path + "?" + query
}

// FuzzToken drives the token endpoint with any Authorization header (HTTP
// Basic: the API key, key id and secret, legacy keys), content type, form
// body and query string. It answers a token that verifies, or an RFC 6749
// error; never a 5xx.
func FuzzToken(f *testing.F) {
	fe := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, auth, contentType, body, query string) {
		resp := fe.serve(request{
			method: "POST", target: withQuery("/as/token", fe.fill(t, query)),
			header: http.Header{"Authorization": {fe.fill(t, auth)}, "Content-Type": {contentType}},
			body:   fe.fill(t, body),
		})
		if resp == nil {
			return
		}
		a := readAnswer(t, resp)
		if a.StatusCode != http.StatusOK {
			checkOAuthError(t, a)
			return
		}
		var tok struct {
			AccessToken string `json:"access_token"`
			TokenType   string `json:"token_type"`
			ExpiresIn   int    `json:"expires_in"`
		}
		if err := json.Unmarshal([]byte(a.body), &tok); err != nil || tok.TokenType != "Bearer" || tok.ExpiresIn <= 0 {
			t.Fatalf("200 with %s", a.body)
		}
		if _, err := fe.e.Svc.VerifyToken(context.Background(), tok.AccessToken); err != nil {
			t.Fatalf("issued a token that does not verify: %v", err)
		}
	})
}

// FuzzIntrospect drives token introspection with any caller credential
// and form body (the token to look at among it): an answer says "active"
// only for the access token of the caller's own client, else it is an RFC
// 6749 error.
func FuzzIntrospect(f *testing.F) {
	fe := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, auth, body string) {
		body = fe.fill(t, body)
		resp := fe.serve(request{
			method: "POST", target: "/oauth2/introspect",
			header: http.Header{"Authorization": {fe.fill(t, auth)}, "Content-Type": {"application/x-www-form-urlencoded"}},
			body:   body,
		})
		if resp == nil {
			return
		}
		a := readAnswer(t, resp)
		if a.StatusCode != http.StatusOK {
			checkOAuthError(t, a)
			return
		}
		var got struct {
			Active   *bool  `json:"active"`
			ClientID string `json:"client_id"`
			Org      string `json:"org"`
		}
		if err := json.Unmarshal([]byte(a.body), &got); err != nil || got.Active == nil {
			t.Fatalf("200 with %s", a.body)
		}
		if *got.Active && (got.ClientID != fe.vars["$CLIENT"] || got.Org != fe.vars["$ORG"] ||
			!strings.Contains(body, fe.vars["$ACCESS"])) {
			t.Fatalf("active answer for %q: %s", body, a.body)
		}
	})
}

// FuzzIntake drives the event intake with any Authorization header (the
// Bearer access token), content type and body. It stores and answers 202
// with one id per event, only with the access token, or refuses with a
// 4xx whose message names what is wrong: the body, the line, the
// Content-Type.
func FuzzIntake(f *testing.F) {
	fe := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, auth, contentType string, body []byte) {
		auth = fe.fill(t, auth)
		resp := fe.serve(request{
			method: "POST", target: "/v1/events",
			header: http.Header{"Authorization": {auth}, "Content-Type": {contentType}},
			body:   string(body),
		})
		if resp == nil {
			return
		}
		a := readAnswer(t, resp)
		if a.StatusCode == http.StatusAccepted {
			var got struct {
				Accepted int      `json:"accepted"`
				IDs      []string `json:"ids"`
			}
			if err := json.Unmarshal([]byte(a.body), &got); err != nil || got.Accepted < 1 || got.Accepted != len(got.IDs) {
				t.Fatalf("202 with %s", a.body)
			}
			if !strings.Contains(auth, fe.vars["$ACCESS"]) {
				t.Fatalf("202 for Authorization %q", auth)
			}
			return
		}
		checkAPI(t, a, "body", "line", "Content-Type")
		if a.StatusCode == http.StatusUnauthorized && a.Header.Get("WWW-Authenticate") == "" {
			t.Fatal("401 without WWW-Authenticate")
		}
	})
}

// FuzzSessionAuth drives the session check of the management API and the
// console with any Authorization header (Bearer session token) and Cookie
// header: the caller is someone only with a session's token in one.
func FuzzSessionAuth(f *testing.F) {
	fe := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, auth, cookie string) {
		auth, cookie = fe.fill(t, auth), fe.fill(t, cookie)
		h := http.Header{"Authorization": {auth}, "Cookie": {cookie}}
		resp := fe.serve(request{method: "GET", target: "/api/v1/me", header: h})
		if resp == nil {
			return
		}
		a := readAnswer(t, resp)
		checkAPI(t, a)
		if a.StatusCode == http.StatusOK {
			var me struct{ Email string }
			if json.Unmarshal([]byte(a.body), &me) != nil || me.Email == "" {
				t.Fatalf("200 with %s", a.body)
			}
			if !slices.ContainsFunc(sessions, func(s string) bool { return strings.Contains(auth+cookie, fe.vars[s]) }) {
				t.Fatalf("signed in as %s with %q, %q: no session token", me.Email, auth, cookie)
			}
		}
		if resp = fe.serve(request{method: "GET", target: "/dashboard", header: h}); resp != nil {
			checkPage(t, readAnswer(t, resp))
		}
	})
}
