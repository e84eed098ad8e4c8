package mail_test

import (
	"strings"
	"testing"

	"keyhouse/internal/mail"
)

func TestParseURL(t *testing.T) {
	good := []struct {
		url  string
		want mail.Server
	}{
		{"smtp://u:p@mail.example.com", mail.Server{Host: "mail.example.com", Port: 587, Username: "u", Password: "p", Security: mail.STARTTLS}},
		{"smtp://u:p%40ss@mail.example.com:2525", mail.Server{Host: "mail.example.com", Port: 2525, Username: "u", Password: "p@ss", Security: mail.STARTTLS}},
		{"smtps://u:p@mail.example.com", mail.Server{Host: "mail.example.com", Port: 465, Username: "u", Password: "p", Security: mail.Implicit}},
		{"smtp://mail.example.com:25", mail.Server{Host: "mail.example.com", Port: 25, Security: mail.STARTTLS}},
		{"smtp://127.0.0.1:25?tls=none", mail.Server{Host: "127.0.0.1", Port: 25, Security: mail.Plain}},
		{"smtp://localhost?tls=none", mail.Server{Host: "localhost", Port: 587, Security: mail.Plain}},
		{"smtp://[::1]:25?tls=none", mail.Server{Host: "::1", Port: 25, Security: mail.Plain}},
	}
	for _, tt := range good {
		got, err := mail.ParseURL(tt.url)
		if err != nil || *got != tt.want {
			t.Errorf("%s: %+v, %v; want %+v", tt.url, got, err, tt.want)
		}
	}
	bad := []struct{ url, want string }{
		{"http://u:hunter2@mail.example.com", `must be smtp://… (STARTTLS) or smtps://… (TLS) (got scheme "http")`},
		{"mail.example.com:587", "must be smtp://"},
		{"smtp://u:hunter2@", "has no host"},
		{"smtp://u:hunter2@mail.example.com:0", "port must be 1 to 65535"},
		{"smtp://u:hunter2@mail.example.com:99999", "port must be 1 to 65535"},
		{"smtp://u:hunter2@mail.example.com/x", "no path"},
		{"smtp://u@mail.example.com", "both a user and a password"},
		{"smtp://:hunter2@mail.example.com", "both a user and a password"},
		{"smtp://u:hunter2@mail.example.com?tls=none", "?tls=none is only for a relay on this machine"},
		{"smtp://u:hunter2@127.0.0.1?tls=none", "?tls=none sends no password"},
		{"smtps://127.0.0.1?tls=none", "takes no query except ?tls=none on smtp://"},
		{"smtp://mail.example.com?starttls=off", "takes no query"},
		{"smtp://u:hunter2 x@mail.example.com\x7f", "is not a URL"},
	}
	for _, tt := range bad {
		_, err := mail.ParseURL(tt.url)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.url, err, tt.want)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error shows the password: %v", tt.url, err)
		}
	}
	s, _ := mail.ParseURL("smtps://u:hunter2@mail.example.com")
	if got := s.String(); got != "smtps://u@mail.example.com:465" {
		t.Errorf("String() = %q", got)
	}
}

func TestParseFrom(t *testing.T) {
	for _, ok := range []string{"keyhouse@example.com", "Keyhouse <keyhouse@example.com>"} {
		if _, err := mail.ParseFrom(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "keyhouse", "a@b@c", "<>"} {
		if _, err := mail.ParseFrom(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
