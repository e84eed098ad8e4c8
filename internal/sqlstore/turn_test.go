package sqlstore

import (
	"context"
	"testing"
	"time"

	"keyhouse"
)

// TestWriteTurn checks that a writer waits while another holds the turn,
// gets it when the other releases it, and stops waiting with EUNAVAILABLE
// when its context ends.
func TestWriteTurn(t *testing.T) {
	w := newWriteTurn()
	release, err := w.acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan func(), 1)
	go func() {
		r, err := w.acquire(t.Context())
		if err != nil {
			t.Error(err)
			r = func() {}
		}
		got <- r
	}()
	select {
	case <-got:
		t.Fatal("a second writer got the turn while the first held it")
	case <-time.After(50 * time.Millisecond):
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := w.acquire(ctx); keyhouse.ErrorCode(err) != keyhouse.EUNAVAILABLE {
		t.Errorf("acquire with an ended context: %v, want EUNAVAILABLE", err)
	}
	release()
	(<-got)() // the waiting writer gets the turn, and gives it back
	if r, err := w.acquire(t.Context()); err != nil {
		t.Errorf("acquire after both released: %v", err)
	} else {
		r()
	}
}
