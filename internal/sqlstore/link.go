package sqlstore

import (
	"database/sql"
	"time"

	"keyhouse"
)

// CreateLink inserts l.
func (t *txn) CreateLink(l *keyhouse.Link) error {
	l.ExpiresAt = stored(l.ExpiresAt)
	l.UsedAt = storedPtr(l.UsedAt)
	_, err := t.exec(`INSERT INTO links (token_hash, purpose, user_id, org_id, issued_by, expires_at, used_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		l.TokenHash, l.Purpose, l.UserID, l.OrgID, l.IssuedBy, micros(l.ExpiresAt), nullMicros(l.UsedAt))
	return translate("insert link", "link", err)
}

// FindLink returns the link whose token hashes to tokenHash, used or not.
func (t *txn) FindLink(tokenHash []byte) (*keyhouse.Link, error) {
	var l keyhouse.Link
	var expires int64
	var used sql.NullInt64
	err := t.queryRow(`SELECT token_hash, purpose, user_id, org_id, issued_by, expires_at, used_at
		FROM links WHERE token_hash = ?`, tokenHash).Scan(
		&l.TokenHash, &l.Purpose, &l.UserID, &l.OrgID, &l.IssuedBy, &expires, &used)
	if err != nil {
		return nil, translate("find link", "link", err)
	}
	l.ExpiresAt = fromMicros(expires)
	l.UsedAt = fromNullMicros(used)
	return &l, nil
}

// UseLink marks an unused link used at at, in one statement, so that of two
// concurrent uses exactly one succeeds: the other gets ECONFLICT.
func (t *txn) UseLink(tokenHash []byte, at time.Time) error {
	res, err := t.exec(`UPDATE links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL`,
		micros(at), tokenHash)
	if err != nil {
		return translate("use link", "link", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate("use link", "link", err)
	}
	if n > 0 {
		return nil
	}
	if _, err := t.FindLink(tokenHash); err != nil {
		return err
	}
	return keyhouse.Errorf(keyhouse.ECONFLICT, "link already used")
}

// DeleteLinks removes the unused links of purpose for userID in orgID, or
// for every user when userID is "" (setup links).
func (t *txn) DeleteLinks(purpose, userID, orgID string) error {
	q := `DELETE FROM links WHERE purpose = ? AND used_at IS NULL`
	args := []any{purpose}
	if userID != "" {
		q += ` AND user_id = ? AND org_id = ?`
		args = append(args, userID, orgID)
	}
	_, err := t.exec(q, args...)
	return translate("delete links", "link", err)
}

// DeleteLinksIssuedBy removes the unused links that member issuer made in
// orgID.
func (t *txn) DeleteLinksIssuedBy(orgID, issuer string) error {
	_, err := t.exec(`DELETE FROM links WHERE org_id = ? AND issued_by = ? AND used_at IS NULL`, orgID, issuer)
	return translate("delete links", "link", err)
}
