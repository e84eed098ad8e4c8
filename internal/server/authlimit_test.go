package server_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"keyhouse"
	"keyhouse/internal/apikey"
	"keyhouse/internal/server"
)

// tokenFrom asks h for a token with credential from the client address ip
// (through the trusted proxy 10.0.0.1 when viaProxy), on path.
func tokenFrom(h http.Handler, path, ip, credential string, viaProxy bool) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", path, strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", form)
	req.Header.Set("Authorization", "Basic "+credential)
	req.RemoteAddr = ip + ":40000"
	if viaProxy {
		req.RemoteAddr = "10.0.0.1:40000"
		req.Header.Set("X-Forwarded-For", ip)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// TestTokenFailedAuthLimit: a source (the client address, through the
// trusted proxy's X-Forwarded-For) that fails 20 authentications gets 429
// invalid_client with Retry-After for each further failure, on the token
// and the introspection endpoints alike. Meanwhile the valid keys of other
// clients get their tokens, from other sources and from the throttled
// source itself.
func TestTokenFailedAuthLimit(t *testing.T) {
	f := newDataFixture(t)
	srv := server.New(f.e.Svc, slog.New(slog.DiscardHandler), false)
	srv.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	other, err := f.e.Svc.GenerateKey(f.other.Ctx, keyhouse.Sandbox, f.client["other"], "")
	if err != nil {
		t.Fatal(err)
	}
	wrong := f.key.KeyID + ":" + apikey.Generate(keyhouse.Sandbox).Secret // this key's id, a wrong secret
	const attacker, neighbour = "203.0.113.7", "198.51.100.9"
	good := func(when string) {
		t.Helper()
		for _, c := range []struct{ ip, key string }{{neighbour, other.APIKey}, {attacker, other.APIKey}, {attacker, f.key.APIKey}} {
			if w := tokenFrom(srv, "/as/token", c.ip, c.key, true); w.Code != 200 {
				t.Fatalf("%s: a valid key from %s: %d %s", when, c.ip, w.Code, w.Body)
			}
		}
	}
	for i := range 20 {
		w := tokenFrom(srv, "/as/token", attacker, wrong, true)
		if w.Code != 401 || w.Header().Get("WWW-Authenticate") == "" {
			t.Fatalf("failure %d: %d %s, want 401 with WWW-Authenticate", i+1, w.Code, w.Body)
		}
		if i%5 == 0 {
			good("while the attacker fails")
		}
	}
	for _, path := range []string{"/as/token", "/oauth2/token", "/oauth2/introspect"} {
		w := tokenFrom(srv, path, attacker, wrong, true)
		var body struct {
			Error            string `json:"error"`
			ErrorDescription string `json:"error_description"`
		}
		json.Unmarshal(w.Body.Bytes(), &body)
		if w.Code != 429 || w.Header().Get("Retry-After") != "1" || body.Error != "invalid_client" ||
			!strings.Contains(body.ErrorDescription, "too many failed client authentications") {
			t.Fatalf("%s past the limit: %d Retry-After=%q %s", path, w.Code, w.Header().Get("Retry-After"), w.Body)
		}
		if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control %q", path, cc)
		}
	}
	// Made-up keys and garbage from the throttled source: 429 too.
	for _, cred := range []string{apikey.Generate(keyhouse.Sandbox).APIKey(), "garbage"} {
		if w := tokenFrom(srv, "/as/token", attacker, cred, true); w.Code != 429 {
			t.Errorf("%.12s… from the throttled source: %d %s", cred, w.Code, w.Body)
		}
	}
	good("after the attacker is throttled")
	// Another client address behind the same proxy is its own source.
	if w := tokenFrom(srv, "/as/token", neighbour, wrong, true); w.Code != 401 {
		t.Errorf("a failure from another source: %d %s, want 401", w.Code, w.Body)
	}
	// Without the trusted proxy, X-Forwarded-For is not believed: the
	// peer 10.0.0.1 is the source, and it has failed nothing yet.
	plain := server.New(f.e.Svc, slog.New(slog.DiscardHandler), false)
	if w := tokenFrom(plain, "/as/token", attacker, wrong, true); w.Code != 401 {
		t.Errorf("through an untrusted proxy: %d %s, want 401 (the proxy's own count)", w.Code, w.Body)
	}
}

// BenchmarkTokenIssueThrottled is the cost of a refused token request
// from a source past its failed authentications: a made-up key each time,
// refused without asking the store.
func BenchmarkTokenIssueThrottled(b *testing.B) {
	f := newDataFixture(b)
	h := f.srv.Config.Handler
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = apikey.Generate(keyhouse.Sandbox).APIKey()
	}
	for range 20 {
		tokenFrom(h, "/as/token", "203.0.113.7", keys[0], false)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if w := tokenFrom(h, "/as/token", "203.0.113.7", keys[i%len(keys)], false); w.Code != 429 {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
		i++
	}
}
