package keyhousetest

import (
	"testing"
	"time"
)

// WaitFor retries check every 10 ms until it reports true and returns how
// long that took; past limit it fails the test, saying what it waited for.
func WaitFor(tb testing.TB, limit time.Duration, what string, check func() bool) time.Duration {
	tb.Helper()
	start := time.Now()
	for !check() {
		if time.Since(start) > limit {
			tb.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}
