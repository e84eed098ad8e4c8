package service

import (
	"context"
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
