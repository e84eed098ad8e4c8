package service

import (
	"context"
	"fmt"

	"github.com/pquerna/otp/totp"

	"keyhouse"
	"keyhouse/internal/password"
)

// Enrolment is the TOTP secret a user adds to an authenticator app while
// activating.
type Enrolment struct {
	TOTPSecret string `json:"totp_secret"`
	OTPAuthURI string `json:"otpauth_uri"`
}

// Activate checks an activation link, sets the user's password and starts
// TOTP enrolment. The link stays valid until ConfirmActivation.
func (s *Service) Activate(ctx context.Context, token, pw string) (*Enrolment, error) {
	if err := keyhouse.ValidatePassword(pw); err != nil {
		return nil, err
	}
	var u *keyhouse.User
	err := s.store.View(ctx, func(tx Tx) error {
		l, err := s.findLink(tx, token, keyhouse.LinkActivation)
		if err != nil {
			return err
		}
		u, err = tx.FindUserByID(l.UserID)
		return err
	})
	if err != nil {
		return nil, err
	}
	hash, err := password.Hash(pw, s.cfg.Password)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "keyhouse", AccountName: u.Email})
	if err != nil {
		return nil, fmt.Errorf("generate totp: %w", err)
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		if _, err := s.findLink(tx, token, keyhouse.LinkActivation); err != nil {
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
// the user active; a pending organization's Owner activates it too. With
// MFA optional, an empty code activates the user without TOTP.
func (s *Service) ConfirmActivation(ctx context.Context, token, code string) error {
	return s.store.Update(ctx, func(tx Tx) error {
		l, err := s.spendLink(tx, token, keyhouse.LinkActivation)
		if err != nil {
			return err
		}
		u, err := tx.FindUserByID(l.UserID)
		if err != nil {
			return err
		}
		if u.PasswordHash == "" {
			return keyhouse.Errorf(keyhouse.ECONFLICT, "password: set a password first")
		}
		if code == "" && s.cfg.MFAOptional {
			u.TOTPSecret = ""
		} else if err := s.checkTOTP(u, code); err != nil {
			return keyhouse.Errorf(keyhouse.EINVALID, "otp: the code does not match; check the authenticator's clock")
		}
		u.Status = keyhouse.UserActive
		if err := tx.UpdateUser(u); err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		if err := s.activateOrgs(tx, u.ID); err != nil {
			return err
		}
		ctx := keyhouse.NewContextWithPrincipal(ctx, &keyhouse.Principal{UserID: u.ID, Email: u.Email, OrgID: l.OrgID})
		return s.audit(ctx, tx, l.OrgID, "", keyhouse.ActionUserActivated, u.Email)
	})
}

// activateOrgs makes active every pending organization of which userID
// is an Owner: its first Owner has activated.
func (s *Service) activateOrgs(tx Tx, userID string) error {
	ms, err := tx.ListMemberships(userID)
	if err != nil {
		return fmt.Errorf("list memberships: %w", err)
	}
	for _, m := range ms {
		if !m.Roles.Has(keyhouse.RoleOwner) {
			continue
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
	}
	return nil
}
