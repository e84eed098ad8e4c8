package server

import (
	"errors"
	"net/http"
	"time"
)

// Metrics receives what the HTTP layer counts for monitoring; the
// implementation must be cheap and safe for concurrent use. Server.Metrics
// nil counts nothing.
type Metrics interface {
	// Request is one answered request: its route pattern ("unmatched"
	// when none), method, status and time taken.
	Request(route, method string, status int, took time.Duration)
	// Token is one token request's outcome: "issued", or the OAuth error
	// code it was refused with ("invalid_client", "throttled", …).
	Token(outcome string)
	// EventsAccepted is n events acknowledged (202) by the intake.
	EventsAccepted(n int)
	// Failed is a request that failed on the server's side (5xx) with the
	// error code: "unavailable" is the store (or a bound) refusing.
	Failed(code string)
}

// noMetrics counts nothing.
type noMetrics struct{}

func (noMetrics) Request(string, string, int, time.Duration) {}
func (noMetrics) Token(string)                               {}
func (noMetrics) EventsAccepted(int)                         {}
func (noMetrics) Failed(string)                              {}

// metrics returns the server's Metrics, never nil.
func (s *Server) metrics() Metrics {
	if s.Metrics == nil {
		return noMetrics{}
	}
	return s.Metrics
}

// tokenOutcome names the outcome of a token request that ended with err.
func tokenOutcome(err error) string {
	oe, ok := errors.AsType[*oauthError](err)
	switch {
	case err == nil:
		return "issued"
	case ok && oe.status == http.StatusTooManyRequests:
		return "throttled"
	case ok:
		return oe.Code
	}
	return "server_error"
}

// handleMetrics serves the metrics when this server shows them (no
// --metrics-addr of their own); otherwise there is no such page.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) error {
	if s.MetricsHandler == nil {
		http.NotFound(w, r)
		return nil
	}
	s.MetricsHandler.ServeHTTP(w, r)
	return nil
}
