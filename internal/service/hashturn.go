package service

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"keyhouse"
	"keyhouse/internal/password"
)

// hashWait is how long a password hash waits for a turn before its
// request is refused with EUNAVAILABLE.
const hashWait = 2 * time.Second

// ErrBusy refuses a sign-in or activation that found no turn to hash its
// password in time (EUNAVAILABLE, retry after a second).
var ErrBusy = &keyhouse.Error{
	Code:       keyhouse.EUNAVAILABLE,
	Message:    "too many sign-ins at once; retry in a moment",
	RetryAfter: time.Second,
}

// hashQueue is how many requests of one source may wait for a turn.
const hashQueue = 8

// hashTurns admits a bounded number of password hashes (argon2id, 19 MiB
// each) at a time. A request that finds every turn taken waits at most
// hashWait. Turns go round the sources that wait, first come first served
// within each, and a source may have at most hashQueue requests waiting:
// a flood from a few sources cannot crowd out everyone else, and the
// queue never holds more than hashQueue requests per source, none for
// more than hashWait.
type hashTurns struct {
	mu     sync.Mutex
	free   int
	queues map[string][]*hashWaiter // the waiting requests of each source
	ring   []string                 // the sources that wait, in turn order
}

// hashWaiter is a request waiting for a turn; ready is closed when the
// turn is handed to it.
type hashWaiter struct {
	source string
	ready  chan struct{}
}

// newHashTurns returns turns for n hashes at a time.
func newHashTurns(n int) *hashTurns {
	return &hashTurns{free: max(n, 1), queues: make(map[string][]*hashWaiter)}
}

// acquire takes a turn for a request from source, waiting at most
// hashWait; the caller must call release once its hash is done.
func (h *hashTurns) acquire(ctx context.Context, source string) error {
	w, err := h.enqueue(source)
	if w == nil {
		return err
	}
	timer := time.NewTimer(hashWait)
	defer timer.Stop()
	select {
	case <-w.ready:
		return nil
	case <-timer.C:
	case <-ctx.Done():
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-w.ready: // handed over as the wait ended: pass it on
		h.handOn()
	default:
		h.leave(w)
	}
	return ErrBusy
}

// enqueue takes a free turn (nil, nil), refuses (nil, ErrBusy) when the
// source's queue is full, or queues a waiter.
func (h *hashTurns) enqueue(source string) (*hashWaiter, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.free > 0 {
		h.free--
		return nil, nil
	}
	q := h.queues[source]
	if len(q) >= hashQueue {
		return nil, ErrBusy
	}
	if len(q) == 0 {
		h.ring = append(h.ring, source)
	}
	w := &hashWaiter{source: source, ready: make(chan struct{})}
	h.queues[source] = append(q, w)
	return w, nil
}

// leave takes w, which gave up, out of its queue. h.mu must be held.
func (h *hashTurns) leave(w *hashWaiter) {
	q := slices.DeleteFunc(h.queues[w.source], func(x *hashWaiter) bool { return x == w })
	if len(q) > 0 {
		h.queues[w.source] = q
		return
	}
	delete(h.queues, w.source)
	h.ring = slices.DeleteFunc(h.ring, func(s string) bool { return s == w.source })
}

// release gives a turn back, to a waiting request if any.
func (h *hashTurns) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.handOn()
}

// handOn gives a turn to the first waiting request of the next source in
// the ring, or frees it. h.mu must be held.
func (h *hashTurns) handOn() {
	if len(h.ring) == 0 {
		h.free++
		return
	}
	source := h.ring[0]
	h.ring = slices.Delete(h.ring, 0, 1)
	q := h.queues[source]
	w := q[0]
	if q = slices.Delete(q, 0, 1); len(q) > 0 {
		h.queues[source] = q
		h.ring = append(h.ring, source) // its next request waits for the round
	} else {
		delete(h.queues, source)
	}
	close(w.ready)
}

// hashPassword hashes pw for storing, in a turn of the source in ctx.
func (s *Service) hashPassword(ctx context.Context, pw string) (string, error) {
	source := sourceOf(keyhouse.RequestFromContext(ctx).IP)
	if err := s.hashing.acquire(ctx, source); err != nil {
		return "", err
	}
	defer s.hashing.release()
	h, err := password.Hash(pw, s.cfg.Password)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}
