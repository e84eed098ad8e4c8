package service_test

import (
	"context"
	"net/netip"
	"testing"

	"keyhouse"
	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/service"
)

// TestIntrospectionIgnoresAddresses: a key bound to client addresses
// refuses its token from another address at the intake, but a resource
// server (which introspects from its own address a token used elsewhere)
// and the key's own organization learn that the token is active, and
// neither question is audited as a refused address.
func TestIntrospectionIgnoresAddresses(t *testing.T) {
	e := keyhousetest.New(t)
	owner, gen := boundKey(t, e)
	at := func(ip string) context.Context {
		return keyhouse.NewContextWithRequest(context.Background(), keyhouse.RequestInfo{IP: ip})
	}
	k, err := e.Svc.AuthenticateBasic(at("203.0.113.7"), gen.APIKey)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := e.Svc.IssueToken(k, "integration")
	if err != nil {
		t.Fatal(err)
	}
	if g := e.Svc.IntrospectAny(at("192.0.2.50"), &keyhouse.ResourceServer{ID: "rs_orders"}, tok.AccessToken); g == nil || g.KeyID != gen.KeyID {
		t.Errorf("a resource server's introspection from its own address: %+v, want the key's grant", g)
	}
	if g := e.Svc.Introspect(at("192.0.2.51"), k, tok.AccessToken); g == nil {
		t.Error("the key's own introspection from another address: inactive, want active")
	}
	if _, err := e.Svc.VerifyToken(at("192.0.2.52"), tok.AccessToken); err == nil {
		t.Error("the intake accepted the token from another address")
	}
	events, err := e.Svc.ListAudit(owner.Ctx, keyhouse.AuditFilter{}, "")
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, ev := range events.Events {
		if ev.Action == keyhouse.ActionKeyRefusedAddress {
			refused++
		}
	}
	if refused != 1 {
		t.Errorf("%d api_key.refused_address events, want 1 (the intake's)", refused)
	}
}

// boundKey makes an organization with a client and a key of it that
// allows only 203.0.113.0/24.
func boundKey(t *testing.T, e *keyhousetest.Env) (*keyhousetest.User, *service.GeneratedKey) {
	t.Helper()
	owner := e.NewOrg(t, "acme")
	c := e.NewClient(t, owner)
	gen, err := e.Svc.Generate(owner.Ctx, keyhouse.Sandbox, c.ClientID, service.KeyRequest{
		Description: "till", AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return owner, gen
}
