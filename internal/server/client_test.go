package server_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"keyhouse/client"
	"keyhouse/internal/keyhousetest"
)

// counter is an http.RoundTripper that counts requests by path.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[r.URL.Path]++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (c *counter) get(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[path]
}

// wantStatus fails unless err is a *client.Error with status and code.
func wantStatus(t *testing.T, err error, status int, code string) {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) || e.Status != status || e.Code != code {
		t.Fatalf("error = %v, want %d %s", err, status, code)
	}
}

// TestClientStory runs the management story and an integration's through
// package client against a real server, whose answers are checked against
// the OpenAPI document on the way.
func TestClientStory(t *testing.T) {
	f := newFixture(t)
	f.e.Run(t)
	ctx := context.Background()
	c := client.New(f.srv.URL, nil)
	if _, err := c.SignIn(ctx, client.SignIn{Email: f.owner.Email, Password: keyhousetest.Password, OTP: f.e.Code(t, f.owner.Secret)}); err != nil {
		t.Fatal(err)
	}
	me, err := c.Me(ctx)
	if err != nil || me.Email != f.owner.Email || !me.Permissions.ManageKeys || me.Organization == nil {
		t.Fatalf("me = %+v, %v", me, err)
	}
	cl, err := c.CreateClient(ctx, "sandbox", "Billing")
	if err != nil || len(cl.ClientID) != 10 || cl.InitializedAt == nil {
		t.Fatalf("create client = %+v, %v", cl, err)
	}
	gen, err := c.GenerateKey(ctx, "sandbox", cl.ClientID, "Billing job")
	if err != nil || gen.APIKey == "" || gen.Secret == "" {
		t.Fatalf("generate = %+v, %v", gen, err)
	}
	if k, err := c.UpdateKey(ctx, "sandbox", cl.ClientID, gen.KeyID, "Nightly billing"); err != nil || *k.Description != "Nightly billing" {
		t.Fatalf("update = %+v, %v", k, err)
	}
	clients, err := c.Clients(ctx, "sandbox")
	i := slices.IndexFunc(clients, func(x client.IntegrationClient) bool { return x.ClientID == cl.ClientID })
	if err != nil || i < 0 || len(clients[i].Keys) != 1 || clients[i].Keys[0].KeyID != gen.KeyID {
		t.Fatalf("clients = %+v, %v", clients, err)
	}
	inv, err := c.InviteUser(ctx, "new@acme.example", "view")
	if err != nil || inv.Status != "pending" || inv.ActivationURL == "" {
		t.Fatalf("invite = %+v, %v", inv, err)
	}
	users, err := c.Users(ctx)
	if err != nil || !slices.ContainsFunc(users, func(m client.Member) bool { return m.ID == inv.ID }) {
		t.Fatalf("users = %+v, %v", users, err)
	}

	in := client.NewIntegration(f.srv.URL, gen.APIKey, nil)
	if ok, err := in.SendEvents(ctx, map[string]any{"order": 1}, map[string]any{"order": 2}); err != nil || ok.Accepted != 2 || len(ok.IDs) != 2 {
		t.Fatalf("send events = %+v, %v", ok, err)
	}
	summary, err := c.Summary(ctx, "sandbox")
	i = slices.IndexFunc(summary, func(x client.IntegrationClient) bool { return x.ClientID == cl.ClientID })
	if err != nil || i < 0 || summary[i].Events.Total != 2 {
		t.Fatalf("summary = %+v, %v", summary, err)
	}
	page, err := c.AuditEvents(ctx, client.AuditQuery{Action: "api_key.created"})
	if err != nil || len(page.Events) != 1 || page.Events[0].Actor != f.owner.Email {
		t.Fatalf("audit = %+v, %v", page, err)
	}

	wantStatus(t, c.DeleteKey(ctx, "sandbox", cl.ClientID, gen.KeyID, "billing"), 422, "invalid")
	if err := c.DeleteKey(ctx, "sandbox", cl.ClientID, gen.KeyID, cl.ClientID); err != nil {
		t.Fatal(err)
	}
	_, err = in.SendEvents(ctx, map[string]any{"order": 3})
	wantStatus(t, err, 401, "invalid_client") // the token refused, and the key too
	if err := c.SignOut(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = c.Me(ctx)
	wantStatus(t, err, 401, "unauthorized")
}

// newIntegration returns an Integration with a new key of the fixture's
// own client, on the test clock, counting its requests.
func newIntegration(t *testing.T, f *fixture) (*client.Integration, *counter, string) {
	t.Helper()
	gen, err := f.e.Svc.GenerateKey(f.owner.Ctx, "sandbox", f.client["own"], "")
	if err != nil {
		t.Fatal(err)
	}
	n := &counter{}
	in := client.NewIntegration(f.srv.URL, gen.APIKey, &http.Client{Transport: n})
	in.Tokens.Now = f.e.Clock.Now
	return in, n, gen.KeyID
}

// TestClientTokenRefresh checks that a token is reused until two minutes
// before it expires, then replaced, with keyhouse's clock and the
// client's moved together.
func TestClientTokenRefresh(t *testing.T) {
	f := newFixture(t)
	f.e.Run(t)
	ctx := context.Background()
	in, n, _ := newIntegration(t, f)
	first, err := in.Tokens.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		move    time.Duration
		fetches int
		same    bool
	}{
		{"at once", 0, 1, true},
		{"2m01s before expiry", 20*time.Minute - client.RefreshBefore - time.Second, 1, true},
		{"1m59s before expiry", 2 * time.Second, 2, false},
	}
	for _, s := range steps {
		f.e.Clock.Add(s.move)
		tok, err := in.Tokens.Token(ctx)
		if err != nil || n.get("/as/token") != s.fetches || (tok == first) != s.same {
			t.Fatalf("%s: %d fetches, same token %v (%v); want %d, %v", s.name, n.get("/as/token"), tok == first, err, s.fetches, s.same)
		}
	}
	if ok, err := in.SendEvents(ctx, map[string]any{"n": 1}); err != nil || ok.Accepted != 1 || n.get("/as/token") != 2 {
		t.Fatalf("send with the new token: %+v, %v, %d fetches", ok, err, n.get("/as/token"))
	}
}

