package service

import (
	"context"
	"fmt"
	"time"

	"keyhouse"
	"keyhouse/internal/dataplane"
)

// pruneEvery is how often Run forgets what sign-ins left behind.
const pruneEvery = time.Minute

// auditUnknownKeep is how many deployment-wide failed sign-ins (of
// e-mails that are nobody's, or of users in no organization) the audit
// log keeps: anyone can cause them, so they must not grow without bound.
// The newest are kept.
const auditUnknownKeep = 10_000

// Prune forgets throttle records idle for longer than their policy
// remembers them (and no longer locked), used sign-in states past their
// expiry, deployment-wide failed sign-ins beyond the newest
// auditUnknownKeep, the revocation feed's entries older than
// dataplane.FeedRetention, and deletes the signing keys that verify nothing any
// more (by reloading the ring, which does). Run calls it every minute;
// every instance may.
func (s *Service) Prune(ctx context.Context) error {
	now := s.now()
	forget := max(pairPolicy.Forget, sourcePolicy.Forget)
	ctx, cancel := background(ctx)
	defer cancel()
	err := s.store.Update(ctx, func(tx Tx) error {
		if err := tx.PruneThrottles(now.Add(-forget), now); err != nil {
			return fmt.Errorf("prune throttles: %w", err)
		}
		if err := tx.PruneSignInStates(now); err != nil {
			return fmt.Errorf("prune sign-in states: %w", err)
		}
		if err := tx.PruneAudit(keyhouse.ActionSigninFailed, auditUnknownKeep); err != nil {
			return fmt.Errorf("prune audit: %w", err)
		}
		if err := tx.PruneRevocations(now.Add(-dataplane.FeedRetention)); err != nil {
			return fmt.Errorf("prune revocation feed: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.reloadRing(ctx)
}

// pruneLoop runs Prune every pruneEvery until ctx ends.
func (s *Service) pruneLoop(ctx context.Context) {
	s.every(ctx, pruneEvery, "prune sign-in records", s.Prune)
}
