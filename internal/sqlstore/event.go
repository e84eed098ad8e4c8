package sqlstore

import (
	"time"

	"keyhouse"
)

// EventSummaries counts the events received per client ID of the
// environment: since dayStart, since weekStart, in total, and the time of
// the last one. A client without events has no entry.
func (t *txn) EventSummaries(orgID string, env keyhouse.Environment, dayStart, weekStart time.Time) (map[string]keyhouse.EventSummary, error) {
	rows, err := t.query(`SELECT client_id,
			SUM(CASE WHEN received_at >= ? THEN 1 ELSE 0 END),
			SUM(CASE WHEN received_at >= ? THEN 1 ELSE 0 END),
			COUNT(*),
			MAX(received_at)
		FROM events WHERE org_id = ? AND environment = ?
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
