package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"keyhouse/internal/metrics"
	"keyhouse/internal/server"
)

// observe is serve's monitoring: --metrics-addr and --access-log.
type observe struct {
	metricsAddr string
	accessLog   bool
}

// observeFlags registers serve's monitoring flags on fs.
func (e *env) observeFlags(fs *flagSet) *observe {
	var o observe
	fs.StringVar(&o.metricsAddr, "metrics-addr", e.def("metrics-addr", ""), "serve GET /metrics on this address of its own (host:port) instead of the main listener")
	fs.BoolVar(&o.accessLog, "access-log", e.def("access-log", "true") == "true", "log a line for each request (data-plane and probe requests at debug level)")
	fs.check("metrics-addr", func(v string) error {
		if v == "" {
			return nil
		}
		return checkAddr(v)
	})
	return &o
}

// serveMetrics shows m on srv's listener, or on a listener of its own
// at o.metricsAddr until ctx ends; it returns when that listener is up.
func (o *observe) serveMetrics(ctx context.Context, m *metrics.Metrics, srv *server.Server, logger *slog.Logger) error {
	srv.NoAccessLog = !o.accessLog
	if o.metricsAddr == "" {
		srv.MetricsHandler = m.Handler()
		return nil
	}
	ln, err := net.Listen("tcp", o.metricsAddr)
	if err != nil {
		return fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	go func() {
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics listener", "err", err)
		}
	}()
	logger.Info("metrics listening", "addr", ln.Addr().String())
	return nil
}
