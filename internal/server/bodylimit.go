package server

import (
	"errors"
	"net/http"

	"keyhouse"
)

// The body limits, per route. A body over its limit is refused with 413
// and a message that names the limit: the management API's JSON
// (maxJSONBody) and the console's forms (maxPageForm) here, the token and
// introspection forms (maxFormBody, 16 KiB) in oauth.go, the intake
// (MaxIntakeBody, 1 MiB) in intake.go. The largest legitimate management
// body (an invitation, a description of 255 characters, a password) is
// under 2 KiB.
const (
	maxJSONBody = 16 << 10
	maxPageForm = 16 << 10
)

var (
	errJSONTooLarge  = keyhouse.Errorf(keyhouse.ETOOLARGE, "body: at most 16 KiB")
	errFormTooLarge  = keyhouse.Errorf(keyhouse.ETOOLARGE, "form: at most 16 KiB")
	errFormMalformed = keyhouse.Errorf(keyhouse.EBADREQUEST, "form: malformed application/x-www-form-urlencoded body")
)

// isTooLarge reports whether err comes from a body over the limit of its
// http.MaxBytesReader.
func isTooLarge(err error) bool {
	_, ok := errors.AsType[*http.MaxBytesError](err)
	return ok
}

// parsePageForm limits a console form to maxPageForm and parses it, so
// that a form over the limit is a 413 instead of a form with its fields
// missing.
func parsePageForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxPageForm)
	switch err := r.ParseForm(); {
	case err == nil:
		return nil
	case isTooLarge(err):
		return errFormTooLarge
	default:
		return errFormMalformed
	}
}
