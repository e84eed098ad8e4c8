package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"keyhouse"
)

// throttlePolicy says how failed sign-ins of one subject slow it down:
// Free failures cost nothing, each one after doubles a delay starting at
// one second, and from Lock on the subject is locked for LockFor. Failures
// older than Forget are forgotten.
type throttlePolicy struct {
	Free, Lock int
	LockFor    time.Duration
	Forget     time.Duration
}

// Throttle policies: an account is slowed after 3 failures and locked
// after 10; a source IP, which many people may share, after 10 and 50.
var (
	accountPolicy = throttlePolicy{Free: 3, Lock: 10, LockFor: 15 * time.Minute, Forget: time.Hour}
	ipPolicy      = throttlePolicy{Free: 10, Lock: 50, LockFor: 15 * time.Minute, Forget: time.Hour}
)

// delay returns how long a subject with n failures must wait.
func (p throttlePolicy) delay(n int) time.Duration {
	switch {
	case n >= p.Lock:
		return p.LockFor
	case n >= p.Free:
		return time.Second << min(n-p.Free, 20)
	}
	return 0
}

// throttleKeys returns the subjects of a sign-in: the account (by the
// normalized e-mail, or the raw text when it is not one) and the IP. The
// e-mail is hashed so the table holds no address that was never a user's.
func throttleKeys(email, raw, ip string) []string {
	if email == "" {
		email = raw
	}
	h := sha256.Sum256([]byte(email))
	return []string{"account:" + hex.EncodeToString(h[:16]), "ip:" + ip}
}

func policyOf(i int) throttlePolicy {
	if i == 0 {
		return accountPolicy
	}
	return ipPolicy
}

// checkThrottles answers ETHROTTLED while any subject is locked.
func (s *Service) checkThrottles(ctx context.Context, keys []string) error {
	now := s.now()
	return s.store.View(ctx, func(tx Tx) error {
		for _, k := range keys {
			t, err := tx.FindThrottle(k)
			if err != nil {
				return fmt.Errorf("find throttle: %w", err)
			}
			if now.Before(t.LockedUntil) {
				return keyhouse.Errorf(keyhouse.ETHROTTLED, "too many failed sign-ins; try again in %s", t.LockedUntil.Sub(now).Round(time.Second))
			}
		}
		return nil
	})
}

// signInFailed counts a failure against every subject and audits it in
// each organization of the user (when the e-mail is a user's).
func (s *Service) signInFailed(ctx context.Context, keys []string, email string, u *keyhouse.User) error {
	now := s.now()
	return s.store.Update(ctx, func(tx Tx) error {
		for i, k := range keys {
			t, err := tx.FindThrottle(k)
			if err != nil {
				return fmt.Errorf("find throttle: %w", err)
			}
			p := policyOf(i)
			if now.Sub(t.UpdatedAt) > p.Forget {
				t.Failures = 0
			}
			t.Failures++
			t.LockedUntil, t.UpdatedAt = now.Add(p.delay(t.Failures)), now
			if err := tx.PutThrottle(t); err != nil {
				return fmt.Errorf("put throttle: %w", err)
			}
		}
		return s.auditSignInFailure(ctx, tx, email, u)
	})
}

func (s *Service) auditSignInFailure(ctx context.Context, tx Tx, email string, u *keyhouse.User) error {
	if u == nil {
		return s.audit(ctx, tx, "", "", keyhouse.ActionSigninFailed, email)
	}
	ms, err := tx.ListMemberships(u.ID)
	if err != nil {
		return fmt.Errorf("list memberships: %w", err)
	}
	for _, m := range ms {
		if err := s.audit(ctx, tx, m.OrgID, "", keyhouse.ActionSigninFailed, u.Email); err != nil {
			return err
		}
	}
	return nil
}
