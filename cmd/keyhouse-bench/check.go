package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// eventCheck is the exactly-once check of one intake run: every event
// answered 202 is in the database, once.
type eventCheck struct {
	Acked       int64  `json:"acked"`         // accepted events of the 202 answers (the script's count)
	Answered202 int64  `json:"answered_202"`  // 202 answers
	PerRequest  int64  `json:"per_request"`   // events in each request
	Stored      int64  `json:"stored"`        // rows the run added to events
	InFlightMax int64  `json:"in_flight_max"` // rows that may be stored unanswered: requests cut off when wrk stopped
	Duplicates  int64  `json:"duplicates"`    // rows whose event body is stored more than once
	ByID        bool   `json:"by_id"`         // whether every acknowledged id was looked up
	IDs         int64  `json:"ids_checked"`   // acknowledged ids looked up
	Missing     int64  `json:"ids_missing"`   // acknowledged ids not in the database
	AckedTwice  int64  `json:"ids_acked_twice"`
	Problem     string `json:"problem,omitempty"`
}

// OK reports whether the run lost or duplicated no acknowledged event.
func (c *eventCheck) OK() bool { return c.Problem == "" }

// judge sets Problem from the counts: the first rule broken, or "".
func (c *eventCheck) judge() {
	switch {
	case c.Acked != c.Answered202*c.PerRequest:
		c.Problem = fmt.Sprintf("%d answers 202 should accept %d events, they accepted %d", c.Answered202, c.Answered202*c.PerRequest, c.Acked)
	case c.Stored < c.Acked:
		c.Problem = fmt.Sprintf("lost events: %d acknowledged, %d stored", c.Acked, c.Stored)
	case c.Stored > c.Acked+c.InFlightMax:
		c.Problem = fmt.Sprintf("%d events stored, more than the %d acknowledged and %d in flight", c.Stored, c.Acked, c.InFlightMax)
	case c.Duplicates > 0:
		c.Problem = fmt.Sprintf("%d events stored twice", c.Duplicates)
	case c.ByID && c.IDs != c.Acked:
		c.Problem = fmt.Sprintf("%d ids acknowledged for %d accepted events", c.IDs, c.Acked)
	case c.Missing > 0:
		c.Problem = fmt.Sprintf("%d acknowledged event ids are not in the database", c.Missing)
	case c.AckedTwice > 0:
		c.Problem = fmt.Sprintf("%d event ids acknowledged twice", c.AckedTwice)
	}
}

// countEvents returns the number of stored events.
func countEvents(ctx context.Context, db *sql.DB) (int64, error) {
	var n int64
	err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&n)
	return n, err
}

// settledCount waits until the requests cut off at the end of a run have
// been committed (the count stops moving) and returns the count.
func settledCount(ctx context.Context, db *sql.DB) (int64, error) {
	last, err := countEvents(ctx, db)
	for range 100 {
		if err != nil {
			return 0, err
		}
		time.Sleep(150 * time.Millisecond)
		var n int64
		if n, err = countEvents(ctx, db); err == nil && n == last {
			return n, nil
		}
		last = n
	}
	return last, err
}

// countDuplicates returns how many stored events repeat the body of
// another: every body the bench sends is unique.
func countDuplicates(ctx context.Context, db *sql.DB) (int64, error) {
	var n int64
	err := db.QueryRowContext(ctx, `SELECT COUNT(*) - COUNT(DISTINCT payload) FROM events`).Scan(&n)
	return n, err
}

// readIDs reads the ids the script wrote to the ids-*.txt files of dir:
// each id with how often it was acknowledged.
func readIDs(dir string) (map[string]int, error) {
	files, err := filepath.Glob(filepath.Join(dir, "ids-*.txt"))
	if err != nil {
		return nil, err
	}
	ids := map[string]int{}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if id := strings.TrimSpace(sc.Text()); id != "" {
				ids[id]++
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// checkIDs looks up every acknowledged id of dir in the database and
// fills the id counts of c.
func checkIDs(ctx context.Context, db *sql.DB, dir string, c *eventCheck) error {
	acked, err := readIDs(dir)
	if err != nil {
		return fmt.Errorf("read acknowledged ids: %w", err)
	}
	rows, err := db.QueryContext(ctx, `SELECT id FROM events`)
	if err != nil {
		return err
	}
	defer rows.Close()
	found := make(map[string]bool, len(acked))
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		if _, ok := acked[id]; ok {
			found[id] = true
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	c.ByID = true
	c.IDs, c.Missing, c.AckedTwice = missingIDs(acked, found)
	return nil
}

// missingIDs counts the acknowledged ids, those not found, and those
// acknowledged more than once.
func missingIDs(acked map[string]int, found map[string]bool) (ids, missing, twice int64) {
	for id, n := range acked {
		ids += int64(n)
		if !found[id] {
			missing++
		}
		if n > 1 {
			twice++
		}
	}
	return ids, missing, twice
}
