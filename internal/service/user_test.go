package service_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/service"
)

func TestOwnerRules(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	admin := e.Invite(t, owner, "admin@example.com", "admin")
	std := e.Invite(t, owner, "std@example.com", "standard")

	t.Run("admin may not grant owner", func(t *testing.T) {
		_, err := e.Svc.InviteUser(admin.Ctx, "new@example.com", []string{"owner"})
		keyhousetest.MustCode(t, err, keyhouse.EFORBIDDEN)
		_, err = e.Svc.UpdateUserRoles(admin.Ctx, std.ID, []string{"owner"})
		keyhousetest.MustCode(t, err, keyhouse.EFORBIDDEN)
	})
	t.Run("admin may not touch an owner", func(t *testing.T) {
		_, err := e.Svc.UpdateUserRoles(admin.Ctx, owner.ID, []string{"admin"})
		keyhousetest.MustCode(t, err, keyhouse.EFORBIDDEN)
		keyhousetest.MustCode(t, e.Svc.RemoveUser(admin.Ctx, owner.ID), keyhouse.EFORBIDDEN)
		_, err = e.Svc.ResetPassword(admin.Ctx, owner.ID)
		keyhousetest.MustCode(t, err, keyhouse.EFORBIDDEN)
	})
	t.Run("admin manages non-owners", func(t *testing.T) {
		m, err := e.Svc.UpdateUserRoles(admin.Ctx, std.ID, []string{"view", "standard"})
		if err != nil || m.Roles.String() != "standard,view" {
			t.Fatalf("update = %+v, %v", m, err)
		}
	})
	t.Run("last owner stays", func(t *testing.T) {
		_, err := e.Svc.UpdateUserRoles(owner.Ctx, owner.ID, []string{"admin"})
		keyhousetest.MustCode(t, err, keyhouse.ECONFLICT)
		keyhousetest.MustCode(t, e.Svc.RemoveUser(owner.Ctx, owner.ID), keyhouse.ECONFLICT)
		_, err = e.Svc.ResetPassword(owner.Ctx, owner.ID)
		keyhousetest.MustCode(t, err, keyhouse.ECONFLICT)
	})
	t.Run("a pending owner does not count", func(t *testing.T) {
		if _, err := e.Svc.InviteUser(owner.Ctx, "pending-owner@example.com", []string{"owner"}); err != nil {
			t.Fatal(err)
		}
		_, err := e.Svc.UpdateUserRoles(owner.Ctx, owner.ID, []string{"admin"})
		keyhousetest.MustCode(t, err, keyhouse.ECONFLICT)
	})
	t.Run("with a second active owner", func(t *testing.T) {
		second := e.Invite(t, owner, "second@example.com", "owner")
		if _, err := e.Svc.UpdateUserRoles(second.Ctx, owner.ID, []string{"admin"}); err != nil {
			t.Fatalf("demote first owner: %v", err)
		}
		_, err := e.Svc.UpdateUserRoles(second.Ctx, second.ID, []string{"view"})
		keyhousetest.MustCode(t, err, keyhouse.ECONFLICT)
	})
	t.Run("standard and view manage nothing", func(t *testing.T) {
		_, err := e.Svc.ListUsers(std.Ctx)
		keyhousetest.MustCode(t, err, keyhouse.EFORBIDDEN)
	})
}

