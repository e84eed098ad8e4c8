package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/service"
)

// from returns a context of a request from ip.
func from(ip string) context.Context {
	return keyhouse.NewContextWithRequest(context.Background(), keyhouse.RequestInfo{IP: ip})
}

func TestSignInThrottle(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	bad := service.SignInRequest{Email: owner.Email, Password: "Wrong-password-1"}
	ctx := keyhouse.NewContextWithRequest(context.Background(), keyhouse.RequestInfo{IP: "198.51.100.7"})
	for i := range 3 {
		_, err := e.Svc.SignIn(ctx, bad)
		keyhousetest.MustCode(t, err, keyhouse.ECREDENTIALS)
		_ = i
	}
	// The third failure starts a one-second wait: even the right password waits.
	good := service.SignInRequest{Email: owner.Email, Password: keyhousetest.Password, OTP: e.Code(t, owner.Secret)}
	e.Clock.Add(-30 * time.Second) // code() moved the clock; stay inside the wait
	_, err := e.Svc.SignIn(ctx, good)
	keyhousetest.MustCode(t, err, keyhouse.ETHROTTLED)
	// The same for an e-mail that does not exist.
	for range 3 {
		_, err := e.Svc.SignIn(ctx, service.SignInRequest{Email: "ghost@example.com", Password: "x"})
		keyhousetest.MustCode(t, err, keyhouse.ECREDENTIALS)
	}
	_, err = e.Svc.SignIn(ctx, service.SignInRequest{Email: "ghost@example.com", Password: "x"})
	keyhousetest.MustCode(t, err, keyhouse.ETHROTTLED)

	// Waiting lets the right credentials in and clears the account's count.
	e.Clock.Add(2 * time.Second)
	good.OTP = e.Code(t, owner.Secret)
	if _, err := e.Svc.SignIn(ctx, good); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
	// Ten failures in a row lock the account for 15 minutes.
	for i := range 10 {
		e.Clock.Add(10 * time.Minute)
		_, err := e.Svc.SignIn(ctx, bad)
		keyhousetest.MustCode(t, err, keyhouse.ECREDENTIALS)
		_ = i
	}
	e.Clock.Add(14 * time.Minute)
	good.OTP = e.Code(t, owner.Secret)
	_, err = e.Svc.SignIn(ctx, good)
	keyhousetest.MustCode(t, err, keyhouse.ETHROTTLED)
	e.Clock.Add(time.Minute)
	good.OTP = e.Code(t, owner.Secret)
	if _, err := e.Svc.SignIn(ctx, good); err != nil {
		t.Fatalf("after the lock: %v", err)
	}
}

// TestSignInThrottlePerSource: twenty failures from one address over
// many accounts slow the address down, whatever the account; another
// address is not slowed.
func TestSignInThrottlePerSource(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	ctx := from("203.0.113.9")
	for range 20 {
		_, err := e.Svc.SignIn(ctx, service.SignInRequest{Email: keyhouse.RandomBase62(6) + "@example.com", Password: "x"})
		keyhousetest.MustCode(t, err, keyhouse.ECREDENTIALS)
	}
	good := service.SignInRequest{Email: owner.Email, Password: keyhousetest.Password, OTP: e.Code(t, owner.Secret)}
	e.Clock.Add(-30 * time.Second)
	_, err := e.Svc.SignIn(ctx, good)
	keyhousetest.MustCode(t, err, keyhouse.ETHROTTLED)
	if _, err := e.Svc.SignIn(from("203.0.113.10"), good); err != nil {
		t.Fatalf("from another address: %v", err)
	}
}

// failFrom makes n failed sign-ins of email from ctx's address, waiting
// out each delay so that every one is a failure, not a refusal.
func failFrom(t *testing.T, e *keyhousetest.Env, ctx context.Context, email string, n int) {
	t.Helper()
	for i := range n {
		_, err := e.Svc.SignIn(ctx, service.SignInRequest{Email: email, Password: "Wrong-password-1", OTP: "123456"})
		if keyhouse.ErrorCode(err) != keyhouse.ECREDENTIALS {
			t.Fatalf("failure %d: %v", i+1, err)
		}
		e.Clock.Add(2 * time.Minute) // longer than any delay before the lock
	}
}

// TestFailuresElsewhereDoNotLockTheUser replays the first attack of the
// issue: ten failures for the Owner's e-mail from each of eighteen other
// addresses. Each of those addresses is now locked out of that account,
// and the Owner still signs in from their own.
func TestFailuresElsewhereDoNotLockTheUser(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	for i := range 18 {
		failFrom(t, e, from(fmt.Sprintf("203.0.113.%d", 10+i)), owner.Email, 10)
	}
	good := service.SignInRequest{Email: owner.Email, Password: keyhousetest.Password, OTP: e.Code(t, owner.Secret)}
	_, err := e.Svc.SignIn(from("203.0.113.27"), good)
	keyhousetest.MustCode(t, err, keyhouse.ETHROTTLED) // the last attacking address, even with the right password
	good.OTP = e.Code(t, owner.Secret)
	if _, err := e.Svc.SignIn(from("198.51.100.1"), good); err != nil {
		t.Fatalf("the Owner from their own address after the attack: %v", err)
	}
}

