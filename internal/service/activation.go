package service

import (
	"context"
	"fmt"

	"github.com/pquerna/otp/totp"

	"keyhouse"
)

// Enrolment is the TOTP secret a user adds to an authenticator app while
// activating.
type Enrolment struct {
	TOTPSecret string
	OTPAuthURI string
}

// Activate checks an invitation link of an address that has no account
// yet, sets the password and starts TOTP enrolment. The link stays valid
// until ConfirmActivation.
func (s *Service) Activate(ctx context.Context, token, pw string) (*Enrolment, error) {
	if err := keyhouse.ValidatePassword(pw); err != nil {
		return nil, err
	}
	var u *keyhouse.User
	err := s.store.View(ctx, func(tx Tx) (err error) {
		_, u, _, err = s.activationFor(tx, token)
		return err
	})
	if err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(ctx, pw) // a turn of the bounded hashing, as sign-ins take
	if err != nil {
		return nil, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "keyhouse", AccountName: u.Email})
	if err != nil {
		return nil, fmt.Errorf("generate totp: %w", err)
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		_, u, _, err := s.activationFor(tx, token)
		if err != nil {
			return err
		}
		u.PasswordHash, u.TOTPSecret, u.TOTPLastStep = hash, s.totp.Seal([]byte(key.Secret()), u.ID), 0
		return tx.UpdateUser(u)
	})
	if err != nil {
		return nil, err
	}
	return &Enrolment{TOTPSecret: key.Secret(), OTPAuthURI: key.URL()}, nil
}

// ConfirmActivation checks the first TOTP code, spends the link and makes
// the user and the link's membership active; a pending organization whose
// Owner this is becomes active too. With MFA optional, an empty code
// activates the user without TOTP.
func (s *Service) ConfirmActivation(ctx context.Context, token, code string) error {
	return s.store.Update(ctx, func(tx Tx) error {
		_, _, err := s.confirmActivation(ctx, tx, token, code)
		return err
	})
}

// ConfirmActivationSignIn is ConfirmActivation that also starts a session
// in the link's organization, in the same transaction: the person has
// just proved the link, set the password and shown a fresh TOTP code (the
// factors of a sign-in), and that code may not be used again to sign in.
// A member of an organization whose Owner has not activated it yet is
// activated without a session (nil): there is nothing to sign in to.
func (s *Service) ConfirmActivationSignIn(ctx context.Context, token, code string) (*SignedIn, error) {
	tok := newToken("khs_")
	now := s.now()
	sess := &keyhouse.Session{TokenHash: hashToken(tok), CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(keyhouse.SessionAbsolute)}
	var m *keyhouse.Membership
	err := s.store.Update(ctx, func(tx Tx) error {
		u, mm, err := s.confirmActivation(ctx, tx, token, code)
		if err != nil {
			return err
		}
		if _, err := activeOrg(tx, mm.OrgID); keyhouse.ErrorCode(err) == keyhouse.ECONFLICT {
			return nil
		} else if err != nil {
			return err
		}
		m, sess.UserID, sess.OrgID = mm, u.ID, mm.OrgID
		if err := tx.CreateSession(sess); err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		ctx := keyhouse.NewContextWithPrincipal(ctx, &keyhouse.Principal{UserID: u.ID, Email: u.Email, OrgID: m.OrgID})
		return s.audit(ctx, tx, m.OrgID, "", keyhouse.ActionSigninSucceeded, u.Email)
	})
	if err != nil || m == nil {
		return nil, err
	}
	return &SignedIn{Token: tok, ExpiresAt: sess.ExpiresAt, OrganizationID: m.OrgID, Roles: m.Roles}, nil
}

// confirmActivation is ConfirmActivation in tx; it returns the user and
// the membership it made active.
func (s *Service) confirmActivation(ctx context.Context, tx Tx, token, code string) (*keyhouse.User, *keyhouse.Membership, error) {
	l, u, m, err := s.activationFor(tx, token)
	if err != nil {
		return nil, nil, err
	}
	if _, err := s.spendLink(tx, token, keyhouse.LinkActivation); err != nil {
		return nil, nil, err
	}
	if u.PasswordHash == "" {
		return nil, nil, keyhouse.Errorf(keyhouse.ECONFLICT, "password: set a password first")
	}
	if code == "" && s.cfg.MFAOptional {
		u.TOTPSecret = ""
	} else if err := s.checkTOTP(u, code); err != nil {
		return nil, nil, keyhouse.Errorf(keyhouse.EINVALID, "otp: the code does not match; check the authenticator's clock")
	}
	u.Status = keyhouse.UserActive
	if err := tx.UpdateUser(u); err != nil {
		return nil, nil, fmt.Errorf("update user: %w", err)
	}
	if err := acceptMembership(tx, m); err != nil {
		return nil, nil, err
	}
	ctx = keyhouse.NewContextWithPrincipal(ctx, &keyhouse.Principal{UserID: u.ID, Email: u.Email, OrgID: l.OrgID})
	return u, m, s.audit(ctx, tx, l.OrgID, "", keyhouse.ActionUserActivated, u.Email)
}

// activationFor returns the invitation of token when it may set a
// password: the address has no account yet (an existing account accepts
// instead), and the account is active in no organization but the link's
// (after a password reset, only the resetting organization's link may set
// the new password; another organization's pending invitation may not).
func (s *Service) activationFor(tx Tx, token string) (*keyhouse.Link, *keyhouse.User, *keyhouse.Membership, error) {
	l, u, m, err := s.invitationFor(tx, token)
	if err != nil {
		return nil, nil, nil, err
	}
	if u.Status == keyhouse.UserActive {
		return nil, nil, nil, errAccountExists
	}
	ms, err := tx.ListMemberships(u.ID)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("list memberships: %w", err)
	}
	for _, o := range ms {
		if o.OrgID != l.OrgID {
			return nil, nil, nil, errBadLink
		}
	}
	return l, u, m, nil
}

var errAccountExists = keyhouse.Errorf(keyhouse.ECONFLICT, "token: this address already has an account; sign in to it to accept the invitation")

// acceptMembership makes m active and, when m is an Owner's membership of
// a pending organization, the organization too: its first Owner is in.
func acceptMembership(tx Tx, m *keyhouse.Membership) error {
	if err := tx.ActivateMembership(m.OrgID, m.UserID); err != nil {
		return fmt.Errorf("activate membership: %w", err)
	}
	if !m.Roles.Has(keyhouse.RoleOwner) {
		return nil
	}
	o, err := tx.FindOrg(m.OrgID)
	if err != nil {
		return fmt.Errorf("find org: %w", err)
	}
	if o.State == keyhouse.OrgPending {
		if err := tx.SetOrgState(o.ID, keyhouse.OrgActive); err != nil {
			return fmt.Errorf("activate org: %w", err)
		}
	}
	return nil
}
