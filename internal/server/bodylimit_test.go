package server_test

import (
	"strings"
	"testing"
)

// TestBodyLimits: each route reads at most its limit, and a body over it
// is a 413 whose message names the limit, in the route's own shape (the
// management API's JSON error, the OAuth error, the console's page). A
// body just under the limit is read and judged on its content.
func TestBodyLimits(t *testing.T) {
	f := newDataFixture(t)
	pad := func(n int) string { return strings.Repeat("a", n) }
	bearer := map[string]string{"Authorization": "Bearer " + f.owner.Token}
	tests := []struct {
		name, path, contentType, body string
		header                        map[string]string
		status                        int
		want                          string
	}{
		{"sign-in JSON over 16 KiB", "/api/v1/sessions", "application/json", `{"email":"` + pad(16<<10) + `"}`, nil,
			413, `{"code":"too_large","message":"body: at most 16 KiB"}`},
		{"client JSON over 16 KiB", "/api/v1/environments/sandbox/clients", "application/json", `{"name":"` + pad(16<<10) + `"}`, bearer,
			413, `{"code":"too_large","message":"body: at most 16 KiB"}`},
		{"client JSON under 16 KiB", "/api/v1/environments/sandbox/clients", "application/json", `{"name":"` + pad(15<<10) + `"}`, bearer,
			422, `"code":"invalid"`},
		{"token form over 16 KiB", "/as/token", form, "grant_type=client_credentials&x=" + pad(16<<10), map[string]string{"Authorization": "Basic " + f.key.APIKey},
			413, `{"error":"invalid_request","error_description":"the body must be at most 16 KiB"}`},
		{"token form under 16 KiB", "/as/token", form, "grant_type=client_credentials&x=" + pad(15<<10), map[string]string{"Authorization": "Basic " + f.key.APIKey},
			200, `"access_token"`},
		{"console form over 16 KiB", "/login", form, "step=password&email=" + pad(16<<10), nil,
			413, "Form must be at most 16 KiB"},
		{"console form under 16 KiB", "/login", form, "step=password&email=" + pad(15<<10), nil,
			422, "Sign in"},
		{"console form malformed", "/login", form, "step=password&email=%zz", nil,
			400, "Malformed application/x-www-form-urlencoded body"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := f.post(t, tc.path, tc.contentType, tc.body, tc.header)
			if status != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("%d %.300s, want %d with %s", status, body, tc.status, tc.want)
			}
		})
	}
}
