package service

import (
	"context"
	"fmt"

	"keyhouse"
	"keyhouse/internal/token"
)

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
		// Instances starting together on a new database: the first to
		// take the lock makes the key, the others find it.
		if err := tx.Lock("signing_keys", "current"); err != nil {
			return err
		}
		if ok, err := tx.HasCurrentSigningKey(); err != nil || ok {
			return err
		}
		_, err := s.newSigningKey(tx)
		return err
	})
	if err != nil {
		return fmt.Errorf("first signing key: %w", err)
	}
	return s.reloadRing(ctx)
}

// Rotation is what RotateSigningKey did.
type Rotation struct {
	KeyID   string   // the new signing key
	Revoked []string // the keys revoked with --revoke: their tokens no longer verify
}

// RotateSigningKey makes a new signing key. Without revoke the current
// key is retired: its tokens verify until they expire, and it leaves the
// JWKS then. With revoke it is deleted at once: its tokens stop verifying
// on this instance now and on every other within a second (PostgreSQL
// notifies them; SQLite's server polls). Only the operator may.
func (s *Service) RotateSigningKey(ctx context.Context, revoke bool) (*Rotation, error) {
	if p := keyhouse.PrincipalFromContext(ctx); p == nil || !p.Operator {
		return nil, keyhouse.Errorf(keyhouse.EFORBIDDEN, "only the operator rotates signing keys")
	}
	var r Rotation
	err := s.store.Update(ctx, func(tx Tx) error {
		if err := tx.Lock("signing_keys", "current"); err != nil {
			return err
		}
		if err := s.retireOrRevoke(ctx, tx, revoke, &r); err != nil {
			return err
		}
		var err error
		if r.KeyID, err = s.newSigningKey(tx); err != nil {
			return err
		}
		return s.audit(ctx, tx, "", "", keyhouse.ActionSigningKeyRotated, r.KeyID)
	})
	if err != nil {
		return nil, err
	}
	err = s.reloadRing(ctx)
	s.plane.RevokedSigningKeys(len(r.Revoked))
	return &r, err
}

// retireOrRevoke retires the current signing key, or with revoke deletes
// it and records each revoked key in the audit log.
func (s *Service) retireOrRevoke(ctx context.Context, tx Tx, revoke bool, r *Rotation) error {
	if !revoke {
		return tx.RetireSigningKeys(s.now())
	}
	var err error
	if r.Revoked, err = tx.RevokeSigningKeys(s.now()); err != nil {
		return err
	}
	for _, kid := range r.Revoked {
		if err := s.audit(ctx, tx, "", "", keyhouse.ActionSigningKeyRevoked, kid); err != nil {
			return err
		}
	}
	return nil
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

// JWKS returns the public keys that may verify an unexpired token, as a
// JSON Web Key Set.
func (s *Service) JWKS() []byte { return s.signer.ring.JWKS(s.now()) }
