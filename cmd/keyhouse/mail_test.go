package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"keyhouse/internal/smtptest"
)

// TestMailFlags: every bad --smtp-url or --mail-from stops serve and org
// create with one line naming the flag, which never shows the password,
// and help never shows it either.
func TestMailFlags(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "kh.db")
	cases := []badFlag{
		{"scheme", nil, []string{"serve", "--smtp-url", "http://u:hunter2@mail.example.com", "--mail-from", "k@example.com"}, `--smtp-url: must be smtp://… (STARTTLS) or smtps://… (TLS) (got scheme "http")`},
		{"port", nil, []string{"serve", "--smtp-url", "smtp://u:hunter2@mail.example.com:70000", "--mail-from", "k@example.com"}, "--smtp-url: port must be 1 to 65535"},
		{"no TLS to another host", nil, []string{"serve", "--smtp-url", "smtp://mail.example.com:25?tls=none", "--mail-from", "k@example.com"}, "--smtp-url: ?tls=none is only for a relay on this machine"},
		{"password without TLS", nil, []string{"org", "create", "--smtp-url", "smtp://u:hunter2@127.0.0.1:25?tls=none", "--mail-from", "k@example.com"}, "--smtp-url: ?tls=none sends no password"},
		{"from the environment", map[string]string{"KEYHOUSE_SMTP_URL": "smtp://u:hunter2@", "KEYHOUSE_MAIL_FROM": "k@example.com"}, []string{"serve"}, "--smtp-url (from KEYHOUSE_SMTP_URL): has no host"},
		{"from address", nil, []string{"serve", "--smtp-url", "smtp://u:hunter2@mail.example.com", "--mail-from", "keyhouse"}, `--mail-from: must be an address such as keyhouse@example.com`},
		{"no from address", nil, []string{"serve", "--smtp-url", "smtp://u:hunter2@mail.example.com"}, "--mail-from: required with --smtp-url"},
		{"no server", nil, []string{"org", "create", "--mail-from", "k@example.com", "--name", "A", "--owner-email", "o@a.example"}, "--smtp-url: required with --mail-from"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			tt.args = append(tt.args, "--db", db)
			if msg := tt.refused(t); strings.Contains(msg, "hunter2") {
				t.Errorf("the message shows the password: %q", msg)
			}
		})
	}
	noFilesIn(t, dir)
	out, _, _, _ := runCLI(t, map[string]string{"KEYHOUSE_SMTP_URL": "smtps://u:hunter2@mail.example.com"}, "serve", "--help")
	if !strings.Contains(out, "--smtp-url") || strings.Contains(out, "hunter2") || !strings.Contains(out, "smtps://u:xxxxx@mail.example.com") {
		t.Errorf("serve --help with KEYHOUSE_SMTP_URL set:\n%s", out)
	}
}

// TestOrgCreateMails: with SMTP flags, org create e-mails the Owner's
// link through a real SMTP server (a relay on this machine, without TLS)
// and prints no link; when the server is down it prints the link, says
// why on standard error and exits 1.
func TestOrgCreateMails(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{NoTLS: true})
	db := "sqlite:" + filepath.Join(t.TempDir(), "kh.db")
	env := map[string]string{"KEYHOUSE_BASE_URL": "https://keys.example.com", "KEYHOUSE_SMTP_URL": srv.URL(), "KEYHOUSE_MAIL_FROM": "keyhouse@example.com"}
	out, errs, ok, err := runCLI(t, env, "org", "create", "--name", "Acme", "--owner-email", "owner@acme.example", "--db", db)
	if !ok || !strings.Contains(out, "activation link sent to owner@acme.example") || strings.Contains(out, "khl_") {
		t.Fatalf("org create with SMTP: err=%v stdout=%q stderr=%q", err, out, errs)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || msgs[0].To[0] != "owner@acme.example" {
		t.Fatalf("messages: %v", msgs)
	}
	p, err := msgs[0].Parse()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Text, "You are invited to join Acme on keyhouse as Owner") || !strings.Contains(p.Text, "https://keys.example.com/activate?token=khl_") {
		t.Errorf("the Owner's e-mail:\n%s", p.Text)
	}

	srv.Close()
	out, errs, ok, err = runCLI(t, env, "org", "create", "--name", "Globex", "--owner-email", "owner@globex.example", "--db", db, "--json")
	var got struct {
		OrganizationID string `json:"organization_id"`
		ActivationURL  string `json:"activation_url"`
		MailError      string `json:"mail_error"`
	}
	if jerr := json.Unmarshal([]byte(out), &got); jerr != nil || ok || got.OrganizationID == "" ||
		!strings.HasPrefix(got.ActivationURL, "https://keys.example.com/activate?token=khl_") ||
		!strings.Contains(message(err), "the e-mail to owner@globex.example could not be sent (the mail server could not be reached); pass the link on instead") {
		t.Errorf("org create with the mail server down: ok=%v err=%v stdout=%q stderr=%q", ok, err, out, errs)
	}
}
