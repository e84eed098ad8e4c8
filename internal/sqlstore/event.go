package sqlstore

import (
	"context"
	"strings"
	"time"

	"keyhouse"
)

// eventColumns are the columns of one events row, in insert order.
const eventColumns = 7

// rowsPerInsert bounds the rows of one multi-row INSERT: 7 columns × 100
// stays far below the placeholder limits of both databases.
const rowsPerInsert = 100

// day is a UTC day in unix microseconds of its midnight.
const day = int64(24 * time.Hour / time.Microsecond)

// InsertEvents stores events in one transaction: multi-row INSERTs, and
// the per-day counts of their clients. When it returns nil the events are
// committed (on SQLite with synchronous=FULL: durable).
func (s *Store) InsertEvents(ctx context.Context, events []*keyhouse.Event) error {
	if len(events) == 0 {
		return nil
	}
	return s.run(ctx, nil, func(t *txn) error {
		for start := 0; start < len(events); start += rowsPerInsert {
			if err := t.insertEvents(events[start:min(start+rowsPerInsert, len(events))]); err != nil {
				return err
			}
		}
		return t.countEvents(events)
	})
}

// insertEvents inserts up to rowsPerInsert events in one statement.
func (t *txn) insertEvents(events []*keyhouse.Event) error {
	var q strings.Builder
	q.WriteString(`INSERT INTO events (id, org_id, environment, client_id, key_id, received_at, payload) VALUES `)
	args := make([]any, 0, len(events)*eventColumns)
	for i, e := range events {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?, ?)")
		args = append(args, e.ID, e.OrgID, string(e.Environment), e.ClientID, e.KeyID, micros(e.ReceivedAt), e.Payload)
	}
	_, err := t.exec(q.String(), args...)
	return translate("insert events", "event", err)
}

// dayKey identifies one row of event_days.
type dayKey struct {
	org, env, client string
	day              int64
}

// dayCount is what a batch adds to one row of event_days.
type dayCount struct{ count, last int64 }

// countEvents adds the batch to event_days, one upsert per client and day.
func (t *txn) countEvents(events []*keyhouse.Event) error {
	counts := make(map[dayKey]dayCount)
	for _, e := range events {
		at := micros(e.ReceivedAt)
		k := dayKey{e.OrgID, string(e.Environment), e.ClientID, at - at%day}
		c := counts[k]
		counts[k] = dayCount{c.count + 1, max(c.last, at)}
	}
	q := `INSERT INTO event_days (org_id, environment, client_id, day, count, last_received_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (org_id, environment, client_id, day) DO UPDATE SET
			count = event_days.count + excluded.count,
			last_received_at = ` + t.d.greatest("event_days.last_received_at", "excluded.last_received_at")
	for k, c := range counts {
		if _, err := t.exec(q, k.org, k.env, k.client, k.day, c.count, c.last); err != nil {
			return translate("count events", "event", err)
		}
	}
	return nil
}

// EventSummaries counts the events received per client ID of the
// environment: since dayStart, since weekStart, in total, and the time of
// the last one. A client without events has no entry. dayStart and
// weekStart are UTC midnights.
func (t *txn) EventSummaries(orgID string, env keyhouse.Environment, dayStart, weekStart time.Time) (map[string]keyhouse.EventSummary, error) {
	rows, err := t.query(`SELECT client_id,
			SUM(CASE WHEN day >= ? THEN count ELSE 0 END),
			SUM(CASE WHEN day >= ? THEN count ELSE 0 END),
			SUM(count),
			MAX(last_received_at)
		FROM event_days WHERE org_id = ? AND environment = ?
		GROUP BY client_id`,
		micros(dayStart), micros(weekStart), orgID, string(env))
	if err != nil {
		return nil, translate("summarize events", "event", err)
	}
	defer rows.Close()
	out := make(map[string]keyhouse.EventSummary)
	for rows.Next() {
		var clientID string
		var s keyhouse.EventSummary
		var last int64
		if err := rows.Scan(&clientID, &s.Today, &s.Last7Days, &s.Total, &last); err != nil {
			return nil, translate("summarize events", "event", err)
		}
		l := fromMicros(last)
		s.LastReceivedAt = &l
		out[clientID] = s
	}
	if err := rows.Err(); err != nil {
		return nil, translate("summarize events", "event", err)
	}
	return out, nil
}
