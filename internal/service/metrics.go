package service

import (
	"time"

	"keyhouse"
)

// Metrics receives what the service counts for monitoring; the
// implementation (Prometheus, in cmd/keyhouse's wiring) must be cheap and
// safe for concurrent use. Config.Metrics nil counts nothing.
type Metrics interface {
	// GroupCommit is one intake commit of events, successful or not.
	GroupCommit(events int, took time.Duration, err error)
	// SignIn is a sign-in's outcome: "succeeded", "failed" (wrong
	// credentials), "throttled", "busy" (no hashing turn) or "error".
	SignIn(outcome string)
	// Revoked is a revocation this instance applied: kind "api_key" (a
	// deletion here or another instance's notice) or "signing_key".
	Revoked(kind string)
}

// noMetrics counts nothing.
type noMetrics struct{}

func (noMetrics) GroupCommit(int, time.Duration, error) {}
func (noMetrics) SignIn(string)                         {}
func (noMetrics) Revoked(string)                        {}

// signInOutcome names the outcome of a sign-in that ended with err.
func signInOutcome(err error) string {
	switch keyhouse.ErrorCode(err) {
	case "", keyhouse.EINVALID: // the right credentials; an organization is to be chosen
		return "succeeded"
	case keyhouse.ECREDENTIALS:
		return "failed"
	case keyhouse.ETHROTTLED:
		return "throttled"
	case keyhouse.EUNAVAILABLE:
		return "busy"
	}
	return "error"
}

// KeyIndexSize is how many API keys this instance holds in memory.
func (s *Service) KeyIndexSize() int { return s.plane.KeyIndexSize() }
