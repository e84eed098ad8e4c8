// Package server is keyhouse's only net/http package: the JSON management
// API, the data plane and the console (server-rendered HTML, ui_*.go). Handlers
// translate HTTP to service calls and back; the service decides.
package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"keyhouse/internal/service"
)

// Server serves keyhouse over HTTP.
type Server struct {
	Service *service.Service
	Logger  *slog.Logger
	// SecureCookies marks cookies Secure (when the base URL is https).
	SecureCookies bool
	// TrustedProxies are the ranges whose X-Forwarded-For is believed
	// for the client's address (sign-in throttling, audit); none by
	// default.
	TrustedProxies []netip.Prefix
	// DrainGrace is how long Serve lets requests in flight finish once its
	// context ends (DefaultDrainGrace when 0); those still running then
	// are cut off, unanswered.
	DrainGrace time.Duration
	// Timeouts bound slow clients; zero fields take DefaultTimeouts'.
	Timeouts Timeouts
	// Metrics receives what the server counts; nil, nothing.
	Metrics Metrics
	// MetricsHandler, when set, answers GET /metrics on this server.
	MetricsHandler http.Handler
	// NoAccessLog turns off the log line of each request.
	NoAccessLog bool

	ui        *ui        // the console's parsed templates and static files
	admission *admission // the gates of admission control (admission.go)
	handler   http.Handler
	// draining ends when Serve starts to shut down: the requests that
	// wait for news (the revocation feed) answer then.
	draining context.Context
	drain    context.CancelFunc

	apiRoutes, pageRoutes []string // the patterns routes registered (routes.go)
}

// New returns a Server for svc.
func New(svc *service.Service, logger *slog.Logger, secureCookies bool) *Server {
	s := &Server{Service: svc, Logger: logger, SecureCookies: secureCookies}
	s.draining, s.drain = context.WithCancel(context.Background())
	s.ui = mustNewUI() // fails fast on a broken template
	s.handler = s.routes()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// untilDrain returns ctx, also cancelled when the server starts to drain.
func (s *Server) untilDrain(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.draining, cancel)
	return ctx, func() { stop(); cancel() }
}

// DefaultDrainGrace is how long Serve lets requests in flight finish once
// its context ends, unless Server.DrainGrace says otherwise.
const DefaultDrainGrace = 10 * time.Second

// Serve answers requests on ln until ctx ends, then shuts down gracefully:
// it stops accepting connections and lets requests in flight finish for
// up to DrainGrace.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := s.httpServer()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.drain() // waiting requests answer now
	grace := cmp.Or(s.DrainGrace, DefaultDrainGrace)
	s.Logger.Info("stopping: no new connections; finishing the requests in flight", "grace", grace)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: requests still in flight after %v were cut off: %w", grace, err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
