package server_test

import (
	"encoding/json"
	"net/url"
	"testing"

	"keyhouse"
)

// TestIntrospectionOwnTenantOnly reproduces the attack of one tenant's API
// key reading another tenant's tokens: introspection answers only for
// tokens of the caller's own organization and environment.
func TestIntrospectionOwnTenantOnly(t *testing.T) {
	f := newDataFixture(t)
	generate := func(owner string, env keyhouse.Environment) string {
		t.Helper()
		ctx := f.ownerOf(owner).Ctx
		c, err := f.e.Svc.InitClient(ctx, env, "introspection "+string(env))
		if err != nil {
			t.Fatal(err)
		}
		gen, err := f.e.Svc.GenerateKey(ctx, env, c.ClientID, "")
		if err != nil {
			t.Fatal(err)
		}
		return gen.APIKey
	}
	callerA := f.key.APIKey // acme, sandbox
	tokens := map[string]string{
		"A's own sandbox token":             f.token(t, generate("own", keyhouse.Sandbox)),
		"A's production token":              f.token(t, generate("own", keyhouse.Production)),
		"B's sandbox token":                 f.token(t, generate("other", keyhouse.Sandbox)),
		"B's production token":              f.token(t, generate("other", keyhouse.Production)),
		"the caller's own token":            f.token(t, callerA),
		"another sandbox key of A's client": f.token(t, f.keyOf(t, "own")),
	}
	want := map[string]bool{
		"A's own sandbox token":             true,
		"the caller's own token":            true,
		"another sandbox key of A's client": true,
	}
	for name, tok := range tokens {
		t.Run(name, func(t *testing.T) {
			status, _, body := f.post(t, "/oauth2/introspect", form, "token="+url.QueryEscape(tok), map[string]string{"Authorization": "Basic " + callerA})
			var m map[string]any
			if err := json.Unmarshal([]byte(body), &m); err != nil || status != 200 {
				t.Fatalf("introspect: %d %s", status, body)
			}
			if m["active"] != want[name] {
				t.Fatalf("active = %v, want %v (%s)", m["active"], want[name], body)
			}
			if !want[name] && len(m) != 1 {
				t.Fatalf("an inactive answer says more than active:false: %s", body)
			}
		})
	}
}

// keyOf generates a sandbox key for org's fixture client and returns it.
func (f *dataFixture) keyOf(t testing.TB, org string) string {
	t.Helper()
	gen, err := f.e.Svc.GenerateKey(f.ownerOf(org).Ctx, keyhouse.Sandbox, f.client[org], "")
	if err != nil {
		t.Fatal(err)
	}
	return gen.APIKey
}
