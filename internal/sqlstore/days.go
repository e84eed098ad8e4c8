package sqlstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"keyhouse"
)

// AddKeyDays adds per-day request counts of API keys to key_days, in one
// transaction: one upsert per chunk of rowsPerInsert rows, in one order
// (two instances adding the same rows on PostgreSQL cannot deadlock).
func (s *Store) AddKeyDays(ctx context.Context, counts []keyhouse.KeyDay) error {
	if len(counts) == 0 {
		return nil
	}
	counts = slices.Clone(counts)
	slices.SortFunc(counts, func(a, b keyhouse.KeyDay) int {
		return cmp.Or(cmp.Compare(a.OrgID, b.OrgID), cmp.Compare(a.Environment, b.Environment),
			cmp.Compare(a.KeyID, b.KeyID), a.Day.Compare(b.Day))
	})
	return s.run(ctx, nil, func(t *txn) error {
		for start := 0; start < len(counts); start += rowsPerInsert {
			chunk := counts[start:min(start+rowsPerInsert, len(counts))]
			args := make([]any, 0, len(chunk)*6)
			for _, c := range chunk {
				args = append(args, c.OrgID, string(c.Environment), c.ClientID, c.KeyID, micros(dayOf(c.Day)), c.Count)
			}
			err := s.execPrepared(t, "count key days", len(chunk), func() string {
				return `INSERT INTO key_days (org_id, environment, client_id, key_id, day, count)
				VALUES ` + valueRows(len(chunk), 6) + `
				ON CONFLICT (org_id, environment, key_id, day) DO UPDATE SET count = key_days.count + excluded.count`
			}, args)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// dayOf is the UTC midnight that starts t's day.
func dayOf(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

// KeyDays returns the environment's per-key request counts of the days
// from since (a UTC midnight) on, by day then key.
func (t *txn) KeyDays(orgID string, env keyhouse.Environment, since time.Time) ([]keyhouse.KeyDay, error) {
	rows, err := t.query(`SELECT client_id, key_id, day, count FROM key_days
		WHERE org_id = ? AND environment = ? AND day >= ? ORDER BY day, key_id`,
		orgID, string(env), micros(since))
	if err != nil {
		return nil, translate("list key days", "key day", err)
	}
	out, err := scanAll(rows, func(s scanner) (keyhouse.KeyDay, error) {
		d := keyhouse.KeyDay{OrgID: orgID, Environment: env}
		var day int64
		err := s.Scan(&d.ClientID, &d.KeyID, &day, &d.Count)
		d.Day = fromMicros(day)
		return d, err
	})
	return out, translate("list key days", "key day", err)
}

// EventDays returns the environment's per-client counts of events
// received on the days from since (a UTC midnight) on, by day then client.
func (t *txn) EventDays(orgID string, env keyhouse.Environment, since time.Time) ([]keyhouse.ClientDay, error) {
	rows, err := t.query(`SELECT client_id, day, count FROM event_days
		WHERE org_id = ? AND environment = ? AND day >= ? ORDER BY day, client_id`,
		orgID, string(env), micros(since))
	if err != nil {
		return nil, translate("list event days", "event day", err)
	}
	out, err := scanAll(rows, func(s scanner) (keyhouse.ClientDay, error) {
		var d keyhouse.ClientDay
		var day int64
		err := s.Scan(&d.ClientID, &day, &d.Count)
		d.Day = fromMicros(day)
		return d, err
	})
	return out, translate("list event days", "event day", err)
}
