package service

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"keyhouse"
)

// limiterSet is a token bucket (golang.org/x/time/rate) per subject: an
// API key for the intake, a source address for failed authentications.
// It holds at most max subjects: when full, it forgets the subjects whose
// bucket is full again (a forgotten bucket starts full, so forgetting them
// changes nothing), and if that is not enough, arbitrary ones down to
// three quarters of max, so a flood of subjects costs bounded memory and
// amortized constant time. Each instance limits on its own: with N
// instances behind a balancer a subject gets up to N times the rate.
type limiterSet struct {
	limit rate.Limit
	burst int
	max   int
	mu    sync.Mutex
	subj  map[string]*rate.Limiter
}

// newLimiterSet returns a set of buckets refilled at perSecond, holding
// burst, for at most max subjects.
func newLimiterSet(perSecond float64, burst, max int) *limiterSet {
	return &limiterSet{limit: rate.Limit(perSecond), burst: burst, max: max, subj: make(map[string]*rate.Limiter)}
}

// get returns subject's bucket, creating it (full) when absent.
func (l *limiterSet) get(subject string, now time.Time) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if lim, ok := l.subj[subject]; ok {
		return lim
	}
	if len(l.subj) >= l.max {
		l.shrink(now)
	}
	lim := rate.NewLimiter(l.limit, l.burst)
	l.subj[subject] = lim
	return lim
}

// peek returns subject's bucket, or nil when it has none (a full one).
func (l *limiterSet) peek(subject string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.subj[subject]
}

// shrink forgets the full buckets, then arbitrary ones (Go's map order)
// until the set is at most three quarters full. l.mu is held.
func (l *limiterSet) shrink(now time.Time) {
	for s, lim := range l.subj {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.subj, s)
		}
	}
	for s := range l.subj {
		if len(l.subj) <= l.max*3/4 {
			break
		}
		delete(l.subj, s)
	}
}

// len returns how many subjects the set holds.
func (l *limiterSet) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.subj)
}

// nextToken returns how long until lim has a token at now.
func nextToken(lim *rate.Limiter, now time.Time) time.Duration {
	missing := 1 - lim.TokensAt(now)
	if missing <= 0 || lim.Limit() <= 0 {
		return 0
	}
	return time.Duration(math.Ceil(missing / float64(lim.Limit()) * float64(time.Second)))
}

// maxRateKeys bounds the intake limiter's keys: more than any deployment
// has active at once.
const maxRateKeys = 100_000

// rateLimiter is the intake's limit per API key: each key may send rate
// requests a second on average, in bursts of up to twice that.
type rateLimiter struct {
	keys *limiterSet // nil: no limit
}

// newRateLimiter returns the intake's limiter for perSecond requests a
// second per key; 0 or less is no limit.
func newRateLimiter(perSecond float64) *rateLimiter {
	if perSecond <= 0 {
		return &rateLimiter{}
	}
	burst := max(1, int(math.Ceil(2*perSecond)))
	return &rateLimiter{keys: newLimiterSet(perSecond, burst, maxRateKeys)}
}

// allow takes one token from keyID's bucket at now, or answers ETHROTTLED
// saying when the next one is due.
func (l *rateLimiter) allow(keyID string, now time.Time) error {
	if l.keys == nil {
		return nil
	}
	lim := l.keys.get(keyID, now)
	if lim.AllowN(now, 1) {
		return nil
	}
	return &keyhouse.Error{
		Code:       keyhouse.ETHROTTLED,
		Message:    "this API key sends faster than its rate limit; slow down and retry",
		RetryAfter: max(time.Second, nextToken(lim, now)),
	}
}
