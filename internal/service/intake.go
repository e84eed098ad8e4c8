package service

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"keyhouse"
)

// MaxBatch is the most events one intake request may carry.
const MaxBatch = 1000

// commitBatch bounds the events one group commit writes.
const commitBatch = 8 * MaxBatch

// committer writes the events of concurrent intake requests together: a
// request queues its events and waits; the committer takes everything
// queued, commits it in one transaction (one fsync on SQLite), and answers
// every waiting request. Throughput therefore grows with concurrency
// instead of stopping at one fsync per request.
type committer struct {
	store   Store
	logger  *slog.Logger
	metrics Metrics
	queue   chan *pending
	// pendings recycles pending requests with their channels: a request's
	// pending is free again once it has received its answer, the
	// committer's last use of it.
	pendings sync.Pool
}

// pending is one request's events and where its answer goes.
type pending struct {
	events []*keyhouse.Event
	done   chan error
}

func newCommitter(store Store, logger *slog.Logger, metrics Metrics) *committer {
	return &committer{store: store, logger: logger, metrics: metrics, queue: make(chan *pending, 4*MaxBatch),
		pendings: sync.Pool{New: func() any { return &pending{done: make(chan error, 1)} }}}
}

// submit queues events and waits until they are committed. Once queued,
// it waits for the committer's answer even if ctx ends: answering "not
// stored, retry" for events that are then committed would make the
// client send them twice.
func (c *committer) submit(ctx context.Context, events []*keyhouse.Event) error {
	p := c.pendings.Get().(*pending)
	p.events = events
	defer func() { p.events = nil; c.pendings.Put(p) }()
	select {
	case c.queue <- p: // nearly always: the queue has room
	default:
		select {
		case c.queue <- p:
		case <-ctx.Done():
			return errUnavailable(ctx.Err())
		}
	}
	return <-p.done
}

// run commits queued events until ctx ends.
func (c *committer) run(ctx context.Context) {
	for {
		var first *pending
		select {
		case first = <-c.queue:
		case <-ctx.Done():
			c.drain(ctx.Err())
			return
		}
		batch := c.gather(first)
		var events []*keyhouse.Event
		for _, p := range batch {
			events = append(events, p.events...)
		}
		start := time.Now()
		err := c.store.InsertEvents(context.WithoutCancel(ctx), events)
		c.metrics.GroupCommit(len(events), time.Since(start), err)
		if err != nil {
			c.logger.Error("commit events", "events", len(events), "err", err)
			err = errUnavailable(err)
		}
		for _, p := range batch {
			p.done <- err
		}
		if err != nil {
			// What queued during a failed commit is answered at once: a
			// store that is gone or locked answers each request within
			// one store deadline, instead of one per batch ahead of it.
			c.drain(err)
		}
	}
}

// gather takes first and whatever else is queued, up to commitBatch
// events. It does not wait for more: a commit already in progress is what
// lets requests queue up, and waiting on a timer cost more than it saved
// (BENCHMARKS.md).
func (c *committer) gather(first *pending) []*pending {
	batch, n := []*pending{first}, len(first.events)
	for n < commitBatch {
		select {
		case p := <-c.queue:
			batch = append(batch, p)
			n += len(p.events)
		default:
			return batch
		}
	}
	return batch
}

// drain answers every queued request that nothing was stored: after a
// failed commit, or when the committer stopped.
func (c *committer) drain(cause error) {
	err := cause
	if keyhouse.ErrorCode(err) != keyhouse.EUNAVAILABLE {
		err = errUnavailable(cause)
	}
	for {
		select {
		case p := <-c.queue:
			p.done <- err
		default:
			return
		}
	}
}

// errUnavailable is the intake's answer when nothing was stored.
func errUnavailable(cause error) error {
	return &keyhouse.Error{Code: keyhouse.EUNAVAILABLE, Message: "the events were not stored; retry", Err: cause}
}

// Ingest stores the events (JSON objects) sent under a grant and returns
// their ids once they are durably committed; ETHROTTLED when the key is
// over Config.IntakeRate.
func (s *Service) Ingest(ctx context.Context, g *Grant, payloads [][]byte) ([]string, error) {
	now := s.now()
	if err := s.limiter.allow(g.KeyID, now); err != nil {
		return nil, err
	}
	events := make([]*keyhouse.Event, len(payloads))
	ids := keyhouse.NewEventIDs(now, len(payloads))
	for i, p := range payloads {
		events[i] = &keyhouse.Event{
			ID: ids[i], OrgID: g.OrgID, Environment: g.Env, ClientID: g.ClientID,
			KeyID: g.KeyID, ReceivedAt: now, Payload: p,
		}
	}
	if err := s.intake.submit(ctx, events); err != nil {
		return nil, err
	}
	return ids, nil
}
