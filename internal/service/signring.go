package service

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"keyhouse"
	"keyhouse/internal/token"
)

// signer keeps the token ring in step with the signing keys in the
// database, which every instance shares.
type signer struct {
	ring   *token.Ring
	mu     sync.Mutex // one reload at a time
	last   time.Time  // when the ring was last reloaded
	loaded string     // the stored keys the ring was loaded from: see stamp
}

// SigningKeyPoll is how often every instance looks for signing keys
// changed by another process: the command line (`signing-keys rotate`),
// or an instance whose PostgreSQL notice was missed. A revoked key thus
// stops verifying everywhere within a second, on SQLite too.
const SigningKeyPoll = 500 * time.Millisecond

// RetireGrace is how long after a signing key's retirement a token it
// signed still counts as issued before it: other instances sign with the
// key until they reload their ring (at once on a PostgreSQL notice, within
// SigningKeyPoll otherwise), and their clocks may differ by some seconds.
// A revoked key has no grace: it is deleted.
const RetireGrace = 30 * time.Second

// reloadRing replaces the ring's keys with the database's.
func (s *Service) reloadRing(ctx context.Context) error {
	return s.reloadRingAfter(ctx, time.Time{})
}

// reloadRingAfter reloads the ring unless it was reloaded after since
// (the zero time: always): requests that meet the same unknown kid
// together share one reload.
func (s *Service) reloadRingAfter(ctx context.Context, since time.Time) error {
	s.signer.mu.Lock()
	defer s.signer.mu.Unlock()
	if !since.IsZero() && s.signer.last.After(since) {
		return nil
	}
	stored, err := s.store.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("list signing keys: %w", err)
	}
	return s.loadRing(ctx, stored)
}

// pollSigningKeys reloads the ring if the stored keys are not those it
// was loaded from.
func (s *Service) pollSigningKeys(ctx context.Context) error {
	s.signer.mu.Lock()
	defer s.signer.mu.Unlock()
	stored, err := s.store.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("list signing keys: %w", err)
	}
	if stamp(stored) == s.signer.loaded {
		return nil
	}
	s.plane.Changed() // perhaps a revocation by the command line
	return s.loadRing(ctx, stored)
}

// loadRing sets the ring to the stored keys that may still verify a
// token, and deletes from the store those that verify nothing any more.
// The caller holds s.signer.mu.
func (s *Service) loadRing(ctx context.Context, stored []*keyhouse.SigningKey) error {
	now := s.now()
	keys := make([]token.Key, 0, len(stored))
	for _, sk := range stored {
		k := token.Key{ID: sk.ID, CreatedAt: sk.CreatedAt, RetiredAt: retiredAt(sk)}
		if !k.Published(now) {
			s.deleteSigningKey(ctx, sk.ID)
			continue
		}
		var err error
		if k.Private, err = s.openSigningKey(sk); err != nil {
			return err
		}
		keys = append(keys, k)
	}
	if err := s.signer.ring.Set(keys); err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	s.signer.last = time.Now()
	s.signer.loaded = stamp(stored)
	return nil
}

// retiredAt is when the ring counts sk as retired: RetireGrace after its
// retirement in the database, or zero while it is current.
func retiredAt(sk *keyhouse.SigningKey) time.Time {
	if sk.RetiredAt == nil {
		return time.Time{}
	}
	return sk.RetiredAt.Add(RetireGrace)
}

// deleteSigningKey deletes a key that verifies nothing any more. A failure
// is logged: the key is left out of the ring all the same, and the next
// reload tries again.
func (s *Service) deleteSigningKey(ctx context.Context, kid string) {
	err := s.store.Update(ctx, func(tx Tx) error { return tx.DeleteSigningKey(kid) })
	if err != nil {
		s.cfg.Logger.Warn("delete expired signing key", "kid", kid, "err", err)
	}
}

// stamp sums up stored keys for pollSigningKeys: each key's id and
// retirement.
func stamp(stored []*keyhouse.SigningKey) string {
	var b strings.Builder
	for _, sk := range stored {
		b.WriteString(sk.ID)
		if sk.RetiredAt != nil {
			b.WriteByte('@')
			b.WriteString(strconv.FormatInt(sk.RetiredAt.UnixMicro(), 10))
		}
		b.WriteByte(' ')
	}
	return b.String()
}

// openSigningKey unseals a stored signing key.
func (s *Service) openSigningKey(sk *keyhouse.SigningKey) (*ecdsa.PrivateKey, error) {
	der, err := s.keyBox.Open(sk.SealedKey, sk.ID)
	if err != nil {
		return nil, fmt.Errorf("open signing key %s (is this the server secret it was made with?): %w", sk.ID, err)
	}
	priv, err := token.ParsePrivate(der)
	if err != nil {
		return nil, fmt.Errorf("parse signing key %s: %w", sk.ID, err)
	}
	return priv, nil
}

// ringReloadGap is the least time between two reloads for unknown kids:
// made-up kids cost at most ten small queries a second.
const ringReloadGap = 100 * time.Millisecond

// reloadRingSoon reloads the ring for an unknown kid, waiting first if the
// last reload is under ringReloadGap old, and reports whether the ring is
// now fresher than the request. A kid made by another instance a moment
// ago (two instances starting together each make a first key) is thus
// found after at most ringReloadGap.
func (s *Service) reloadRingSoon(ctx context.Context) bool {
	asked := time.Now()
	s.signer.mu.Lock()
	wait := ringReloadGap - time.Since(s.signer.last)
	s.signer.mu.Unlock()
	if wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return false
		}
	}
	if err := s.reloadRingAfter(ctx, asked); err != nil {
		s.cfg.Logger.Warn("reload signing keys", "err", err)
		return false
	}
	return true
}
