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

// countAttempt answers ETHROTTLED while any subject is locked, and
// otherwise counts the attempt as a failure of every subject, in one
// transaction.
func (s *Service) countAttempt(ctx context.Context, keys []string) error {
	now := s.now()
	return s.store.Update(ctx, func(tx Tx) error {
		ts := make([]keyhouse.Throttle, len(keys))
		for i, k := range keys {
			if err := tx.Lock("throttle", k); err != nil {
				return err
			}
			t, err := tx.FindThrottle(k)
			if err != nil {
				return fmt.Errorf("find throttle: %w", err)
			}
			if now.Before(t.LockedUntil) {
				return keyhouse.Errorf(keyhouse.ETHROTTLED, "too many failed sign-ins; try again in %s", max(time.Second, t.LockedUntil.Sub(now).Round(time.Second)))
			}
			ts[i] = t
		}
		for i, t := range ts {
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
		return nil
	})
}

// refundAttempt takes back a successful attempt: the account starts
// afresh; the IP, which others may share, loses this one failure only.
func (s *Service) refundAttempt(tx Tx, keys []string) error {
	for _, k := range keys { // in countAttempt's order: no deadlock between them
		if err := tx.Lock("throttle", k); err != nil {
			return err
		}
	}
	if err := tx.DeleteThrottle(keys[0]); err != nil {
		return fmt.Errorf("reset throttle: %w", err)
	}
	t, err := tx.FindThrottle(keys[1])
	if err != nil {
		return fmt.Errorf("find throttle: %w", err)
	}
	if t.Failures > 0 {
		t.Failures--
		t.LockedUntil = t.UpdatedAt.Add(ipPolicy.delay(t.Failures))
		if err := tx.PutThrottle(t); err != nil {
			return fmt.Errorf("put throttle: %w", err)
		}
	}
	return nil
}

// auditSignInFailure records a failed sign-in in each organization of the
// user, or with no organization when the e-mail is nobody's or the user
// has none.
func (s *Service) auditSignInFailure(ctx context.Context, email string, u *keyhouse.User) error {
	return s.store.Update(ctx, func(tx Tx) error {
		var ms []*keyhouse.Membership
		if u != nil {
			var err error
			if ms, err = tx.ListMemberships(u.ID); err != nil {
				return fmt.Errorf("list memberships: %w", err)
			}
		}
		if len(ms) == 0 {
			return s.audit(ctx, tx, "", "", keyhouse.ActionSigninFailed, email)
		}
		for _, m := range ms {
			if err := s.audit(ctx, tx, m.OrgID, "", keyhouse.ActionSigninFailed, u.Email); err != nil {
				return err
			}
		}
		return nil
	})
}
