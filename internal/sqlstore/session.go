package sqlstore

import (
	"time"

	"keyhouse"
)

const sessionColumns = `token_hash, user_id, org_id, created_at, last_seen_at, expires_at`

// CreateSession inserts s.
func (t *txn) CreateSession(s *keyhouse.Session) error {
	s.CreatedAt = stored(s.CreatedAt)
	s.LastSeenAt = stored(s.LastSeenAt)
	s.ExpiresAt = stored(s.ExpiresAt)
	_, err := t.exec(`INSERT INTO sessions (`+sessionColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
		s.TokenHash, s.UserID, s.OrgID, micros(s.CreatedAt), micros(s.LastSeenAt), micros(s.ExpiresAt))
	return translate("insert session", "session", err)
}

// FindSession returns the session whose token hashes to tokenHash, expired
// or not: the service decides.
func (t *txn) FindSession(tokenHash []byte) (*keyhouse.Session, error) {
	var s keyhouse.Session
	var created, seen, expires int64
	err := t.queryRow(`SELECT `+sessionColumns+` FROM sessions WHERE token_hash = ?`, tokenHash).Scan(
		&s.TokenHash, &s.UserID, &s.OrgID, &created, &seen, &expires)
	if err != nil {
		return nil, translate("find session", "session", err)
	}
	s.CreatedAt = fromMicros(created)
	s.LastSeenAt = fromMicros(seen)
	s.ExpiresAt = fromMicros(expires)
	return &s, nil
}

// TouchSession sets the session's last activity to at.
func (t *txn) TouchSession(tokenHash []byte, at time.Time) error {
	return t.execOne("touch session", "session",
		`UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?`, micros(at), tokenHash)
}

// DeleteSession ends the session; ending one that is gone is not an error.
func (t *txn) DeleteSession(tokenHash []byte) error {
	_, err := t.exec(`DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
	return translate("delete session", "session", err)
}

// DeleteUserSessions ends the user's sessions in orgID, or in every
// organization when orgID is "".
func (t *txn) DeleteUserSessions(userID, orgID string) error {
	q := `DELETE FROM sessions WHERE user_id = ?`
	args := []any{userID}
	if orgID != "" {
		q += ` AND org_id = ?`
		args = append(args, orgID)
	}
	_, err := t.exec(q, args...)
	return translate("delete user sessions", "session", err)
}
