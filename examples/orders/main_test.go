package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"keyhouse/internal/keyhousetest"
	"keyhouse/verify"
)

// call calls the product service with a bearer token.
func call(t *testing.T, srv *httptest.Server, access string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+"/v1/orders", nil)
	if access != "" {
		req.Header.Set("Authorization", "Bearer "+access)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// waitStatus calls until the product answers want, and fails after 10 s;
// it returns how long that took.
func waitStatus(t *testing.T, srv *httptest.Server, access string, want int) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		status, _, _ := call(t, srv, access)
		if status == want {
			return time.Since(start)
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("still %d after 10 s, want %d", status, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestOrdersSQLite(t *testing.T) { testOrders(t, keyhousetest.NewHouse(t, "")) }

func TestOrdersTwoPostgresInstances(t *testing.T) {
	testOrders(t, keyhousetest.NewHouse(t, keyhousetest.PostgresDSN(t)))
}

// testOrders: a token from keyhouse is accepted with its claims; garbage
// and no token are 401; the key deleted through keyhouse, the token is
// refused; a token of a key made after a rotation (a kid the verifier
// has not fetched) is accepted; a signing key revoked, its tokens are
// refused; keyhouse gone, every token is refused after MaxStaleness.
func testOrders(t *testing.T, h *keyhousetest.House) {
	v, err := verify.New(t.Context(), verify.Config{
		Issuer: h.Srv.URL, Credential: h.Credential, Now: h.A.Clock.Now, MaxStaleness: 2 * time.Second,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	p := httptest.NewServer(newMux(v))
	defer p.Close()

	keyID, access := h.Token(t)
	status, _, body := call(t, p, access)
	var got ordersJSON
	if json.Unmarshal([]byte(body), &got); status != 200 || got.APIKeyID != keyID || got.ClientID != h.ClientID ||
		got.Environment != "sandbox" || got.OrganizationID != h.Owner.OrgID {
		t.Fatalf("a live token: %d %s", status, body)
	}
	for name, tok := range map[string]string{"no token": "", "garbage": "not.a.token", "altered": altered(access)} {
		status, hdr, _ := call(t, p, tok)
		if status != 401 || !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: %d %q", name, status, hdr.Get("WWW-Authenticate"))
		}
	}
	h.DeleteKey(t, keyID)
	t.Logf("the deleted key's token refused %v after the deletion returned", waitStatus(t, p, access, 401).Round(time.Millisecond))

	_, before := h.Token(t)
	if _, err := h.A.Svc.RotateSigningKey(keyhousetest.Operator(""), true); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, p, before, 401) // its signing key is revoked
	_, after := h.Token(t)        // signed by the new key: fetched at its first sight
	if status, _, body := call(t, p, after); status != 200 {
		t.Fatalf("a token of the new signing key: %d %s", status, body)
	}

	h.Srv.CloseClientConnections()
	h.Srv.Close()
	took := waitStatus(t, p, after, 503)
	t.Logf("keyhouse gone: every token refused after %v (MaxStaleness 2 s)", took.Round(time.Millisecond))
}

// altered returns token with one character of its signature changed (not
// the last, whose low bits base64 decoding may ignore).
func altered(token string) string {
	i := len(token) - 10
	c := byte('A')
	if token[i] == c {
		c = 'B'
	}
	return token[:i] + string(c) + token[i+1:]
}
