package service

import (
	"fmt"
	"testing"
	"time"

	"keyhouse"
)

func TestRateLimiter(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	l := newRateLimiter(10) // bursts of 20
	for i := range 20 {
		if err := l.allow("khk_a", t0); err != nil {
			t.Fatalf("request %d of the burst: %v", i+1, err)
		}
	}
	err := l.allow("khk_a", t0)
	if keyhouse.ErrorCode(err) != keyhouse.ETHROTTLED {
		t.Fatalf("21st request at once: %v", err)
	}
	if e, _ := err.(*keyhouse.Error); e == nil || e.RetryAfter != time.Second {
		t.Errorf("21st request: %#v, want RetryAfter 1s (a token is due in 0.1 s, rounded up)", err)
	}
	if err := l.allow("khk_b", t0); err != nil {
		t.Fatalf("another key: %v", err)
	}
	if err := l.allow("khk_a", t0.Add(100*time.Millisecond)); err != nil {
		t.Fatalf("after a tenth of a second (one token back): %v", err)
	}
	if err := l.allow("khk_a", t0.Add(100*time.Millisecond)); err == nil {
		t.Fatal("a second request in the same tenth")
	}
	if err := l.allow("khk_a", t0.Add(time.Hour)); err != nil {
		t.Fatalf("an hour later: %v", err)
	}
	unlimited := newRateLimiter(0)
	for range 1000 {
		if err := unlimited.allow("khk_a", t0); err != nil {
			t.Fatal(err)
		}
	}
	// Half a request a second still allows one at once.
	slow := newRateLimiter(0.5)
	if err := slow.allow("khk_a", t0); err != nil {
		t.Fatalf("rate 0.5: %v", err)
	}
	if err := slow.allow("khk_a", t0); err == nil {
		t.Fatal("rate 0.5: a second request at once")
	}
}

// TestLimiterSetIsBounded: a flood of subjects never holds more than max
// buckets, and what it forgets first are the full buckets, so a subject
// over its limit stays limited while idle subjects come and go.
func TestLimiterSetIsBounded(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	l := newLimiterSet(1, 2, 100)
	busy := l.get("busy", t0)
	busy.AllowN(t0, 2) // drained
	for i := range 10_000 {
		l.get(fmt.Sprint("idle-", i), t0) // full buckets
		if n := l.len(); n > 100 {
			t.Fatalf("after %d subjects the set holds %d, want at most 100", i+1, n)
		}
	}
	if l.peek("busy") != busy {
		t.Fatal("the drained bucket was forgotten before the full ones")
	}
	// When every bucket is drained, arbitrary ones go: still bounded.
	for i := range 10_000 {
		l.get(fmt.Sprint("drained-", i), t0).AllowN(t0, 2)
		if n := l.len(); n > 100 {
			t.Fatalf("after %d drained subjects the set holds %d, want at most 100", i+1, n)
		}
	}
}
