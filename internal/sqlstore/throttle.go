package sqlstore

import (
	"database/sql"
	"errors"
	"time"

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

// DeleteThrottles forgets every record whose key starts with prefix and
// returns how many there were.
func (t *txn) DeleteThrottles(prefix string) (int, error) {
	res, err := t.exec(`DELETE FROM login_throttles WHERE substr(key, 1, ?) = ?`, len(prefix), prefix)
	if err != nil {
		return 0, translate("delete throttles", "throttle", err)
	}
	n, err := res.RowsAffected()
	return int(n), translate("delete throttles", "throttle", err)
}

// PruneThrottles forgets the records last updated before idle whose lock,
// if any, ended before now.
func (t *txn) PruneThrottles(idle, now time.Time) error {
	_, err := t.exec(`DELETE FROM login_throttles WHERE updated_at < ? AND COALESCE(locked_until, 0) < ?`,
		micros(idle), micros(now))
	return translate("prune throttles", "throttle", err)
}

// UseSignInState records the sealed sign-in state id as used until
// expires; false when it was used already.
func (t *txn) UseSignInState(id string, expires time.Time) (bool, error) {
	res, err := t.exec(`INSERT INTO sign_in_states (id, expires_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`,
		id, micros(expires))
	if err != nil {
		return false, translate("use sign-in state", "sign-in state", err)
	}
	n, err := res.RowsAffected()
	return n == 1, translate("use sign-in state", "sign-in state", err)
}

// PruneSignInStates forgets the used sign-in states that expired before
// now: they could not be opened again anyway.
func (t *txn) PruneSignInStates(now time.Time) error {
	_, err := t.exec(`DELETE FROM sign_in_states WHERE expires_at < ?`, micros(now))
	return translate("prune sign-in states", "sign-in state", err)
}
