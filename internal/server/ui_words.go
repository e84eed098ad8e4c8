package server

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"keyhouse"
)

// The console speaks to people: a service message names its field by the
// field's code ("description: at most 255 characters (got 256)"), which
// the JSON API keeps; the console says the field's label instead
// ("Description must be at most 255 characters").

// fieldLabels are the console's names of the fields the service names.
var fieldLabels = map[string]string{
	"organization_name": "Organization name",
	"owner_email":       "Owner's e-mail address",
	"email":             "E-mail address",
	"name":              "Client name",
	"description":       "Description",
	"confirm_client_id": "Confirm client ID",
	"password":          "Password",
	"otp":               "Authentication code",
	"roles":             "Roles",
	"env":               "Environment",
	"from":              "From",
	"to":                "To",
	"action":            "Action",
	"limit":             "Limit",
	"allowed_cidrs":     "Allowed addresses",
	"expires_at":        "Expiry",
	"expires_in_days":   "Expiry",
	"grace_seconds":     "The old key stops working",
	"key_id":            "Key",
}

// gotSuffix is the "(got 256)" a length rule appends for programs.
var gotSuffix = regexp.MustCompile(`\s*\(got \d+\)$`)

// pageMessage is the message of err as the console shows it: the field's
// label in place of its code, without the details meant for programs.
func pageMessage(err error) string {
	msg := keyhouse.ErrorMessage(err)
	field, rest, ok := strings.Cut(msg, ": ")
	if !ok || strings.ContainsAny(field, " ") {
		return capitalize(msg)
	}
	return peopleWords(field, rest)
}

// peopleWords joins a field's label and a rule ("is required") into a
// sentence; a rule that is a sentence of its own stands alone.
func peopleWords(field, rule string) string {
	rule = gotSuffix.ReplaceAllString(rule, "")
	base, indexed := strings.CutSuffix(field, "]")
	if indexed {
		base, _, _ = strings.Cut(base, "[")
	}
	label, known := fieldLabels[base]
	if !known {
		label = capitalize(strings.ReplaceAll(base, "_", " "))
	}
	switch {
	case indexed: // one item of a list: "Allowed addresses: 10.0.0.5/24 has bits set past the prefix"
		return label + ": " + rule
	case strings.HasPrefix(rule, "at most "), strings.HasPrefix(rule, "at least ") && !strings.Contains(rule, " is "):
		return label + " must be " + rule
	case startsWithAny(rule, "is ", "must ", "needs ", "may ", "cannot ", "does ", "has ", "belongs ", "not "):
		return label + " " + rule
	}
	return capitalize(rule)
}

func startsWithAny(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// capitalize upper-cases the first letter of s.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// auditWords are the audit actions as the report says them; the CSV and
// the API keep the codes.
var auditWords = map[string]string{
	keyhouse.ActionSigninSucceeded:    "Signed in",
	keyhouse.ActionSigninFailed:       "Sign-in failed",
	keyhouse.ActionSigninUnlocked:     "Sign-in unlocked",
	keyhouse.ActionUserInvited:        "User invited",
	keyhouse.ActionInvitationAccepted: "Invitation accepted",
	keyhouse.ActionInvitationResent:   "Invitation sent again",
	keyhouse.ActionUserActivated:      "Account activated",
	keyhouse.ActionUserUpdated:        "User's roles changed",
	keyhouse.ActionUserRemoved:        "User removed",
	keyhouse.ActionUserPasswordReset:  "Password reset",
	keyhouse.ActionClientInitialized:  "Client initialized",
	keyhouse.ActionKeyCreated:         "API key generated",
	keyhouse.ActionKeyUpdated:         "API key description changed",
	keyhouse.ActionKeyDeleted:         "API key deleted",
	keyhouse.ActionKeyImported:        "API key imported",
	keyhouse.ActionSigningKeyRotated:  "Token-signing key rotated",
	keyhouse.ActionSigningKeyRevoked:  "Token-signing key revoked",
	keyhouse.ActionOrgCreated:         "Organization created",
}

// auditWord is an action in words, or its code when it has none.
func auditWord(action string) string {
	if w, ok := auditWords[action]; ok {
		return w
	}
	return action
}

// ago says how long before now t was, in words: "just now", "3 minutes
// ago", "yesterday", "5 days ago"; past a month, the date.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 24*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	case d < 48*time.Hour:
		return "yesterday"
	case d < 30*24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day") + " ago"
	}
	return t.UTC().Format("2 Jan 2006")
}

// thousands writes n with a comma between thousands: 12,345.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}
