package keyhouse_test

import (
	"strings"
	"testing"
	"time"

	"keyhouse"
)

func TestValidatePassword(t *testing.T) {
	tests := []struct {
		pw string
		ok bool
	}{
		{"Correct-Horse-9", true},
		{"Short-1a", false},                // 8 characters
		{"correct-horse-9", false},         // no upper case
		{"CORRECT-HORSE-9", false},         // no lower case
		{"Correct-Horse-x", false},         // no digit
		{"CorrectHorse99", false},          // no special character
		{"Ünïcödé-Pässwörd-1", true},       // letters beyond ASCII count
		{"Correct-Horse-9\x00", false},     // control character
		{strings.Repeat("aA1-", 64), true}, // 256
		{strings.Repeat("aA1-", 64) + "x", false},
	}
	for _, tt := range tests {
		err := keyhouse.ValidatePassword(tt.pw)
		if (err == nil) != tt.ok {
			t.Errorf("ValidatePassword(%.20q) = %v, want ok=%v", tt.pw, err, tt.ok)
		}
		if err != nil && (keyhouse.ErrorCode(err) != keyhouse.EINVALID || !strings.HasPrefix(keyhouse.ErrorMessage(err), "password: ")) {
			t.Errorf("error %v does not name the field", err)
		}
		if err != nil && strings.Contains(err.Error(), tt.pw) {
			t.Errorf("error echoes the password")
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Owner@Example.COM", "owner@example.com"},
		{"  a@b.example ", "a@b.example"},
		{"Name <a@b.example>", ""},
		{"no-at-sign", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := keyhouse.NormalizeEmail("email", tt.in)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseRoles(t *testing.T) {
	rs, err := keyhouse.ParseRoles("roles", []string{"view", "owner", "view"})
	if err != nil || rs.String() != "owner,view" {
		t.Fatalf("ParseRoles = %v, %v", rs, err)
	}
	if got := keyhouse.RolesFromString("view,admin"); got.String() != "admin,view" {
		t.Errorf("RolesFromString = %v", got)
	}
	for _, bad := range [][]string{nil, {"root"}, {"Owner"}} {
		if _, err := keyhouse.ParseRoles("roles", bad); keyhouse.ErrorCode(err) != keyhouse.EINVALID {
			t.Errorf("ParseRoles(%q) = %v", bad, err)
		}
	}
}

func TestValidateClientID(t *testing.T) {
	for id, ok := range map[string]bool{
		"1234567890": true, "AbC123": true, strings.Repeat("a", 64): true,
		"": false, strings.Repeat("a", 65): false, "abc-1": false, "abc 1": false, "ábc": false,
	} {
		if err := keyhouse.ValidateClientID("client_id", id); (err == nil) != ok {
			t.Errorf("ValidateClientID(%q) = %v, want ok=%v", id, err, ok)
		}
	}
}

func TestRandomBase62(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		s := keyhouse.RandomBase62(20)
		if len(s) != 20 || strings.Trim(s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != "" || seen[s] {
			t.Fatalf("RandomBase62 = %q", s)
		}
		seen[s] = true
	}
}

func TestNewEventIDSortsByTime(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	prev := keyhouse.NewEventIDs(t0, 1)[0]
	for i := 1; i < 1000; i++ {
		id := keyhouse.NewEventIDs(t0.Add(time.Duration(i*i)*time.Microsecond), 1)[0]
		if len(id) != 27 || id <= prev {
			t.Fatalf("id %q after %q", id, prev)
		}
		prev = id
	}
	batch := keyhouse.NewEventIDs(t0, 100)
	seen := map[string]bool{}
	for _, id := range batch {
		if len(id) != 27 || id[:15] != batch[0][:15] || seen[id] {
			t.Fatalf("batch id %q", id)
		}
		seen[id] = true
	}
}
