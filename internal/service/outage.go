package service

import (
	"context"
	"sync/atomic"
	"time"

	"keyhouse"
)

// backgroundWait bounds the background work that may rightly outlast a
// request's store deadline: loading every key into the index, writing a
// flush of last-used times, pruning.
const backgroundWait = time.Minute

// background returns ctx bounded by backgroundWait.
func background(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, backgroundWait)
}

// hearing tracks whether this instance hears every key deletion: on
// PostgreSQL, whether its listening connection is up and the index was
// reloaded since it (re)connected. While it is not, a key deleted through
// another instance may still be in the index. On SQLite every deletion
// goes through this process, so the index is always current.
type hearing struct {
	// deafSince is when the listening connection failed (unix
	// nanoseconds), 0 while the index is known current.
	deafSince atomic.Int64
}

// lost records that deletions may be missed from now on.
func (h *hearing) lost(now time.Time) {
	h.deafSince.CompareAndSwap(0, now.UnixNano())
}

// regained records that the index is current again.
func (h *hearing) regained() { h.deafSince.Store(0) }

// indexTrusted reports whether the key index may answer for a key without
// asking the store: it is current, or it has been deaf for no longer than
// Config.StaleKeys.
func (s *Service) indexTrusted() bool {
	since := s.hearing.deafSince.Load()
	return since == 0 || s.now().Sub(time.Unix(0, since)) <= s.cfg.StaleKeys
}

// resyncRetry is how long resyncKeys waits between two tries.
const resyncRetry = time.Second

// resyncKeys reloads the key index after the listener (re)connected,
// trying again until it works or ctx ends, and then counts the index as
// current: the notices sent since LISTEN wait on the connection meanwhile.
func (s *Service) resyncKeys(ctx context.Context) {
	for {
		err := s.reloadKeys(ctx)
		if err == nil {
			s.hearing.regained()
			return
		}
		if ctx.Err() != nil {
			return
		}
		s.cfg.Logger.Warn("reload api keys after connecting; retrying", "err", err)
		select {
		case <-time.After(resyncRetry):
		case <-ctx.Done():
			return
		}
	}
}

// Ready reports, as an EUNAVAILABLE error whose message says why, whether
// this instance can serve: the store answers and is writable, its
// migrations are applied, and a signing key is loaded.
func (s *Service) Ready(ctx context.Context) error {
	if err := s.store.Ready(ctx); err != nil {
		if keyhouse.ErrorCode(err) == keyhouse.EUNAVAILABLE {
			return err
		}
		return &keyhouse.Error{Code: keyhouse.EUNAVAILABLE, Message: "the database does not answer", Err: err}
	}
	if _, ok := s.signer.ring.Current(); !ok {
		return keyhouse.Errorf(keyhouse.EUNAVAILABLE, "no token-signing key is loaded")
	}
	return nil
}
