package service

import (
	"sync"
	"time"

	"keyhouse"
)

// rateLimiter is a token bucket per API key for the intake: each key may
// send rate requests a second on average and burst up to twice that. Its
// buckets are forgotten every minute (a forgotten bucket starts full), so
// it only ever holds the keys active lately. Each instance limits on its
// own: with N instances behind a balancer a key gets up to N times the
// rate.
type rateLimiter struct {
	rate    float64 // requests a second; 0: no limit
	mu      sync.Mutex
	buckets map[string]bucket
	reset   time.Time
}

// bucket is one key's tokens as of last.
type bucket struct {
	tokens float64
	last   time.Time
}

// errRateLimited is the intake's answer to a key over its rate.
var errRateLimited = keyhouse.Errorf(keyhouse.ETHROTTLED, "this API key sends faster than its rate limit; slow down and retry")

// allow takes one token from keyID's bucket at now, or answers
// errRateLimited.
func (l *rateLimiter) allow(keyID string, now time.Time) error {
	if l.rate <= 0 {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.reset) > time.Minute || l.buckets == nil {
		l.buckets, l.reset = make(map[string]bucket), now
	}
	burst := 2 * l.rate
	b, ok := l.buckets[keyID]
	if !ok {
		b = bucket{tokens: burst, last: now}
	}
	b.tokens = min(burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		l.buckets[keyID] = b
		return errRateLimited
	}
	b.tokens--
	l.buckets[keyID] = b
	return nil
}
