package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"keyhouse/internal/server"
)

// tlsFiles are serve's --tls-cert and --tls-key.
type tlsFiles struct{ cert, key string }

// tlsFlags registers --tls-cert and --tls-key on fs.
func (e *env) tlsFlags(fs *flagSet) *tlsFiles {
	var t tlsFiles
	fs.StringVar(&t.cert, "tls-cert", e.def("tls-cert", ""), "PEM certificate chain to serve HTTPS with (re-read on SIGHUP); with --tls-key")
	fs.StringVar(&t.key, "tls-key", e.def("tls-key", ""), "PEM private key of --tls-cert")
	return &t
}

// load checks that both files or neither are given and reads them; nil
// when keyhouse serves plain HTTP.
func (t *tlsFiles) load() (*server.Certificate, error) {
	switch {
	case t.cert == "" && t.key == "":
		return nil, nil
	case t.cert == "":
		return nil, fmt.Errorf("--tls-cert: is required with --tls-key")
	case t.key == "":
		return nil, fmt.Errorf("--tls-key: is required with --tls-cert")
	}
	c, err := server.LoadCertificate(t.cert, t.key)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert, --tls-key: %w", err)
	}
	return c, nil
}

// serveTLS wraps ln in TLS with cert and re-reads cert's files on each
// SIGHUP until ctx ends, logging the outcome.
func serveTLS(ctx context.Context, ln net.Listener, cert *server.Certificate, logger *slog.Logger) net.Listener {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				if err := cert.Reload(); err != nil {
					logger.Error("SIGHUP: kept the TLS certificate in use", "err", err)
				} else {
					logger.Info("SIGHUP: reloaded the TLS certificate")
				}
			}
		}
	}()
	return tls.NewListener(ln, cert.TLSConfig())
}
