package service

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
)

// waiting returns how many requests wait for a turn.
func (h *hashTurns) waiting() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, q := range h.queues {
		n += len(q)
	}
	return n
}

// waitFor spins until n requests wait.
func waitFor(h *hashTurns, n int) {
	for h.waiting() != n {
		runtime.Gosched()
	}
}

func TestHashTurnsRefuseWhenBusy(t *testing.T) {
	h := newHashTurns(1)
	if err := h.acquire(context.Background(), "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.acquire(gone, "192.0.2.2"); !errors.Is(err, ErrBusy) {
		t.Fatalf("acquire with every turn taken = %v, want ErrBusy", err)
	}
	if n := h.waiting(); n != 0 {
		t.Fatalf("%d requests still wait after giving up", n)
	}
	h.release()
	if err := h.acquire(gone, "192.0.2.2"); err != nil {
		t.Fatalf("acquire of a free turn = %v", err)
	}
}

func TestHashTurnsQueuePerSource(t *testing.T) {
	h := newHashTurns(1)
	ctx := context.Background()
	if err := h.acquire(ctx, "flood"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range hashQueue {
		wg.Go(func() {
			if err := h.acquire(ctx, "flood"); err == nil {
				h.release()
			}
		})
	}
	waitFor(h, hashQueue)
	if err := h.acquire(ctx, "flood"); !errors.Is(err, ErrBusy) {
		t.Fatalf("a request beyond the source's queue = %v, want ErrBusy at once", err)
	}
	got := make(chan error, 1)
	go func() { got <- h.acquire(ctx, "user") }()
	waitFor(h, hashQueue+1)
	h.release()
	// The turn goes to the flood's oldest waiter (first in the ring); when it is done the
	// user's turn comes before the rest of the flood.
	if err := <-got; err != nil {
		t.Fatalf("the user's request = %v", err)
	}
	if n := h.waiting(); n != hashQueue-1 {
		t.Fatalf("%d flood requests wait when the user got its turn, want %d", n, hashQueue-1)
	}
	h.release()
	wg.Wait()
}

func TestHashTurnsGoRoundTheSources(t *testing.T) {
	h := newHashTurns(1)
	ctx := context.Background()
	if err := h.acquire(ctx, "held"); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	for i, src := range []string{"a", "a", "a", "b", "c"} {
		wg.Go(func() {
			if err := h.acquire(ctx, src); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, fmt.Sprint(src))
			mu.Unlock()
			h.release()
		})
		waitFor(h, i+1) // arrive in this order
	}
	h.release()
	wg.Wait()
	if got := fmt.Sprint(order); got != "[a b c a a]" {
		t.Fatalf("turns went %s, want [a b c a a]", got)
	}
}
