package server_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"keyhouse/internal/server"
)

// TestSecurityHeaders: every response, JSON and errors included, says
// nosniff; with an https base URL every response carries HSTS and the
// session cookie is a __Host- cookie, the only one the server reads.
func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t)
	secure := httptest.NewServer(server.New(f.e.Svc, slog.New(slog.DiscardHandler), true))
	t.Cleanup(secure.Close)
	paths := []string{"/healthz", "/api/v1/me", "/.well-known/jwks.json", "/login", "/no/such/page"}
	for _, srv := range []*httptest.Server{f.srv, secure} {
		for _, path := range paths {
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("%s: X-Content-Type-Options = %q", path, got)
			}
			hsts := resp.Header.Get("Strict-Transport-Security")
			if (srv == secure) != strings.HasPrefix(hsts, "max-age=") {
				t.Errorf("%s (https base URL: %v): Strict-Transport-Security = %q", path, srv == secure, hsts)
			}
		}
	}

	me := func(srv *httptest.Server, cookie string) int {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/me", nil)
		req.Header.Set("Cookie", cookie+"="+f.owner.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	tests := []struct {
		srv    *httptest.Server
		cookie string
		want   int
	}{
		{f.srv, "keyhouse_session", 200},
		{secure, "__Host-keyhouse_session", 200},
		{secure, "keyhouse_session", 401}, // could be planted by another host or over http
	}
	for _, tt := range tests {
		if got := me(tt.srv, tt.cookie); got != tt.want {
			t.Errorf("https base URL %v, cookie %s: %d, want %d", tt.srv == secure, tt.cookie, got, tt.want)
		}
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Post(secure.URL+"/logout", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if c := resp.Header.Get("Set-Cookie"); !strings.HasPrefix(c, "__Host-keyhouse_session=") || !strings.Contains(c, "Secure") || !strings.Contains(c, "Path=/") {
		t.Errorf("the https server's session cookie: %q", c)
	}
}
