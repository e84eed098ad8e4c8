package service

import (
	"testing"
	"time"

	"keyhouse"
)

func TestRateLimiter(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	l := &rateLimiter{rate: 10} // bursts of 20
	for i := range 20 {
		if err := l.allow("khk_a", t0); err != nil {
			t.Fatalf("request %d of the burst: %v", i+1, err)
		}
	}
	if err := l.allow("khk_a", t0); keyhouse.ErrorCode(err) != keyhouse.ETHROTTLED {
		t.Fatalf("21st request at once: %v", err)
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
	unlimited := &rateLimiter{}
	for range 1000 {
		if err := unlimited.allow("khk_a", t0); err != nil {
			t.Fatal(err)
		}
	}
}
