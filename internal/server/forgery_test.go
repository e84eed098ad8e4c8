package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/token"
)

// TestForgedTokensRefused reproduces the forgeries of a stolen signing key
// (SPEC §3's rule): after a rotation whose retired key had its retired_at
// moved two days back, a token signed with that key and exp a year ahead;
// a token of the current key living longer than 1200 s; a token whose kid
// is not in the JWKS. The intake answers 401 and introspection
// active:false to each, and accepts the same claims signed properly.
func TestForgedTokensRefused(t *testing.T) {
	f := newDataFixture(t)
	e := f.e
	retired := e.SigningKeyIDs(t)[0]
	if _, err := e.Svc.RotateSigningKey(keyhousetest.Operator(""), false); err != nil {
		t.Fatal(err)
	}
	current := e.SigningKeyIDs(t)[1]
	oldKey, curKey := e.StealSigningKey(t, retired), e.StealSigningKey(t, current)
	now := e.Clock.Now()
	e.SetRetiredAt(t, retired, now.Add(-48*time.Hour))
	if err := e.Svc.LoadSigningKeys(context.Background()); err != nil { // as every instance's poll does
		t.Fatal(err)
	}

	claims := func(lifetime time.Duration) token.Claims {
		return token.Claims{
			Issuer: "http://kh.test", ClientID: f.client["own"], OrgID: f.owner.OrgID, Env: keyhouse.Sandbox,
			APIKeyID: f.key.KeyID, Scope: "integration", IssuedAt: now, NotBefore: now, Expiry: now.Add(lifetime),
			ID: token.NewJTI(),
		}
	}
	const year = 365 * 24 * time.Hour
	tests := []struct {
		name   string
		token  string
		active bool
	}{
		{"(a) retired key moved back, exp a year ahead", keyhousetest.Forge(t, oldKey, claims(year)), false},
		{"(a) retired key moved back, exp - iat = 1200", keyhousetest.Forge(t, oldKey, claims(token.Lifetime)), false},
		{"(b) current key, exp a year ahead", keyhousetest.Forge(t, curKey, claims(year)), false},
		{"(b) current key, exp - iat = 1201", keyhousetest.Forge(t, curKey, claims(token.Lifetime+time.Second)), false},
		{"(c) kid not in the JWKS", keyhousetest.Forge(t, mustNewKey(t, now), claims(token.Lifetime)), false},
		{"current key, exp - iat = 1200", keyhousetest.Forge(t, curKey, claims(token.Lifetime)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantIntake := map[bool]int{true: 202, false: 401}[tt.active]
			status, h, body := f.post(t, "/v1/events", "application/json", `{"n":1}`, map[string]string{"Authorization": "Bearer " + tt.token})
			if status != wantIntake {
				t.Fatalf("intake: %d %s, want %d", status, body, wantIntake)
			}
			if status == 401 && !strings.Contains(h.Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Errorf("WWW-Authenticate = %q", h.Get("WWW-Authenticate"))
			}
			_, _, body = f.post(t, "/oauth2/introspect", form, "token="+url.QueryEscape(tt.token), map[string]string{"Authorization": "Basic " + f.key.APIKey})
			var m map[string]any
			if err := json.Unmarshal([]byte(body), &m); err != nil || m["active"] != tt.active {
				t.Fatalf("introspection: %s, want active:%v", body, tt.active)
			}
		})
	}
	// The retired key verifies nothing any more: it left the JWKS and the store.
	if kids := e.SigningKeyIDs(t); slices.Contains(kids, retired) || !slices.Contains(kids, current) {
		t.Errorf("stored signing keys %v: the retired %s should be deleted, the current %s kept", kids, retired, current)
	}
	resp, err := http.Get(f.srv.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct{ Keys []struct{ Kid string } }
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || len(set.Keys) != 1 || set.Keys[0].Kid != current {
		t.Errorf("JWKS %+v (%v), want the current key %s alone", set, err, current)
	}
}

func mustNewKey(tb testing.TB, now time.Time) token.Key {
	tb.Helper()
	k, err := token.NewKey(now)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}