// TestClientRetry checks the one retry after a 401: a token whose signing
// key was revoked is replaced and the events go through; a deleted key's
// refusal ends after one retry.
func TestClientRetry(t *testing.T) {
	f := newFixture(t)
	f.e.Run(t)
	ctx := context.Background()
	in, n, keyID := newIntegration(t, f)
	if _, err := in.SendEvents(ctx, map[string]any{"n": 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.Svc.RotateSigningKey(keyhousetest.Operator(""), true); err != nil {
		t.Fatal(err)
	}
	if ok, err := in.SendEvents(ctx, map[string]any{"n": 2}); err != nil || ok.Accepted != 1 {
		t.Fatalf("after the signing key's revocation: %+v, %v", ok, err)
	}
	if got := [2]int{n.get("/as/token"), n.get("/v1/events")}; got != [2]int{2, 3} {
		t.Fatalf("token fetches, intake requests = %v, want [2 3]: one refusal, one new token, one retry", got)
	}
	if err := f.e.Svc.DeleteKey(f.owner.Ctx, "sandbox", f.client["own"], keyID, f.client["own"]); err != nil {
		t.Fatal(err)
	}
	_, err := in.SendEvents(ctx, map[string]any{"n": 3})
	wantStatus(t, err, 401, "invalid_client")
	if got := [2]int{n.get("/as/token"), n.get("/v1/events")}; got != [2]int{3, 4} {
		t.Fatalf("token fetches, intake requests = %v, want [3 4]: no second retry", got)
	}
}
