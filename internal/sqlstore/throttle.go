package sqlstore

import (
	"database/sql"
	"errors"

	"keyhouse"
)

// FindThrottle returns the record for key, or a zero Throttle with that Key
// when there is none.
func (t *txn) FindThrottle(key string) (keyhouse.Throttle, error) {
	th := keyhouse.Throttle{Key: key}
	var locked sql.NullInt64
	var updated int64
	err := t.queryRow(`SELECT failures, locked_until, updated_at FROM login_throttles WHERE key = ?`, key).
		Scan(&th.Failures, &locked, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return th, nil
	}
	if err != nil {
		return th, translate("find throttle", "throttle", err)
	}
	if l := fromNullMicros(locked); l != nil {
		th.LockedUntil = *l
	}
	th.UpdatedAt = fromMicros(updated)
	return th, nil
}

// PutThrottle inserts or replaces the record th.Key. A zero LockedUntil is
// stored as NULL.
func (t *txn) PutThrottle(th keyhouse.Throttle) error {
	_, err := t.exec(`INSERT INTO login_throttles (key, failures, locked_until, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET failures = excluded.failures,
			locked_until = excluded.locked_until, updated_at = excluded.updated_at`,
		th.Key, th.Failures, nullMicros(&th.LockedUntil), micros(th.UpdatedAt))
	return translate("put throttle", "throttle", err)
}

// DeleteThrottle forgets the record for key, if any.
func (t *txn) DeleteThrottle(key string) error {
	_, err := t.exec(`DELETE FROM login_throttles WHERE key = ?`, key)
	return translate("delete throttle", "throttle", err)
}
