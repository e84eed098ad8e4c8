package service_test

import (
	"context"
	"errors"
	"testing"

	"keyhouse"
	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/service"
)

// TestResendInvitation: sending again makes a fresh link that replaces
// the old one, for Owners and Admins under the invitation's owner rule,
// only for pending members of the caller's organization; without a
// Mailer the link is in the answer.
func TestResendInvitation(t *testing.T) {
	e := keyhousetest.New(t)
	owner := e.NewOrg(t, "acme")
	admin := e.Invite(t, owner, "admin@example.com", "admin")
	other := e.NewOrg(t, "globex")

	first, err := e.Svc.InviteUser(owner.Ctx, "ann@example.com", []string{"view"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.Svc.ResendInvitation(admin.Ctx, first.ID)
	if err != nil || again.ActivationURL == "" || again.ActivationURL == first.ActivationURL || again.EmailSent || again.Status != keyhouse.UserPending {
		t.Fatalf("resend: %+v, %v", again, err)
	}
	_, err = e.Svc.LookUpInvitation(context.Background(), keyhousetest.TokenOf(t, first.ActivationURL))
	keyhousetest.MustCode(t, err, keyhouse.ENOTFOUND)

	invOwner, err := e.Svc.InviteUser(owner.Ctx, "co-owner@example.com", []string{"owner"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Svc.ResendInvitation(admin.Ctx, invOwner.ID)
	keyhousetest.MustCode(t, err, keyhouse.EFORBIDDEN)
	_, err = e.Svc.ResendInvitation(other.Ctx, first.ID)
	keyhousetest.MustCode(t, err, keyhouse.ENOTFOUND)
	_, err = e.Svc.ResendInvitation(owner.Ctx, admin.ID)
	keyhousetest.MustCode(t, err, keyhouse.ECONFLICT)

	e.Activate(t, again.ActivationURL)
	_, err = e.Svc.ResendInvitation(owner.Ctx, first.ID)
	keyhousetest.MustCode(t, err, keyhouse.ECONFLICT)
}

// fakeMailer records what it is asked to send, and fails when told to.
type fakeMailer struct {
	sent     []*keyhouse.LinkMail
	expiries []*keyhouse.ExpiryMail
	fail     error
}

func (m *fakeMailer) SendExpiry(_ context.Context, e *keyhouse.ExpiryMail) error {
	if m.fail != nil {
		return m.fail
	}
	m.expiries = append(m.expiries, e)
	return nil
}

func (m *fakeMailer) SendLink(_ context.Context, l *keyhouse.LinkMail) error {
	if m.fail != nil {
		return m.fail
	}
	m.sent = append(m.sent, l)
	return nil
}

// TestMailedLinks: with a Mailer the service hands it what each e-mail
// says (organization, roles, inviter, expiry, kind) and answers no link;
// when it fails, a member's invitation is kept and EMAILFAILED says so,
// while a new organization's Owner link goes to the operator instead.
func TestMailedLinks(t *testing.T) {
	m := &fakeMailer{}
	e := keyhousetest.New(t, func(c *service.Config) { c.Mailer = m })
	created, err := e.Svc.CreateOrganization(keyhousetest.Operator(""), "acme", "owner@example.com")
	if err != nil || created.ActivationURL != "" || !created.EmailSent || len(m.sent) != 1 {
		t.Fatalf("org create: %+v, %v, %d sent", created, err, len(m.sent))
	}
	if l := m.sent[0]; l.Kind != keyhouse.MailInvitation || l.InvitedBy != "" || l.OrganizationName != "acme" || !l.Roles.Has(keyhouse.RoleOwner) ||
		!l.ExpiresAt.Equal(e.Clock.Now().Add(keyhouse.ActivationTTL)) {
		t.Errorf("the Owner's e-mail: %+v", l)
	}
	owner := &keyhousetest.User{Email: "owner@example.com", OrgID: created.OrganizationID}
	owner.Secret = e.Activate(t, m.sent[0].URL)
	e.SignIn(t, owner)

	inv, err := e.Svc.InviteUser(owner.Ctx, "ann@example.com", []string{"admin"})
	if err != nil || inv.ActivationURL != "" || !inv.EmailSent {
		t.Fatalf("invite: %+v, %v", inv, err)
	}
	if l := m.sent[1]; l.To != "ann@example.com" || l.InvitedBy != "owner@example.com" || l.Roles.String() != "admin" {
		t.Errorf("the invitation's e-mail: %+v", l)
	}
	e.Activate(t, m.sent[1].URL)
	reset, err := e.Svc.ResetPassword(owner.Ctx, inv.ID)
	if err != nil || reset.ActivationURL != "" || !reset.EmailSent || m.sent[2].Kind != keyhouse.MailPasswordReset {
		t.Fatalf("reset: %+v, %v", reset, err)
	}
	if again, err := e.Svc.ResendInvitation(owner.Ctx, inv.ID); err != nil || m.sent[3].Kind != keyhouse.MailPasswordReset {
		t.Errorf("resend after a reset: %+v, %v, kind %s", again, err, m.sent[3].Kind)
	}

	m.fail = &keyhouse.Error{Code: keyhouse.EMAILFAILED, Message: "the mail server could not be reached", Err: errors.New("dial tcp: refused")}
	_, err = e.Svc.InviteUser(owner.Ctx, "bob@example.com", []string{"view"})
	keyhousetest.MustCode(t, err, keyhouse.EMAILFAILED)
	if msg := keyhouse.ErrorMessage(err); msg != "email: the invitation is saved, but the e-mail to bob@example.com could not be sent (the mail server could not be reached); send the invitation again once that is fixed" {
		t.Errorf("message: %q", msg)
	}
	if _, err := e.Svc.InviteUser(owner.Ctx, "bob@example.com", []string{"view"}); keyhouse.ErrorCode(err) != keyhouse.ECONFLICT {
		t.Errorf("the failed invitation was not kept: %v", err)
	}
	out, err := e.Svc.CreateOrganization(keyhousetest.Operator(""), "globex", "g@example.com")
	if err != nil || out.ActivationURL == "" || out.EmailSent || out.MailError != "the e-mail to g@example.com could not be sent (the mail server could not be reached); pass the link on instead" {
		t.Errorf("org create with the e-mail failing: %+v, %v", out, err)
	}
}
