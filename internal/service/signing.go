package service

import (
	"context"
	"fmt"
	"sync"
	"time"

	"keyhouse"
	"keyhouse/internal/token"
)

// signer keeps the token ring in step with the signing keys in the
// database, which every instance shares.
type signer struct {
	ring *token.Ring
	mu   sync.Mutex // one reload at a time
	last time.Time  // when the ring was last reloaded
}

// SigningKeyReload is how often the ring is reloaded for keys rotated by
// another process; an unknown kid reloads it sooner.
const SigningKeyReload = 30 * time.Second

// LoadSigningKeys loads the token-signing keys into the ring, creating the
// first one on a database that has none.
func (s *Service) LoadSigningKeys(ctx context.Context) error {
	if err := s.reloadRing(ctx); err != nil {
		return err
	}
	if _, ok := s.signer.ring.Current(); ok {
		return nil
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		_, err := s.newSigningKey(tx)
		return err
	})
	if err != nil {
		return fmt.Errorf("first signing key: %w", err)
	}
	return s.reloadRing(ctx)
}

// RotateSigningKey retires the current signing key and makes a new one.
// Tokens signed by the old key verify until they expire. Only the operator
// may.
func (s *Service) RotateSigningKey(ctx context.Context) (string, error) {
	if p := keyhouse.PrincipalFromContext(ctx); p == nil || !p.Operator {
		return "", keyhouse.Errorf(keyhouse.EFORBIDDEN, "only the operator rotates signing keys")
	}
	var kid string
	err := s.store.Update(ctx, func(tx Tx) error {
		if err := tx.RetireSigningKeys(s.now()); err != nil {
			return err
		}
		var err error
		if kid, err = s.newSigningKey(tx); err != nil {
			return err
		}
		return s.audit(ctx, tx, "", "", keyhouse.ActionSigningKeyRotated, kid)
	})
	if err != nil {
		return "", err
	}
	return kid, s.reloadRing(ctx)
}

// newSigningKey creates a signing key, sealed with the server secret, and
// returns its kid.
func (s *Service) newSigningKey(tx Tx) (string, error) {
	k, err := token.NewKey(s.now())
	if err != nil {
		return "", fmt.Errorf("new signing key: %w", err)
	}
	der, err := token.MarshalPrivate(k.Private)
	if err != nil {
		return "", fmt.Errorf("marshal signing key: %w", err)
	}
	return k.ID, tx.CreateSigningKey(&keyhouse.SigningKey{ID: k.ID, SealedKey: s.keyBox.Seal(der, k.ID), CreatedAt: k.CreatedAt})
}

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
	keys := make([]token.Key, 0, len(stored))
	for _, sk := range stored {
		k, err := s.openSigningKey(sk)
		if err != nil {
			return err
		}
		keys = append(keys, k)
	}
	if err := s.signer.ring.Set(keys); err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	s.signer.last = time.Now()
	return nil
}

// openSigningKey unseals a stored signing key.
func (s *Service) openSigningKey(sk *keyhouse.SigningKey) (token.Key, error) {
	der, err := s.keyBox.Open(sk.SealedKey, sk.ID)
	if err != nil {
		return token.Key{}, fmt.Errorf("open signing key %s (is this the server secret it was made with?): %w", sk.ID, err)
	}
	priv, err := token.ParsePrivate(der)
	if err != nil {
		return token.Key{}, fmt.Errorf("parse signing key %s: %w", sk.ID, err)
	}
	k := token.Key{ID: sk.ID, Private: priv, CreatedAt: sk.CreatedAt}
	if sk.RetiredAt != nil {
		// Other instances may sign with the key until their next reload:
		// its last tokens, and so its place in the JWKS, run that much
		// later than its retirement.
		k.RetiredAt = sk.RetiredAt.Add(SigningKeyReload)
	}
	return k, nil
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

// JWKS returns the public keys that may verify an unexpired token, as a
// JSON Web Key Set.
func (s *Service) JWKS() []byte { return s.signer.ring.JWKS(s.now()) }
