package service

import (
	"fmt"

	"keyhouse"
)

// addMember adds email (a new or existing user) to orgID with roles and
// returns the activation link to pass on, if any: a new user gets one; an
// active user needs none; a user still pending from another invitation
// keeps that invitation's link (whoever holds a link can take the
// account, so a second inviter must not get one), unless replace is set,
// as it is for the operator.
func (s *Service) addMember(tx Tx, orgID, email string, roles keyhouse.Roles, replace bool) (*keyhouse.User, string, error) {
	isNew := false
	u, err := tx.FindUserByEmail(email)
	if keyhouse.ErrorCode(err) == keyhouse.ENOTFOUND {
		u = &keyhouse.User{ID: keyhouse.NewID("usr"), Email: email, Status: keyhouse.UserPending, CreatedAt: s.now()}
		err, isNew = tx.CreateUser(u), true
	}
	if err != nil {
		return nil, "", fmt.Errorf("find or create user: %w", err)
	}
	if _, err := tx.FindMembership(orgID, u.ID); err == nil {
		return nil, "", keyhouse.Errorf(keyhouse.ECONFLICT, "email: %s is already a member", email)
	} else if keyhouse.ErrorCode(err) != keyhouse.ENOTFOUND {
		return nil, "", err
	}
	if err := tx.PutMembership(&keyhouse.Membership{OrgID: orgID, UserID: u.ID, Roles: roles}); err != nil {
		return nil, "", fmt.Errorf("put membership: %w", err)
	}
	if u.Status == keyhouse.UserActive || (!isNew && !replace) {
		return u, "", nil
	}
	url, err := s.newActivationLink(tx, orgID, u.ID)
	return u, url, err
}

// newActivationLink replaces the user's unused activation links with a new
// one and returns its URL.
func (s *Service) newActivationLink(tx Tx, orgID, userID string) (string, error) {
	if err := tx.DeleteLinks(keyhouse.LinkActivation, userID); err != nil {
		return "", fmt.Errorf("delete links: %w", err)
	}
	token := newToken("khl_")
	l := &keyhouse.Link{
		TokenHash: hashToken(token), Purpose: keyhouse.LinkActivation,
		UserID: userID, OrgID: orgID, ExpiresAt: s.now().Add(keyhouse.ActivationTTL),
	}
	if err := tx.CreateLink(l); err != nil {
		return "", fmt.Errorf("create link: %w", err)
	}
	return s.cfg.BaseURL + "/activate?token=" + token, nil
}

// logLink writes an activation link to the log, as SPEC §2 allows: with
// no SMTP server, the log is how an operator receives it (the caller gets
// it in the answer too). The token is single-use and expires.
func (s *Service) logLink(email, url string) {
	if url != "" {
		s.cfg.Logger.Info("activation link (no SMTP server configured)", "email", email, "activation_url", url)
	}
}

// findMember returns a user and its membership in orgID; ENOTFOUND when
// the user is not a member there.
func findMember(tx Tx, orgID, userID string) (*keyhouse.User, *keyhouse.Membership, error) {
	m, err := tx.FindMembership(orgID, userID)
	if keyhouse.ErrorCode(err) == keyhouse.ENOTFOUND {
		return nil, nil, keyhouse.Errorf(keyhouse.ENOTFOUND, "user not found")
	} else if err != nil {
		return nil, nil, err
	}
	u, err := tx.FindUserByID(userID)
	if err != nil {
		return nil, nil, err
	}
	return u, m, nil
}

// checkOwnerGrant refuses an Admin anything that grants, removes or
// changes the owner role: from holds the target's roles now (nil for a new
// member), to the roles after (nil for removal or reset).
func checkOwnerGrant(p *keyhouse.Principal, from, to keyhouse.Roles) error {
	if p.Operator || p.Roles.Has(keyhouse.RoleOwner) {
		return nil
	}
	if from.Has(keyhouse.RoleOwner) || to.Has(keyhouse.RoleOwner) {
		return keyhouse.Errorf(keyhouse.EFORBIDDEN, "roles: only an Owner may grant, remove or change the owner role")
	}
	return nil
}

// requireAnotherOwner refuses to take the owner role from u in orgID when
// u is its last active Owner.
func requireAnotherOwner(tx Tx, orgID string, u *keyhouse.User) error {
	n, err := tx.CountOwners(orgID)
	if err != nil {
		return fmt.Errorf("count owners: %w", err)
	}
	if u.Status == keyhouse.UserActive && n <= 1 {
		return keyhouse.Errorf(keyhouse.ECONFLICT, "roles: the organization must keep at least one active Owner")
	}
	return nil
}

// requireOnlyMembership refuses to reset a user who belongs to another
// organization too.
func requireOnlyMembership(tx Tx, u *keyhouse.User) error {
	ms, err := tx.ListMemberships(u.ID)
	if err != nil {
		return fmt.Errorf("list memberships: %w", err)
	}
	if len(ms) > 1 {
		return keyhouse.Errorf(keyhouse.ECONFLICT, "user: belongs to other organizations too; a reset from one of them is refused")
	}
	return nil
}

// requireActiveOrg refuses changes in a pending organization.
func requireActiveOrg(tx Tx, orgID string) error {
	o, err := tx.FindOrg(orgID)
	if err != nil {
		return fmt.Errorf("find org: %w", err)
	}
	if o.State != keyhouse.OrgActive {
		return keyhouse.Errorf(keyhouse.ECONFLICT, "organization: not active yet; its Owner must activate first")
	}
	return nil
}
