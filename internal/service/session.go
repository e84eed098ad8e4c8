package service

import (
	"context"
	"fmt"
	"time"

	"keyhouse"
	"keyhouse/internal/password"
)

// SignInRequest is what a person types to sign in.
type SignInRequest struct {
	Email          string
	Password       string
	OTP            string
	OrganizationID string

	// invitation, when set, is the token of an invitation that the account
	// accepts as it signs in: the session is in the invitation's
	// organization (SignInToAccept).
	invitation string
}

// SignedIn is a new session. Token is shown once, to the caller.
type SignedIn struct {
	Token          string
	ExpiresAt      time.Time
	OrganizationID string
	Roles          keyhouse.Roles
}

var errCredentials = keyhouse.Errorf(keyhouse.ECREDENTIALS, "the e-mail, password or code is not right")

// SignIn checks e-mail, password and TOTP code and starts a session. Every
// failure answers the same ECREDENTIALS error; ETHROTTLED while the pair
// of account and source, or the source, is slowed down or locked;
// EUNAVAILABLE when no turn to hash the password came in time.
func (s *Service) SignIn(ctx context.Context, req SignInRequest) (*SignedIn, error) {
	email, _ := keyhouse.NormalizeEmail("email", req.Email)
	source := sourceOf(keyhouse.RequestFromContext(ctx).IP)
	keys := throttleKeys(email, req.Email, source)
	u, m, err := s.checkInTurn(ctx, source, keys, email, req)
	var out *SignedIn
	switch keyhouse.ErrorCode(err) {
	case "":
		out, err = s.startSession(ctx, keys, u, m, req.invitation)
	case keyhouse.EINVALID: // the right credentials, no organization chosen: no failure
		if rerr := s.store.Update(ctx, func(tx Tx) error { return s.refundAttempt(tx, keys) }); rerr != nil {
			return nil, rerr
		}
	}
	if keyhouse.ErrorCode(err) == keyhouse.ECREDENTIALS {
		if aerr := s.auditSignInFailure(ctx, email, u); aerr != nil {
			return nil, aerr
		}
	}
	s.cfg.Metrics.SignIn(signInOutcome(err))
	return out, err
}

// checkInTurn counts the attempt and checks the credentials in a turn of
// the password hashing: the turns bound the memory and CPU that
// sign-ins take, and the database writes they make.
func (s *Service) checkInTurn(ctx context.Context, source string, keys []string, email string, req SignInRequest) (*keyhouse.User, *keyhouse.Membership, error) {
	if err := s.hashing.acquire(ctx, source); err != nil {
		return nil, nil, err
	}
	defer s.hashing.release()
	// The attempt counts as a failure before anything is checked, so that
	// parallel guesses cannot all slip past the throttle; a success takes
	// it back.
	if err := s.countAttempt(ctx, keys); err != nil {
		return nil, nil, err
	}
	return s.checkCredentials(ctx, email, req)
}

// checkCredentials verifies the password (always spending the same work,
// even for an unknown e-mail), the TOTP code and the membership.
func (s *Service) checkCredentials(ctx context.Context, email string, req SignInRequest) (*keyhouse.User, *keyhouse.Membership, error) {
	var u *keyhouse.User
	var ms []*keyhouse.Membership
	err := s.store.View(ctx, func(tx Tx) (err error) {
		if u, err = tx.FindUserByEmail(email); err != nil {
			return err
		}
		ms, err = tx.ListMemberships(u.ID)
		return err
	})
	if err != nil && keyhouse.ErrorCode(err) != keyhouse.ENOTFOUND {
		return nil, nil, err
	}
	hash := s.dummy
	if u != nil && u.PasswordHash != "" {
		hash = u.PasswordHash
	}
	ok, err := password.Verify(req.Password, hash)
	if err != nil || !ok || u == nil || u.Status != keyhouse.UserActive {
		return u, nil, errCredentials
	}
	if u.TOTPSecret != "" || !s.cfg.MFAOptional {
		if s.checkTOTP(u, req.OTP) != nil {
			return u, nil, errCredentials
		}
	}
	if req.invitation != "" { // the invitation's membership, accepted in startSession
		return u, nil, nil
	}
	m, err := pickMembership(ms, req.OrganizationID)
	return u, m, err
}

// pickMembership returns the membership to sign in to: the one asked for,
// or the only one.
func pickMembership(ms []*keyhouse.Membership, orgID string) (*keyhouse.Membership, error) {
	for _, m := range ms {
		if m.OrgID == orgID || (orgID == "" && len(ms) == 1) {
			return m, nil
		}
	}
	if orgID == "" && len(ms) > 1 {
		return nil, keyhouse.Errorf(keyhouse.EINVALID, "organization_id: required: the user belongs to %d organizations", len(ms))
	}
	return nil, errCredentials
}

