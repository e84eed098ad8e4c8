package service_test

import (
	"context"
	"testing"

	"keyhouse"
	"keyhouse/internal/keyhousetest"
)

// TestIssuedLinksEndWithTheIssuersRight: without SMTP the member who
// invites someone or resets a member holds the link. Once that member is
// removed, or demoted to a role that may not manage users, the links they
// made and nobody used stop working, so that they cannot activate an
// account of the organization after leaving; links others made, and those
// of a member whose new role still manages users, keep working.
func TestIssuedLinksEndWithTheIssuersRight(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	admin := e.Invite(t, owner, "admin@acme.example", "admin")
	other := e.Invite(t, owner, "other-admin@acme.example", "admin")
	standard := e.Invite(t, owner, "standard@acme.example", "standard")

	link := func(by *keyhousetest.User, email string) string {
		t.Helper()
		inv, err := e.Svc.InviteUser(by.Ctx, email, []string{"view"})
		if err != nil {
			t.Fatalf("invite %s: %v", email, err)
		}
		return keyhousetest.TokenOf(t, inv.ActivationURL)
	}
	works := func(name, token string, want bool) {
		t.Helper()
		_, err := e.Svc.Activate(context.Background(), token, keyhousetest.Password)
		if got := err == nil; got != want {
			t.Errorf("%s: activation error %v, want working %v", name, err, want)
		}
	}

	byAdmin := link(admin, "new@acme.example")
	reset, err := e.Svc.ResetPassword(admin.Ctx, standard.ID)
	if err != nil {
		t.Fatal(err)
	}
	resetLink := keyhousetest.TokenOf(t, reset.ActivationURL)
	byOwner := link(owner, "owner-invited@acme.example")
	byOther := link(other, "other-invited@acme.example")

	if err := e.Svc.RemoveUser(owner.Ctx, admin.ID); err != nil {
		t.Fatal(err)
	}
	works("the removed Admin's invitation", byAdmin, false)
	works("the removed Admin's reset of a member", resetLink, false)
	works("the Owner's invitation", byOwner, true)
	works("the other Admin's invitation", byOther, true)

	if _, err := e.Svc.UpdateUserRoles(owner.Ctx, other.ID, []string{"owner"}); err != nil {
		t.Fatal(err)
	}
	works("an Admin made Owner: their invitation", byOther, true)
	if _, err := e.Svc.UpdateUserRoles(owner.Ctx, other.ID, []string{"standard"}); err != nil {
		t.Fatal(err)
	}
	works("an Owner made Standard: their invitation", byOther, false)

	// The Owner sends them again: new links, the Owner's.
	for _, email := range []string{"new@acme.example", "standard@acme.example"} {
		m := memberByEmail(t, e, owner, email)
		inv, err := e.Svc.ResendInvitation(owner.Ctx, m.ID)
		if err != nil {
			t.Fatalf("send again to %s: %v", email, err)
		}
		works("sent again by the Owner to "+email, keyhousetest.TokenOf(t, inv.ActivationURL), true)
	}
}

// memberByEmail finds a member of by's organization.
func memberByEmail(t *testing.T, e *keyhousetest.Env, by *keyhousetest.User, email string) *keyhouse.Member {
	t.Helper()
	ms, err := e.Svc.ListUsers(by.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Email == email {
			return m
		}
	}
	t.Fatalf("no member %s", email)
	return nil
}
