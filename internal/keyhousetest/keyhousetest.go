// Package keyhousetest builds test fixtures: a service on a fresh database
// (SQLite, or PostgreSQL with KEYHOUSE_TEST_BACKEND=postgres) with a
// settable clock, organizations with activated, signed-in
// members. Tests of the service, the server and the command line share it.
package keyhousetest

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"keyhouse"
	"keyhouse/internal/password"
	"keyhouse/internal/service"
	"keyhouse/internal/sqlstore"
)

// Clock is a settable test clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Env is a service on a fresh SQLite database with a test clock.
type Env struct {
	Svc     *service.Service
	Store   *sqlstore.Store
	Clock   *Clock
	Deleted []string // key ids passed to OnKeyDeleted
}

// Secret is the server secret of every test service.
var Secret = []byte("0123456789abcdef0123456789abcdef")

// Cheap is a fast argon2id setting for tests: the password package tests
// the real one.
var Cheap = password.Params{Memory: 64, Time: 1, Threads: 1}

// New returns an Env on a fresh database (see OpenStore); options change
// the service's configuration.
func New(tb testing.TB, options ...func(*service.Config)) *Env {
	tb.Helper()
	return newEnv(tb, OpenStore(tb), options...)
}

// NewOn returns an Env on the database at dsn, already made for the test
// (see PostgresDSN), so that other services can share it.
func NewOn(tb testing.TB, dsn string, options ...func(*service.Config)) *Env {
	tb.Helper()
	store, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	return newEnv(tb, store, options...)
}

func newEnv(tb testing.TB, store *sqlstore.Store, options ...func(*service.Config)) *Env {
	e := &Env{Store: store, Clock: &Clock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}}
	var err error
	cfg := service.Config{
		BaseURL: "http://kh.test", Password: Cheap, Now: e.Clock.Now, Logger: slog.New(slog.DiscardHandler),
		OnKeyDeleted: func(id string) { e.Deleted = append(e.Deleted, id) },
	}
	for _, o := range options {
		o(&cfg)
	}
	e.Svc, err = service.New(store, Secret, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if err := e.Svc.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return e
}

// Run runs the service's background work (the intake's group commit among
// it) until the test ends.
func (e *Env) Run(tb testing.TB) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Svc.Run(ctx); close(done) }()
	tb.Cleanup(func() { cancel(); <-done })
}

// Operator returns a context acting as the operator in orgID.
func Operator(orgID string) context.Context {
	return keyhouse.NewContextWithPrincipal(context.Background(), &keyhouse.Principal{Operator: true, OrgID: orgID})
}

// Password is every test user's password.
const Password = "Correct-Horse-9battery"

// User is an activated member with what it takes to sign in.
type User struct {
	ID, Email, Secret, OrgID string          // ID: the member id in OrgID
	Ctx                      context.Context // signed in
	Token                    string
}

