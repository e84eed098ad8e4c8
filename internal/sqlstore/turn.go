package sqlstore

import (
	"context"
	"time"

	"keyhouse"
)

// writeTurn queues this process's SQLite write transactions in order.
// SQLite lets one transaction write at a time, and a writer that finds the
// database locked polls, sleeping up to 100 ms between tries, until
// busy_timeout: under a steady intake the group commit, which begins again
// as soon as it ends, holds the lock nearly always, and another writer (a
// console change, the last-used flush) met it locked at try after try (in
// a probe, a background writer waited up to a second; past 5 s it would
// have failed). Waiting here instead, writers take turns first come, first
// served (a Go channel hands its waiting senders through in order). Other
// processes (the command line) still meet SQLite's lock and busy_timeout.
type writeTurn chan struct{}

// newWriteTurn returns a free turn.
func newWriteTurn() writeTurn { return make(writeTurn, 1) }

// writeWait is how long a writer waits for its turn, as busy_timeout.
const writeWait = 5 * time.Second

// acquire waits for the turn to write; release gives it back.
func (w writeTurn) acquire(ctx context.Context) (release func(), err error) {
	t := time.NewTimer(writeWait)
	defer t.Stop()
	select {
	case w <- struct{}{}:
		return func() { <-w }, nil
	case <-ctx.Done():
		return nil, &keyhouse.Error{Code: keyhouse.EUNAVAILABLE, Message: "database: busy; retry", Err: ctx.Err()}
	case <-t.C:
		return nil, keyhouse.Errorf(keyhouse.EUNAVAILABLE, "database: busy; retry")
	}
}
