package mail_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/mail"
	"keyhouse/internal/smtptest"
)

const password = "s3cret-Pa55"

// invitation is the e-mail every test sends.
func invitation() *keyhouse.LinkMail {
	return &keyhouse.LinkMail{
		Kind: keyhouse.MailInvitation, To: "ann@acme.example", OrganizationName: "Acme Ünited",
		Roles: keyhouse.Roles{keyhouse.RoleAdmin, keyhouse.RoleStandard}, InvitedBy: "owner@acme.example",
		URL: "https://keys.example.com/activate?token=khl_abc", ExpiresAt: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC),
	}
}

// mailer returns a Mailer for url that trusts srv's certificate.
func mailer(t *testing.T, srv *smtptest.Server, url string) *mail.Mailer {
	t.Helper()
	s, err := mail.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.New(mail.Config{Server: s, From: "Keyhouse <keyhouse@example.com>", RootCAs: srv.RootCAs, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSendLink delivers an invitation over STARTTLS and over implicit
// TLS with AUTH PLAIN, and reads it as a mail program would: the headers,
// and text and HTML parts that both name the organization, the roles,
// the inviter, the expiry and the link.
func TestSendLink(t *testing.T) {
	for _, implicit := range []bool{false, true} {
		t.Run(map[bool]string{false: "STARTTLS", true: "smtps"}[implicit], func(t *testing.T) {
			srv := smtptest.Start(t, smtptest.Options{Implicit: implicit, User: "keyhouse", Password: password})
			if err := mailer(t, srv, srv.URL()).SendLink(context.Background(), invitation()); err != nil {
				t.Fatal(err)
			}
			msgs := srv.Messages()
			if len(msgs) != 1 {
				t.Fatalf("%d messages", len(msgs))
			}
			m := msgs[0]
			if !m.TLS || m.User != "keyhouse" || m.From != "keyhouse@example.com" || len(m.To) != 1 || m.To[0] != "ann@acme.example" {
				t.Fatalf("envelope: TLS %v, user %q, from %q, to %v", m.TLS, m.User, m.From, m.To)
			}
			p, err := m.Parse()
			if err != nil {
				t.Fatal(err)
			}
			checkHeaders(t, p)
			for part, body := range map[string]string{"text": p.Text, "html": p.HTML} {
				for _, want := range []string{"Acme Ünited", "Admin and Standard", "owner@acme.example", "Thursday 3 December 2026, 10:00 UTC", "https://keys.example.com/activate?token=khl_abc"} {
					if !strings.Contains(body, want) {
						t.Errorf("%s part lacks %q:\n%s", part, want, body)
					}
				}
			}
			if !strings.Contains(p.HTML, `href="https://keys.example.com/activate?token=khl_abc"`) {
				t.Errorf("the HTML part has no link to click:\n%s", p.HTML)
			}
		})
	}
}

func checkHeaders(t *testing.T, p *smtptest.Parsed) {
	t.Helper()
	if p.Subject != "Invitation to join Acme Ünited on keyhouse" {
		t.Errorf("Subject %q", p.Subject)
	}
	want := map[string]string{"From": `"Keyhouse" <keyhouse@example.com>`, "To": "<ann@acme.example>", "Auto-Submitted": "auto-generated", "Mime-Version": "1.0"}
	for h, v := range want {
		if got := p.Header.Get(h); got != v {
			t.Errorf("%s: %q, want %q", h, got, v)
		}
	}
	if _, err := p.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if id := p.Header.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.Contains(id, "@") {
		t.Errorf("Message-ID %q", id)
	}
}

// TestSendLinkReset words a password reset as one.
func TestSendLinkReset(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{User: "keyhouse", Password: password})
	m := invitation()
	m.Kind, m.Roles = keyhouse.MailPasswordReset, keyhouse.Roles{keyhouse.RoleOwner}
	if err := mailer(t, srv, srv.URL()).SendLink(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	p, err := srv.Messages()[0].Parse()
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "Set a new keyhouse password for Acme Ünited" || !strings.Contains(p.Text, "owner@acme.example has reset your password for Acme Ünited") ||
		!strings.Contains(p.Text, "where you are Owner") || !strings.Contains(p.HTML, "Set a new password") {
		t.Errorf("reset e-mail: %q\n%s", p.Subject, p.Text)
	}
}

// TestSendLinkFailures: each failure is EMAILFAILED with a message that
// says what went wrong and never holds the password, and nothing is
// delivered.
func TestSendLinkFailures(t *testing.T) {
	down, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	downAddr := down.Addr().String()
	down.Close()
	tests := []struct {
		name string
		opts smtptest.Options
		url  func(*smtptest.Server) string
		prep func(*smtptest.Server, *mail.Config)
		want string
	}{
		{"recipient refused", smtptest.Options{User: "keyhouse", Password: password}, (*smtptest.Server).URL,
			func(s *smtptest.Server, _ *mail.Config) { s.Refuse("ann@acme.example", true) }, "the mail server refused the recipient (550 5.1.1)"},
		{"wrong password", smtptest.Options{User: "keyhouse", Password: "other"}, func(s *smtptest.Server) string {
			return "smtp://keyhouse:" + password + "@" + s.Addr
		}, nil, "the mail server refused the connection or the sign-in (535)"},
		{"server down", smtptest.Options{}, func(*smtptest.Server) string { return "smtp://keyhouse:" + password + "@" + downAddr }, nil, "the mail server could not be reached"},
		{"untrusted certificate", smtptest.Options{User: "keyhouse", Password: password}, (*smtptest.Server).URL,
			func(_ *smtptest.Server, c *mail.Config) { c.RootCAs = nil }, "the mail server's TLS certificate was not accepted"},
		{"no STARTTLS offered", smtptest.Options{NoTLS: true}, func(s *smtptest.Server) string {
			return "smtp://keyhouse:" + password + "@" + s.Addr
		}, nil, "the mail server could not be used"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t, tt.opts)
			s, err := mail.ParseURL(tt.url(srv))
			if err != nil {
				t.Fatal(err)
			}
			cfg := mail.Config{Server: s, From: "keyhouse@example.com", RootCAs: srv.RootCAs, Timeout: 10 * time.Second}
			if tt.prep != nil {
				tt.prep(srv, &cfg)
			}
			m, err := mail.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = m.SendLink(context.Background(), invitation())
			if keyhouse.ErrorCode(err) != keyhouse.EMAILFAILED || keyhouse.ErrorMessage(err) != tt.want {
				t.Fatalf("error %v (%q), want EMAILFAILED %q", err, keyhouse.ErrorMessage(err), tt.want)
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("the error holds the password: %v", err)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("%d messages delivered", n)
			}
			t.Logf("logged cause: %v", err)
		})
	}
}

// TestPlainRelay sends without TLS to a relay on this machine when the
// URL says ?tls=none.
func TestPlainRelay(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{NoTLS: true})
	if err := mailer(t, srv, srv.URL()).SendLink(context.Background(), invitation()); err != nil {
		t.Fatal(err)
	}
	if msgs := srv.Messages(); len(msgs) != 1 || msgs[0].TLS {
		t.Fatalf("messages: %v", msgs)
	}
}
