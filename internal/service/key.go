package service

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"keyhouse"
	"keyhouse/internal/apikey"
)

// GeneratedKey is a new API key: the only value that ever holds the secret.
type GeneratedKey struct {
	KeyID        string
	APIKey       string
	Secret       string
	Description  *string
	CreatedAt    time.Time
	ExpiresAt    *time.Time
	AllowedCIDRs []netip.Prefix
}

// KeyRequest is what a new key may be asked to carry.
type KeyRequest struct {
	Description string
	// ExpiresAt is when the key stops working: nil for never, or for the
	// organization's maximum lifetime when it sets one.
	ExpiresAt    *time.Time
	AllowedCIDRs []netip.Prefix // nil or empty: anywhere
}

// GenerateKey creates a key with a description for an initialized client.
// Only Owners may.
func (s *Service) GenerateKey(ctx context.Context, env keyhouse.Environment, clientID, description string) (*GeneratedKey, error) {
	return s.Generate(ctx, env, clientID, KeyRequest{Description: description})
}

// Generate creates a key for an initialized client as req asks. Only
// Owners may.
func (s *Service) Generate(ctx context.Context, env keyhouse.Environment, clientID string, req KeyRequest) (*GeneratedKey, error) {
	p, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	key := apikey.Generate(env)
	k := s.newKey(p, env, clientID, key, now)
	k.Description, k.AllowedCIDRs = &req.Description, orNone(req.AllowedCIDRs)
	err = s.store.Update(ctx, func(tx Tx) error {
		c, err := findClient(tx, p.OrgID, env, clientID)
		if err != nil {
			return err
		}
		if err := can(p, permManageKeys); err != nil {
			return err
		}
		if err := keyhouse.ValidateDescription(req.Description); err != nil {
			return err
		}
		if k.ExpiresAt, err = newKeyExpiry(tx, p.OrgID, req.ExpiresAt, now); err != nil {
			return err
		}
		if !c.Initialized() {
			return keyhouse.Errorf(keyhouse.ECONFLICT, "client: initialize the client before generating a key")
		}
		if err := s.addKey(tx, k, 0); err != nil {
			return err
		}
		return s.audit(ctx, tx, p.OrgID, env, keyhouse.ActionKeyCreated, k.KeyID)
	})
	if err != nil {
		return nil, err
	}
	s.plane.Put(k)
	return generated(k, key), nil
}

// newKey is a key of clientID made by p at now, with the secret of key.
func (s *Service) newKey(p *keyhouse.Principal, env keyhouse.Environment, clientID string, key apikey.Key, now time.Time) *keyhouse.APIKey {
	return &keyhouse.APIKey{
		KeyID: key.ID, OrgID: p.OrgID, Environment: env, ClientID: clientID,
		SecretHash: s.hasher.Hash(key.Secret), SecretLast4: key.Last4(), CreatedAt: now, CreatedBy: p.Actor(),
	}
}

// generated is the answer for a new key k with the secret of key.
func generated(k *keyhouse.APIKey, key apikey.Key) *GeneratedKey {
	return &GeneratedKey{
		KeyID: k.KeyID, APIKey: key.APIKey(), Secret: key.Secret, Description: k.Description,
		CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, AllowedCIDRs: k.AllowedCIDRs,
	}
}

// addKey inserts k once its client holds fewer keys than the limit, not
// counting the replacing keys that a roll is about to end, nor expired
// keys: they stay listed until someone deletes them, and a client whose
// keys are rolled every 90 days must not run out of room.
func (s *Service) addKey(tx Tx, k *keyhouse.APIKey, replacing int) error {
	if err := tx.Lock("client", k.ClientID); err != nil { // count, then insert
		return err
	}
	if n, err := tx.CountKeys(k.ClientID, s.now()); err != nil {
		return fmt.Errorf("count keys: %w", err)
	} else if n-replacing >= s.cfg.KeysPerClient {
		return keyhouse.Errorf(keyhouse.ECONFLICT, "client: at most %d keys per client that have not expired; delete one first", s.cfg.KeysPerClient)
	}
	if err := tx.CreateKey(k); err != nil {
		return fmt.Errorf("create key: %w", err)
	}
	return nil
}

