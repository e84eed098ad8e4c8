package service_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/service"
	"keyhouse/internal/token"
)

// TestRotateRevoke: `signing-keys rotate --revoke` ends the old key's
// tokens at once on the instance that revokes (a token it has verified and
// cached before included), and on another process polling the same SQLite
// database (as a server does when the command line revokes) within a
// second. The old key leaves the JWKS and the store; new tokens verify.
func TestRotateRevoke(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	c := e.NewClient(t, owner)
	other := instance(t, e.Store, e)
	old := e.SigningKeyIDs(t)[0]
	before := issue(t, e, owner, c.ClientID)
	ctx := context.Background()
	for _, svc := range []*service.Service{e.Svc, other} {
		if _, err := svc.VerifyToken(ctx, before.AccessToken); err != nil {
			t.Fatalf("before the rotation: %v", err)
		}
	}

	rot, err := e.Svc.RotateSigningKey(keyhousetest.Operator(""), true)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rot.Revoked, []string{old}) || rot.KeyID == old {
		t.Fatalf("rotation %+v, want %s revoked", rot, old)
	}
	if _, err := e.Svc.VerifyToken(ctx, before.AccessToken); err == nil {
		t.Fatal("the revoking instance still accepts the revoked key's cached token")
	}
	waitRefused(t, other, before.AccessToken)
	if kids := e.SigningKeyIDs(t); !slices.Equal(kids, []string{rot.KeyID}) {
		t.Errorf("stored signing keys %v, want the new one alone", kids)
	}
	if kids := jwksKids(t, e); !slices.Equal(kids, []string{rot.KeyID}) {
		t.Errorf("JWKS %v, want the new key alone", kids)
	}
	after := issue(t, e, owner, c.ClientID)
	for _, svc := range []*service.Service{e.Svc, other} {
		if _, err := svc.VerifyToken(ctx, after.AccessToken); err != nil {
			t.Errorf("a new token: %v", err)
		}
	}
}

// TestExpiredSigningKeyDeleted: a retired key is deleted from the store
// once the last token it may have signed has expired, by the pruning
// every instance runs each minute.
func TestExpiredSigningKeyDeleted(t *testing.T) {
	e := keyhousetest.New(t)
	old := e.SigningKeyIDs(t)[0]
	rot, err := e.Svc.RotateSigningKey(keyhousetest.Operator(""), false)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		after time.Duration
		want  []string
	}{
		{service.RetireGrace + token.Lifetime + token.Leeway - time.Second, []string{old, rot.KeyID}},
		{time.Second, []string{rot.KeyID}},
	}
	for _, s := range steps {
		e.Clock.Add(s.after)
		if err := e.Svc.Prune(context.Background()); err != nil { // every minute, on every instance
			t.Fatal(err)
		}
		kids := e.SigningKeyIDs(t)
		slices.Sort(kids)
		slices.Sort(s.want)
		if !slices.Equal(kids, s.want) {
			t.Fatalf("stored signing keys %v, want %v", kids, s.want)
		}
	}
}

// waitRefused verifies tok on svc until it is refused, and fails if that
// takes over a second.
func waitRefused(t *testing.T, svc *service.Service, tok string) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if _, err := svc.VerifyToken(context.Background(), tok); err != nil {
			return time.Since(start)
		}
		if time.Since(start) > time.Second {
			t.Fatal("the revoked key's token is still accepted after 1 s")
		}
		time.Sleep(time.Millisecond)
	}
}
