// Package server is keyhouse's only net/http package: the JSON management
// API, the data plane and the console (server-rendered HTML, ui_*.go). Handlers
// translate HTTP to service calls and back; the service decides.
package server

import (
	"context"
	"errors"
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

	ui        *ui        // the console's parsed templates and static files
	admission *admission // the gates of admission control (admission.go)
	handler   http.Handler
}

// New returns a Server for svc.
func New(svc *service.Service, logger *slog.Logger, secureCookies bool) *Server {
	s := &Server{Service: svc, Logger: logger, SecureCookies: secureCookies}
	s.ui = mustNewUI() // fails fast on a broken template
	s.handler = s.routes()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// Serve answers requests on ln until ctx ends, then shuts down gracefully,
// letting requests in flight finish for up to 10 seconds.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
