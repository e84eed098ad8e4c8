package service

import (
	"context"
	"fmt"
	"time"

	"keyhouse"
)

// The limit on failed API-key authentications per source (an IPv4
// address or an IPv6 /64, see sourceOf): authFailBurst failures at once,
// then authFailRate a second. A source over it gets 429 for each further
// failure, and its unknown key ids are refused without asking the store;
// keys that authenticate are never refused. authFailSources bounds the
// sources remembered.
const (
	authFailBurst   = 20
	authFailRate    = 1.0
	authFailSources = 50_000
)

// authFailures counts failed API-key authentications per source.
type authFailures struct {
	sources *limiterSet
}

// newAuthFailures returns an empty count of failures.
func newAuthFailures() *authFailures {
	return &authFailures{sources: newLimiterSet(authFailRate, authFailBurst, authFailSources)}
}

// blocked reports whether source has no failures left at now.
func (a *authFailures) blocked(source string, now time.Time) bool {
	lim := a.sources.peek(source)
	return lim != nil && lim.TokensAt(now) < 1
}

// fail counts a failure of source at now: errBadKey while it has failures
// left, else ETHROTTLED saying when it will have one again.
func (a *authFailures) fail(source string, now time.Time) error {
	lim := a.sources.get(source, now)
	if lim.AllowN(now, 1) {
		return errBadKey
	}
	wait := max(time.Second, nextToken(lim, now))
	return &keyhouse.Error{
		Code:       keyhouse.ETHROTTLED,
		Message:    fmt.Sprintf("too many failed client authentications from this address; retry in %d s", int((wait+time.Second-1)/time.Second)),
		RetryAfter: wait,
	}
}

// authFailed counts a failed API-key authentication of the request in
// ctx: errBadKey, or ETHROTTLED once its source is over the limit. A
// request without a client address (not from HTTP) is not counted.
func (s *Service) authFailed(ctx context.Context) error {
	ip := keyhouse.RequestFromContext(ctx).IP
	if ip == "" {
		return errBadKey
	}
	return s.badAuth.fail(sourceOf(ip), s.now())
}

// sourceBlocked reports whether the request in ctx comes from a source
// with no failed authentications left: its unknown keys are refused
// without a query.
func (s *Service) sourceBlocked(ctx context.Context) bool {
	ip := keyhouse.RequestFromContext(ctx).IP
	return ip != "" && s.badAuth.blocked(sourceOf(ip), s.now())
}
