// Package smtptest runs a real SMTP server for tests, on
// github.com/emersion/go-smtp: STARTTLS or implicit TLS with a
// certificate made for the test, AUTH PLAIN for one user (offered only
// over TLS), and every message it accepts kept for the test to read.
// Only tests import it.
package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options say how the server is reached.
type Options struct {
	Implicit bool   // TLS from the first byte (smtps://); else STARTTLS
	NoTLS    bool   // no TLS at all (a relay on this machine)
	User     string // with Password: AUTH PLAIN is required before MAIL
	Password string
}

// Server is a running SMTP server on 127.0.0.1.
type Server struct {
	Addr    string         // 127.0.0.1:port
	RootCAs *x509.CertPool // trusts the server's certificate
	opts    Options
	srv     *smtp.Server

	mu      sync.Mutex
	msgs    []*Message
	refused map[string]bool // recipients answered 550
	fails   int             // failed sign-ins
}

// Message is one message the server accepted.
type Message struct {
	From string
	To   []string
	Data []byte
	TLS  bool   // it came over TLS
	User string // the user that signed in for it
}

// Start runs a server until the test ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := &Server{opts: opts, refused: map[string]bool{}}
	cert, pool := certificate(tb)
	s.RootCAs = pool
	s.srv = smtp.NewServer(smtp.BackendFunc(s.newSession))
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	if !opts.NoTLS {
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	if opts.Implicit {
		ln = tls.NewListener(ln, s.srv.TLSConfig)
	}
	s.Addr = ln.Addr().String()
	go s.srv.Serve(ln)
	tb.Cleanup(func() { s.srv.Close() })
	return s
}

// URL is the --smtp-url of the server, with its user and password.
func (s *Server) URL() string {
	u := url.URL{Scheme: "smtp", Host: s.Addr}
	if s.opts.Implicit {
		u.Scheme = "smtps"
	}
	if s.opts.NoTLS {
		u.RawQuery = "tls=none"
	}
	if s.opts.User != "" {
		u.User = url.UserPassword(s.opts.User, s.opts.Password)
	}
	return u.String()
}

// Port is the server's port.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.Addr)
	n, _ := strconv.Atoi(p)
	return n
}

// Refuse makes the server answer RCPT TO addr with 550 (true), or accept
// it again (false).
func (s *Server) Refuse(addr string, refuse bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refused[addr] = refuse
}

// Messages returns the messages accepted so far.
func (s *Server) Messages() []*Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Message(nil), s.msgs...)
}

// FailedSignIns returns how many AUTH attempts failed.
func (s *Server) FailedSignIns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fails
}

// Close stops the server: from then on it cannot be reached.
func (s *Server) Close() { s.srv.Close() }

// newSession is the backend: one session per connection.
func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{srv: s, conn: c}, nil
}

// session is one client connection.
type session struct {
	srv  *Server
	conn *smtp.Conn
	user string
	msg  *Message
}

func (se *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (se *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnsupported
	}
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if se.srv.opts.User == "" || user != se.srv.opts.User || pass != se.srv.opts.Password {
			se.srv.mu.Lock()
			se.srv.fails++
			se.srv.mu.Unlock()
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "authentication credentials invalid"}
		}
		se.user = user
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.srv.opts.User != "" && se.user == "" {
		return smtp.ErrAuthRequired
	}
	_, tlsOn := se.conn.TLSConnectionState()
	se.msg = &Message{From: from, TLS: tlsOn, User: se.user}
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.srv.mu.Lock()
	refused := se.srv.refused[to]
	se.srv.mu.Unlock()
	if refused {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"}
	}
	se.msg.To = append(se.msg.To, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	se.msg.Data = b
	se.srv.mu.Lock()
	se.srv.msgs = append(se.srv.msgs, se.msg)
	se.srv.mu.Unlock()
	return nil
}

func (se *session) Reset()        { se.msg = nil }
func (se *session) Logout() error { return nil }

// certificate makes a self-signed certificate for 127.0.0.1 and
// localhost, and a pool that trusts it.
func certificate(tb testing.TB) (tls.Certificate, *x509.CertPool) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtptest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