// startSession records the success and creates the session in m's
// organization, or, with an invitation token, accepts the invitation and
// creates the session in its organization.
func (s *Service) startSession(ctx context.Context, keys []string, u *keyhouse.User, m *keyhouse.Membership, invitation string) (*SignedIn, error) {
	token := newToken("khs_")
	now := s.now()
	sess := &keyhouse.Session{
		TokenHash: hashToken(token), UserID: u.ID,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(keyhouse.SessionAbsolute),
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		if invitation != "" {
			acc, err := s.acceptInvitation(ctx, tx, invitation, u.ID)
			if err != nil {
				return err
			}
			m = &keyhouse.Membership{OrgID: acc.OrganizationID, UserID: u.ID, Roles: acc.Roles}
		}
		sess.OrgID = m.OrgID
		if err := requireActiveOrg(tx, m.OrgID); err != nil {
			return errCredentials
		}
		if err := tx.Lock("user", u.ID); err != nil { // one use per TOTP step
			return err
		}
		fresh, err := tx.FindUserByID(u.ID)
		if err != nil {
			return err
		}
		if err := stillMember(tx, u, fresh, m); err != nil {
			return err
		}
		if fresh.TOTPLastStep >= u.TOTPLastStep && u.TOTPSecret != "" {
			return errCredentials // the same code was just used by a concurrent sign-in
		}
		fresh.TOTPLastStep = u.TOTPLastStep
		if err := tx.UpdateUser(fresh); err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		if err := s.refundAttempt(tx, keys); err != nil {
			return err
		}
		if err := tx.CreateSession(sess); err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		ctx := keyhouse.NewContextWithPrincipal(ctx, &keyhouse.Principal{UserID: u.ID, Email: u.Email, OrgID: m.OrgID})
		return s.audit(ctx, tx, m.OrgID, "", keyhouse.ActionSigninSucceeded, u.Email)
	})
	if err != nil {
		return nil, err
	}
	return &SignedIn{Token: token, ExpiresAt: sess.ExpiresAt, OrganizationID: m.OrgID, Roles: m.Roles}, nil
}

// stillMember refuses a session to u, checked before this transaction,
// when it was reset (its password changed or it is pending again) or
// removed from m's organization since: a reset or removal that commits
// while the password is being hashed must leave no session behind.
func stillMember(tx Tx, u, fresh *keyhouse.User, m *keyhouse.Membership) error {
	if fresh.Status != keyhouse.UserActive || fresh.PasswordHash != u.PasswordHash {
		return errCredentials
	}
	cur, err := tx.FindMembership(m.OrgID, u.ID)
	if keyhouse.ErrorCode(err) == keyhouse.ENOTFOUND || (err == nil && !cur.Active()) {
		return errCredentials
	}
	return err
}

// Authenticate returns the principal of a session token, extending the
// session's idle timer. Ended, expired and unknown sessions answer
// EUNAUTHORIZED. Reads take no write lock; the idle timer is written at
// most every touchEvery, so the idle timeout is exact to within that.
func (s *Service) Authenticate(ctx context.Context, token string) (*keyhouse.Principal, error) {
	hash := hashToken(token)
	now := s.now()
	var p *keyhouse.Principal
	var sess *keyhouse.Session
	err := s.store.View(ctx, func(tx Tx) (err error) {
		if sess, err = tx.FindSession(hash); err != nil {
			return err
		}
		if sessionEnded(sess, now) {
			return nil
		}
		p, err = principalOf(tx, sess)
		return err
	})
	switch {
	case keyhouse.ErrorCode(err) == keyhouse.ENOTFOUND:
		return nil, errSessionEnded
	case err != nil:
		return nil, err
	case p == nil: // ended: forget it
		if err := s.store.Update(ctx, func(tx Tx) error { return tx.DeleteSession(hash) }); err != nil {
			return nil, err
		}
		return nil, errSessionEnded
	case now.Sub(sess.LastSeenAt) >= touchEvery:
		if err := s.store.Update(ctx, func(tx Tx) error { return tx.TouchSession(hash, now) }); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// touchEvery is how stale a session's last-seen time may get before a
// request writes it again.
const touchEvery = 30 * time.Second

// sessionEnded reports whether sess is past its idle or absolute timeout.
func sessionEnded(sess *keyhouse.Session, now time.Time) bool {
	return !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) >= keyhouse.SessionIdle
}

var errSessionEnded = keyhouse.Errorf(keyhouse.EUNAUTHORIZED, "your session has ended; sign in again")

// principalOf loads the user and roles behind a session.
func principalOf(tx Tx, sess *keyhouse.Session) (*keyhouse.Principal, error) {
	u, err := tx.FindUserByID(sess.UserID)
	if err != nil {
		return nil, fmt.Errorf("find user: %w", err)
	}
	m, err := tx.FindMembership(sess.OrgID, sess.UserID)
	if keyhouse.ErrorCode(err) == keyhouse.ENOTFOUND || u.Status != keyhouse.UserActive || (err == nil && !m.Active()) {
		return nil, errSessionEnded
	} else if err != nil {
		return nil, fmt.Errorf("find membership: %w", err)
	}
	return &keyhouse.Principal{UserID: u.ID, Email: u.Email, OrgID: sess.OrgID, Roles: m.Roles, TokenHash: sess.TokenHash}, nil
}

// SignOut ends the session of the principal in ctx.
func (s *Service) SignOut(ctx context.Context) error {
	p := keyhouse.PrincipalFromContext(ctx)
	if p == nil || p.TokenHash == nil {
		return keyhouse.Errorf(keyhouse.EUNAUTHORIZED, "sign in first")
	}
	return s.store.Update(ctx, func(tx Tx) error {
		err := tx.DeleteSession(p.TokenHash)
		if keyhouse.ErrorCode(err) == keyhouse.ENOTFOUND {
			return nil
		}
		return err
	})
}

// Me describes the principal in ctx.
type Me struct {
	UserID       string
	Email        string
	Organization *keyhouse.Organization
	Roles        keyhouse.Roles
	Permissions  Can
}

// Me returns the signed-in user, organization and roles.
func (s *Service) Me(ctx context.Context) (*Me, error) {
	p := keyhouse.PrincipalFromContext(ctx)
	if p == nil || p.Operator {
		return nil, keyhouse.Errorf(keyhouse.EUNAUTHORIZED, "sign in first")
	}
	me := &Me{UserID: p.UserID, Email: p.Email, Roles: p.Roles, Permissions: Permissions(ctx)}
	err := s.store.View(ctx, func(tx Tx) (err error) {
		me.Organization, err = tx.FindOrg(p.OrgID)
		return err
	})
	return me, err
}
