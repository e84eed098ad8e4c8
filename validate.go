package keyhouse

import (
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxDescription is the most characters (Unicode code points) a key
// description may hold.
const MaxDescription = 255

// ValidateDescription checks an API-key description: valid UTF-8, at most
// MaxDescription characters, no control characters. Empty is allowed: it
// clears the description.
func ValidateDescription(s string) error {
	if !utf8.ValidString(s) {
		return Errorf(EINVALID, "description: must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > MaxDescription {
		return Errorf(EINVALID, "description: at most %d characters (got %d)", MaxDescription, n)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return Errorf(EINVALID, "description: must not contain control characters")
		}
	}
	return nil
}

var clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9]{1,64}$`)

// ValidateClientID checks a client ID against ^[A-Za-z0-9]{1,64}$.
func ValidateClientID(field, s string) error {
	if !clientIDPattern.MatchString(s) {
		return Errorf(EINVALID, "%s: must be 1 to 64 letters or digits", field)
	}
	return nil
}

// ValidateName checks a display name (organization, client): 1 to 100
// characters, no control characters, not blank.
func ValidateName(field, s string) error {
	if strings.TrimSpace(s) == "" {
		return Errorf(EINVALID, "%s: is required", field)
	}
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > 100 {
		return Errorf(EINVALID, "%s: at most 100 characters of valid UTF-8", field)
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return Errorf(EINVALID, "%s: must not contain control characters", field)
	}
	return nil
}

// NormalizeEmail validates an e-mail address and returns it trimmed and in
// lower case, the form that identifies a user.
func NormalizeEmail(field, s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		return "", Errorf(EINVALID, "%s: must be an e-mail address like name@example.com", field)
	}
	return s, nil
}

// MinPassword is the shortest password accepted.
const MinPassword = 12

// ValidatePassword applies the password policy: at least MinPassword
// characters (at most 256) with an upper-case letter, a lower-case letter,
// a digit and a special character.
func ValidatePassword(s string) error {
	n := utf8.RuneCountInString(s)
	if n < MinPassword || n > 256 {
		return Errorf(EINVALID, "password: must be %d to 256 characters", MinPassword)
	}
	var upper, lower, digit, special bool
	for _, r := range s {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		case unicode.IsControl(r):
			return Errorf(EINVALID, "password: must not contain control characters")
		default:
			special = true
		}
	}
	if !upper || !lower || !digit || !special {
		return Errorf(EINVALID, "password: needs an upper-case letter, a lower-case letter, a digit and a special character")
	}
	return nil
}
