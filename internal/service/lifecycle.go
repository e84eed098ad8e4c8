package service

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"keyhouse"
	"keyhouse/internal/apikey"
)

// KeyChanges is what an edit of a key changes: nil fields stay as they
// are.
type KeyChanges struct {
	Description  *string
	AllowedCIDRs *[]netip.Prefix // an empty list: anywhere
}

// UpdateKeyDescription replaces a key's description. Legacy keys have none
// and answer ECONFLICT.
func (s *Service) UpdateKeyDescription(ctx context.Context, env keyhouse.Environment, clientID, keyID, description string) (*keyhouse.APIKey, error) {
	return s.UpdateKey(ctx, env, clientID, keyID, KeyChanges{Description: &description})
}

// UpdateKey changes a key's description and allowed addresses. Only
// Owners may; a legacy key's description cannot be set (ECONFLICT), its
// addresses can. New addresses hold on every instance within a second.
func (s *Service) UpdateKey(ctx context.Context, env keyhouse.Environment, clientID, keyID string, ch KeyChanges) (*keyhouse.APIKey, error) {
	p, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	var k *keyhouse.APIKey
	err = s.store.Update(ctx, func(tx Tx) error {
		if k, err = lockManagedKey(tx, p, env, clientID, keyID); err != nil {
			return err
		}
		if d := ch.Description; d != nil {
			if err := keyhouse.ValidateDescription(*d); err != nil {
				return err
			}
			if k.Legacy {
				return keyhouse.Errorf(keyhouse.ECONFLICT, "description: legacy keys have no description to edit")
			}
			if err := tx.UpdateKeyDescription(keyID, *d); err != nil {
				return fmt.Errorf("update key: %w", err)
			}
			k.Description = d
		}
		if ch.AllowedCIDRs != nil {
			k.AllowedCIDRs = orNone(*ch.AllowedCIDRs)
			if err := tx.UpdateKeyPolicy(k); err != nil {
				return fmt.Errorf("update key: %w", err)
			}
		}
		return s.audit(ctx, tx, p.OrgID, env, keyhouse.ActionKeyUpdated, keyID)
	})
	if err != nil {
		return nil, err
	}
	s.plane.Put(k)
	k.Expired = k.HasExpired(s.now())
	return k, nil
}

// RolledKey is the answer to a roll: the new key as generation answers
// it, the key it replaces, and when that one stops working.
type RolledKey struct {
	GeneratedKey
	Replaces        string
	OldKeyExpiresAt time.Time
}

// RollKey makes a new key in place of keyID, with its description and
// allowed addresses, and ends the old key after grace (0 to
// keyhouse.MaxGrace; 0 deletes it in the same transaction). An old key
// that expires sooner keeps its expiry. Only Owners may.
func (s *Service) RollKey(ctx context.Context, env keyhouse.Environment, clientID, keyID string, grace time.Duration) (*RolledKey, error) {
	p, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	key := apikey.Generate(env)
	k := s.newKey(p, env, clientID, key, now)
	var old *keyhouse.APIKey
	err = s.store.Update(ctx, func(tx Tx) error {
		if old, err = lockManagedKey(tx, p, env, clientID, keyID); err != nil {
			return err
		}
		if grace < 0 || grace > keyhouse.MaxGrace {
			return keyhouse.Errorf(keyhouse.EINVALID, "grace_seconds: must be 0 to %d", int(keyhouse.MaxGrace/time.Second))
		}
		if old.ReplacedBy != nil {
			return keyhouse.Errorf(keyhouse.ECONFLICT, "key_id: already rolled; %s replaces it: roll that key instead", *old.ReplacedBy)
		}
		description := ""
		if old.Description != nil {
			description = *old.Description
		}
		k.Description, k.AllowedCIDRs = &description, orNone(old.AllowedCIDRs)
		if k.ExpiresAt, err = newKeyExpiry(tx, p.OrgID, nil, now); err != nil {
			return err
		}
		if err := s.addKey(tx, k, 1); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, p.OrgID, env, keyhouse.ActionKeyCreated, k.KeyID); err != nil {
			return err
		}
		if err := endRolled(tx, old, k.KeyID, now, now.Add(grace)); err != nil {
			return err
		}
		return s.audit(ctx, tx, p.OrgID, env, keyhouse.ActionKeyRolled, old.KeyID)
	})
	if err != nil {
		return nil, err
	}
	s.plane.Put(k)
	if grace == 0 {
		s.revoked(old.KeyID)
	} else {
		s.plane.Put(old)
	}
	return &RolledKey{GeneratedKey: *generated(k, key), Replaces: old.KeyID, OldKeyExpiresAt: *old.ExpiresAt}, nil
}

