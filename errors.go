package keyhouse

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. Each maps to one HTTP status in the server and one exit
// message in the command line; nothing else needs to know the mapping.
const (
	ECONFLICT     = "conflict"               // 409: the request clashes with the current state
	EFORBIDDEN    = "forbidden"              // 403: signed in, but the role does not allow it
	EINTERNAL     = "internal"               // 500: a bug or a failure the caller cannot fix
	EINVALID      = "invalid"                // 422: a field breaks a rule; the message names both
	EBADREQUEST   = "bad_request"            // 400: the request itself is malformed
	ENOTFOUND     = "not_found"              // 404: no such object in the caller's organization
	ETHROTTLED    = "throttled"              // 429: too many attempts; retry later
	EUNAUTHORIZED = "unauthorized"           // 401: not signed in, or the session ended
	ECREDENTIALS  = "invalid_credentials"    // 401: a sign-in failed; the same for every cause
	EUNAVAILABLE  = "unavailable"            // 503: the store is unavailable; nothing changed
	EINVALIDTOKEN = "invalid_token"          // 401: a data-plane access token that does not verify
	ETOOLARGE     = "too_large"              // 413: the body is over the limit
	EUNSUPPORTED  = "unsupported_media_type" // 415: the content type is not accepted
	EMAILFAILED   = "mail_failed"            // 502: the mail server did not take an e-mail; what was made is kept
	EGONE         = "cursor_expired"         // 410: a feed cursor outside the retained window; start over
)

// Error is an error with a code and a message that is safe to show to the
// caller. Err, when set, is the internal cause: logged, never shown.
type Error struct {
	Code    string
	Message string
	Err     error
	// RetryAfter, when set, is how long the caller should wait before
	// trying again (the Retry-After header of a 429 or 503).
	RetryAfter time.Duration
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the safe message of the first *Error in err's chain,
// and a generic message for any other error.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Message
	}
	return "internal error"
}
