package sqlstore

import (
	"database/sql"
	"time"

	"keyhouse"
)

const keyColumns = `key_id, org_id, environment, client_id, secret_hash, secret_last4,
	description, legacy, created_at, created_by, last_used_at`

// CreateKey inserts k: ECONFLICT when the key id or the secret hash is
// taken.
func (t *txn) CreateKey(k *keyhouse.APIKey) error {
	k.CreatedAt = stored(k.CreatedAt)
	k.LastUsedAt = storedPtr(k.LastUsedAt)
	_, err := t.exec(`INSERT INTO api_keys (`+keyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.KeyID, k.OrgID, string(k.Environment), k.ClientID, k.SecretHash, k.SecretLast4,
		k.Description, k.Legacy, micros(k.CreatedAt), k.CreatedBy, nullMicros(k.LastUsedAt))
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
	rows, err := t.query(`SELECT `+keyColumns+` FROM api_keys
		WHERE org_id = ? AND environment = ? ORDER BY created_at, key_id`, orgID, string(env))
	if err != nil {
		return nil, translate("list keys", "api key", err)
	}
	ks, err := scanAll(rows, scanKey)
	if err != nil {
		return nil, translate("list keys", "api key", err)
	}
	return ks, nil
}

// CountKeys counts the keys of a client.
func (t *txn) CountKeys(clientID string) (int, error) {
	var n int
	if err := t.queryRow(`SELECT COUNT(*) FROM api_keys WHERE client_id = ?`, clientID).Scan(&n); err != nil {
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
	var description sql.NullString
	var created int64
	var used sql.NullInt64
	err := s.Scan(&k.KeyID, &k.OrgID, &k.Environment, &k.ClientID, &k.SecretHash, &k.SecretLast4,
		&description, &k.Legacy, &created, &k.CreatedBy, &used)
	if err != nil {
		return nil, err
	}
	if description.Valid {
		k.Description = &description.String
	}
	k.CreatedAt = fromMicros(created)
	k.LastUsedAt = fromNullMicros(used)
	return &k, nil
}
