package service

import (
	"context"
	"fmt"

	"keyhouse"
)

// Invited is the answer to an invitation: the same whether the address
// has an account or not. ActivationURL is the invitation's link, for the
// inviter to pass on (no SMTP server is used).
type Invited struct {
	keyhouse.Member
	ActivationURL string `json:"activation_url,omitempty"`
}

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

// InviteUser invites email to the principal's organization with roles: the
// member is pending until the invitation's link is used. Only an Owner may
// grant the owner role.
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
	err = s.store.Update(ctx, func(tx Tx) error {
		if err := requireActiveOrg(tx, p.OrgID); err != nil {
			return err
		}
		m, url, err := s.addMember(tx, p.OrgID, email, roles)
		if err != nil {
			return err
		}
		out = &Invited{Member: keyhouse.Member{ID: m.ID, Email: email, Roles: roles, Status: m.Status, CreatedAt: m.CreatedAt}, ActivationURL: url}
		return s.audit(ctx, tx, p.OrgID, "", keyhouse.ActionUserInvited, email)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
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
		return s.audit(ctx, tx, p.OrgID, "", keyhouse.ActionUserRemoved, u.Email)
	})
}

// ResetPassword puts a member back to pending: password and TOTP are
// cleared, every session ends, and a new activation link is returned. A
// user who also belongs to another organization is refused: the link goes
// to the caller, who must not gain access to that other organization.
func (s *Service) ResetPassword(ctx context.Context, memberID string) (string, error) {
	p, err := signedIn(ctx)
	if err != nil {
		return "", err
	}
	var url string
	err = s.store.Update(ctx, func(tx Tx) error {
		u, m, err := s.findManagedMember(tx, p, memberID)
		if err != nil {
			return err
		}
		if err := checkOwnerGrant(p, m.Roles, nil); err != nil {
			return err
		}
		if err := requireOnlyMembership(tx, u, m); err != nil {
			return err
		}
		if m.Roles.Has(keyhouse.RoleOwner) {
			if err := requireAnotherOwner(tx, u, m); err != nil {
				return err
			}
		}
		u.Status, u.PasswordHash, u.TOTPSecret, u.TOTPLastStep = keyhouse.UserPending, "", "", 0
		if err := tx.UpdateUser(u); err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		if err := tx.DeleteUserSessions(u.ID, ""); err != nil {
			return fmt.Errorf("delete sessions: %w", err)
		}
		if url, err = s.newActivationLink(tx, p.OrgID, u.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, p.OrgID, "", keyhouse.ActionUserPasswordReset, u.Email)
	})
	if err != nil {
		return "", err
	}
	return url, nil
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
