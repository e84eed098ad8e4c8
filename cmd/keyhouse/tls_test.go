package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestTLSReloadOnSIGHUP serves HTTPS from a `keyhouse serve` process,
// replaces its certificate files and sends SIGHUP: new connections get
// the new certificate, a connection opened before keeps working, and a
// reload from broken files keeps the certificate in use.
func TestTLSReloadOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	pool := x509.NewCertPool()
	first := writeCert(t, pool, certFile, keyFile, "first")
	p := startProcess(t, buildKeyhouse(t), "serve", "--addr", "127.0.0.1:0", "--db", "sqlite:"+filepath.Join(dir, "kh.db"),
		"--tls-cert", certFile, "--tls-key", keyFile)
	addr := strings.TrimPrefix(p.base, "http://")
	cfg := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}

	old, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	oldReader := bufio.NewReader(old)
	healthOn(t, old, oldReader)
	if got := old.ConnectionState().PeerCertificates[0].Subject.CommonName; got != first {
		t.Fatalf("certificate %q, want %q", got, first)
	}
	if status, _ := plainGet(addr + "/healthz"); status == http.StatusOK {
		t.Error("plain HTTP answered on the TLS port")
	}

	second := writeCert(t, pool, certFile, keyFile, "second")
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitForCert(t, addr, cfg, second)
	healthOn(t, old, oldReader) // the connection opened before the reload goes on
	if got := old.ConnectionState().PeerCertificates[0].Subject.CommonName; got != first {
		t.Errorf("the old connection's certificate changed to %q", got)
	}

	os.WriteFile(certFile, []byte("not a certificate"), 0o600)
	p.cmd.Process.Signal(syscall.SIGHUP)
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(p.log.String(), "kept the TLS certificate in use"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no log line for the failed reload:\n%s", p.log.String())
		}
	}
	waitForCert(t, addr, cfg, second)
}

// writeCert writes a new self-signed certificate for 127.0.0.1 named cn
// and its key, adds it to pool, and returns cn.
func writeCert(t *testing.T, pool *x509.CertPool, certFile, keyFile, cn string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool.AddCert(cert)
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600)
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	return cn
}

// healthOn sends GET /healthz on an open connection and wants 200.
func healthOn(t *testing.T, c net.Conn, r *bufio.Reader) {
	t.Helper()
	if _, err := c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
}

// waitForCert waits up to 5 s for new connections to get certificate cn.
func waitForCert(t *testing.T, addr string, cfg *tls.Config, cn string) {
	t.Helper()
	var got string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		c, err := tls.Dial("tcp", addr, cfg)
		if err != nil {
			continue
		}
		got = c.ConnectionState().PeerCertificates[0].Subject.CommonName
		c.Close()
		if got == cn {
			return
		}
	}
	t.Fatalf("new connections get certificate %q, want %q", got, cn)
}

// plainGet sends a plain-HTTP GET and returns the status (0 on error).
func plainGet(url string) (int, error) {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
