package service_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"keyhouse"
	"keyhouse/internal/password"
	"keyhouse/internal/service"
	"keyhouse/internal/sqlstore"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// env is a service on a fresh SQLite database with a test clock.
type env struct {
	svc     *service.Service
	store   *sqlstore.Store
	clock   *clock
	deleted []string // key ids passed to OnKeyDeleted
}

// cheap argon2id settings: the password package tests the real ones.
var cheap = password.Params{Memory: 64, Time: 1, Threads: 1}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	store, err := sqlstore.Open(context.Background(), "sqlite:"+filepath.Join(tb.TempDir(), "kh.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	e := &env{store: store, clock: &clock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}}
	e.svc, err = service.New(store, []byte("0123456789abcdef0123456789abcdef"), service.Config{
		BaseURL: "http://kh.test", Password: cheap, Now: e.clock.Now,
		OnKeyDeleted: func(id string) { e.deleted = append(e.deleted, id) },
	})
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// operator returns a context acting as the operator in orgID.
func operator(orgID string) context.Context {
	return keyhouse.NewContextWithPrincipal(context.Background(), &keyhouse.Principal{Operator: true, OrgID: orgID})
}

const testPassword = "Correct-Horse-9battery"

// user is an activated member with what it takes to sign in.
type user struct {
	ID, Email, Secret, OrgID string
	Ctx                      context.Context // signed in
	Token                    string
}

// code returns the user's current TOTP code, moving the clock one step on
// so that no code is used twice.
func (e *env) code(tb testing.TB, secret string) string {
	tb.Helper()
	e.clock.Add(30 * time.Second)
	c, err := totp.GenerateCode(secret, e.clock.Now())
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// tokenOf returns the token of an activation URL.
func tokenOf(tb testing.TB, url string) string {
	tb.Helper()
	const marker = "token="
	for i := range url {
		if len(url[i:]) > len(marker) && url[i:i+len(marker)] == marker {
			return url[i+len(marker):]
		}
	}
	tb.Fatalf("no token in %q", url)
	return ""
}

// activate sets the password and confirms TOTP for an activation URL.
func (e *env) activate(tb testing.TB, url string) string {
	tb.Helper()
	tok := tokenOf(tb, url)
	enr, err := e.svc.Activate(context.Background(), tok, testPassword)
	if err != nil {
		tb.Fatalf("activate: %v", err)
	}
	if err := e.svc.ConfirmActivation(context.Background(), tok, e.code(tb, enr.TOTPSecret)); err != nil {
		tb.Fatalf("confirm: %v", err)
	}
	return enr.TOTPSecret
}

// signIn signs u in to its organization.
func (e *env) signIn(tb testing.TB, u *user) {
	tb.Helper()
	ctx := keyhouse.NewContextWithRequest(context.Background(), keyhouse.RequestInfo{IP: "192.0.2.1", UserAgent: "test"})
	out, err := e.svc.SignIn(ctx, service.SignInRequest{Email: u.Email, Password: testPassword, OTP: e.code(tb, u.Secret), OrganizationID: u.OrgID})
	if err != nil {
		tb.Fatalf("sign in %s: %v", u.Email, err)
	}
	u.Token = out.Token
	p, err := e.svc.Authenticate(ctx, out.Token)
	if err != nil {
		tb.Fatalf("authenticate %s: %v", u.Email, err)
	}
	u.Ctx = keyhouse.NewContextWithPrincipal(ctx, p)
}

// newOrg creates an active organization with a signed-in Owner.
func (e *env) newOrg(tb testing.TB, name string) *user {
	tb.Helper()
	email := name + "-owner@example.com"
	out, err := e.svc.CreateOrganization(operator(""), name, email)
	if err != nil {
		tb.Fatalf("create org: %v", err)
	}
	u := &user{Email: email, OrgID: out.OrganizationID}
	u.Secret = e.activate(tb, out.ActivationURL)
	e.signIn(tb, u)
	u.ID = keyhouse.PrincipalFromContext(u.Ctx).UserID
	return u
}

// invite adds an activated, signed-in member with roles to owner's org.
func (e *env) invite(tb testing.TB, by *user, email string, roles ...string) *user {
	tb.Helper()
	inv, err := e.svc.InviteUser(by.Ctx, email, roles)
	if err != nil {
		tb.Fatalf("invite %s: %v", email, err)
	}
	u := &user{ID: inv.ID, Email: inv.Email, OrgID: by.OrgID}
	u.Secret = e.activate(tb, inv.ActivationURL)
	e.signIn(tb, u)
	return u
}

// mustCode fails unless err has the code want.
func mustCode(tb testing.TB, err error, want string) {
	tb.Helper()
	if got := keyhouse.ErrorCode(err); got != want {
		tb.Fatalf("error code = %q (%v), want %q", got, err, want)
	}
}
