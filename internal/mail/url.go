package mail

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
)

// Security is how a connection to the mail server is protected.
type Security string

// The ways to reach a mail server.
const (
	STARTTLS Security = "starttls" // smtp://: plain TCP upgraded by STARTTLS, which must succeed
	Implicit Security = "tls"      // smtps://: TLS from the first byte
	Plain    Security = "none"     // smtp://…?tls=none: no TLS, to a loopback relay only
)

// Server is the mail server of an --smtp-url.
type Server struct {
	Host     string
	Port     int
	Username string
	Password string // never shown: String leaves it out
	Security Security
}

// String returns the server as a URL without its password.
func (s *Server) String() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(s.Host, strconv.Itoa(s.Port))}
	if s.Security == Implicit {
		u.Scheme = "smtps"
	}
	if s.Username != "" {
		u.User = url.User(s.Username)
	}
	if s.Security == Plain {
		u.RawQuery = "tls=none"
	}
	return u.String()
}

// ParseURL parses smtp://[user:password@]host[:port] (STARTTLS required;
// port 587 by default) or smtps://… (implicit TLS; port 465). Only a
// loopback relay may go without TLS, and only when the URL says so with
// ?tls=none; such a URL carries no password. Errors never repeat the URL,
// which may hold a password.
func ParseURL(raw string) (*Server, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("is not a URL such as smtp://user:password@mail.example.com:587")
	}
	s := &Server{Host: u.Hostname()}
	switch u.Scheme {
	case "smtp":
		s.Security, s.Port = STARTTLS, 587
	case "smtps":
		s.Security, s.Port = Implicit, 465
	default:
		return nil, fmt.Errorf("must be smtp://… (STARTTLS) or smtps://… (TLS) (got scheme %q)", u.Scheme)
	}
	if s.Host == "" || u.Opaque != "" {
		return nil, errors.New("has no host: use smtp://user:password@mail.example.com:587")
	}
	if p := u.Port(); p != "" {
		if s.Port, err = strconv.Atoi(p); err != nil || s.Port < 1 || s.Port > 65535 {
			return nil, fmt.Errorf("port must be 1 to 65535 (got %q)", p)
		}
	}
	if (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return nil, errors.New("must have no path or fragment")
	}
	if err := s.setUser(u.User); err != nil {
		return nil, err
	}
	return s, s.setQuery(u)
}

// setUser takes the credentials of the URL: both or neither.
func (s *Server) setUser(ui *url.Userinfo) error {
	if ui == nil {
		return nil
	}
	s.Username = ui.Username()
	s.Password, _ = ui.Password()
	if s.Username == "" || s.Password == "" {
		return errors.New("must carry both a user and a password (user:password@), or neither")
	}
	return nil
}

// setQuery applies ?tls=none, the only query there is: no TLS, for a
// relay on this machine (the connection never leaves it), and never
// with a password.
func (s *Server) setQuery(u *url.URL) error {
	q := u.Query()
	if len(q) == 0 {
		return nil
	}
	if len(q) > 1 || q.Get("tls") != "none" || u.Scheme != "smtp" {
		return errors.New("takes no query except ?tls=none on smtp:// (for a relay on this machine)")
	}
	if !loopback(s.Host) {
		return fmt.Errorf("?tls=none is only for a relay on this machine (localhost, 127.0.0.1 or ::1), not %s: use STARTTLS or smtps://", s.Host)
	}
	if s.Username != "" {
		return errors.New("?tls=none sends no password: leave user:password out, or use STARTTLS")
	}
	s.Security = Plain
	return nil
}

// loopback reports whether host names this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ParseFrom checks a --mail-from address: keyhouse@example.com or
// "keyhouse <keyhouse@example.com>".
func ParseFrom(from string) (*mail.Address, error) {
	a, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("must be an address such as keyhouse@example.com or \"Keyhouse <keyhouse@example.com>\" (got %q)", from)
	}
	return a, nil
}