func TestRemovalAndResetEndSessions(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	a := e.Invite(t, owner, "a@example.com", "admin")
	b := e.Invite(t, owner, "b@example.com", "standard")

	if err := e.Svc.RemoveUser(owner.Ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	_, err := e.Svc.Authenticate(context.Background(), a.Token)
	keyhousetest.MustCode(t, err, keyhouse.EUNAUTHORIZED)

	reset, err := e.Svc.ResetPassword(owner.Ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Svc.Authenticate(context.Background(), b.Token)
	keyhousetest.MustCode(t, err, keyhouse.EUNAUTHORIZED)
	_, err = e.Svc.SignIn(context.Background(), service.SignInRequest{Email: b.Email, Password: keyhousetest.Password, OTP: e.Code(t, b.Secret)})
	keyhousetest.MustCode(t, err, keyhouse.ECREDENTIALS)
	b.Secret = e.Activate(t, reset.ActivationURL)
	e.SignIn(t, b)
}

func TestSessionLifetime(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")

	t.Run("idle", func(t *testing.T) {
		e.SignIn(t, owner)
		e.Clock.Add(keyhouse.SessionIdle - time.Second - 30*time.Second)
		if _, err := e.Svc.Authenticate(context.Background(), owner.Token); err != nil {
			t.Fatalf("before idle timeout: %v", err)
		}
		e.Clock.Add(keyhouse.SessionIdle)
		_, err := e.Svc.Authenticate(context.Background(), owner.Token)
		keyhousetest.MustCode(t, err, keyhouse.EUNAUTHORIZED)
	})
	t.Run("absolute", func(t *testing.T) {
		e.SignIn(t, owner)
		for elapsed := 30 * time.Second; elapsed < keyhouse.SessionAbsolute-10*time.Minute; elapsed += 10 * time.Minute {
			e.Clock.Add(10 * time.Minute)
			if _, err := e.Svc.Authenticate(context.Background(), owner.Token); err != nil {
				t.Fatalf("after %v: %v", elapsed, err)
			}
		}
		e.Clock.Add(10 * time.Minute)
		_, err := e.Svc.Authenticate(context.Background(), owner.Token)
		keyhousetest.MustCode(t, err, keyhouse.EUNAUTHORIZED)
	})
	t.Run("sign out", func(t *testing.T) {
		e.SignIn(t, owner)
		if err := e.Svc.SignOut(owner.Ctx); err != nil {
			t.Fatal(err)
		}
		_, err := e.Svc.Authenticate(context.Background(), owner.Token)
		keyhousetest.MustCode(t, err, keyhouse.EUNAUTHORIZED)
	})
}

func TestSignInFailuresLookAlike(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	ctx := keyhouse.NewContextWithRequest(context.Background(), keyhouse.RequestInfo{IP: "198.51.100.7"})
	// Each case is built when it runs, so that its TOTP code is current.
	code := func() string { return e.Code(t, owner.Secret) }
	cases := []func() service.SignInRequest{
		func() service.SignInRequest {
			return service.SignInRequest{Email: "nobody@example.com", Password: keyhousetest.Password, OTP: code()}
		},
		func() service.SignInRequest {
			return service.SignInRequest{Email: owner.Email, Password: "Wrong-password-1", OTP: code()}
		},
		func() service.SignInRequest {
			return service.SignInRequest{Email: owner.Email, Password: keyhousetest.Password, OTP: "000000"}
		},
		func() service.SignInRequest {
			return service.SignInRequest{Email: owner.Email, Password: keyhousetest.Password}
		},
		func() service.SignInRequest {
			return service.SignInRequest{Email: owner.Email, Password: keyhousetest.Password, OTP: code(), OrganizationID: "org_other"}
		},
		func() service.SignInRequest { return service.SignInRequest{Email: "not an e-mail", Password: "x"} },
	}
	for i, req := range cases {
		e.Clock.Add(time.Minute) // outwait the growing delay
		_, err := e.Svc.SignIn(ctx, req())
		keyhousetest.MustCode(t, err, keyhouse.ECREDENTIALS)
		if msg := keyhouse.ErrorMessage(err); msg != "the e-mail, password or code is not right" {
			t.Errorf("case %d: message %q", i, msg)
		}
	}
	// The right credentials still work: the failures above were for their reasons.
	e.Clock.Add(time.Minute)
	e.SignIn(t, owner)
}

func TestActivationLinks(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	inv, err := e.Svc.InviteUser(owner.Ctx, "new@example.com", []string{"view"})
	if err != nil {
		t.Fatal(err)
	}
	tok := keyhousetest.TokenOf(t, inv.ActivationURL)
	_, err = e.Svc.Activate(context.Background(), tok, "short")
	keyhousetest.MustCode(t, err, keyhouse.EINVALID)
	enr, err := e.Svc.Activate(context.Background(), tok, keyhousetest.Password)
	if err != nil {
		t.Fatal(err)
	}
	keyhousetest.MustCode(t, e.Svc.ConfirmActivation(context.Background(), tok, "000000"), keyhouse.EINVALID)
	if err := e.Svc.ConfirmActivation(context.Background(), tok, e.Code(t, enr.TOTPSecret)); err != nil {
		t.Fatal(err)
	}
	_, err = e.Svc.Activate(context.Background(), tok, keyhousetest.Password)
	keyhousetest.MustCode(t, err, keyhouse.EINVALID) // single use

	inv2, err := e.Svc.InviteUser(owner.Ctx, "late@example.com", []string{"view"})
	if err != nil {
		t.Fatal(err)
	}
	e.Clock.Add(keyhouse.ActivationTTL)
	_, err = e.Svc.Activate(context.Background(), keyhousetest.TokenOf(t, inv2.ActivationURL), keyhousetest.Password)
	keyhousetest.MustCode(t, err, keyhouse.EINVALID) // expired after 7 days
}

func TestTOTPCodeWorksOnce(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	req := service.SignInRequest{Email: owner.Email, Password: keyhousetest.Password, OTP: e.Code(t, owner.Secret)}
	if _, err := e.Svc.SignIn(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	_, err := e.Svc.SignIn(context.Background(), req)
	keyhousetest.MustCode(t, err, keyhouse.ECREDENTIALS)
}

func TestSetupLink(t *testing.T) {
	e := keyhousetest.New(t)
	link, err := e.Svc.EnsureSetupLink(context.Background())
	if err != nil || link == "" {
		t.Fatalf("setup link = %q, %v", link, err)
	}
	_, err = e.Svc.Setup(context.Background(), "khl_wrong", "Acme", "owner@example.com")
	keyhousetest.MustCode(t, err, keyhouse.EINVALID)
	out, err := e.Svc.Setup(context.Background(), keyhousetest.TokenOf(t, link), "Acme", "Owner@Example.com")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Svc.Setup(context.Background(), keyhousetest.TokenOf(t, link), "Again", "x@example.com")
	keyhousetest.MustCode(t, err, keyhouse.EINVALID) // spent
	if again, err := e.Svc.EnsureSetupLink(context.Background()); err != nil || again != "" {
		t.Fatalf("second setup link = %q, %v", again, err)
	}
	orgs, _ := e.Svc.ListOrganizations(keyhousetest.Operator(""))
	if len(orgs) != 1 || orgs[0].State != keyhouse.OrgPending {
		t.Fatalf("orgs = %+v", orgs)
	}
	e.Activate(t, out.ActivationURL)
	orgs, _ = e.Svc.ListOrganizations(keyhousetest.Operator(""))
	if orgs[0].State != keyhouse.OrgActive {
		t.Fatalf("org after activation: %s", orgs[0].State)
	}
}

// TestNoTakeoverAcrossOrganizations pins the rules that keep one
// organization's managers out of another's accounts: invitation links and
// password resets go to the caller, so neither may reach what a user has
// elsewhere.
func TestNoTakeoverAcrossOrganizations(t *testing.T) {
	e := keyhousetest.New(t)
	acme := e.NewOrg(t, "acme")
	globex := e.NewOrg(t, "globex")
	shared := e.Invite(t, globex, "shared@example.com", "owner")

	t.Run("reset of a user of two organizations", func(t *testing.T) {
		inv, err := e.Svc.InviteUser(acme.Ctx, shared.Email, []string{"view"})
		if err != nil || inv.ActivationURL == "" || inv.Status != keyhouse.UserPending {
			t.Fatalf("invite an active user = %+v, %v; want a pending member and a link", inv, err)
		}
		// Not accepted yet: acme's reset sends the invitation again and
		// leaves the account as it is.
		inv, err = e.Svc.ResetPassword(acme.Ctx, inv.ID)
		if err != nil || inv.ActivationURL == "" {
			t.Fatalf("reset of an invitation = %+v, %v; want it sent again", inv, err)
		}
		e.SignIn(t, shared)
		// Accepted: acme may not reset the account, which is globex's too.
		if _, err := e.Svc.AcceptInvitation(shared.Ctx, keyhousetest.TokenOf(t, inv.ActivationURL)); err != nil {
			t.Fatal(err)
		}
		_, err = e.Svc.ResetPassword(acme.Ctx, inv.ID)
		keyhousetest.MustCode(t, err, keyhouse.ECONFLICT)
		e.SignIn(t, shared) // still signs in
	})
	t.Run("invite of a user pending elsewhere", func(t *testing.T) {
		first, err := e.Svc.InviteUser(globex.Ctx, "pending@example.com", []string{"owner"})
		if err != nil || first.ActivationURL == "" {
			t.Fatalf("first invite = %+v, %v", first, err)
		}
		second, err := e.Svc.InviteUser(acme.Ctx, "pending@example.com", []string{"view"})
		if err != nil || second.ActivationURL == "" || second.Status != first.Status {
			t.Fatalf("second invite = %+v, %v; want the same answer as the first", second, err)
		}
		e.Activate(t, first.ActivationURL) // globex's link still works
		// acme's link now meets an account: it may not set its password.
		_, err = e.Svc.Activate(context.Background(), keyhousetest.TokenOf(t, second.ActivationURL), keyhousetest.Password)
		keyhousetest.MustCode(t, err, keyhouse.ECONFLICT)
		// And the account is not in acme until the link is accepted.
		for _, m := range mustUsers(t, e, acme) {
			if m.Email == "pending@example.com" && m.Status != keyhouse.UserPending {
				t.Errorf("acme sees %s as %s before it accepted", m.Email, m.Status)
			}
		}
	})
	t.Run("a reset account cannot be activated through another organization's link", func(t *testing.T) {
		solo := e.Invite(t, acme, "solo@example.com", "standard")
		other, err := e.Svc.InviteUser(globex.Ctx, solo.Email, []string{"admin"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Svc.ResetPassword(acme.Ctx, solo.ID); err != nil {
			t.Fatal(err)
		}
		// The account is pending again, but active in acme: globex's link
		// must not set its password.
		_, err = e.Svc.Activate(context.Background(), keyhousetest.TokenOf(t, other.ActivationURL), keyhousetest.Password)
		keyhousetest.MustCode(t, err, keyhouse.EINVALID)
	})
}

func mustUsers(t *testing.T, e *keyhousetest.Env, by *keyhousetest.User) []*keyhouse.Member {
	t.Helper()
	ms, err := e.Svc.ListUsers(by.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// TestEachOrganizationGrantsOnlyItsOwn: two organizations created for one
// new address each have their own link; activating through one makes that
// organization active, and the other waits until its link is accepted.
func TestEachOrganizationGrantsOnlyItsOwn(t *testing.T) {
	e := keyhousetest.New(t)
	first, err := e.Svc.CreateOrganization(keyhousetest.Operator(""), "One", "boss@example.com")
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.Svc.CreateOrganization(keyhousetest.Operator(""), "Two", "boss@example.com")
	if err != nil {
		t.Fatal(err)
	}
	boss := &keyhousetest.User{Email: "boss@example.com", OrgID: first.OrganizationID}
	boss.Secret = e.Activate(t, first.ActivationURL)
	states := func() map[string]keyhouse.OrgState {
		orgs, err := e.Svc.ListOrganizations(keyhousetest.Operator(""))
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]keyhouse.OrgState{}
		for _, o := range orgs {
			m[o.Name] = o.State
		}
		return m
	}
	if got := states(); got["One"] != keyhouse.OrgActive || got["Two"] != keyhouse.OrgPending {
		t.Fatalf("after the first link: %v; want One active, Two pending", got)
	}
	e.SignIn(t, boss)
	e.Accept(t, boss, second.ActivationURL)
	if got := states(); got["Two"] != keyhouse.OrgActive {
		t.Fatalf("after accepting the second link: %v", got)
	}
}

// TestConcurrentSignIns: a right and wrong sign-ins of one account from
// one address at the same moment all get an answer about credentials,
// never a store failure (on PostgreSQL their locks must not deadlock).
func TestConcurrentSignIns(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	ctx := keyhouse.NewContextWithRequest(context.Background(), keyhouse.RequestInfo{IP: "192.0.2.77"})
	for round := range 50 {
		e.Clock.Add(time.Hour) // outwait every lock of the round before
		good := service.SignInRequest{Email: owner.Email, Password: keyhousetest.Password, OTP: e.Code(t, owner.Secret)}
		bad := service.SignInRequest{Email: owner.Email, Password: "Wrong-password-1"}
		errs := make(chan error, 8)
		var wg sync.WaitGroup
		for i := range 8 {
			req := bad
			if i == 0 {
				req = good
			}
			wg.Go(func() { _, err := e.Svc.SignIn(ctx, req); errs <- err })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			switch keyhouse.ErrorCode(err) {
			case "", keyhouse.ECREDENTIALS, keyhouse.ETHROTTLED:
			default:
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
}

// TestResetOfAnInvitationRevealsNoAccount: an Admin who invites an address
// (links e-mailed or not) must not learn from the answers whether it has
// an account elsewhere (SPEC §1, Invitation). A reset of an invitation not
// accepted yet answered 200 for a new address and 409 for an account of
// another organization; it now sends the invitation again for both, and
// leaves the account as it was.
func TestResetOfAnInvitationRevealsNoAccount(t *testing.T) {
	e := keyhousetest.New(t)
	acme := e.NewOrg(t, "acme")
	globex := e.NewOrg(t, "globex")
	shared := e.Invite(t, globex, "shared@example.com", "standard")
	admin := e.Invite(t, acme, "admin@example.com", "admin")
	answers := map[string]string{}
	for _, email := range []string{"fresh@example.com", shared.Email} {
		inv, err := e.Svc.InviteUser(admin.Ctx, email, []string{"view"})
		if err != nil {
			t.Fatal(err)
		}
		out, err := e.Svc.ResetPassword(admin.Ctx, inv.ID)
		answers[email] = fmt.Sprintf("%v %v %v %v", keyhouse.ErrorCode(err), out != nil && out.ActivationURL != "", out != nil && out.Status == keyhouse.UserPending, out != nil && out.Email == email)
		if err != nil {
			continue
		}
		if _, err := e.Svc.LookUpInvitation(context.Background(), keyhousetest.TokenOf(t, inv.ActivationURL)); keyhouse.ErrorCode(err) != keyhouse.ENOTFOUND {
			t.Errorf("%s: the link made before the reset still works: %v", email, err)
		}
		if email == shared.Email {
			e.SignIn(t, shared) // the account is untouched: it still signs in
			e.Accept(t, shared, out.ActivationURL)
		}
	}
	if answers["fresh@example.com"] != answers[shared.Email] || answers[shared.Email] != " true true true" {
		t.Errorf("reset answers differ by account: new address %q, account elsewhere %q; want both \" true true true\"",
			answers["fresh@example.com"], answers[shared.Email])
	}
}

// TestSignInRacingResetOrRemoval: a sign-in whose password was checked
// just before the member was reset or removed must start no session. It
// did: the session was made after the reset had ended the others, was
// refused while the account was pending, and worked again once the member
// set a new password (for a reset of a stolen account: the thief's).
func TestSignInRacingResetOrRemoval(t *testing.T) {
	for _, act := range []string{"reset", "removal"} {
		t.Run(act, func(t *testing.T) {
			var mu sync.Mutex
			var hook func()
			calls := 0
			e := keyhousetest.New(t, func(cfg *service.Config) {
				now := cfg.Now
				cfg.Now = func() time.Time {
					mu.Lock()
					var h func()
					if hook != nil {
						// The sign-in's second reading of the clock is the
						// TOTP check, after the password was verified.
						if calls++; calls == 2 {
							h, hook = hook, nil
						}
					}
					mu.Unlock()
					if h != nil {
						h()
					}
					return now()
				}
			})
			owner := e.NewOrg(t, "acme")
			b := e.Invite(t, owner, "b@example.com", "standard")
			var reset *service.Invited
			mu.Lock()
			hook = func() {
				var err error
				if act == "reset" {
					reset, err = e.Svc.ResetPassword(owner.Ctx, b.ID)
				} else {
					err = e.Svc.RemoveUser(owner.Ctx, b.ID)
				}
				if err != nil {
					t.Errorf("%s: %v", act, err)
				}
			}
			mu.Unlock()
			out, err := e.Svc.SignIn(context.Background(), service.SignInRequest{Email: b.Email, Password: keyhousetest.Password, OTP: e.Code(t, b.Secret)})
			mu.Lock()
			ran := hook == nil
			mu.Unlock()
			if !ran {
				t.Fatal("the hook did not run during the sign-in")
			}
			if err == nil {
				t.Errorf("a sign-in racing the %s started a session", act)
			} else {
				keyhousetest.MustCode(t, err, keyhouse.ECREDENTIALS)
			}
			if act == "reset" && out != nil {
				e.Activate(t, reset.ActivationURL)
				if _, err := e.Svc.Authenticate(context.Background(), out.Token); err == nil {
					t.Error("the session started during the reset works once the member has set a new password")
				}
			}
		})
	}
}
