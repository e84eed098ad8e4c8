package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/service"
)

func TestSignInChoices(t *testing.T) {
	e := keyhousetest.New(t)
	acme := e.NewOrg(t, "acme")
	globex := e.NewOrg(t, "globex")
	e.Join(t, acme, globex, "view")
	ctx := context.Background()
	req := func(code, org string) service.SignInRequest {
		return service.SignInRequest{Email: acme.Email, Password: keyhousetest.Password, OTP: code, OrganizationID: org}
	}

	code := e.Code(t, acme.Secret)
	out, orgs, err := e.Svc.SignInChoices(ctx, req(code, ""))
	if err != nil || out != nil || len(orgs) != 2 || orgs[0].Name != "acme" || orgs[1].Name != "globex" {
		t.Fatalf("several organizations: %v %v %v", out, orgs, err)
	}
	out, orgs, err = e.Svc.SignInChoices(ctx, req(code, globex.OrgID))
	if err != nil || orgs != nil || out.OrganizationID != globex.OrgID || !out.Roles.Has(keyhouse.RoleView) {
		t.Fatalf("the chosen organization: %v %v %v", out, orgs, err)
	}

	_, orgs, err = e.Svc.SignInChoices(ctx, service.SignInRequest{Email: acme.Email, Password: "Wrong-password-1", OTP: e.Code(t, acme.Secret)})
	keyhousetest.MustCode(t, err, keyhouse.ECREDENTIALS)
	if orgs != nil {
		t.Error("wrong credentials show the organizations")
	}

	out, orgs, err = e.Svc.SignInChoices(ctx, service.SignInRequest{Email: globex.Email, Password: keyhousetest.Password, OTP: e.Code(t, globex.Secret)})
	if err != nil || orgs != nil || out.OrganizationID != globex.OrgID {
		t.Fatalf("one organization: %v %v %v", out, orgs, err)
	}
}

// TestSealedSignInState: the console's sealed sign-in state holds what
// was typed unreadably, and opens once, in the browser that started the
// sign-in, within three minutes; every refusal asks to start again.
func TestSealedSignInState(t *testing.T) {
	e := keyhousetest.New(t)
	ctx := context.Background()
	req := service.SignInRequest{Email: "a@example.com", Password: keyhousetest.Password, OTP: "123456"}
	const browser, other = "browser-cookie", "other-cookie"
	sealed := e.Svc.SealSignIn(req, browser)
	if strings.Contains(sealed, keyhousetest.Password) || strings.Contains(sealed, "a@example.com") {
		t.Fatal("the sealed state shows what it holds")
	}
	refused := func(name, sealed, binding, want string) {
		t.Helper()
		_, err := e.Svc.OpenSignIn(ctx, sealed, binding)
		keyhousetest.MustCode(t, err, keyhouse.EINVALID)
		if msg := keyhouse.ErrorMessage(err); msg != want {
			t.Errorf("%s: %q, want %q", name, msg, want)
		}
	}
	refused("tampered", sealed[:len(sealed)-3]+"AAA", browser, "That sign-in form is not valid; start again.")
	refused("another browser", sealed, other, "That sign-in was started in another browser; start again.")
	refused("no cookie", sealed, "", "That sign-in was started in another browser; start again.")
	if got, err := e.Svc.OpenSignIn(ctx, sealed, browser); err != nil || got != req {
		t.Fatalf("OpenSignIn = %+v, %v", got, err)
	}
	refused("replayed", sealed, browser, "That sign-in form was already used; start again.")

	late := e.Svc.SealSignIn(req, browser)
	e.Clock.Add(service.SignInStateTTL)
	refused("after 3 minutes", late, browser, "That sign-in took too long; start again.")
	e.Clock.Add(-time.Second)
	if _, err := e.Svc.OpenSignIn(ctx, late, browser); err != nil {
		t.Fatalf("just inside 3 minutes: %v", err)
	}
}
