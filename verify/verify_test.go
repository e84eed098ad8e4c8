package verify_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/server"
	"keyhouse/internal/service"
	"keyhouse/verify"
)

// house is keyhouse as the verifier sees it: one base URL (the issuer),
// served by instance b, with deletions made through instance a (the same
// instance on SQLite; another on the same PostgreSQL database).
type house struct {
	a, b       *keyhousetest.Env
	srv        *httptest.Server
	owner      *keyhousetest.User
	clientID   string
	credential string
}

// newHouse starts keyhouse on dsn ("" for SQLite: one instance).
func newHouse(t *testing.T, dsn string) *house { return newHouseOn(t, dsn) }

// newHouseB is newHouse on SQLite for a benchmark.
func newHouseB(b *testing.B) *house { return newHouseOn(b, "") }

func newHouseOn(t testing.TB, dsn string) *house {
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	issuer := func(c *service.Config) { c.BaseURL = base }
	h := &house{srv: srv}
	if dsn == "" {
		h.a = keyhousetest.New(t, issuer)
		h.b = h.a
	} else {
		h.a, h.b = keyhousetest.NewOn(t, dsn, issuer), keyhousetest.NewOn(t, dsn, issuer)
		h.a.Run(t)
	}
	h.b.Run(t)
	srv.Config.Handler = server.New(h.b.Svc, slog.New(slog.DiscardHandler), false)
	srv.Start()
	t.Cleanup(srv.Close)
	h.owner = h.a.NewOrg(t, "acme")
	h.clientID = h.a.NewClient(t, h.owner).ClientID
	rs, err := h.a.Svc.CreateResourceServer(keyhousetest.Operator(""), "orders")
	if err != nil {
		t.Fatal(err)
	}
	h.credential = rs.Credential
	return h
}

// token makes a key and returns it and an access token for it, from the
// token endpoint.
func (h *house) token(t *testing.T) (keyID, access string) { return h.tokenB(t) }

// tokenB is token for any test or benchmark.
func (h *house) tokenB(t testing.TB) (keyID, access string) {
	t.Helper()
	gen, err := h.a.Svc.GenerateKey(h.owner.Ctx, keyhouse.Sandbox, h.clientID, "")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", h.srv.URL+"/as/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Basic "+gen.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	return gen.KeyID, tok.AccessToken
}

// product is a product service behind the verifier's middleware: it
// answers the claims it was given.
func product(t *testing.T, v *verify.Verifier) *httptest.Server {
	orders := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := verify.ClaimsFrom(r.Context())
		if !ok {
			http.Error(w, "no claims", 500)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"org": c.OrganizationID, "env": c.Environment, "client": c.ClientID, "key": c.APIKeyID})
	})
	srv := httptest.NewServer(v.Middleware(orders))
	t.Cleanup(srv.Close)
	return srv
}

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

func TestVerifySQLite(t *testing.T) { testVerify(t, newHouse(t, "")) }

func TestVerifyTwoPostgresInstances(t *testing.T) {
	testVerify(t, newHouse(t, keyhousetest.PostgresDSN(t)))
}

// testVerify: a token from keyhouse is accepted with its claims; garbage
// and no token are 401; the key deleted through keyhouse, the token is
// refused; a token of a key made after a rotation (a kid the verifier
// has not fetched) is accepted; a signing key revoked, its tokens are
// refused; keyhouse gone, every token is refused after MaxStaleness.
func testVerify(t *testing.T, h *house) {
	v, err := verify.New(t.Context(), verify.Config{
		Issuer: h.srv.URL, Credential: h.credential, Now: h.a.Clock.Now, MaxStaleness: 2 * time.Second,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	p := product(t, v)

	keyID, access := h.token(t)
	status, _, body := call(t, p, access)
	if status != 200 || !strings.Contains(body, `"key":"`+keyID+`"`) || !strings.Contains(body, `"client":"`+h.clientID+`"`) ||
		!strings.Contains(body, `"env":"sandbox"`) || !strings.Contains(body, `"org":"`+h.owner.OrgID+`"`) {
		t.Fatalf("a live token: %d %s", status, body)
	}
	for name, tok := range map[string]string{"no token": "", "garbage": "not.a.token", "altered": access[:len(access)-2] + "AA"} {
		status, hdr, _ := call(t, p, tok)
		if status != 401 || !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: %d %q", name, status, hdr.Get("WWW-Authenticate"))
		}
	}
	if err := h.a.Svc.DeleteKey(h.owner.Ctx, keyhouse.Sandbox, h.clientID, keyID, h.clientID); err != nil {
		t.Fatal(err)
	}
	t.Logf("the deleted key's token refused %v after the deletion returned", waitStatus(t, p, access, 401).Round(time.Millisecond))

	_, before := h.token(t)
	if _, err := h.a.Svc.RotateSigningKey(keyhousetest.Operator(""), true); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, p, before, 401) // its signing key is revoked
	_, after := h.token(t)        // signed by the new key: fetched at its first sight
	if status, _, body := call(t, p, after); status != 200 {
		t.Fatalf("a token of the new signing key: %d %s", status, body)
	}

	h.srv.CloseClientConnections()
	h.srv.Close()
	took := waitStatus(t, p, after, 503)
	t.Logf("keyhouse gone: every token refused after %v (MaxStaleness 2 s)", took.Round(time.Millisecond))
}
