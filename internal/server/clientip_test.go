package server

import (
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"testing"

	"keyhouse/internal/service"
)

func TestClientIP(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 2001:db8:ffff::/48,192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, peer string
		xff        []string
		trusted    bool
		want       string
	}{
		{"no proxies trusted: the peer", "203.0.113.5:1234", []string{"198.51.100.1"}, false, "203.0.113.5"},
		{"an untrusted peer's header is ignored", "203.0.113.5:1234", []string{"198.51.100.1"}, true, "203.0.113.5"},
		{"a trusted proxy: the address it saw", "10.1.2.3:1234", []string{"198.51.100.1"}, true, "198.51.100.1"},
		{"the right-most untrusted address", "10.1.2.3:1234", []string{"6.6.6.6, 198.51.100.1, 10.9.9.9"}, true, "198.51.100.1"},
		{"several headers are one list", "10.1.2.3:1234", []string{"6.6.6.6", "198.51.100.1", "192.0.2.9"}, true, "198.51.100.1"},
		{"no header: the proxy", "10.1.2.3:1234", nil, true, "10.1.2.3"},
		{"garbage stops at the proxy that sent it", "10.1.2.3:1234", []string{"198.51.100.1, nonsense"}, true, "10.1.2.3"},
		{"all trusted: the left-most", "10.1.2.3:1234", []string{"10.0.0.7, 10.0.0.8"}, true, "10.0.0.7"},
		{"IPv6 proxy and client", "[2001:db8:ffff::1]:443", []string{"2001:db8:1::42"}, true, "2001:db8:1::42"},
		{"IPv4-mapped peer", "[::ffff:10.1.2.3]:1234", []string{"198.51.100.1"}, true, "198.51.100.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			var ranges = trusted
			if !tt.trusted {
				ranges = nil
			}
			if got := clientIP(r, ranges); got != tt.want {
				t.Errorf("clientIP = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParseTrustedProxies(t *testing.T) {
	if _, err := ParseTrustedProxies("10.0.0.0/8,not-a-range"); err == nil {
		t.Error("a bad range was accepted")
	}
	if got, err := ParseTrustedProxies(""); err != nil || len(got) != 0 {
		t.Errorf("empty = %v, %v; want none", got, err)
	}
}

// TestBusyAnswer: a sign-in refused for want of a hashing turn is a 503
// with Retry-After and the unavailable code, from the one error writer.
func TestBusyAnswer(t *testing.T) {
	s := &Server{Logger: slog.New(slog.DiscardHandler)}
	w := httptest.NewRecorder()
	s.writeError(w, httptest.NewRequest("POST", "/api/v1/sessions", nil), service.ErrBusy)
	var body struct{ Code, Message string }
	_ = json.Unmarshal(w.Body.Bytes(), &body)
	if w.Code != 503 || w.Header().Get("Retry-After") != "1" || body.Code != "unavailable" || body.Message == "" {
		t.Fatalf("got %d Retry-After=%q %+v", w.Code, w.Header().Get("Retry-After"), body)
	}
}
