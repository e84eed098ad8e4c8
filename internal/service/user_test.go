package service_test

import (
	"context"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/service"
)

func TestOwnerRules(t *testing.T) {
	e := newEnv(t)
	owner := e.newOrg(t, "acme")
	admin := e.invite(t, owner, "admin@example.com", "admin")
	std := e.invite(t, owner, "std@example.com", "standard")

	t.Run("admin may not grant owner", func(t *testing.T) {
		_, err := e.svc.InviteUser(admin.Ctx, "new@example.com", []string{"owner"})
		mustCode(t, err, keyhouse.EFORBIDDEN)
		_, err = e.svc.UpdateUserRoles(admin.Ctx, std.ID, []string{"owner"})
		mustCode(t, err, keyhouse.EFORBIDDEN)
	})
	t.Run("admin may not touch an owner", func(t *testing.T) {
		_, err := e.svc.UpdateUserRoles(admin.Ctx, owner.ID, []string{"admin"})
		mustCode(t, err, keyhouse.EFORBIDDEN)
		mustCode(t, e.svc.RemoveUser(admin.Ctx, owner.ID), keyhouse.EFORBIDDEN)
		_, err = e.svc.ResetPassword(admin.Ctx, owner.ID)
		mustCode(t, err, keyhouse.EFORBIDDEN)
	})
	t.Run("admin manages non-owners", func(t *testing.T) {
		m, err := e.svc.UpdateUserRoles(admin.Ctx, std.ID, []string{"view", "standard"})
		if err != nil || m.Roles.String() != "standard,view" {
			t.Fatalf("update = %+v, %v", m, err)
		}
	})
	t.Run("last owner stays", func(t *testing.T) {
		_, err := e.svc.UpdateUserRoles(owner.Ctx, owner.ID, []string{"admin"})
		mustCode(t, err, keyhouse.ECONFLICT)
		mustCode(t, e.svc.RemoveUser(owner.Ctx, owner.ID), keyhouse.ECONFLICT)
		_, err = e.svc.ResetPassword(owner.Ctx, owner.ID)
		mustCode(t, err, keyhouse.ECONFLICT)
	})
	t.Run("a pending owner does not count", func(t *testing.T) {
		if _, err := e.svc.InviteUser(owner.Ctx, "pending-owner@example.com", []string{"owner"}); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.UpdateUserRoles(owner.Ctx, owner.ID, []string{"admin"})
		mustCode(t, err, keyhouse.ECONFLICT)
	})
	t.Run("with a second active owner", func(t *testing.T) {
		second := e.invite(t, owner, "second@example.com", "owner")
		if _, err := e.svc.UpdateUserRoles(second.Ctx, owner.ID, []string{"admin"}); err != nil {
			t.Fatalf("demote first owner: %v", err)
		}
		_, err := e.svc.UpdateUserRoles(second.Ctx, second.ID, []string{"view"})
		mustCode(t, err, keyhouse.ECONFLICT)
	})
	t.Run("standard and view manage nothing", func(t *testing.T) {
		_, err := e.svc.ListUsers(std.Ctx)
		mustCode(t, err, keyhouse.EFORBIDDEN)
	})
}

