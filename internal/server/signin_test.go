package server_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/server"
)

// TestSignInAttacksThroughProxy replays the two attacks behind a
// trusted TLS proxy (10.0.0.1), where every request comes from one TCP
// peer: ten failures for the Owner's e-mail from each of eighteen other
// client addresses, and fifteen failures from one client address. Then
// the Owner signs in through the proxy with their own X-Forwarded-For,
// and directly from their own address. A client that is not a trusted
// proxy cannot pick its address with the header.
func TestSignInAttacksThroughProxy(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	srv := server.New(e.Svc, slog.New(slog.DiscardHandler), false)
	srv.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	signIn := func(peer, xff, email, password, otp string) (int, string, string) {
		body := fmt.Sprintf(`{"email":%q,"password":%q,"otp":%q}`, email, password, otp)
		r := httptest.NewRequest("POST", "/api/v1/sessions", strings.NewReader(body))
		r.RemoteAddr = peer + ":40000"
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		return w.Code, w.Body.String(), w.Header().Get("Retry-After")
	}
	fail := func(peer, xff, email string) {
		t.Helper()
		if status, body, _ := signIn(peer, xff, email, "Wrong-password-1", "123456"); status != 401 {
			t.Fatalf("failure from %s (%s): %d %s", peer, xff, status, body)
		}
		e.Clock.Add(2 * time.Minute) // outwait every delay before the lock
	}
	for i := range 18 {
		for range 10 {
			fail("10.0.0.1", fmt.Sprintf("203.0.113.%d", 10+i), owner.Email)
		}
	}
	// The last attacking address is locked out of the Owner's account.
	status, body, retry := signIn("10.0.0.1", "203.0.113.27", owner.Email, keyhousetest.Password, e.Code(t, owner.Secret))
	if status != 429 || retry == "" {
		t.Fatalf("the attacker with the right password: %d %s (Retry-After %q), want 429 with Retry-After", status, body, retry)
	}
	for i := range 15 {
		fail("10.0.0.1", "203.0.113.99", fmt.Sprintf("guess%d@example.com", i))
	}
	for range 10 { // a direct client claiming the Owner's address
		fail("192.0.2.66", "198.51.100.1", owner.Email)
	}

	status, body, _ = signIn("10.0.0.1", "198.51.100.1", owner.Email, keyhousetest.Password, e.Code(t, owner.Secret))
	if status != 201 {
		t.Fatalf("the Owner through the proxy: %d %s", status, body)
	}
	var sess struct{ Token string }
	_ = json.Unmarshal([]byte(body), &sess)
	status, body, _ = signIn("198.51.100.1", "", owner.Email, keyhousetest.Password, e.Code(t, owner.Secret))
	if status != 201 {
		t.Fatalf("the Owner from their own address: %d %s", status, body)
	}

	r := httptest.NewRequest("GET", "/api/v1/audit-events?action=signin.succeeded", nil)
	r.Header.Set("Authorization", "Bearer "+sess.Token)
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	if !strings.Contains(w.Body.String(), `"ip":"198.51.100.1"`) {
		t.Errorf("the audit log does not name the client's address: %s", w.Body.String())
	}
}
