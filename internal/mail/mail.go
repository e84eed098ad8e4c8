// Package mail sends keyhouse's e-mails over SMTP with go-mail: each link
// (an invitation, a password reset) as a multipart/alternative message
// with a text and an HTML part. It is the only package that speaks SMTP;
// the service reaches it through its Mailer interface.
package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"time"

	gomail "github.com/wneessen/go-mail"

	"keyhouse"
)

// DefaultTimeout bounds one delivery: connecting, TLS, sign-in and the
// message.
const DefaultTimeout = 20 * time.Second

// Config is where and how a Mailer sends.
type Config struct {
	Server  *Server // from ParseURL
	From    string  // the From address, checked by ParseFrom
	Timeout time.Duration
	// RootCAs, when set, replaces the system's certificate authorities
	// for the mail server's certificate (tests).
	RootCAs *x509.CertPool
}

// Mailer sends e-mail through one SMTP server. It is safe for concurrent
// use: each e-mail goes over a connection of its own.
type Mailer struct {
	cfg  Config
	from string
}

// New returns a Mailer for cfg.
func New(cfg Config) (*Mailer, error) {
	if cfg.Server == nil {
		return nil, errors.New("mail: no server")
	}
	from, err := ParseFrom(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("mail: from %w", err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	return &Mailer{cfg: cfg, from: from.String()}, nil
}

// SendLink sends the e-mail of a link to m.To. Its error is a keyhouse
// EMAILFAILED error whose message says, safely, what went wrong (never
// the password), and which wraps the mail server's whole answer.
func (s *Mailer) SendLink(ctx context.Context, m *keyhouse.LinkMail) error {
	l := newLetter(m)
	text, html, err := l.render()
	if err != nil {
		return &keyhouse.Error{Code: keyhouse.EMAILFAILED, Message: "the e-mail could not be written", Err: err}
	}
	return s.send(ctx, m.To, l.Subject, text, html)
}

// SendExpiry sends an Owner the reminder that a key stops working soon;
// errors as SendLink's.
func (s *Mailer) SendExpiry(ctx context.Context, m *keyhouse.ExpiryMail) error {
	n := newNotice(m)
	text, html, err := n.render()
	if err != nil {
		return &keyhouse.Error{Code: keyhouse.EMAILFAILED, Message: "the e-mail could not be written", Err: err}
	}
	return s.send(ctx, m.To, n.Subject, text, html)
}

// send sends one multipart/alternative e-mail.
func (s *Mailer) send(ctx context.Context, to, subject, text, html string) error {
	msg, err := s.message(to, subject, text, html)
	if err != nil {
		return &keyhouse.Error{Code: keyhouse.EMAILFAILED, Message: "the e-mail could not be written", Err: err}
	}
	c, err := s.client()
	if err != nil {
		return &keyhouse.Error{Code: keyhouse.EMAILFAILED, Message: "the mail server settings are not usable", Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return &keyhouse.Error{Code: keyhouse.EMAILFAILED, Message: describe(err), Err: fmt.Errorf("smtp %s: %w", s.cfg.Server, err)}
	}
	return nil
}

// message is a multipart/alternative e-mail of a text and an HTML part.
func (s *Mailer) message(to, subject, text, html string) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(s.from); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := msg.To(to); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	msg.Subject(subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetUserAgent("keyhouse")
	msg.SetGenHeader("Auto-Submitted", "auto-generated") // RFC 3834: no auto-replies
	msg.SetBodyString(gomail.TypeTextPlain, text)
	msg.AddAlternativeString(gomail.TypeTextHTML, html)
	return msg, nil
}

// client returns a go-mail client for the server: TLS is required except
// on a loopback relay that the URL says has none, and the password is
// offered (PLAIN or a stronger mechanism the server lists) only over TLS.
func (s *Mailer) client() (*gomail.Client, error) {
	srv := s.cfg.Server
	opts := []gomail.Option{
		gomail.WithPort(srv.Port), gomail.WithTimeout(s.cfg.Timeout),
		gomail.WithTLSConfig(&tls.Config{ServerName: srv.Host, RootCAs: s.cfg.RootCAs, MinVersion: tls.VersionTLS12}),
	}
	switch srv.Security {
	case Implicit:
		opts = append(opts, gomail.WithSSL())
	case STARTTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case Plain:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if srv.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(srv.Username), gomail.WithPassword(srv.Password))
	}
	return gomail.NewClient(srv.Host, opts...)
}

// describe says what went wrong in words that are safe to show to the
// person who asked for the e-mail: the stage, and the server's reply code.
func describe(err error) string {
	var se *gomail.SendError
	var reply *textproto.Error
	var cert *tls.CertificateVerificationError
	var netErr net.Error
	switch {
	case errors.As(err, &se) && se.Reason == gomail.ErrSMTPRcptTo:
		return "the mail server refused the recipient" + code(se)
	case errors.As(err, &se) && se.Reason == gomail.ErrSMTPMailFrom:
		return "the mail server refused the sender (--mail-from)" + code(se)
	case errors.As(err, &se):
		return "the mail server refused the message" + code(se)
	case errors.As(err, &cert):
		return "the mail server's TLS certificate was not accepted"
	case errors.As(err, &reply):
		return fmt.Sprintf("the mail server refused the connection or the sign-in (%d)", reply.Code)
	case errors.As(err, &netErr) && netErr.Timeout():
		return "the mail server did not answer in time"
	case errors.As(err, &netErr):
		return "the mail server could not be reached"
	}
	return "the mail server could not be used"
}

// code is " (550 5.1.1)": the reply code of a refusal, when there is one.
func code(se *gomail.SendError) string {
	switch {
	case se.ErrorCode() != 0 && se.EnhancedStatusCode() != "":
		return fmt.Sprintf(" (%d %s)", se.ErrorCode(), se.EnhancedStatusCode())
	case se.ErrorCode() != 0:
		return fmt.Sprintf(" (%d)", se.ErrorCode())
	}
	return ""
}
