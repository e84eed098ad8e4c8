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
	inv, err := e.Svc.InviteUser(globex.Ctx, acme.Email, []string{"view"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.AcceptInvitation(acme.Ctx, keyhousetest.TokenOf(t, inv.ActivationURL)); err != nil {
		t.Fatal(err)
	}
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

func TestSealedSignInState(t *testing.T) {
	e := keyhousetest.New(t)
	req := service.SignInRequest{Email: "a@example.com", Password: keyhousetest.Password, OTP: "123456"}
	sealed := e.Svc.SealSignIn(req)
	if strings.Contains(sealed, keyhousetest.Password) || strings.Contains(sealed, "a@example.com") {
		t.Fatal("the sealed state shows what it holds")
	}
	if got, ok := e.Svc.OpenSignIn(sealed); !ok || got != req {
		t.Fatalf("OpenSignIn = %+v, %v", got, ok)
	}
	if _, ok := e.Svc.OpenSignIn(sealed[:len(sealed)-3] + "AAA"); ok {
		t.Error("a tampered state opens")
	}
	e.Clock.Add(10 * time.Minute)
	if _, ok := e.Svc.OpenSignIn(sealed); ok {
		t.Error("a state opens after 10 minutes")
	}
}
