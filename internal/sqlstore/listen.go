package sqlstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// keyDeletedChannel is the PostgreSQL notification channel of key
// deletions; the payload is the key id.
const keyDeletedChannel = "keyhouse_key_deleted"

// WatchKeyDeletions calls deleted with the id of every key deleted by any
// instance, until ctx ends. It listens on a connection of its own and
// reconnects when that drops (waiting up to 5 s between tries, reporting
// each failure to failed); after every (re)connection it calls resync,
// since notifications sent while it was away are lost. On SQLite, where
// one process serves the database and deletes its keys itself, there is
// nothing to watch: it waits for ctx.
func (s *Store) WatchKeyDeletions(ctx context.Context, deleted func(keyID string), resync func(), failed func(error)) {
	if s.d != Postgres {
		<-ctx.Done()
		return
	}
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		listened, err := s.listen(ctx, deleted, resync)
		if ctx.Err() != nil {
			return
		}
		failed(err)
		if listened { // the connection had worked: try again soon
			backoff = 100 * time.Millisecond
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// listen holds one LISTEN connection until it fails or ctx ends, and
// reports whether it got as far as listening. A connection that dies
// silently is found by TCP keep-alive (pgx dials with Go's default);
// meanwhile the periodic full reload of the key index is the safety net.
func (s *Store) listen(ctx context.Context, deleted func(string), resync func()) (bool, error) {
	conn, err := pgx.Connect(ctx, s.dsn)
	if err != nil {
		return false, translate("listen", "notification", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+keyDeletedChannel); err != nil {
		return false, translate("listen", "notification", err)
	}
	resync()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, translate("wait for notification", "notification", err)
		}
		deleted(n.Payload)
	}
}
