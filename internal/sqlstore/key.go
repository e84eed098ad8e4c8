package sqlstore

import (
	"database/sql"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"keyhouse"
)

const keyColumns = `key_id, org_id, environment, client_id, secret_hash, secret_last4,
	description, legacy, created_at, created_by, last_used_at,
	expires_at, allowed_cidrs, replaced_by, expiry_reminded_days`

// CreateKey inserts k: ECONFLICT when the key id or the secret hash is
// taken.
func (t *txn) CreateKey(k *keyhouse.APIKey) error {
	k.CreatedAt = stored(k.CreatedAt)
	k.LastUsedAt = storedPtr(k.LastUsedAt)
	k.ExpiresAt = storedPtr(k.ExpiresAt)
	if k.AllowedCIDRs == nil {
		k.AllowedCIDRs = []netip.Prefix{} // as it comes back
	}
	_, err := t.exec(`INSERT INTO api_keys (`+keyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.KeyID, k.OrgID, string(k.Environment), k.ClientID, k.SecretHash, k.SecretLast4,
		k.Description, k.Legacy, micros(k.CreatedAt), k.CreatedBy, nullMicros(k.LastUsedAt),
		nullMicros(k.ExpiresAt), keyhouse.FormatCIDRs(k.AllowedCIDRs), k.ReplacedBy, nullDays(k.RemindedDays))
	return translate("insert key", "api key", err)
}

// FindKey returns the key with the given id.
func (t *txn) FindKey(keyID string) (*keyhouse.APIKey, error) {
	return t.findKey("find key", `key_id = ?`, keyID)
}

func (t *txn) findKey(op, where string, arg any) (*keyhouse.APIKey, error) {
	k, err := scanKey(t.queryRow(`SELECT `+keyColumns+` FROM api_keys WHERE `+where, arg))
	if err != nil {
		return nil, translate(op, "api key", err)
	}
	return k, nil
}

// ListKeys returns the environment's keys ordered by creation, then id.
func (t *txn) ListKeys(orgID string, env keyhouse.Environment) ([]*keyhouse.APIKey, error) {
	return t.listKeys("list keys", `org_id = ? AND environment = ? ORDER BY created_at, key_id`, orgID, string(env))
}

// listKeys returns the keys that where (with its ORDER BY) selects.
func (t *txn) listKeys(op, where string, args ...any) ([]*keyhouse.APIKey, error) {
	rows, err := t.query(`SELECT `+keyColumns+` FROM api_keys WHERE `+where, args...)
	if err != nil {
		return nil, translate(op, "api key", err)
	}
	ks, err := scanAll(rows, scanKey)
	if err != nil {
		return nil, translate(op, "api key", err)
	}
	return ks, nil
}

// CountKeys counts the keys of a client that have not expired at now.
func (t *txn) CountKeys(clientID string, now time.Time) (int, error) {
	var n int
	if err := t.queryRow(`SELECT COUNT(*) FROM api_keys WHERE client_id = ? AND (expires_at IS NULL OR expires_at > ?)`,
		clientID, micros(now)).Scan(&n); err != nil {
		return 0, translate("count keys", "api key", err)
	}
	return n, nil
}

// UpdateKeyDescription sets the description of a key. The service refuses
// legacy keys before it gets here.
func (t *txn) UpdateKeyDescription(keyID string, description string) error {
	return t.execOne("update key", "api key",
		`UPDATE api_keys SET description = ? WHERE key_id = ?`, description, keyID)
}

// DeleteKey deletes a key for good, at at, and appends the deletion to
// the revocation feed (see appendRevocation). On PostgreSQL it also
// notifies every instance (delivered when the transaction commits): see
// WatchChanges.
func (t *txn) DeleteKey(keyID string, at time.Time) error {
	if err := t.execOne("delete key", "api key", `DELETE FROM api_keys WHERE key_id = ?`, keyID); err != nil {
		return err
	}
	if err := t.appendRevocation(keyhouse.RevokedAPIKey, keyID, at); err != nil {
		return err
	}
	if t.d != Postgres {
		return nil
	}
	_, err := t.exec(`SELECT pg_notify('`+keyDeletedChannel+`', ?)`, keyID)
	return translate("notify key deleted", "api key", err)
}

func scanKey(s scanner) (*keyhouse.APIKey, error) {
	var k keyhouse.APIKey
	var description, replacedBy sql.NullString
	var created int64
	var used, expires, reminded sql.NullInt64
	var cidrs string
	err := s.Scan(&k.KeyID, &k.OrgID, &k.Environment, &k.ClientID, &k.SecretHash, &k.SecretLast4,
		&description, &k.Legacy, &created, &k.CreatedBy, &used,
		&expires, &cidrs, &replacedBy, &reminded)
	if err != nil {
		return nil, err
	}
	if description.Valid {
		k.Description = &description.String
	}
	if replacedBy.Valid {
		k.ReplacedBy = &replacedBy.String
	}
	k.CreatedAt = fromMicros(created)
	k.LastUsedAt = fromNullMicros(used)
	k.ExpiresAt = fromNullMicros(expires)
	k.RemindedDays = int(reminded.Int64)
	if k.AllowedCIDRs, err = parseStoredCIDRs(cidrs); err != nil {
		return nil, fmt.Errorf("key %s: %w", k.KeyID, err)
	}
	return &k, nil
}

