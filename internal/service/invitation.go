package service

import (
	"context"
	"fmt"
	"time"

	"keyhouse"
)

// Invitation is what an invitation link is for, as the person who opens
// it sees it before doing anything.
type Invitation struct {
	OrganizationName string
	Email            string
	Roles            keyhouse.Roles
	AccountExists    bool // sign in and accept, rather than activate
	ExpiresAt        time.Time
}

// Accepted is an invitation accepted by a signed-in account.
type Accepted struct {
	OrganizationID   string
	OrganizationName string
	Roles            keyhouse.Roles
}

var errNoInvitation = keyhouse.Errorf(keyhouse.ENOTFOUND, "invitation: the link is used, expired or unknown; ask for a new one")

// LookUpInvitation describes the invitation of token. A used, expired or
// unknown link, and one whose membership was removed, answer ENOTFOUND.
func (s *Service) LookUpInvitation(ctx context.Context, token string) (*Invitation, error) {
	var out *Invitation
	err := s.store.View(ctx, func(tx Tx) error {
		l, u, m, err := s.invitationFor(tx, token)
		if err != nil {
			return err
		}
		o, err := tx.FindOrg(l.OrgID)
		if err != nil {
			return fmt.Errorf("find org: %w", err)
		}
		out = &Invitation{
			OrganizationName: o.Name, Email: u.Email, Roles: m.Roles,
			AccountExists: u.Status == keyhouse.UserActive, ExpiresAt: l.ExpiresAt,
		}
		return nil
	})
	if keyhouse.ErrorCode(err) == keyhouse.EINVALID {
		return nil, errNoInvitation
	}
	return out, err
}

// AcceptInvitation spends the invitation of token for the signed-in
// account it was made for: its membership becomes active. Any other
// principal, and a used, expired or unknown link, get ENOTFOUND: the link
// is what grants the membership, and only to the account of the address
// it was sent to.
func (s *Service) AcceptInvitation(ctx context.Context, token string) (*Accepted, error) {
	p, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	var out *Accepted
	err = s.store.Update(ctx, func(tx Tx) (err error) {
		out, err = s.acceptInvitation(ctx, tx, token, p.UserID)
		return err
	})
	return out, err
}

// SignInToAccept signs in to the account an invitation was made for, with
// its password and code, accepts the invitation and starts a session in
// its organization: how the console's invitation page lets an existing
// account in, also one that is active in no organization (and so has no
// session to accept with). Wrong credentials answer as SignIn does, and
// are throttled and audited as SignIn's are.
func (s *Service) SignInToAccept(ctx context.Context, token, password, otp string) (*SignedIn, error) {
	var email string
	err := s.store.View(ctx, func(tx Tx) error {
		_, u, _, err := s.invitationFor(tx, token)
		if err == nil && u.Status != keyhouse.UserActive {
			return errNoInvitation // a new address activates instead
		}
		if err == nil {
			email = u.Email
		}
		return err
	})
	if keyhouse.ErrorCode(err) == keyhouse.EINVALID {
		return nil, errNoInvitation
	} else if err != nil {
		return nil, err
	}
	return s.SignIn(ctx, SignInRequest{Email: email, Password: password, OTP: otp, invitation: token})
}

// acceptInvitation accepts token's invitation for userID, an active
// account that has proved who it is, in tx.
func (s *Service) acceptInvitation(ctx context.Context, tx Tx, token, userID string) (*Accepted, error) {
	l, u, m, err := s.invitationFor(tx, token)
	if keyhouse.ErrorCode(err) == keyhouse.EINVALID || (err == nil && (u.ID != userID || u.Status != keyhouse.UserActive)) {
		return nil, errNoInvitation
	} else if err != nil {
		return nil, err
	}
	if _, err := s.spendLink(tx, token, keyhouse.LinkActivation); err != nil {
		return nil, errNoInvitation
	}
	if err := acceptMembership(tx, m); err != nil {
		return nil, err
	}
	o, err := tx.FindOrg(l.OrgID)
	if err != nil {
		return nil, fmt.Errorf("find org: %w", err)
	}
	ctx = keyhouse.NewContextWithPrincipal(ctx, &keyhouse.Principal{UserID: u.ID, Email: u.Email, OrgID: l.OrgID})
	if err := s.audit(ctx, tx, l.OrgID, "", keyhouse.ActionInvitationAccepted, u.Email); err != nil {
		return nil, err
	}
	return &Accepted{OrganizationID: o.ID, OrganizationName: o.Name, Roles: m.Roles}, nil
}

// invitationFor returns the unused, unexpired invitation link of token with
// its user and membership; errBadLink when there is none, or when the
// membership it was for has been removed since.
func (s *Service) invitationFor(tx Tx, token string) (*keyhouse.Link, *keyhouse.User, *keyhouse.Membership, error) {
	l, err := s.findLink(tx, token, keyhouse.LinkActivation)
	if err != nil {
		return nil, nil, nil, err
	}
	m, err := tx.FindMembership(l.OrgID, l.UserID)
	if keyhouse.ErrorCode(err) == keyhouse.ENOTFOUND {
		return nil, nil, nil, errBadLink
	} else if err != nil {
		return nil, nil, nil, fmt.Errorf("find membership: %w", err)
	}
	u, err := tx.FindUserByID(l.UserID)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("find user: %w", err)
	}
	return l, u, m, nil
}
