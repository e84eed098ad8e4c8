package service

import (
	"context"
	"fmt"

	"keyhouse"
)

// Invited is the answer to an invitation, to sending it again and to a
// password reset: the same whether the address has an account or not.
// ActivationURL is the link for the inviter to pass on when no Mailer is
// configured; EmailSent reports that it was e-mailed instead.
type Invited struct {
	keyhouse.Member
	ActivationURL string
	EmailSent     bool
}

// InviteUser invites email to the principal's organization with roles: the
// member is pending until the invitation's link is used. Only an Owner may
// grant the owner role. With a Mailer the link is e-mailed; when that
// fails the invitation is kept, the answer is EMAILFAILED, and
// ResendInvitation sends it again.
func (s *Service) InviteUser(ctx context.Context, email string, roleNames []string) (*Invited, error) {
	p, err := authorize(ctx, permManageUsers)
	if err != nil {
		return nil, err
	}
	if email, err = keyhouse.NormalizeEmail("email", email); err != nil {
		return nil, err
	}
	roles, err := keyhouse.ParseRoles("roles", roleNames)
	if err != nil {
		return nil, err
	}
	if err := checkOwnerGrant(p, nil, roles); err != nil {
		return nil, err
	}
	var out *Invited
	var mail *keyhouse.LinkMail
	err = s.store.Update(ctx, func(tx Tx) error {
		o, err := activeOrg(tx, p.OrgID)
		if err != nil {
			return err
		}
		m, link, err := s.addMember(tx, p.OrgID, email, roles, issuerOf(ctx))
		if err != nil {
			return err
		}
		out = &Invited{Member: keyhouse.Member{ID: m.ID, Email: email, Roles: roles, Status: m.Status, CreatedAt: m.CreatedAt}}
		mail = linkMail(ctx, keyhouse.MailInvitation, email, o, roles, link)
		return s.audit(ctx, tx, p.OrgID, "", keyhouse.ActionUserInvited, email)
	})
	if err != nil {
		return nil, err
	}
	return s.answer(ctx, out, mail, "the invitation is saved")
}

// ResendInvitation makes a fresh link for a pending member, replacing the
// one sent before (which stops working), and e-mails it, or without a
// Mailer returns it for the caller to pass on. A member who was reset
// gets the reset's e-mail again. An active member answers ECONFLICT, and
// an Admin may not send an invitation that grants the owner role.
func (s *Service) ResendInvitation(ctx context.Context, memberID string) (*Invited, error) {
	p, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	var out *Invited
	var mail *keyhouse.LinkMail
	err = s.store.Update(ctx, func(tx Tx) error {
		u, m, err := s.findManagedMember(tx, p, memberID)
		if err != nil {
			return err
		}
		out, mail, err = s.resendInvitation(ctx, tx, p, u, m)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.answer(ctx, out, mail, resent)
}

// resent is what sending an invitation again did, for the answer when
// its e-mail fails.
const resent = "a new link is made (the one sent before no longer works)"

// resendInvitation is ResendInvitation in tx, for u, member m, found
// by p.
func (s *Service) resendInvitation(ctx context.Context, tx Tx, p *keyhouse.Principal, u *keyhouse.User, m *keyhouse.Membership) (*Invited, *keyhouse.LinkMail, error) {
	if err := checkOwnerGrant(p, nil, m.Roles); err != nil {
		return nil, nil, err
	}
	out := &Invited{Member: *memberOf(u, m)}
	if out.Status == keyhouse.UserActive {
		return nil, nil, keyhouse.Errorf(keyhouse.ECONFLICT, "user: %s is active already; there is no invitation to send", u.Email)
	}
	kind := keyhouse.MailInvitation
	if m.Active() { // an active membership of a pending user: a password reset
		kind = keyhouse.MailPasswordReset
	}
	mail, err := s.memberMail(ctx, tx, kind, u, m)
	if err != nil {
		return nil, nil, err
	}
	return out, mail, s.audit(ctx, tx, p.OrgID, "", keyhouse.ActionInvitationResent, u.Email)
}

// memberMail makes a fresh link for u, member m, and returns its e-mail.
func (s *Service) memberMail(ctx context.Context, tx Tx, kind keyhouse.MailKind, u *keyhouse.User, m *keyhouse.Membership) (*keyhouse.LinkMail, error) {
	o, err := tx.FindOrg(m.OrgID)
	if err != nil {
		return nil, fmt.Errorf("find org: %w", err)
	}
	link, err := s.newActivationLink(tx, m.OrgID, u.ID, issuerOf(ctx))
	if err != nil {
		return nil, err
	}
	return linkMail(ctx, kind, u.Email, o, m.Roles, link), nil
}

// answer delivers a member's link, made and committed: by e-mail with a
// Mailer (EMAILFAILED, saying what was done, when that fails), else in
// the answer for the caller to pass on.
func (s *Service) answer(ctx context.Context, out *Invited, mail *keyhouse.LinkMail, done string) (*Invited, error) {
	sent, err := s.deliver(ctx, mail)
	if err != nil {
		return nil, mailFailed(done, out.Email, err)
	}
	if sent {
		out.EmailSent = true
	} else {
		out.ActivationURL = mail.URL
	}
	return out, nil
}