// parseStoredCIDRs reads the allowed_cidrs column: comma-separated
// ranges, "" for none (an empty, non-nil list).
func parseStoredCIDRs(s string) ([]netip.Prefix, error) {
	out := []netip.Prefix{}
	if s == "" {
		return out, nil
	}
	for f := range strings.SplitSeq(s, ",") {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("allowed_cidrs: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}

// nullDays is NULL for 0, else n.
func nullDays(n int) sql.NullInt64 {
	return sql.NullInt64{Int64: int64(n), Valid: n != 0}
}

// UpdateKeyPolicy writes a key's expires_at, allowed_cidrs and
// replaced_by. On PostgreSQL it also tells every instance to reload the
// key (delivered when the transaction commits): see WatchChanges.
func (t *txn) UpdateKeyPolicy(k *keyhouse.APIKey) error {
	k.ExpiresAt = storedPtr(k.ExpiresAt)
	if err := t.execOne("update key", "api key",
		`UPDATE api_keys SET expires_at = ?, allowed_cidrs = ?, replaced_by = ? WHERE key_id = ?`,
		nullMicros(k.ExpiresAt), keyhouse.FormatCIDRs(k.AllowedCIDRs), k.ReplacedBy, k.KeyID); err != nil {
		return err
	}
	if t.d != Postgres {
		return nil
	}
	_, err := t.exec(`SELECT pg_notify('`+keyChangedChannel+`', ?)`, k.KeyID)
	return translate("notify key changed", "api key", err)
}

// ExpiringKeys returns the keys not replaced by a roll whose expiry falls
// in (after, until], soonest first.
func (t *txn) ExpiringKeys(after, until time.Time) ([]*keyhouse.APIKey, error) {
	return t.listKeys("list expiring keys", `expires_at > ? AND expires_at <= ? AND replaced_by IS NULL
		ORDER BY expires_at, key_id`, micros(after), micros(until))
}

// EndedRolls returns the keys replaced by a roll whose grace ended at or
// before now.
func (t *txn) EndedRolls(now time.Time) ([]*keyhouse.APIKey, error) {
	return t.listKeys("list ended rolls", `expires_at <= ? AND replaced_by IS NOT NULL
		ORDER BY expires_at, key_id`, micros(now))
}

// AnnounceExpiries puts every key that expired at or before now, and is
// not in the revocation feed for it yet, in the feed (revoked at its
// expiry), once whatever the number of instances, and returns their ids.
// On PostgreSQL each also notifies every instance that the key changed.
func (t *txn) AnnounceExpiries(now time.Time) ([]string, error) {
	rows, err := t.query(`SELECT key_id, expires_at FROM api_keys
		WHERE expires_at <= ? AND expires_at IS NOT NULL AND expiry_announced = 0
		ORDER BY expires_at, key_id`, micros(now))
	if err != nil {
		return nil, translate("list expiries", "api key", err)
	}
	type expiry struct {
		id string
		at int64
	}
	due, err := scanAll(rows, func(s scanner) (e expiry, err error) { return e, s.Scan(&e.id, &e.at) })
	if err != nil {
		return nil, translate("list expiries", "api key", err)
	}
	var ids []string
	for _, e := range due {
		res, err := t.exec(`UPDATE api_keys SET expiry_announced = 1 WHERE key_id = ? AND expiry_announced = 0`, e.id)
		if err != nil {
			return nil, translate("announce expiry", "api key", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			continue // another instance was first
		}
		if err := t.appendRevocation(keyhouse.RevokedAPIKey, e.id, fromMicros(e.at)); err != nil {
			return nil, err
		}
		if t.d == Postgres {
			if _, err := t.exec(`SELECT pg_notify('`+keyChangedChannel+`', ?)`, e.id); err != nil {
				return nil, translate("notify key changed", "api key", err)
			}
		}
		ids = append(ids, e.id)
	}
	return ids, nil
}

// ExpiriesDue reports whether a key expired at or before now is not in
// the revocation feed for it yet: a read, before AnnounceExpiries writes.
func (t *txn) ExpiriesDue(now time.Time) (bool, error) {
	var due bool
	err := t.queryRow(`SELECT EXISTS (SELECT 1 FROM api_keys
		WHERE expires_at <= ? AND expires_at IS NOT NULL AND expiry_announced = 0)`, micros(now)).Scan(&due)
	return due, translate("find expiries", "api key", err)
}

// ClaimExpiryReminder records that the reminder of days (7 or 1) before
// the key's expiry is being sent, and reports whether this call claimed
// it: false when it, or a later one, was claimed already (by any
// instance).
func (t *txn) ClaimExpiryReminder(keyID string, days int) (bool, error) {
	res, err := t.exec(`UPDATE api_keys SET expiry_reminded_days = ?
		WHERE key_id = ? AND (expiry_reminded_days IS NULL OR expiry_reminded_days > ?)`, days, keyID, days)
	if err != nil {
		return false, translate("claim reminder", "api key", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, translate("claim reminder", "api key", err)
	}
	return n == 1, nil
}
