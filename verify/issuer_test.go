package verify

import (
	"strings"
	"testing"
)

// TestCheckIssuer: the credential, which introspects every organization's
// tokens, is sent only over https, or http to this machine, unless the
// configuration says the network is trusted.
func TestCheckIssuer(t *testing.T) {
	for _, c := range []struct {
		issuer    string
		allowHTTP bool
		ok        bool
	}{
		{"https://keys.example.com", false, true},
		{"https://10.0.0.5:8443", false, true},
		{"http://127.0.0.1:8080", false, true},
		{"http://127.3.4.5", false, true},
		{"http://localhost:8080", false, true},
		{"http://[::1]:8080", false, true},
		{"http://keys.internal:8080", false, false},
		{"http://10.0.0.5:8080", false, false},
		{"http://[::ffff:10.0.0.5]:8080", false, false},
		{"http://keys.internal:8080", true, true},
		{"ftp://keys.example.com", false, false},
		{"keys.example.com", false, false},
		{"https://", false, false},
	} {
		err := checkIssuer(c.issuer, c.allowHTTP)
		if (err == nil) != c.ok {
			t.Errorf("checkIssuer(%q, allowHTTP %v) = %v, want ok %v", c.issuer, c.allowHTTP, err, c.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "Config.Issuer") {
			t.Errorf("checkIssuer(%q): %v names no field", c.issuer, err)
		}
	}
}

// TestNewRefusesAnHTTPIssuer: New refuses before sending anything.
func TestNewRefusesAnHTTPIssuer(t *testing.T) {
	_, err := New(t.Context(), Config{Issuer: "http://keys.internal:1", Credential: "khrs_x"})
	if err == nil || !strings.Contains(err.Error(), "in the clear") {
		t.Fatalf("New with an http Issuer: %v, want refused for sending the credential in the clear", err)
	}
}