// Code returns the current TOTP code of secret, moving the clock one step
// on first so that no code is used twice.
func (e *Env) Code(tb testing.TB, secret string) string {
	tb.Helper()
	e.Clock.Add(30 * time.Second)
	c, err := totp.GenerateCode(secret, e.Clock.Now())
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// TokenOf returns the token of a setup or activation URL.
func TokenOf(tb testing.TB, url string) string {
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

// Activate sets the password and confirms TOTP for an activation URL, and
// returns the TOTP secret.
func (e *Env) Activate(tb testing.TB, url string) string {
	tb.Helper()
	tok := TokenOf(tb, url)
	enr, err := e.Svc.Activate(context.Background(), tok, Password)
	if err != nil {
		tb.Fatalf("activate: %v", err)
	}
	if err := e.Svc.ConfirmActivation(context.Background(), tok, e.Code(tb, enr.TOTPSecret)); err != nil {
		tb.Fatalf("confirm: %v", err)
	}
	return enr.TOTPSecret
}

// SignIn signs u in to its organization.
func (e *Env) SignIn(tb testing.TB, u *User) {
	tb.Helper()
	ctx := keyhouse.NewContextWithRequest(context.Background(), keyhouse.RequestInfo{IP: "192.0.2.1", UserAgent: "test"})
	out, err := e.Svc.SignIn(ctx, service.SignInRequest{Email: u.Email, Password: Password, OTP: e.Code(tb, u.Secret), OrganizationID: u.OrgID})
	if err != nil {
		tb.Fatalf("sign in %s: %v", u.Email, err)
	}
	u.Token = out.Token
	p, err := e.Svc.Authenticate(ctx, out.Token)
	if err != nil {
		tb.Fatalf("authenticate %s: %v", u.Email, err)
	}
	u.Ctx = keyhouse.NewContextWithPrincipal(ctx, p)
}

// NewOrg creates an active organization with a signed-in Owner.
func (e *Env) NewOrg(tb testing.TB, name string) *User {
	tb.Helper()
	email := name + "-owner@example.com"
	out, err := e.Svc.CreateOrganization(Operator(""), name, email)
	if err != nil {
		tb.Fatalf("create org: %v", err)
	}
	u := &User{Email: email, OrgID: out.OrganizationID}
	u.Secret = e.Activate(tb, out.ActivationURL)
	e.SignIn(tb, u)
	u.ID = e.MemberID(tb, u, email)
	return u
}

// MemberID returns the member id of email in by's organization.
func (e *Env) MemberID(tb testing.TB, by *User, email string) string {
	tb.Helper()
	ms, err := e.Svc.ListUsers(by.Ctx)
	if err != nil {
		tb.Fatalf("list users: %v", err)
	}
	for _, m := range ms {
		if m.Email == email {
			return m.ID
		}
	}
	tb.Fatalf("%s is no member of %s", email, by.OrgID)
	return ""
}

// Accept accepts the invitation of url as u, an account signed in to
// another organization, and signs u in to the invitation's organization:
// u's OrgID, ID and Ctx are then those of the new membership.
func (e *Env) Accept(tb testing.TB, u *User, url string) {
	tb.Helper()
	out, err := e.Svc.AcceptInvitation(u.Ctx, TokenOf(tb, url))
	if err != nil {
		tb.Fatalf("accept: %v", err)
	}
	u.OrgID = out.OrganizationID
	e.SignIn(tb, u)
	if out.Roles.Has(keyhouse.RoleAdmin) || out.Roles.Has(keyhouse.RoleOwner) {
		u.ID = e.MemberID(tb, u, u.Email)
	}
}

// Join makes u, an account of another organization, a member of by's
// organization with roles too: by invites u's address and u accepts.
// u's session stays in its own organization.
func (e *Env) Join(tb testing.TB, u, by *User, roles ...string) {
	tb.Helper()
	inv, err := e.Svc.InviteUser(by.Ctx, u.Email, roles)
	if err != nil {
		tb.Fatalf("invite %s: %v", u.Email, err)
	}
	if _, err := e.Svc.AcceptInvitation(u.Ctx, TokenOf(tb, inv.ActivationURL)); err != nil {
		tb.Fatalf("accept: %v", err)
	}
}

// Invite adds an activated, signed-in member with roles to by's org.
func (e *Env) Invite(tb testing.TB, by *User, email string, roles ...string) *User {
	tb.Helper()
	inv, err := e.Svc.InviteUser(by.Ctx, email, roles)
	if err != nil {
		tb.Fatalf("invite %s: %v", email, err)
	}
	u := &User{ID: inv.ID, Email: inv.Email, OrgID: by.OrgID}
	u.Secret = e.Activate(tb, inv.ActivationURL)
	e.SignIn(tb, u)
	return u
}

// MustCode fails unless err has the code want.
func MustCode(tb testing.TB, err error, want string) {
	tb.Helper()
	if got := keyhouse.ErrorCode(err); got != want {
		tb.Fatalf("error code = %q (%v), want %q", got, err, want)
	}
}

// NewClient initializes a sandbox client in owner's organization.
func (e *Env) NewClient(tb testing.TB, owner *User) *keyhouse.Client {
	tb.Helper()
	c, err := e.Svc.InitClient(owner.Ctx, keyhouse.Sandbox, "Web shop")
	if err != nil {
		tb.Fatalf("init client: %v", err)
	}
	return c
}

// KeyOf returns the key with keyID from the sandbox client list of
// owner's organization, or nil.
func (e *Env) KeyOf(tb testing.TB, owner *User, keyID string) *keyhouse.APIKey {
	tb.Helper()
	cs, err := e.Svc.ListClients(owner.Ctx, keyhouse.Sandbox)
	if err != nil {
		tb.Fatal(err)
	}
	for _, c := range cs {
		for _, k := range c.Keys {
			if k.KeyID == keyID {
				return k
			}
		}
	}
	return nil
}
