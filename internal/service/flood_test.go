package service_test

import (
	"context"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/apikey"
	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/service"
)

// TestCredentialFlood: floods of made-up API keys, made-up tokens and
// valid tokens of an attacker's own key, each three times a cache's
// bound, leave each cache at or under its bound, while a real key keeps
// authenticating and its token, used now and then as integrations do,
// stays cached and verifies fast.
func TestCredentialFlood(t *testing.T) {
	const limit, flood = 1000, 3000
	ctx := context.Background()
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	client := e.NewClient(t, owner)
	real, err := e.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, client.ClientID, "real")
	if err != nil {
		t.Fatal(err)
	}
	attacker, err := e.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, client.ClientID, "attacker")
	if err != nil {
		t.Fatal(err)
	}
	service.SetCacheLimits(e.Svc, limit, limit)
	realToken := tokenOf(t, e, real.APIKey)
	if _, err := e.Svc.VerifyToken(ctx, realToken); err != nil {
		t.Fatal(err)
	}

	floods := []struct {
		name string
		send func(i int) error // one made-up credential; nil error is a failure of the test
	}{
		{"random key ids", func(int) error {
			_, err := e.Svc.AuthenticateBasic(ctx, apikey.Generate(keyhouse.Sandbox).APIKey())
			return err
		}},
		{"random tokens", func(int) error {
			_, err := e.Svc.VerifyToken(ctx, "eyJhbGciOiJFUzI1NiJ9."+keyhouse.RandomBase62(120)+"."+keyhouse.RandomBase62(86))
			return err
		}},
		{"valid tokens of another key", func(int) error {
			_, err := e.Svc.VerifyToken(ctx, tokenOf(t, e, attacker.APIKey))
			if err == nil {
				return errValid // counted apart: these verify
			}
			return err
		}},
	}
	for _, f := range floods {
		most, misses := [2]int{}, 0
		for i := range flood {
			if err := f.send(i); err == nil {
				t.Fatalf("%s: a made-up credential was accepted", f.name)
			}
			tokens, absent := service.CacheSizes(e.Svc)
			most = [2]int{max(most[0], tokens), max(most[1], absent)}
			if i%100 == 99 { // the real integration, now and then
				if !service.TokenCached(e.Svc, realToken) {
					misses++
				}
				if _, err := e.Svc.VerifyToken(ctx, realToken); err != nil {
					t.Fatalf("%s: the real token: %v", f.name, err)
				}
				if _, err := e.Svc.AuthenticateBasic(ctx, real.APIKey); err != nil {
					t.Fatalf("%s: the real key: %v", f.name, err)
				}
			}
		}
		t.Logf("%s: %d sent; most cached: %d tokens, %d absent keys (bound %d each)", f.name, flood, most[0], most[1], limit)
		if most[0] > limit || most[1] > limit {
			t.Errorf("%s: a cache went over its bound %d: %d tokens, %d absent keys", f.name, limit, most[0], most[1])
		}
		if misses > 0 {
			t.Errorf("%s: the real token, used every 100 requests, was out of the cache %d times", f.name, misses)
		}
	}
	start := time.Now()
	const n = 1000
	for range n {
		if _, err := e.Svc.VerifyToken(ctx, realToken); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("the real token verifies in %v after the floods", time.Since(start)/n)
}

var errValid = keyhouse.Errorf(keyhouse.EINTERNAL, "a valid token of the attacker's own key")

// tokenOf returns an access token of the API key apiKey.
func tokenOf(t *testing.T, e *keyhousetest.Env, apiKey string) string {
	t.Helper()
	k, err := e.Svc.AuthenticateBasic(context.Background(), apiKey)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := e.Svc.IssueToken(k, service.ScopeIntegration)
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}
