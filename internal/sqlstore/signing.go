package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"keyhouse"
)

// ListSigningKeys returns every token-signing key, oldest first.
func (s *Store) ListSigningKeys(ctx context.Context) ([]*keyhouse.SigningKey, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	t := &txn{ctx: ctx, q: s.db, d: s.d}
	rows, err := t.query(`SELECT kid, private_key, created_at, retired_at FROM signing_keys ORDER BY created_at, kid`)
	if err != nil {
		return nil, translate("list signing keys", "signing key", err)
	}
	ks, err := scanAll(rows, func(sc scanner) (*keyhouse.SigningKey, error) {
		var k keyhouse.SigningKey
		var created int64
		var retired sql.NullInt64
		if err := sc.Scan(&k.ID, &k.SealedKey, &created, &retired); err != nil {
			return nil, err
		}
		k.CreatedAt, k.RetiredAt = fromMicros(created), fromNullMicros(retired)
		return &k, nil
	})
	if err != nil {
		return nil, translate("list signing keys", "signing key", err)
	}
	return ks, nil
}

// CreateSigningKey inserts k. On PostgreSQL it also notifies every
// instance (delivered when the transaction commits) that the signing keys
// changed: see WatchChanges.
func (t *txn) CreateSigningKey(k *keyhouse.SigningKey) error {
	k.CreatedAt = stored(k.CreatedAt)
	_, err := t.exec(`INSERT INTO signing_keys (kid, private_key, created_at, retired_at) VALUES (?, ?, ?, ?)`,
		k.ID, k.SealedKey, micros(k.CreatedAt), nullMicros(k.RetiredAt))
	if err != nil || t.d != Postgres {
		return translate("insert signing key", "signing key", err)
	}
	_, err = t.exec(`SELECT pg_notify('`+signingKeysChannel+`', ?)`, k.ID)
	return translate("notify signing keys", "signing key", err)
}

// HasCurrentSigningKey reports whether a signing key is not retired.
func (t *txn) HasCurrentSigningKey() (bool, error) {
	var n int
	err := t.queryRow(`SELECT COUNT(*) FROM signing_keys WHERE retired_at IS NULL`).Scan(&n)
	return n > 0, translate("count signing keys", "signing key", err)
}

// RetireSigningKeys retires every signing key not retired yet, at at.
func (t *txn) RetireSigningKeys(at time.Time) error {
	_, err := t.exec(`UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL`, micros(at))
	return translate("retire signing keys", "signing key", err)
}

// RevokeSigningKeys deletes every signing key not retired yet, at at,
// appends each to the revocation feed, and returns their ids.
func (t *txn) RevokeSigningKeys(at time.Time) ([]string, error) {
	rows, err := t.query(`DELETE FROM signing_keys WHERE retired_at IS NULL RETURNING kid`)
	if err != nil {
		return nil, translate("revoke signing keys", "signing key", err)
	}
	kids, err := scanAll(rows, func(sc scanner) (string, error) {
		var kid string
		return kid, sc.Scan(&kid)
	})
	if err != nil {
		return nil, translate("revoke signing keys", "signing key", err)
	}
	for _, kid := range kids {
		if err := t.appendRevocation(keyhouse.RevokedSigningKey, kid, at); err != nil {
			return nil, err
		}
	}
	return kids, nil
}

// DeleteSigningKey deletes the signing key kid, if it is still there.
func (t *txn) DeleteSigningKey(kid string) error {
	_, err := t.exec(`DELETE FROM signing_keys WHERE kid = ?`, kid)
	return translate("delete signing key", "signing key", err)
}

// ForEachKey calls fn with every API key, in no particular order, outside
// any transaction: the loading of the in-memory key index. Only what
// authentication needs is read: id, organization, environment, client,
// secret hash, the legacy flag, the expiry and the allowed addresses.
// Each key is a fresh value that fn may keep.
func (s *Store) ForEachKey(ctx context.Context, fn func(*keyhouse.APIKey)) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	t := &txn{ctx: ctx, q: s.db, d: s.d}
	rows, err := t.query(`SELECT key_id, org_id, environment, client_id, secret_hash, legacy,
		expires_at, allowed_cidrs FROM api_keys`)
	if err != nil {
		return translate("load keys", "api key", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k keyhouse.APIKey
		var expires sql.NullInt64
		var cidrs string
		if err := rows.Scan(&k.KeyID, &k.OrgID, &k.Environment, &k.ClientID, &k.SecretHash, &k.Legacy,
			&expires, &cidrs); err != nil {
			return translate("load keys", "api key", err)
		}
		k.ExpiresAt = fromNullMicros(expires)
		cs, err := parseStoredCIDRs(cidrs)
		if err != nil {
			return fmt.Errorf("load keys: key %s: %w", k.KeyID, err)
		}
		k.AllowedCIDRs = cs
		fn(&k)
	}
	return translate("load keys", "api key", rows.Err())
}