// lockManagedKey is findManagedKey once the key is locked until tx ends:
// the edits and rolls of one key that run at the same time (on any
// instance) go one after the other, each reading what the one before
// wrote, so that a key is rolled once and no edit is lost.
func lockManagedKey(tx Tx, p *keyhouse.Principal, env keyhouse.Environment, clientID, keyID string) (*keyhouse.APIKey, error) {
	if err := tx.Lock("api_key", keyID); err != nil {
		return nil, err
	}
	return findManagedKey(tx, p, env, clientID, keyID)
}

// endRolled ends the rolled key old at until (or sooner, when it expires
// sooner), replaced by newID; at now, it deletes old.
func endRolled(tx Tx, old *keyhouse.APIKey, newID string, now, until time.Time) error {
	if old.ExpiresAt == nil || until.Before(*old.ExpiresAt) {
		old.ExpiresAt = &until
	}
	old.ReplacedBy = &newID
	if !until.After(now) {
		if err := tx.DeleteKey(old.KeyID, now); err != nil {
			return fmt.Errorf("delete key: %w", err)
		}
		return nil
	}
	if err := tx.UpdateKeyPolicy(old); err != nil {
		return fmt.Errorf("end rolled key: %w", err)
	}
	return nil
}

// newKeyExpiry returns the expiry of a new key of the organization at
// now: asked (checked against the organization's maximum lifetime), or,
// when none is asked, the maximum (nil when there is none).
func newKeyExpiry(tx Tx, orgID string, asked *time.Time, now time.Time) (*time.Time, error) {
	org, err := tx.FindOrg(orgID)
	if err != nil {
		return nil, fmt.Errorf("find organization: %w", err)
	}
	if asked != nil {
		at := asked.UTC()
		return &at, keyhouse.ValidateExpiry(at, now, org.MaxKeyLifetimeDays)
	}
	if org.MaxKeyLifetimeDays == nil {
		return nil, nil
	}
	at := now.Add(keyhouse.LifetimeDays(*org.MaxKeyLifetimeDays))
	return &at, nil
}

// orNone is ps, or an empty list for nil: keys always carry a list.
func orNone(ps []netip.Prefix) []netip.Prefix {
	if ps == nil {
		return []netip.Prefix{}
	}
	return ps
}

// Organization returns the signed-in member's organization, with its key
// policy. Every member may read it.
func (s *Service) Organization(ctx context.Context) (*keyhouse.Organization, error) {
	p, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	var o *keyhouse.Organization
	err = s.store.View(ctx, func(tx Tx) error {
		o, err = tx.FindOrg(p.OrgID)
		return err
	})
	return o, err
}

// SetMaxKeyLifetime sets the organization's maximum lifetime of new keys
// in days (nil: none). Only Owners may; existing keys keep their expiry.
func (s *Service) SetMaxKeyLifetime(ctx context.Context, days *int) (*keyhouse.Organization, error) {
	p, err := authorize(ctx, permOrgPolicy)
	if err != nil {
		return nil, err
	}
	if err := keyhouse.ValidateMaxLifetime(days); err != nil {
		return nil, err
	}
	var o *keyhouse.Organization
	err = s.store.Update(ctx, func(tx Tx) error {
		if err := tx.SetOrgKeyLifetime(p.OrgID, days); err != nil {
			return fmt.Errorf("set key lifetime: %w", err)
		}
		if o, err = tx.FindOrg(p.OrgID); err != nil {
			return err
		}
		return s.audit(ctx, tx, p.OrgID, "", keyhouse.ActionOrgUpdated, p.OrgID)
	})
	return o, err
}