// DeleteKey deletes a key for good once confirmClientID equals the key's
// client ID byte for byte. The revocation hook has run when it returns.
func (s *Service) DeleteKey(ctx context.Context, env keyhouse.Environment, clientID, keyID, confirmClientID string) error {
	p, err := signedIn(ctx)
	if err != nil {
		return err
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		k, err := findManagedKey(tx, p, env, clientID, keyID)
		if err != nil {
			return err
		}
		if confirmClientID != k.ClientID {
			return keyhouse.Errorf(keyhouse.EINVALID, "confirm_client_id: must equal the client ID exactly")
		}
		if err := tx.DeleteKey(keyID, s.now()); err != nil {
			return fmt.Errorf("delete key: %w", err)
		}
		return s.audit(ctx, tx, p.OrgID, env, keyhouse.ActionKeyDeleted, keyID)
	})
	if err != nil {
		return err
	}
	s.revoked(keyID)
	return nil
}

// revoked does what follows a committed deletion of a key: the data
// plane's Revoke, then the revocation hook.
func (s *Service) revoked(keyID string) {
	s.plane.Revoke(keyID)
	if s.cfg.OnKeyDeleted != nil {
		s.cfg.OnKeyDeleted(keyID)
	}
}

// findManagedKey returns a key of a client of p's organization (404 for
// any other), then checks that p may manage keys (403).
func findManagedKey(tx Tx, p *keyhouse.Principal, env keyhouse.Environment, clientID, keyID string) (*keyhouse.APIKey, error) {
	k, err := tx.FindKey(keyID)
	if keyhouse.ErrorCode(err) == keyhouse.ENOTFOUND ||
		(err == nil && (k.OrgID != p.OrgID || k.Environment != env || k.ClientID != clientID)) {
		return nil, keyhouse.Errorf(keyhouse.ENOTFOUND, "api key not found")
	} else if err != nil {
		return nil, err
	}
	if err := can(p, permManageKeys); err != nil {
		return nil, err
	}
	return k, nil
}

// ImportLegacy imports legacy keys for a client, all or none, and returns
// how many. keys are the lines of a file: blank ones are skipped, and
// errors name the line, never the key.
func (s *Service) ImportLegacy(ctx context.Context, env keyhouse.Environment, clientID string, keys []string) (int, error) {
	p, err := authorize(ctx, permManageKeys)
	if err != nil {
		return 0, err
	}
	for i, key := range keys {
		if key == "" {
			continue // a blank line
		}
		if err := apikey.ValidateLegacy(key); err != nil {
			return 0, keyhouse.Errorf(keyhouse.EINVALID, "line %d: %s", i+1, keyhouse.ErrorMessage(err))
		}
	}
	var imported []*keyhouse.APIKey
	err = s.store.Update(ctx, func(tx Tx) error {
		if _, err := findClient(tx, p.OrgID, env, clientID); err != nil {
			return err
		}
		for i, key := range keys {
			if key == "" {
				continue
			}
			k := &keyhouse.APIKey{
				KeyID: apikey.NewKeyID(), OrgID: p.OrgID, Environment: env, ClientID: clientID,
				SecretHash: s.hasher.Hash(key), SecretLast4: key[len(key)-4:],
				Legacy: true, CreatedAt: s.now(), CreatedBy: p.Actor(),
			}
			imported = append(imported, k)
			if err := tx.CreateKey(k); keyhouse.ErrorCode(err) == keyhouse.ECONFLICT {
				return keyhouse.Errorf(keyhouse.ECONFLICT, "line %d: this key is already imported", i+1)
			} else if err != nil {
				return fmt.Errorf("create key: %w", err)
			}
			if err := s.audit(ctx, tx, p.OrgID, env, keyhouse.ActionKeyImported, k.KeyID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, k := range imported {
		s.plane.Put(k)
	}
	return len(imported), nil
}
