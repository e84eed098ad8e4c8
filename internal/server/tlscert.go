package server

import (
	"crypto/tls"
	"fmt"
	"sync/atomic"
)

// Certificate is the TLS certificate keyhouse serves, read from its files
// at start and again on each Reload (keyhouse serve reloads on SIGHUP):
// new handshakes get the new certificate, connections already open keep
// theirs, and a reload that fails keeps the one in use.
type Certificate struct {
	certFile, keyFile string
	cert              atomic.Pointer[tls.Certificate]
}

// LoadCertificate reads the PEM certificate chain and private key.
func LoadCertificate(certFile, keyFile string) (*Certificate, error) {
	c := &Certificate{certFile: certFile, keyFile: keyFile}
	if err := c.Reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// Reload reads the files again; on error the certificate in use stays.
func (c *Certificate) Reload() error {
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("load TLS certificate %s and key %s: %w", c.certFile, c.keyFile, err)
	}
	c.cert.Store(&cert)
	return nil
}

// TLSConfig returns a server configuration that serves the current
// certificate: TLS 1.2 or later, Go's default cipher suites.
func (c *Certificate) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return c.cert.Load(), nil
		},
	}
}
