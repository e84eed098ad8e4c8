package server

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"keyhouse"
	"keyhouse/internal/service"
)

// graceChoice is one grace period of the Roll dialog.
type graceChoice struct {
	Label   string
	Seconds int
}

// graceChoices are the Roll dialog's grace periods.
var graceChoices = []graceChoice{{"Now (delete the old key)", 0}, {"1 hour", 3600}, {"24 hours", 86400}, {"7 days", 604800}}

// lifetimeChoices are the Generate form's expiries, in days (0: never).
var lifetimeChoices = []int{0, 30, 90, 365}

// expiryChoice is one option of the Generate form's expiry.
type expiryChoice struct {
	Label string
	Days  int
}

// expiryChoices are the expiries the organization's maximum (nil: none)
// allows: never only without one, and the maximum itself.
func expiryChoices(max *int) []expiryChoice {
	var out []expiryChoice
	for _, d := range lifetimeChoices {
		switch {
		case d == 0 && max == nil:
			out = append(out, expiryChoice{"Never expires", 0})
		case d != 0 && (max == nil || d < *max):
			out = append(out, expiryChoice{"Expires in " + strconv.Itoa(d) + " days", d})
		}
	}
	if max != nil {
		out = append(out, expiryChoice{fmt.Sprintf("Expires in %d days (the maximum)", *max), *max})
	}
	return out
}

// keyStatus is what the API Keys page says of a key's expiry at now:
// "Expired", "Stops working in 23 hours", "" for a key that never expires.
func keyStatus(k *keyhouse.APIKey, now time.Time) string {
	if k.ExpiresAt == nil {
		return ""
	}
	left := k.ExpiresAt.Sub(now)
	switch {
	case left <= 0:
		return "Expired"
	case left < time.Hour:
		return "Stops working in " + plural(int(left.Minutes())+1, "minute")
	case left < 48*time.Hour:
		return "Stops working in " + plural(int(left.Hours()), "hour")
	}
	return "Stops working in " + plural(int(left.Hours()/24), "day")
}

// plural is "1 hour", "23 hours".
func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// expiringSoon reports whether the banner names k: it expires within 7
// days and no roll replaced it already.
func expiringSoon(k *keyhouse.APIKey, now time.Time) bool {
	return k.ExpiresAt != nil && k.ReplacedBy == nil && k.ExpiresAt.After(now) && k.ExpiresAt.Sub(now) <= 7*24*time.Hour
}

// formExpiry reads the Generate form's expires_in_days: none for "0" or
// absent.
func formExpiry(r *http.Request, now time.Time) (*time.Time, error) {
	v := r.PostFormValue("expires_in_days")
	if v == "" || v == "0" {
		return nil, nil
	}
	days, err := strconv.Atoi(v)
	if err != nil || days < 0 || days > keyhouse.MaxKeyLifetimeDays { // bounded before it is made a Duration, which would wrap
		return nil, keyhouse.Errorf(keyhouse.EINVALID, "expires_in_days: must be a whole number of days, 0 to %d", keyhouse.MaxKeyLifetimeDays)
	}
	at := now.Add(keyhouse.LifetimeDays(days))
	return &at, nil
}

// handleKeyRollForm rolls a key and answers the page with the new key in
// the generated dialog, shown once, as Generate does.
func (s *Server) handleKeyRollForm(w http.ResponseWriter, r *http.Request) error {
	env, err := formEnv(r)
	if err != nil {
		return err
	}
	clientID, keyID := r.PathValue("client_id"), r.PathValue("key_id")
	grace, err := strconv.Atoi(r.PostFormValue("grace_seconds"))
	if err != nil {
		return keyhouse.Errorf(keyhouse.EINVALID, "grace_seconds: choose how long the old key keeps working")
	}
	if max := int(keyhouse.MaxGrace / time.Second); grace < 0 || grace > max { // before it is made a Duration, which would wrap
		return keyhouse.Errorf(keyhouse.EINVALID, "grace_seconds: choose how long the old key keeps working: 0 to %d seconds", max)
	}
	rolled, err := s.Service.RollKey(r.Context(), env, clientID, keyID, time.Duration(grace)*time.Second)
	if err != nil {
		return err
	}
	return s.renderGenerated(w, r, env, clientID, &generatedKey{GeneratedKey: &rolled.GeneratedKey, Replaces: rolled.Replaces, OldKeyExpiresAt: &rolled.OldKeyExpiresAt})
}

// formKeyChanges reads the Edit dialog: the description, and the allowed
// addresses when the form has the field (comma- or space-separated; empty
// is anywhere).
func formKeyChanges(r *http.Request, description string) (service.KeyChanges, error) {
	ch := service.KeyChanges{Description: &description}
	if _, ok := r.PostForm["allowed_cidrs"]; !ok {
		return ch, nil
	}
	cidrs, err := keyhouse.ParseCIDRs("allowed_cidrs", strings.FieldsFunc(r.PostFormValue("allowed_cidrs"), func(c rune) bool {
		return c == ',' || unicode.IsSpace(c)
	}))
	if err != nil {
		return ch, err
	}
	ch.AllowedCIDRs = &cidrs
	return ch, nil
}
