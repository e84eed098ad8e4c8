package service

import (
	"context"
	"fmt"
	"time"

	"keyhouse"
)

// addMember invites email (a new address or an existing account, the same
// either way) to orgID with roles: a pending membership, and the link that
// alone can make it active (SPEC §1, Invitation). The link goes to the
// inviter, or by e-mail; whoever opens it activates a new address or, for
// an existing account, must sign in to it and accept. issuer is the
// inviting member's user id ("" for the command line).
func (s *Service) addMember(tx Tx, orgID, email string, roles keyhouse.Roles, issuer string) (*keyhouse.Membership, *issued, error) {
	u, err := tx.FindUserByEmail(email)
	if keyhouse.ErrorCode(err) == keyhouse.ENOTFOUND {
		u = &keyhouse.User{ID: keyhouse.NewID("usr"), Email: email, Status: keyhouse.UserPending, CreatedAt: s.now()}
		err = tx.CreateUser(u)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("find or create user: %w", err)
	}
	if m, err := tx.FindMembership(orgID, u.ID); err == nil {
		if m.Active() {
			return nil, nil, keyhouse.Errorf(keyhouse.ECONFLICT, "email: %s is already a member", email)
		}
		return nil, nil, keyhouse.Errorf(keyhouse.ECONFLICT, "email: %s is already invited; send the invitation again (a new link) instead", email)
	} else if keyhouse.ErrorCode(err) != keyhouse.ENOTFOUND {
		return nil, nil, err
	}
	m := &keyhouse.Membership{
		ID: keyhouse.NewID("mem"), OrgID: orgID, UserID: u.ID, Roles: roles,
		Status: keyhouse.UserPending, CreatedAt: s.now(),
	}
	if err := tx.PutMembership(m); err != nil {
		return nil, nil, fmt.Errorf("put membership: %w", err)
	}
	link, err := s.newActivationLink(tx, orgID, u.ID, issuer)
	return m, link, err
}

// issued is a link just made: its URL, which holds the token, and when
// it stops working.
type issued struct {
	url     string
	expires time.Time
}

// newActivationLink replaces the user's unused links for orgID with a new
// one, made by member issuer ("" for the command line), and returns it.
// Links of other organizations stay as they are: one organization cannot
// spoil another's invitation. The issuer's unused links end when the
// issuer is removed or loses the right to make them (voidIssuedLinks).
func (s *Service) newActivationLink(tx Tx, orgID, userID, issuer string) (*issued, error) {
	if err := tx.DeleteLinks(keyhouse.LinkActivation, userID, orgID); err != nil {
		return nil, fmt.Errorf("delete links: %w", err)
	}
	token := newToken("khl_")
	l := &keyhouse.Link{
		TokenHash: hashToken(token), Purpose: keyhouse.LinkActivation,
		UserID: userID, OrgID: orgID, IssuedBy: issuer, ExpiresAt: s.now().Add(keyhouse.ActivationTTL),
	}
	if err := tx.CreateLink(l); err != nil {
		return nil, fmt.Errorf("create link: %w", err)
	}
	return &issued{url: s.cfg.BaseURL + "/activate?token=" + token, expires: l.ExpiresAt}, nil
}

// findMember returns a member of orgID by membership id, with its user;
// ENOTFOUND for the members of every other organization.
func findMember(tx Tx, orgID, memberID string) (*keyhouse.User, *keyhouse.Membership, error) {
	m, err := tx.FindMembershipByID(memberID)
	if keyhouse.ErrorCode(err) == keyhouse.ENOTFOUND || (err == nil && m.OrgID != orgID) {
		return nil, nil, keyhouse.Errorf(keyhouse.ENOTFOUND, "user not found")
	} else if err != nil {
		return nil, nil, err
	}
	u, err := tx.FindUserByID(m.UserID)
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

// requireAnotherOwner refuses to take the owner role from u (member m)
// when u is the organization's last active Owner.
func requireAnotherOwner(tx Tx, u *keyhouse.User, m *keyhouse.Membership) error {
	n, err := tx.CountOwners(m.OrgID)
	if err != nil {
		return fmt.Errorf("count owners: %w", err)
	}
	if u.Status == keyhouse.UserActive && m.Active() && n <= 1 {
		return keyhouse.Errorf(keyhouse.ECONFLICT, "roles: the organization must keep at least one active Owner")
	}
	return nil
}

// requireOnlyMembership refuses to reset u, member m, unless the reset
// can reach nothing beyond m's organization: every active membership of
// u is m, and m is active or u has no account yet (a pending invitation
// of an account that is active elsewhere cannot be reset from here).
func requireOnlyMembership(tx Tx, u *keyhouse.User, m *keyhouse.Membership) error {
	ms, err := tx.ListMemberships(u.ID)
	if err != nil {
		return fmt.Errorf("list memberships: %w", err)
	}
	for _, o := range ms {
		if o.OrgID != m.OrgID {
			return keyhouse.Errorf(keyhouse.ECONFLICT, "user: belongs to other organizations too; a reset from one of them is refused")
		}
	}
	if !m.Active() && u.Status == keyhouse.UserActive {
		return keyhouse.Errorf(keyhouse.ECONFLICT, "user: has not accepted the invitation yet; a reset is refused")
	}
	return nil
}

// requireActiveOrg refuses changes in a pending organization.
func requireActiveOrg(tx Tx, orgID string) error {
	_, err := activeOrg(tx, orgID)
	return err
}

// activeOrg returns orgID, and refuses a pending organization.
func activeOrg(tx Tx, orgID string) (*keyhouse.Organization, error) {
	o, err := tx.FindOrg(orgID)
	if err != nil {
		return nil, fmt.Errorf("find org: %w", err)
	}
	if o.State != keyhouse.OrgActive {
		return nil, keyhouse.Errorf(keyhouse.ECONFLICT, "organization: not active yet; its Owner must activate first")
	}
	return o, nil
}

// issuerOf is the user id links made on behalf of ctx's principal carry:
// the member's, or "" for the command line.
func issuerOf(ctx context.Context) string {
	if p := keyhouse.PrincipalFromContext(ctx); p != nil && !p.Operator {
		return p.UserID
	}
	return ""
}

// voidIssuedLinks ends the unused invitation and reset links that member
// u made in orgID: without SMTP the member holds them, and once removed
// or without the right to make them must not be able to use them to
// activate an account of that organization.
func voidIssuedLinks(tx Tx, orgID string, u *keyhouse.User) error {
	if err := tx.DeleteLinksIssuedBy(orgID, u.ID); err != nil {
		return fmt.Errorf("delete issued links: %w", err)
	}
	return nil
}