func TestRemovalAndResetEndSessions(t *testing.T) {
	e := newEnv(t)
	owner := e.newOrg(t, "acme")
	a := e.invite(t, owner, "a@example.com", "admin")
	b := e.invite(t, owner, "b@example.com", "standard")

	if err := e.svc.RemoveUser(owner.Ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.Authenticate(context.Background(), a.Token)
	mustCode(t, err, keyhouse.EUNAUTHORIZED)

	url, err := e.svc.ResetPassword(owner.Ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Authenticate(context.Background(), b.Token)
	mustCode(t, err, keyhouse.EUNAUTHORIZED)
	_, err = e.svc.SignIn(context.Background(), service.SignInRequest{Email: b.Email, Password: testPassword, OTP: e.code(t, b.Secret)})
	mustCode(t, err, keyhouse.ECREDENTIALS)
	b.Secret = e.activate(t, url)
	e.signIn(t, b)
}

func TestSessionLifetime(t *testing.T) {
	e := newEnv(t)
	owner := e.newOrg(t, "acme")

	t.Run("idle", func(t *testing.T) {
		e.signIn(t, owner)
		e.clock.Add(keyhouse.SessionIdle - time.Second - 30*time.Second)
		if _, err := e.svc.Authenticate(context.Background(), owner.Token); err != nil {
			t.Fatalf("before idle timeout: %v", err)
		}
		e.clock.Add(keyhouse.SessionIdle)
		_, err := e.svc.Authenticate(context.Background(), owner.Token)
		mustCode(t, err, keyhouse.EUNAUTHORIZED)
	})
	t.Run("absolute", func(t *testing.T) {
		e.signIn(t, owner)
		for elapsed := 30 * time.Second; elapsed < keyhouse.SessionAbsolute-10*time.Minute; elapsed += 10 * time.Minute {
			e.clock.Add(10 * time.Minute)
			if _, err := e.svc.Authenticate(context.Background(), owner.Token); err != nil {
				t.Fatalf("after %v: %v", elapsed, err)
			}
		}
		e.clock.Add(10 * time.Minute)
		_, err := e.svc.Authenticate(context.Background(), owner.Token)
		mustCode(t, err, keyhouse.EUNAUTHORIZED)
	})
	t.Run("sign out", func(t *testing.T) {
		e.signIn(t, owner)
		if err := e.svc.SignOut(owner.Ctx); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.Authenticate(context.Background(), owner.Token)
		mustCode(t, err, keyhouse.EUNAUTHORIZED)
	})
}

func TestSignInFailuresLookAlike(t *testing.T) {
	e := newEnv(t)
	owner := e.newOrg(t, "acme")
	ctx := keyhouse.NewContextWithRequest(context.Background(), keyhouse.RequestInfo{IP: "198.51.100.7"})
	// Each case is built when it runs, so that its TOTP code is current.
	code := func() string { return e.code(t, owner.Secret) }
	cases := []func() service.SignInRequest{
		func() service.SignInRequest {
			return service.SignInRequest{Email: "nobody@example.com", Password: testPassword, OTP: code()}
		},
		func() service.SignInRequest {
			return service.SignInRequest{Email: owner.Email, Password: "Wrong-password-1", OTP: code()}
		},
		func() service.SignInRequest {
			return service.SignInRequest{Email: owner.Email, Password: testPassword, OTP: "000000"}
		},
		func() service.SignInRequest { return service.SignInRequest{Email: owner.Email, Password: testPassword} },
		func() service.SignInRequest {
			return service.SignInRequest{Email: owner.Email, Password: testPassword, OTP: code(), OrganizationID: "org_other"}
		},
		func() service.SignInRequest { return service.SignInRequest{Email: "not an e-mail", Password: "x"} },
	}
	for i, req := range cases {
		e.clock.Add(time.Minute) // outwait the growing delay
		_, err := e.svc.SignIn(ctx, req())
		mustCode(t, err, keyhouse.ECREDENTIALS)
		if msg := keyhouse.ErrorMessage(err); msg != "the e-mail, password or code is not right" {
			t.Errorf("case %d: message %q", i, msg)
		}
	}
	// The right credentials still work: the failures above were for their reasons.
	e.clock.Add(time.Minute)
	e.signIn(t, owner)
}

func TestSignInThrottle(t *testing.T) {
	e := newEnv(t)
	owner := e.newOrg(t, "acme")
	bad := service.SignInRequest{Email: owner.Email, Password: "Wrong-password-1"}
	ctx := keyhouse.NewContextWithRequest(context.Background(), keyhouse.RequestInfo{IP: "198.51.100.7"})
	for i := range 3 {
		_, err := e.svc.SignIn(ctx, bad)
		mustCode(t, err, keyhouse.ECREDENTIALS)
		_ = i
	}
	// The third failure starts a one-second wait: even the right password waits.
	good := service.SignInRequest{Email: owner.Email, Password: testPassword, OTP: e.code(t, owner.Secret)}
	e.clock.Add(-30 * time.Second) // code() moved the clock; stay inside the wait
	_, err := e.svc.SignIn(ctx, good)
	mustCode(t, err, keyhouse.ETHROTTLED)
	// The same for an e-mail that does not exist.
	for range 3 {
		_, err := e.svc.SignIn(ctx, service.SignInRequest{Email: "ghost@example.com", Password: "x"})
		mustCode(t, err, keyhouse.ECREDENTIALS)
	}
	_, err = e.svc.SignIn(ctx, service.SignInRequest{Email: "ghost@example.com", Password: "x"})
	mustCode(t, err, keyhouse.ETHROTTLED)

	// Waiting lets the right credentials in and clears the account's count.
	e.clock.Add(2 * time.Second)
	good.OTP = e.code(t, owner.Secret)
	if _, err := e.svc.SignIn(ctx, good); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
	// Ten failures in a row lock the account for 15 minutes.
	for i := range 10 {
		e.clock.Add(10 * time.Minute)
		_, err := e.svc.SignIn(ctx, bad)
		mustCode(t, err, keyhouse.ECREDENTIALS)
		_ = i
	}
	e.clock.Add(14 * time.Minute)
	good.OTP = e.code(t, owner.Secret)
	_, err = e.svc.SignIn(ctx, good)
	mustCode(t, err, keyhouse.ETHROTTLED)
	e.clock.Add(time.Minute)
	good.OTP = e.code(t, owner.Secret)
	if _, err := e.svc.SignIn(ctx, good); err != nil {
		t.Fatalf("after the lock: %v", err)
	}
}

func TestActivationLinks(t *testing.T) {
	e := newEnv(t)
	owner := e.newOrg(t, "acme")
	inv, err := e.svc.InviteUser(owner.Ctx, "new@example.com", []string{"view"})
	if err != nil {
		t.Fatal(err)
	}
	tok := tokenOf(t, inv.ActivationURL)
	_, err = e.svc.Activate(context.Background(), tok, "short")
	mustCode(t, err, keyhouse.EINVALID)
	enr, err := e.svc.Activate(context.Background(), tok, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	mustCode(t, e.svc.ConfirmActivation(context.Background(), tok, "000000"), keyhouse.EINVALID)
	if err := e.svc.ConfirmActivation(context.Background(), tok, e.code(t, enr.TOTPSecret)); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Activate(context.Background(), tok, testPassword)
	mustCode(t, err, keyhouse.EINVALID) // single use

	inv2, err := e.svc.InviteUser(owner.Ctx, "late@example.com", []string{"view"})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(keyhouse.ActivationTTL)
	_, err = e.svc.Activate(context.Background(), tokenOf(t, inv2.ActivationURL), testPassword)
	mustCode(t, err, keyhouse.EINVALID) // expired after 7 days
}

func TestTOTPCodeWorksOnce(t *testing.T) {
	e := newEnv(t)
	owner := e.newOrg(t, "acme")
	req := service.SignInRequest{Email: owner.Email, Password: testPassword, OTP: e.code(t, owner.Secret)}
	if _, err := e.svc.SignIn(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.SignIn(context.Background(), req)
	mustCode(t, err, keyhouse.ECREDENTIALS)
}

func TestSetupLink(t *testing.T) {
	e := newEnv(t)
	link, err := e.svc.EnsureSetupLink(context.Background())
	if err != nil || link == "" {
		t.Fatalf("setup link = %q, %v", link, err)
	}
	_, err = e.svc.Setup(context.Background(), "khl_wrong", "Acme", "owner@example.com")
	mustCode(t, err, keyhouse.EINVALID)
	out, err := e.svc.Setup(context.Background(), tokenOf(t, link), "Acme", "Owner@Example.com")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Setup(context.Background(), tokenOf(t, link), "Again", "x@example.com")
	mustCode(t, err, keyhouse.EINVALID) // spent
	if again, err := e.svc.EnsureSetupLink(context.Background()); err != nil || again != "" {
		t.Fatalf("second setup link = %q, %v", again, err)
	}
	orgs, _ := e.svc.ListOrganizations(operator(""))
	if len(orgs) != 1 || orgs[0].State != keyhouse.OrgPending {
		t.Fatalf("orgs = %+v", orgs)
	}
	e.activate(t, out.ActivationURL)
	orgs, _ = e.svc.ListOrganizations(operator(""))
	if orgs[0].State != keyhouse.OrgActive {
		t.Fatalf("org after activation: %s", orgs[0].State)
	}
}
