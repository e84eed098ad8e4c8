package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"keyhouse/internal/dataplane"
)

// The PostgreSQL notification channels: key deletions (the payload is the
// key id) and signing-key changes (the payload is the new key's id).
const (
	keyDeletedChannel  = "keyhouse_key_deleted"
	keyChangedChannel  = "keyhouse_key_changed" // expiry or addresses: the payload is the key id
	signingKeysChannel = "keyhouse_signing_keys"
	// resourceServerDeletedChannel: the payload is the resource server's id.
	resourceServerDeletedChannel = "keyhouse_resource_server_deleted"
)

// WatchChanges calls w's functions for the changes other instances make,
// until ctx ends: w.KeyDeleted with the id of every key deleted, and
// w.SigningKeysChanged when a signing key is made, rotated or revoked,
// w.ResourceServerDeleted with the id of every resource server deleted. It
// listens on a connection of its own and reconnects when that drops
// (waiting up to listenRetry between tries, reporting each failure to
// w.Failed); after every (re)connection it calls w.Resync, since
// notifications sent while it was away are lost. On SQLite, where one process serves the
// database and deletes its keys itself, there is nothing to watch (the
// service polls the signing keys, which the command line changes, and
// the data plane reads a cached resource server again after a second,
// since the command line deletes those): it waits for ctx.
func (s *Store) WatchChanges(ctx context.Context, w dataplane.Watcher) {
	if s.d != Postgres {
		<-ctx.Done()
		return
	}
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		listened, err := s.listen(ctx, w)
		if ctx.Err() != nil {
			return
		}
		w.Failed(err)
		if listened { // the connection had worked: try again soon
			backoff = 100 * time.Millisecond
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return
		}
		backoff = min(2*backoff, listenRetry)
	}
}

// listenHeartbeat is how long the listening connection may stay quiet
// before it is asked to answer (SELECT 1, within the store's Timeout):
// a connection dropped without a word (a firewall's idle timeout, a
// vanished peer) is found within listenHeartbeat and the Timeout, where
// TCP keep-alive alone took about two and a half minutes, during which
// this instance missed every other instance's deletions.
const listenHeartbeat = 5 * time.Second

// nextNotice waits for the next notification; nil, nil when none came
// within the heartbeat and the connection answered.
func (s *Store) nextNotice(ctx context.Context, conn *pgx.Conn) (*pgconn.Notification, error) {
	quiet := s.ListenHeartbeat
	if quiet <= 0 {
		quiet = listenHeartbeat
	}
	wctx, cancel := context.WithTimeout(ctx, quiet)
	n, err := conn.WaitForNotification(wctx)
	cancel()
	if err == nil || ctx.Err() != nil || wctx.Err() == nil {
		return n, err
	}
	bctx, cancel := context.WithTimeout(ctx, cmp.Or(s.Timeout, quiet))
	defer cancel()
	if _, err := conn.Exec(bctx, "SELECT 1"); err != nil {
		return nil, fmt.Errorf("listening connection silent: %w", err)
	}
	return nil, nil
}

// listenRetry is the longest wait between two tries to listen: once the
// database is back, an instance hears deletions again within it.
const listenRetry = time.Second

// listen holds one LISTEN connection until it fails or ctx ends, and
// reports whether it got as far as listening. Connecting and LISTEN are
// bounded by the store's Timeout. A connection that dies silently is
// found by TCP keep-alive (pgx dials with Go's default); meanwhile the
// periodic reloads of the key index and the signing keys are the safety
// net.
func (s *Store) listen(ctx context.Context, w dataplane.Watcher) (bool, error) {
	conn, err := s.connectListener(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	w.Resync()
	for {
		n, err := s.nextNotice(ctx, conn)
		if err != nil {
			return true, translate("wait for notification", "notification", err)
		}
		if n == nil {
			continue // quiet, and the connection answered
		}
		switch n.Channel {
		case keyDeletedChannel:
			w.KeyDeleted(n.Payload)
		case keyChangedChannel:
			w.KeyChanged(n.Payload)
		case signingKeysChannel:
			w.SigningKeysChanged()
		case resourceServerDeletedChannel:
			w.ResourceServerDeleted(n.Payload)
		}
	}
}

// connectListener opens the listening connection and LISTENs on the
// channels, within the store's Timeout.
func (s *Store) connectListener(ctx context.Context) (*pgx.Conn, error) {
	bctx, cancel := s.bound(ctx)
	defer cancel()
	conn, err := pgx.Connect(bctx, s.dsn)
	if err != nil {
		return nil, translate("listen", "notification", err)
	}
	for _, ch := range []string{keyDeletedChannel, keyChangedChannel, signingKeysChannel, resourceServerDeletedChannel} {
		if _, err := conn.Exec(bctx, "LISTEN "+ch); err != nil {
			conn.Close(context.WithoutCancel(ctx))
			return nil, translate("listen", "notification", err)
		}
	}
	return conn, nil
}
