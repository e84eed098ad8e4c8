package keyhousetest

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"keyhouse"
	"keyhouse/internal/server"
	"keyhouse/internal/service"
)

// House is keyhouse as a product service sees it: one base URL (the
// issuer), served by instance B over HTTP, with an organization, a client
// and a resource-server credential made through instance A (the same
// instance on SQLite; another on the same PostgreSQL database).
type House struct {
	A, B       *Env
	Srv        *httptest.Server // B's HTTP server: Srv.URL is the issuer
	Owner      *User
	ClientID   string
	Credential string // of a resource server
}

// NewHouse starts keyhouse on dsn ("" for SQLite: one instance), with
// its background work running.
func NewHouse(tb testing.TB, dsn string) *House {
	tb.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	issuer := func(c *service.Config) { c.BaseURL = base }
	h := &House{Srv: srv}
	if dsn == "" {
		h.A = New(tb, issuer)
		h.B = h.A
	} else {
		h.A, h.B = NewOn(tb, dsn, issuer), NewOn(tb, dsn, issuer)
		h.A.Run(tb)
	}
	h.B.Run(tb)
	srv.Config.Handler = server.New(h.B.Svc, slog.New(slog.DiscardHandler), false)
	srv.Start()
	tb.Cleanup(srv.Close)
	h.Owner = h.A.NewOrg(tb, "acme")
	h.ClientID = h.A.NewClient(tb, h.Owner).ClientID
	rs, err := h.A.Svc.CreateResourceServer(Operator(""), "orders")
	if err != nil {
		tb.Fatal(err)
	}
	h.Credential = rs.Credential
	return h
}

// Token makes a key through A and returns its id and an access token for
// it from B's token endpoint.
func (h *House) Token(tb testing.TB) (keyID, access string) {
	tb.Helper()
	gen, err := h.A.Svc.GenerateKey(h.Owner.Ctx, keyhouse.Sandbox, h.ClientID, "")
	if err != nil {
		tb.Fatal(err)
	}
	req, _ := http.NewRequest("POST", h.Srv.URL+"/as/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Basic "+gen.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 {
		tb.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	return gen.KeyID, tok.AccessToken
}

// DeleteKey deletes a key of the house's client through A.
func (h *House) DeleteKey(tb testing.TB, keyID string) {
	tb.Helper()
	if err := h.A.Svc.DeleteKey(h.Owner.Ctx, keyhouse.Sandbox, h.ClientID, keyID, h.ClientID); err != nil {
		tb.Fatal(err)
	}
}
