package service

import (
	"context"
	"fmt"

	"keyhouse"
)

// ListUsers returns the members of the principal's organization.
func (s *Service) ListUsers(ctx context.Context) ([]*keyhouse.Member, error) {
	p, err := authorize(ctx, permManageUsers)
	if err != nil {
		return nil, err
	}
	var ms []*keyhouse.Member
	err = s.store.View(ctx, func(tx Tx) (err error) {
		ms, err = tx.ListMembers(p.OrgID)
		return err
	})
	return ms, err
}

// memberOf is the member m of u as m's organization sees it.
func memberOf(u *keyhouse.User, m *keyhouse.Membership) *keyhouse.Member {
	status := keyhouse.UserPending
	if m.Active() && u.Status == keyhouse.UserActive {
		status = keyhouse.UserActive
	}
	return &keyhouse.Member{ID: m.ID, Email: u.Email, Roles: m.Roles, Status: status, CreatedAt: m.CreatedAt}
}

// UpdateUserRoles replaces a member's roles.
func (s *Service) UpdateUserRoles(ctx context.Context, memberID string, roleNames []string) (*keyhouse.Member, error) {
	p, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	var out *keyhouse.Member
	err = s.store.Update(ctx, func(tx Tx) error {
		u, m, err := s.findManagedMember(tx, p, memberID)
		if err != nil {
			return err
		}
		roles, err := keyhouse.ParseRoles("roles", roleNames)
		if err != nil {
			return err
		}
		if err := checkOwnerGrant(p, m.Roles, roles); err != nil {
			return err
		}
		if m.Roles.Has(keyhouse.RoleOwner) && !roles.Has(keyhouse.RoleOwner) {
			if err := requireAnotherOwner(tx, u, m); err != nil {
				return err
			}
		}
		m.Roles = roles
		if err := tx.PutMembership(m); err != nil {
			return fmt.Errorf("put membership: %w", err)
		}
		if !grants(roles, permManageUsers) {
			if err := voidIssuedLinks(tx, p.OrgID, u); err != nil {
				return err
			}
		}
		out = memberOf(u, m)
		return s.audit(ctx, tx, p.OrgID, "", keyhouse.ActionUserUpdated, u.Email+" roles="+roles.String())
	})
	return out, err
}

// RemoveUser removes a member from the principal's organization, ends the
// member's sessions there and voids an invitation not yet used.
func (s *Service) RemoveUser(ctx context.Context, memberID string) error {
	p, err := signedIn(ctx)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx Tx) error {
		u, m, err := s.findManagedMember(tx, p, memberID)
		if err != nil {
			return err
		}
		if err := checkOwnerGrant(p, m.Roles, nil); err != nil {
			return err
		}
		if m.Roles.Has(keyhouse.RoleOwner) {
			if err := requireAnotherOwner(tx, u, m); err != nil {
				return err
			}
		}
		if err := tx.DeleteMembership(p.OrgID, u.ID); err != nil {
			return fmt.Errorf("delete membership: %w", err)
		}
		if err := tx.DeleteUserSessions(u.ID, p.OrgID); err != nil {
			return fmt.Errorf("delete sessions: %w", err)
		}
		if err := tx.DeleteLinks(keyhouse.LinkActivation, u.ID, p.OrgID); err != nil {
			return fmt.Errorf("delete links: %w", err)
		}
		if err := voidIssuedLinks(tx, p.OrgID, u); err != nil {
			return err
		}
		return s.audit(ctx, tx, p.OrgID, "", keyhouse.ActionUserRemoved, u.Email)
	})
}

// ResetPassword puts a member back to pending: password and TOTP are
// cleared, every session ends, and a new activation link is e-mailed to
// the member, or without a Mailer returned for the caller to pass on. A
// user who also belongs to another organization is refused: a reset from
// one organization must reach nothing of another. A member who has not
// accepted the invitation yet gets it again (ResendInvitation), whether
// the address has an account or not: the answer tells nothing of it. When the e-mail cannot
// be sent the reset stays done and the answer is EMAILFAILED; sending the
// invitation again mails a fresh link.
func (s *Service) ResetPassword(ctx context.Context, memberID string) (*Invited, error) {
	p, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	var out *Invited
	var mail *keyhouse.LinkMail
	done := "the password is reset"
	err = s.store.Update(ctx, func(tx Tx) error {
		u, m, err := s.findManagedMember(tx, p, memberID)
		if err != nil {
			return err
		}
		if !m.Active() { // an invitation not accepted yet: sent again
			done = resent
			out, mail, err = s.resendInvitation(ctx, tx, p, u, m)
			return err
		}
		if err := s.checkReset(tx, p, u, m); err != nil {
			return err
		}
		u.Status, u.PasswordHash, u.TOTPSecret, u.TOTPLastStep = keyhouse.UserPending, "", "", 0
		if err := tx.UpdateUser(u); err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		if err := tx.DeleteUserSessions(u.ID, ""); err != nil {
			return fmt.Errorf("delete sessions: %w", err)
		}
		if mail, err = s.memberMail(ctx, tx, keyhouse.MailPasswordReset, u, m); err != nil {
			return err
		}
		out = &Invited{Member: *memberOf(u, m)}
		return s.audit(ctx, tx, p.OrgID, "", keyhouse.ActionUserPasswordReset, u.Email)
	})
	if err != nil {
		return nil, err
	}
	return s.answer(ctx, out, mail, done)
}

// checkReset refuses p's reset of u, member m: an Admin may not reset an
// Owner, the reset must reach nothing beyond m's organization, and the
// organization keeps an active Owner.
func (s *Service) checkReset(tx Tx, p *keyhouse.Principal, u *keyhouse.User, m *keyhouse.Membership) error {
	if err := checkOwnerGrant(p, m.Roles, nil); err != nil {
		return err
	}
	if err := requireOnlyMembership(tx, u, m); err != nil {
		return err
	}
	if m.Roles.Has(keyhouse.RoleOwner) {
		return requireAnotherOwner(tx, u, m)
	}
	return nil
}

// findManagedMember locks p's organization, so that its Owner count holds
// until the transaction ends, looks a member up in it (404 for anyone
// else), then checks that p may manage users (403).
func (s *Service) findManagedMember(tx Tx, p *keyhouse.Principal, memberID string) (*keyhouse.User, *keyhouse.Membership, error) {
	if err := tx.Lock("org", p.OrgID); err != nil {
		return nil, nil, err
	}
	u, m, err := findMember(tx, p.OrgID, memberID)
	if err != nil {
		return nil, nil, err
	}
	if err := can(p, permManageUsers); err != nil {
		return nil, nil, err
	}
	return u, m, nil
}
