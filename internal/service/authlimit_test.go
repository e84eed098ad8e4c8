package service_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/apikey"
	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/service"
)

// TestFailedAuthenticationsPerSource: a source gets 20 failed
// authentications at once, then one a second; past that each failure is
// ETHROTTLED with a RetryAfter, and made-up keys from it no longer reach
// the store. Keys that authenticate are never refused, from that source or
// any other, and other sources' failures are their own.
func TestFailedAuthenticationsPerSource(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	c := e.NewClient(t, owner)
	gen, err := e.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, c.ClientID, "")
	if err != nil {
		t.Fatal(err)
	}
	store := &countingStore{Store: e.Store}
	svc, err := service.New(store, keyhousetest.Secret, service.Config{Password: keyhousetest.Cheap, Now: e.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	wrong := apikey.Generate(keyhouse.Sandbox).Secret // well-formed, not this key's
	attacker, neighbour := from("203.0.113.7"), from("203.0.113.8")
	for range 20 {
		_, err := svc.AuthenticatePair(attacker, gen.KeyID, wrong)
		keyhousetest.MustCode(t, err, keyhouse.ECREDENTIALS)
	}
	_, err = svc.AuthenticatePair(attacker, gen.KeyID, wrong)
	keyhousetest.MustCode(t, err, keyhouse.ETHROTTLED)
	var ke *keyhouse.Error
	if !errors.As(err, &ke) || ke.RetryAfter != time.Second {
		t.Errorf("21st failure: %#v, want RetryAfter 1s", err)
	}
	_, err = svc.AuthenticateBasic(attacker, "garbage")
	keyhousetest.MustCode(t, err, keyhouse.ETHROTTLED)

	// A made-up key from the throttled source does not reach the store.
	before := store.lookups
	_, err = svc.AuthenticateBasic(attacker, apikey.Generate(keyhouse.Sandbox).APIKey())
	keyhousetest.MustCode(t, err, keyhouse.ETHROTTLED)
	if store.lookups != before {
		t.Errorf("a made-up key from a throttled source asked the store")
	}
	// The valid key works from the throttled source and from others.
	for _, ctx := range []context.Context{attacker, neighbour, context.Background()} {
		if _, err := svc.AuthenticateBasic(ctx, gen.APIKey); err != nil {
			t.Fatalf("the valid key: %v", err)
		}
	}
	// Another source's failures are its own.
	_, err = svc.AuthenticatePair(neighbour, gen.KeyID, wrong)
	keyhousetest.MustCode(t, err, keyhouse.ECREDENTIALS)
	// An IPv6 source is its /64: one site's network.
	for i := range 20 {
		_, err := svc.AuthenticatePair(from("2001:db8:1:2::"+string(rune('a'+i%6))), gen.KeyID, wrong)
		keyhousetest.MustCode(t, err, keyhouse.ECREDENTIALS)
	}
	_, err = svc.AuthenticatePair(from("2001:db8:1:2:ffff::1"), gen.KeyID, wrong)
	keyhousetest.MustCode(t, err, keyhouse.ETHROTTLED)

	// A second later the source has one failure back, then none.
	e.Clock.Add(time.Second)
	_, err = svc.AuthenticatePair(attacker, gen.KeyID, wrong)
	keyhousetest.MustCode(t, err, keyhouse.ECREDENTIALS)
	_, err = svc.AuthenticatePair(attacker, gen.KeyID, wrong)
	keyhousetest.MustCode(t, err, keyhouse.ETHROTTLED)

	// Calls without a client address (not from HTTP) are not counted.
	for range 50 {
		_, err := svc.AuthenticatePair(context.Background(), gen.KeyID, wrong)
		keyhousetest.MustCode(t, err, keyhouse.ECREDENTIALS)
	}
}
