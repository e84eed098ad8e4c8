package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/service"
	"keyhouse/internal/sqlstore"
)

// TestUsersUnlock: `keyhouse users unlock --email E` ends a lock that
// failed sign-ins put on E, from every source.
func TestUsersUnlock(t *testing.T) {
	db := filepath.Join(t.TempDir(), "kh.db")
	if _, msg := cli(t, db, "migrate"); msg != "" {
		t.Fatalf("migrate: %s", msg)
	}
	now := time.Now()
	svc := lockedService(t, db, func() time.Time { return now })
	ctx := keyhouse.NewContextWithRequest(context.Background(), keyhouse.RequestInfo{IP: "203.0.113.1"})
	bad := service.SignInRequest{Email: "ada@example.com", Password: "Wrong-password-1"}
	for range 10 {
		_, err := svc.SignIn(ctx, bad)
		keyhousetest.MustCode(t, err, keyhouse.ECREDENTIALS)
		now = now.Add(2 * time.Minute)
	}
	_, err := svc.SignIn(ctx, bad)
	keyhousetest.MustCode(t, err, keyhouse.ETHROTTLED)

	out, msg := cli(t, db, "users", "unlock", "--email", "Ada@example.com")
	if msg != "" || !strings.Contains(out, "from 1 source\n") {
		t.Fatalf("users unlock = %q (%s)", out, msg)
	}
	_, err = svc.SignIn(ctx, bad)
	keyhousetest.MustCode(t, err, keyhouse.ECREDENTIALS) // checked again, not refused
	if _, msg := cli(t, db, "users", "unlock", "--email", "not an e-mail"); !strings.Contains(msg, "email") {
		t.Errorf("unlock of a bad address: %q", msg)
	}
}

// lockedService opens a service on the SQLite database db with the clock
// now (sign-in throttling does not need the server secret).
func lockedService(t *testing.T, db string, now func() time.Time) *service.Service {
	t.Helper()
	store, err := sqlstore.Open(context.Background(), "sqlite:"+db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	svc, err := service.New(store, keyhousetest.Secret, service.Config{Password: keyhousetest.Cheap, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}
