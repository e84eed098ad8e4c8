package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"keyhouse"
)

// appendRevocation adds an entry to the revocation feed. On PostgreSQL it
// first takes the feed's lock, held until the transaction ends, so that
// entries are numbered in the order they commit: a follower that has read
// entry N never sees a smaller number commit later. (SQLite writes one
// transaction at a time.)
func (t *txn) appendRevocation(kind, subject string, at time.Time) error {
	if err := t.Lock("revocations", "feed"); err != nil {
		return err
	}
	_, err := t.exec(`INSERT INTO revocations (kind, subject, revoked_at) VALUES (?, ?, ?)`,
		kind, subject, micros(at))
	return translate("append revocation", "revocation", err)
}

// PruneRevocations deletes the entries of the feed that precede the
// first one at or after before (every entry when there is none), and
// moves the horizon there: cursors before it are expired. An entry's time
// need not grow with its id (an expiry announced late is stamped when it
// fell), so an older-stamped entry never takes a newer one with it.
func (t *txn) PruneRevocations(before time.Time) error {
	var cut int64
	err := t.queryRow(`SELECT COALESCE((SELECT MIN(id) - 1 FROM revocations WHERE revoked_at >= ?),
		(SELECT MAX(id) FROM revocations), 0)`, micros(before)).Scan(&cut)
	if err != nil || cut <= 0 {
		return translate("prune revocations", "revocation", err)
	}
	if _, err := t.exec(`DELETE FROM revocations WHERE id <= ?`, cut); err != nil {
		return translate("prune revocations", "revocation", err)
	}
	_, err = t.exec(`UPDATE revocation_horizon SET pruned_through = ? WHERE pruned_through < ?`, cut, cut)
	return translate("prune revocations", "revocation", err)
}

// ListRevocations reads at most limit entries of the feed after the
// cursor after (every retained entry when after is negative), oldest
// first, in one read-only transaction. A cursor before the horizon (its
// next entries were pruned) or past the newest entry ever made (another
// database's) is expired.
func (s *Store) ListRevocations(ctx context.Context, after int64, limit int) (*keyhouse.RevocationPage, error) {
	var p keyhouse.RevocationPage
	err := s.run(ctx, &sql.TxOptions{ReadOnly: true}, func(t *txn) error {
		var horizon, newest int64
		err := t.queryRow(`SELECT pruned_through, (SELECT COALESCE(MAX(id), 0) FROM revocations)
			FROM revocation_horizon`).Scan(&horizon, &newest)
		if err != nil {
			return err
		}
		newest = max(newest, horizon)
		if after >= 0 && (after < horizon || after > newest) {
			p.Expired = true
			return nil
		}
		p.Last = after
		if after < 0 {
			p.Last = newest
		}
		rows, err := t.query(`SELECT id, kind, subject, revoked_at FROM revocations
			WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
		if err != nil {
			return err
		}
		p.Entries, err = scanAll(rows, scanRevocation)
		if n := len(p.Entries); n > 0 {
			p.Last = p.Entries[n-1].ID
		}
		return err
	})
	if err != nil {
		return nil, translate("list revocations", "revocation", err)
	}
	return &p, nil
}

func scanRevocation(sc scanner) (keyhouse.Revocation, error) {
	var r keyhouse.Revocation
	var at int64
	err := sc.Scan(&r.ID, &r.Kind, &r.Subject, &at)
	r.At = fromMicros(at)
	return r, err
}