// TestFailuresFromOneAddressDoNotLockOthers replays the second attack:
// fifteen failures from one address. Users behind that address still sign
// in, and so do users elsewhere; from twenty on the address is slowed.
func TestFailuresFromOneAddressDoNotLockOthers(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	admin := e.Invite(t, owner, "admin@example.com", "admin")
	shared := from("192.0.2.50")
	for i := range 15 {
		failFrom(t, e, shared, fmt.Sprintf("guess%d@example.com", i), 1)
	}
	failFrom(t, e, shared, owner.Email, 2)
	for _, u := range []*keyhousetest.User{owner, admin} {
		good := service.SignInRequest{Email: u.Email, Password: keyhousetest.Password, OTP: e.Code(t, u.Secret)}
		if _, err := e.Svc.SignIn(shared, good); err != nil {
			t.Fatalf("%s behind the same address: %v", u.Email, err)
		}
		e.Clock.Add(time.Minute)
	}
	good := service.SignInRequest{Email: owner.Email, Password: keyhousetest.Password, OTP: e.Code(t, owner.Secret)}
	if _, err := e.Svc.SignIn(from("198.51.100.1"), good); err != nil {
		t.Fatalf("the Owner from their own address: %v", err)
	}
}

// TestIPv6SourcesPerSlash64: addresses of one /64 are one source; another
// /64 is another.
func TestIPv6SourcesPerSlash64(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	for i := range 10 { // ten addresses of one /64, one failure each
		failFrom(t, e, from(fmt.Sprintf("2001:db8:1:2::%x", i+1)), owner.Email, 1)
	}
	good := service.SignInRequest{Email: owner.Email, Password: keyhousetest.Password, OTP: e.Code(t, owner.Secret)}
	_, err := e.Svc.SignIn(from("2001:db8:1:2:ffff::1"), good)
	keyhousetest.MustCode(t, err, keyhouse.ETHROTTLED)
	if _, err := e.Svc.SignIn(from("2001:db8:1:3::1"), good); err != nil {
		t.Fatalf("from another /64: %v", err)
	}
}

// TestUnlock: the operator's unlock ends a lock at once, from every
// source; nobody else may unlock.
func TestUnlock(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	home := from("198.51.100.1")
	failFrom(t, e, from("203.0.113.1"), owner.Email, 10)
	failFrom(t, e, home, owner.Email, 10) // the Owner's own mistakes: locked for 15 minutes
	good := service.SignInRequest{Email: owner.Email, Password: keyhousetest.Password, OTP: e.Code(t, owner.Secret)}
	_, err := e.Svc.SignIn(home, good)
	keyhousetest.MustCode(t, err, keyhouse.ETHROTTLED)

	_, err = e.Svc.Unlock(owner.Ctx, owner.Email)
	keyhousetest.MustCode(t, err, keyhouse.EFORBIDDEN)
	n, err := e.Svc.Unlock(keyhousetest.Operator(""), "  "+owner.Email+" ")
	if err != nil || n != 2 {
		t.Fatalf("unlock = %d, %v; want 2 sources", n, err)
	}
	good.OTP = e.Code(t, owner.Secret)
	if _, err := e.Svc.SignIn(home, good); err != nil {
		t.Fatalf("after unlock: %v", err)
	}
}

// TestPruneForgetsUnknownEmails: the throttle records of made-up e-mails
// are gone once they are idle and unlocked.
func TestPruneForgetsUnknownEmails(t *testing.T) {
	e := keyhousetest.New(t)
	rows := func() (n int) {
		t.Helper()
		if err := e.Store.DB().QueryRow(`SELECT count(*) FROM login_throttles`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i := range 30 {
		failFrom(t, e, from(fmt.Sprintf("192.0.2.%d", i%3)), keyhouse.RandomBase62(8)+"@example.com", 1)
	}
	if n := rows(); n != 33 {
		t.Fatalf("%d throttle records after 30 made-up e-mails from 3 addresses, want 33", n)
	}
	if err := e.Svc.Prune(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := rows(); n == 0 {
		t.Fatal("Prune forgot records that were not idle yet")
	}
	e.Clock.Add(time.Hour + time.Second)
	if err := e.Svc.Prune(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := rows(); n != 0 {
		t.Fatalf("%d throttle records an hour after the last failure, want 0", n)
	}
}

// TestOrganizationChoiceIsNoFailure: signing in without choosing one of
// several organizations proved the credentials; asking again and again
// is never throttled.
func TestOrganizationChoiceIsNoFailure(t *testing.T) {
	e := keyhousetest.New(t)
	acme := e.NewOrg(t, "acme")
	globex := e.NewOrg(t, "globex")
	e.Join(t, acme, globex, "view")
	for i := range 12 {
		_, err := e.Svc.SignIn(from("198.51.100.1"), service.SignInRequest{Email: acme.Email, Password: keyhousetest.Password, OTP: e.Code(t, acme.Secret)})
		if keyhouse.ErrorCode(err) != keyhouse.EINVALID {
			t.Fatalf("attempt %d without organization_id: %v", i+1, err)
		}
	}
}
