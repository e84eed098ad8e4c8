package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"keyhouse"
)

// rowsPerInsert bounds the rows of one multi-row statement: 7 columns ×
// 100 stays far below the placeholder limits of both databases.
const rowsPerInsert = 100

// day is a UTC day in unix microseconds of its midnight.
const day = int64(24 * time.Hour / time.Microsecond)

// InsertEvents stores events in one transaction: multi-row INSERTs, and
// one multi-row upsert of the per-day counts of their clients. When it
// returns nil the events are committed (on SQLite with synchronous=FULL:
// durable). The statements are prepared once per shape and kept.
func (s *Store) InsertEvents(ctx context.Context, events []*keyhouse.Event) error {
	if len(events) == 0 {
		return nil
	}
	counts := countByDay(events)
	return s.run(ctx, nil, func(t *txn) error {
		for start := 0; start < len(events); start += rowsPerInsert {
			if err := s.insertEvents(t, events[start:min(start+rowsPerInsert, len(events))]); err != nil {
				return err
			}
		}
		for start := 0; start < len(counts); start += rowsPerInsert {
			if err := s.addCounts(t, counts[start:min(start+rowsPerInsert, len(counts))]); err != nil {
				return err
			}
		}
		return nil
	})
}

// insertEvents inserts up to rowsPerInsert events in one statement.
func (s *Store) insertEvents(t *txn, events []*keyhouse.Event) error {
	args := make([]any, 0, len(events)*7)
	for _, e := range events {
		args = append(args, e.ID, e.OrgID, string(e.Environment), e.ClientID, e.KeyID, micros(e.ReceivedAt), e.Payload)
	}
	return s.execPrepared(t, "insert events", len(events), func() string {
		return `INSERT INTO events (id, org_id, environment, client_id, key_id, received_at, payload) VALUES ` +
			valueRows(len(events), 7)
	}, args)
}

// dayCount is what a batch adds to one row of event_days.
type dayCount struct {
	org, env, client string
	day, count, last int64
}

// countByDay sums events per client and UTC day.
func countByDay(events []*keyhouse.Event) []dayCount {
	type key struct {
		org, env, client string
		day              int64
	}
	index := make(map[key]int)
	var counts []dayCount
	for _, e := range events {
		at := micros(e.ReceivedAt)
		k := key{e.OrgID, string(e.Environment), e.ClientID, at - at%day}
		i, ok := index[k]
		if !ok {
			i, index[k] = len(counts), len(counts)
			counts = append(counts, dayCount{org: k.org, env: k.env, client: k.client, day: k.day})
		}
		counts[i].count++
		counts[i].last = max(counts[i].last, at)
	}
	// One order for every commit: the commits of several instances on one
	// PostgreSQL database lock the same rows in the same order and cannot
	// deadlock.
	slices.SortFunc(counts, func(a, b dayCount) int {
		return cmp.Or(cmp.Compare(a.org, b.org), cmp.Compare(a.env, b.env), cmp.Compare(a.client, b.client), cmp.Compare(a.day, b.day))
	})
	return counts
}

// addCounts adds up to rowsPerInsert day counts to event_days in one
// upsert (each row is a different client and day, as both databases need).
func (s *Store) addCounts(t *txn, counts []dayCount) error {
	args := make([]any, 0, len(counts)*6)
	for _, c := range counts {
		args = append(args, c.org, c.env, c.client, c.day, c.count, c.last)
	}
	return s.execPrepared(t, "count events", len(counts), func() string {
		return `INSERT INTO event_days (org_id, environment, client_id, day, count, last_received_at)
		VALUES ` + valueRows(len(counts), 6) + `
		ON CONFLICT (org_id, environment, client_id, day) DO UPDATE SET
			count = event_days.count + excluded.count,
			last_received_at = ` + s.d.greatest("event_days.last_received_at", "excluded.last_received_at")
	}, args)
}

// valueRows returns n rows of cols placeholders: "(?, ?), (?, ?)".
func valueRows(n, cols int) string {
	row := "(" + strings.Repeat("?, ", cols-1) + "?)"
	return strings.Repeat(row+", ", n-1) + row
}

// statements caches prepared statements by operation and row count.
type statements struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// execPrepared runs, in t, the statement of op for rows rows (built by
// query the first time), prepared once on the database and reused.
func (s *Store) execPrepared(t *txn, op string, rows int, query func() string, args []any) error {
	stmt, err := s.prepared(t.ctx, fmt.Sprintf("%s/%d", op, rows), query)
	if err != nil {
		return translate(op, "event", err)
	}
	tx, ok := t.q.(*sql.Tx)
	if !ok {
		return fmt.Errorf("%s: not in a transaction", op)
	}
	_, err = tx.StmtContext(t.ctx, stmt).ExecContext(t.ctx, args...)
	return translate(op, "event", err)
}

// prepared returns the statement cached under key, preparing it first.
func (s *Store) prepared(ctx context.Context, key string, query func() string) (*sql.Stmt, error) {
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	if stmt, ok := s.stmts.m[key]; ok {
		return stmt, nil
	}
	stmt, err := s.db.PrepareContext(ctx, s.d.rebind(query()))
	if err != nil {
		return nil, err
	}
	if s.stmts.m == nil {
		s.stmts.m = make(map[string]*sql.Stmt)
	}
	s.stmts.m[key] = stmt
	return stmt, nil
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
