package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"time"

	"keyhouse"
)

// throttlePolicy says how failed sign-ins of one subject slow it down:
// Free failures cost nothing, each one after doubles a delay starting at
// one second (never more than LockFor), and from Lock on each failure
// locks the subject for LockFor. Failures are forgotten after Forget
// without one.
type throttlePolicy struct {
	Free, Lock int
	LockFor    time.Duration
	Forget     time.Duration
}

// Throttle policies. Failures count per pair (one account from one
// source) and per source, never per account alone: failures from other
// sources never stop a user signing in from their own.
//
// A pair gets 3 failures free, then waits 1 s, 2 s, … 64 s, and from the
// 10th on 15 minutes a try: at most 13 guesses in its first hour, 4 an
// hour after, 105 a day. A source, which many people may share, gets 20
// failures free over all accounts, then waits 1 s … 512 s, and from the
// 30th on 15 minutes a try: at most 32 in its first hour, 124 a day.
var (
	pairPolicy   = throttlePolicy{Free: 3, Lock: 10, LockFor: 15 * time.Minute, Forget: time.Hour}
	sourcePolicy = throttlePolicy{Free: 20, Lock: 30, LockFor: 15 * time.Minute, Forget: time.Hour}
)

// delay returns how long a subject with n failures must wait.
func (p throttlePolicy) delay(n int) time.Duration {
	switch {
	case n >= p.Lock:
		return p.LockFor
	case n >= p.Free:
		return min(time.Second<<min(n-p.Free, 20), p.LockFor)
	}
	return 0
}

// sourceOf returns the source a sign-in is throttled by: an IPv4 address,
// or the /64 of an IPv6 address (one site's network: a host picks any
// address in it). Anything else is taken as it is.
func sourceOf(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64) // an IPv6 address always has a /64
	return p.String()
}

// accountKey returns the throttle-key prefix of an account (by the
// normalized e-mail, or the raw text when it is not one), hashed so that
// the table holds no address that was never a user's.
func accountKey(email, raw string) string {
	if email == "" {
		email = raw
	}
	h := sha256.Sum256([]byte(email))
	return "pair:" + hex.EncodeToString(h[:16]) + "/"
}

// throttleKeys returns the subjects of a sign-in: the pair of account and
// source, then the source.
func throttleKeys(email, raw, source string) []string {
	return []string{accountKey(email, raw) + source, "source:" + source}
}

func policyOf(i int) throttlePolicy {
	if i == 0 {
		return pairPolicy
	}
	return sourcePolicy
}

// errThrottled answers a sign-in while one of its subjects is locked.
func errThrottled(wait time.Duration) error {
	wait = max(time.Second, wait.Round(time.Second))
	return &keyhouse.Error{
		Code:       keyhouse.ETHROTTLED,
		Message:    fmt.Sprintf("too many failed sign-ins; try again in %s", wait),
		RetryAfter: wait,
	}
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
				return errThrottled(t.LockedUntil.Sub(now))
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

// refundAttempt takes back a successful attempt: the pair starts afresh;
// the source, which others may share, loses this one failure only.
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
		t.LockedUntil = t.UpdatedAt.Add(sourcePolicy.delay(t.Failures))
		if err := tx.PutThrottle(t); err != nil {
			return fmt.Errorf("put throttle: %w", err)
		}
	}
	return nil
}

// Unlock ends every sign-in lock and delay of the account with e-mail
// email, from every source, and returns how many sources had one: the
// operator's `keyhouse users unlock`. The sources' own counts stay.
func (s *Service) Unlock(ctx context.Context, email string) (int, error) {
	if p := keyhouse.PrincipalFromContext(ctx); p == nil || !p.Operator {
		return 0, keyhouse.Errorf(keyhouse.EFORBIDDEN, "only the operator may unlock an account")
	}
	norm, err := keyhouse.NormalizeEmail("email", email)
	if err != nil {
		return 0, err
	}
	var n int
	err = s.store.Update(ctx, func(tx Tx) (err error) {
		if n, err = tx.DeleteThrottles(accountKey(norm, email)); err != nil {
			return fmt.Errorf("unlock: %w", err)
		}
		return s.audit(ctx, tx, "", "", keyhouse.ActionSigninUnlocked, norm)
	})
	return n, err
}

// auditSignInFailure records a failed sign-in in each organization of the
// user, or with no organization when the e-mail is nobody's or the user
// has none (Prune keeps the newest auditUnknownKeep of those).
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
