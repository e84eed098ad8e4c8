package server_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/mail"
	"keyhouse/internal/server"
	"keyhouse/internal/service"
	"keyhouse/internal/smtptest"
)

// mailFixture is a server whose service e-mails links through a real SMTP
// server (STARTTLS, AUTH PLAIN), and an Owner who activated through the
// e-mail of org create.
type mailFixture struct {
	*fixture
	smtp  *smtptest.Server
	owner *keyhousetest.User
}

func newMailFixture(t *testing.T) *mailFixture {
	t.Helper()
	srv := smtptest.Start(t, smtptest.Options{User: "keyhouse", Password: "smtp-Pa55word"})
	s, err := mail.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.New(mail.Config{Server: s, From: "Keyhouse <keyhouse@example.com>", RootCAs: srv.RootCAs, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e := keyhousetest.New(t, func(c *service.Config) { c.Mailer = m })
	f := &mailFixture{fixture: &fixture{e: e}, smtp: srv}
	out, err := e.Svc.CreateOrganization(keyhousetest.Operator(""), "acme", "owner@acme.example")
	if err != nil || out.ActivationURL != "" || !out.EmailSent {
		t.Fatalf("org create: %+v, %v", out, err)
	}
	f.owner = &keyhousetest.User{Email: "owner@acme.example", OrgID: out.OrganizationID}
	f.owner.Secret = e.Activate(t, f.link(t, "owner@acme.example"))
	e.SignIn(t, f.owner)
	f.srv = checkedServer(t, server.New(e.Svc, slog.New(slog.DiscardHandler), false))
	return f
}

var linkPattern = regexp.MustCompile(`http://kh\.test/activate\?token=khl_[A-Za-z0-9]+`)

// letter returns the newest message to addr, read, after checking that it
// came over TLS from the signed-in user.
func (f *mailFixture) letter(t *testing.T, addr string) *smtptest.Parsed {
	t.Helper()
	msgs := f.smtp.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if m := msgs[i]; len(m.To) == 1 && m.To[0] == addr {
			if !m.TLS || m.User != "keyhouse" {
				t.Fatalf("the message to %s came without TLS (%v) or sign-in (%q)", addr, m.TLS, m.User)
			}
			p, err := m.Parse()
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
	}
	t.Fatalf("no message to %s", addr)
	return nil
}

// link returns the link of the newest message to addr; both parts hold
// the same one.
func (f *mailFixture) link(t *testing.T, addr string) string {
	t.Helper()
	p := f.letter(t, addr)
	text, html := linkPattern.FindString(p.Text), linkPattern.FindString(p.HTML)
	if text == "" || text != html {
		t.Fatalf("links: text %q, html %q", text, html)
	}
	return text
}

// count is how many messages went to addr.
func (f *mailFixture) count(addr string) int {
	n := 0
	for _, m := range f.smtp.Messages() {
		if len(m.To) == 1 && m.To[0] == addr {
			n++
		}
	}
	return n
}

// activateByAPI activates a new address with the token of link, through
// the HTTP API as its owner would, and signs in with it.
func (f *mailFixture) activateByAPI(t *testing.T, link, email string) {
	t.Helper()
	token := keyhousetest.TokenOf(t, link)
	status, body := f.do(t, "", "POST", "/api/v1/activations", `{"token":"`+token+`","password":"`+keyhousetest.Password+`"}`)
	var enr struct {
		TOTPSecret string `json:"totp_secret"`
	}
	if err := json.Unmarshal([]byte(body), &enr); status != 200 || err != nil {
		t.Fatalf("activate: %d %s", status, body)
	}
	if status, body = f.do(t, "", "POST", "/api/v1/activations/confirm", `{"token":"`+token+`","otp":"`+f.e.Code(t, enr.TOTPSecret)+`"}`); status != 200 {
		t.Fatalf("confirm: %d %s", status, body)
	}
	if status, body = f.do(t, "", "POST", "/api/v1/sessions", `{"email":"`+email+`","password":"`+keyhousetest.Password+`","otp":"`+f.e.Code(t, enr.TOTPSecret)+`"}`); status != 201 {
		t.Fatalf("sign in with the e-mailed link's account: %d %s", status, body)
	}
}

// TestInvitationByEmail: with SMTP the invitation's answer holds no link;
// the invited address receives a multipart e-mail that names the
// organization, the roles, the inviter and the expiry, and its link
// activates the account through the API.
func TestInvitationByEmail(t *testing.T) {
	f := newMailFixture(t)
	status, body := f.do(t, f.owner.Token, "POST", "/api/v1/users", `{"email":"ann@acme.example","roles":["standard","admin"]}`)
	if status != 201 || strings.Contains(body, "activation_url") || strings.Contains(body, "khl_") || !strings.Contains(body, `"email_sent":true`) {
		t.Fatalf("invite: %d %s", status, body)
	}
	p := f.letter(t, "ann@acme.example")
	if p.Subject != "Invitation to join acme on keyhouse" || p.Header.Get("From") != `"Keyhouse" <keyhouse@example.com>` || p.Header.Get("To") != "<ann@acme.example>" {
		t.Errorf("headers: subject %q, from %q, to %q", p.Subject, p.Header.Get("From"), p.Header.Get("To"))
	}
	link := f.link(t, "ann@acme.example")
	status, body = f.do(t, "", "GET", "/api/v1/invitations/"+keyhousetest.TokenOf(t, link), "")
	var inv struct {
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := json.Unmarshal([]byte(body), &inv); status != 200 || err != nil {
		t.Fatalf("the e-mailed link: %d %s", status, body)
	}
	expires := inv.ExpiresAt.Format("Monday 2 January 2006, 15:04 UTC")
	for part, text := range map[string]string{"text": p.Text, "html": p.HTML} {
		for _, want := range []string{"owner@acme.example invites you to join", "acme", "Admin and Standard", expires} {
			if !strings.Contains(text, want) {
				t.Errorf("the %s part lacks %q:\n%s", part, want, text)
			}
		}
	}
	f.activateByAPI(t, link, "ann@acme.example")
	if got := f.members(t, f.owner.Token)["ann@acme.example"]["status"]; got != "active" {
		t.Errorf("ann after activating: %v", got)
	}
}

// TestInvitationMailFailed: a refused recipient and a mail server that is
// down answer the inviter 502 mail_failed and keep the invitation; a
// resend makes a fresh link (the old one stops working), is audited, and
// delivers. A password reset is e-mailed too.
func TestInvitationMailFailed(t *testing.T) {
	f := newMailFixture(t)
	f.smtp.Refuse("bob@acme.example", true)
	status, body := f.do(t, f.owner.Token, "POST", "/api/v1/users", `{"email":"bob@acme.example","roles":["view"]}`)
	if status != 502 || !strings.Contains(body, `"code":"mail_failed"`) || !strings.Contains(body, "the invitation is saved") ||
		!strings.Contains(body, "the mail server refused the recipient (550 5.1.1)") || strings.Contains(body, "khl_") || strings.Contains(body, "smtp-Pa55word") {
		t.Fatalf("invite a refused address: %d %s", status, body)
	}
	bob := f.members(t, f.owner.Token)["bob@acme.example"]
	if bob["status"] != "pending" {
		t.Fatalf("bob after the failed e-mail: %v", bob)
	}
	resend := "/api/v1/users/" + bob["id"].(string) + "/invitation"

	f.smtp.Refuse("bob@acme.example", false)
	var links []string
	for range 2 {
		status, body = f.do(t, f.owner.Token, "POST", resend, "")
		if status != 200 || strings.Contains(body, "khl_") || !strings.Contains(body, `"email_sent":true`) || !strings.Contains(body, `"status":"pending"`) {
			t.Fatalf("resend: %d %s", status, body)
		}
		links = append(links, f.link(t, "bob@acme.example"))
	}
	if n := f.count("bob@acme.example"); n != 2 || links[0] == links[1] {
		t.Fatalf("%d messages to bob after two resends, links %v", n, links)
	}
	if status, _ = f.do(t, "", "GET", "/api/v1/invitations/"+keyhousetest.TokenOf(t, links[0]), ""); status != 404 {
		t.Errorf("the replaced link: %d, want 404", status)
	}
	status, body = f.do(t, f.owner.Token, "GET", "/api/v1/audit-events?action=invitation.resent", "")
	if status != 200 || strings.Count(body, `"action":"invitation.resent"`) != 2 || !strings.Contains(body, `"target":"bob@acme.example"`) {
		t.Errorf("audit of the resends: %d %s", status, body)
	}
	f.activateByAPI(t, links[1], "bob@acme.example")
	if status, body = f.do(t, f.owner.Token, "POST", resend, ""); status != 409 {
		t.Errorf("resend to an active member: %d %s", status, body)
	}

	// A reset is e-mailed as one, and its link sets a new password.
	status, body = f.do(t, f.owner.Token, "POST", "/api/v1/users/"+bob["id"].(string)+"/password-reset", "")
	if status != 200 || strings.Contains(body, "khl_") || !strings.Contains(body, `"email_sent":true`) {
		t.Fatalf("reset: %d %s", status, body)
	}
	if p := f.letter(t, "bob@acme.example"); p.Subject != "Set a new keyhouse password for acme" || !strings.Contains(p.Text, "owner@acme.example has reset your password") {
		t.Errorf("the reset e-mail: %q\n%s", p.Subject, p.Text)
	}
	f.activateByAPI(t, f.link(t, "bob@acme.example"), "bob@acme.example")

	// The mail server goes down: the invitation is kept, the inviter told.
	f.smtp.Close()
	status, body = f.do(t, f.owner.Token, "POST", "/api/v1/users", `{"email":"carol@acme.example","roles":["view"]}`)
	if status != 502 || !strings.Contains(body, `"code":"mail_failed"`) || !strings.Contains(body, "the mail server could not be reached") {
		t.Fatalf("invite with the mail server down: %d %s", status, body)
	}
	if got := f.members(t, f.owner.Token)["carol@acme.example"]["status"]; got != "pending" {
		t.Errorf("carol after the failed e-mail: %v", got)
	}
}

// TestSetupByEmail: the first run's setup e-mails the Owner's link and
// answers without it.
func TestSetupByEmail(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{User: "keyhouse", Password: "smtp-Pa55word"})
	s, err := mail.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.New(mail.Config{Server: s, From: "keyhouse@example.com", RootCAs: srv.RootCAs})
	if err != nil {
		t.Fatal(err)
	}
	e := keyhousetest.New(t, func(c *service.Config) { c.Mailer = m })
	setup, err := e.Svc.EnsureSetupLink(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{e: e, srv: httptest.NewServer(server.New(e.Svc, slog.New(slog.DiscardHandler), false))}
	t.Cleanup(f.srv.Close)
	w := newWebClient(t, f.srv.URL)
	resp, body := w.post("/setup", url.Values{"token": {keyhousetest.TokenOf(t, setup)}, "organization_name": {"Acme"}, "owner_email": {"owner@acme.example"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "An activation link was sent to its Owner, owner@acme.example") || strings.Contains(body, "khl_") {
		t.Fatalf("setup: %d\n%s", resp.StatusCode, body)
	}
	if msgs := srv.Messages(); len(msgs) != 1 || msgs[0].To[0] != "owner@acme.example" || !msgs[0].TLS {
		t.Fatalf("messages: %v", msgs)
	}
}

// TestConsoleInviteSentTo: with SMTP the console's invite form says where
// the invitation was sent and shows no link; a pending member has Send
// again, which e-mails a fresh link; a failed e-mail says so on the page
// and the member stays, with Send again.
func TestConsoleInviteSentTo(t *testing.T) {
	f := newMailFixture(t)
	w := newWebClient(t, f.srv.URL).session(f.owner.Token)
	_, page := w.get("/admin/users")
	if !strings.Contains(page, "We e-mail them an activation link") {
		t.Errorf("the invite dialog does not say the link is e-mailed")
	}
	resp, body := w.post("/admin/users", url.Values{"email": {"dave@acme.example"}, "roles": {"view"}})
	if resp.StatusCode != 201 || !strings.Contains(body, "Invitation sent to dave@acme.example") || strings.Contains(body, "khl_") || strings.Contains(body, "pass-on-link") {
		t.Fatalf("invite form: %d\n%s", resp.StatusCode, body)
	}
	if f.count("dave@acme.example") != 1 {
		t.Fatal("no e-mail to dave")
	}
	dave := f.members(t, f.owner.Token)["dave@acme.example"]["id"].(string)
	if !strings.Contains(body, `action="/admin/users/`+dave+`/invitation"`) {
		t.Errorf("the pending member has no Send again button")
	}
	resp, body = w.post("/admin/users/"+dave+"/invitation", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "Invitation sent again to dave@acme.example") || strings.Contains(body, "khl_") || f.count("dave@acme.example") != 2 {
		t.Fatalf("send again: %d, %d e-mails\n%s", resp.StatusCode, f.count("dave@acme.example"), body)
	}
	if strings.Contains(body, `action="/admin/users/`+f.members(t, f.owner.Token)["owner@acme.example"]["id"].(string)+`/invitation"`) {
		t.Errorf("an active member has a Send again button")
	}

	f.smtp.Refuse("erin@acme.example", true)
	resp, body = w.post("/admin/users", url.Values{"email": {"erin@acme.example"}, "roles": {"view"}})
	erin := f.members(t, f.owner.Token)["erin@acme.example"]["id"].(string)
	if resp.StatusCode != 502 || !strings.Contains(body, `role="alert">The invitation is saved, but the e-mail to erin@acme.example could not be sent (the mail server refused the recipient (550 5.1.1))`) ||
		!strings.Contains(body, `action="/admin/users/`+erin+`/invitation"`) || strings.Contains(body, "khl_") {
		t.Fatalf("invite form, e-mail refused: %d\n%s", resp.StatusCode, body)
	}
}
