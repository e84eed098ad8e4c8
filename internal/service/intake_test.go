package service

import (
	"context"
	"runtime"
	"sync"
	"testing"

	"keyhouse"
)

// gateStore holds every InsertEvents until released, and records the
// size of each call.
type gateStore struct {
	Store
	mu      sync.Mutex
	calls   []int
	entered chan struct{}
	release chan struct{}
}

func (s *gateStore) InsertEvents(_ context.Context, events []*keyhouse.Event) error {
	s.entered <- struct{}{}
	<-s.release
	s.mu.Lock()
	s.calls = append(s.calls, len(events))
	s.mu.Unlock()
	return nil
}

// TestGroupCommit: requests that arrive while a commit is under way are
// committed together in the next one, and each waits for its own commit.
func TestGroupCommit(t *testing.T) {
	store := &gateStore{entered: make(chan struct{}, 10), release: make(chan struct{})}
	c := newCommitter(store, nil, noMetrics{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.run(ctx)

	event := func() []*keyhouse.Event { return []*keyhouse.Event{{ID: keyhouse.RandomBase62(8)}} }
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	wg.Go(func() { errs <- c.submit(ctx, event()) })
	<-store.entered // the first commit is under way
	for range 5 {
		wg.Go(func() { errs <- c.submit(ctx, event()) })
	}
	for len(c.queue) < 5 { // all five wait behind it
		runtime.Gosched()
	}
	close(store.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(store.calls) != 2 || store.calls[0] != 1 || store.calls[1] != 5 {
		t.Errorf("commits of %v events, want [1 5]", store.calls)
	}
}
