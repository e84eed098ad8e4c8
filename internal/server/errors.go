package server

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"keyhouse"
)

// statusOf maps error codes to HTTP status codes.
var statusOf = map[string]int{
	keyhouse.EBADREQUEST:   http.StatusBadRequest,
	keyhouse.ECONFLICT:     http.StatusConflict,
	keyhouse.ECREDENTIALS:  http.StatusUnauthorized,
	keyhouse.EFORBIDDEN:    http.StatusForbidden,
	keyhouse.EINTERNAL:     http.StatusInternalServerError,
	keyhouse.EINVALID:      http.StatusUnprocessableEntity,
	keyhouse.ENOTFOUND:     http.StatusNotFound,
	keyhouse.ETHROTTLED:    http.StatusTooManyRequests,
	keyhouse.EUNAUTHORIZED: http.StatusUnauthorized,
	keyhouse.EUNAVAILABLE:  http.StatusServiceUnavailable,
	keyhouse.EINVALIDTOKEN: http.StatusUnauthorized,
	keyhouse.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	keyhouse.EUNSUPPORTED:  http.StatusUnsupportedMediaType,
	keyhouse.EMAILFAILED:   http.StatusBadGateway,
	keyhouse.EGONE:         http.StatusGone,
}

// errorBody is the JSON shape of every management API error.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeError is the one function that turns an error into a response.
// Internal errors are logged with the correlation id; the caller sees a
// safe message only.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	oe, isOAuth := errors.AsType[*oauthError](err)
	status, code := s.statusFor(w, r, err)
	switch {
	case isOAuth:
		writeOAuthError(w, oe)
		return
	case code == keyhouse.EINVALIDTOKEN:
		w.Header().Set("WWW-Authenticate", `Bearer realm="keyhouse", error="invalid_token"`)
	case status == http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="keyhouse"`)
	}
	writeJSON(w, status, errorBody{Code: code, Message: keyhouse.ErrorMessage(err)})
}

// statusFor returns the HTTP status and error code of err, logging it
// with the correlation id when it is the server's fault (5xx).
func (s *Server) statusFor(w http.ResponseWriter, r *http.Request, err error) (int, string) {
	code := keyhouse.ErrorCode(err)
	status, ok := statusOf[code]
	if oe, isOAuth := errors.AsType[*oauthError](err); isOAuth {
		status = oe.status
	} else if !ok {
		status, code = http.StatusInternalServerError, keyhouse.EINTERNAL
	}
	// An error that says when to retry is a refusal by design (the
	// password hashing is busy), not a failure to log. A store that is
	// away (503) is an outage, not a bug: a warning.
	if status >= 500 {
		s.metrics().Failed(code)
	}
	if !setRetryAfter(w, err, status) && status >= 500 {
		level := slog.LevelError
		if status == http.StatusServiceUnavailable {
			level = slog.LevelWarn
		}
		s.Logger.Log(r.Context(), level, "request failed", "err", err,
			"correlation_id", w.Header().Get(correlationHeader), "route", routeOf(r)) // never the path: it may hold a link token
	}
	return status, code
}

// setRetryAfter sets Retry-After, in whole seconds, from the error's
// RetryAfter, and reports whether it had one; a 503 without one says a
// second.
func setRetryAfter(w http.ResponseWriter, err error, status int) bool {
	var wait time.Duration
	if e, ok := errors.AsType[*keyhouse.Error](err); ok {
		wait = e.RetryAfter
	}
	switch {
	case wait > 0:
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		return true
	case status == http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	}
	return false
}

// logError logs an error that happened after the response was started.
func (s *Server) logError(r *http.Request, msg string, err error) {
	s.Logger.LogAttrs(r.Context(), slog.LevelError, msg, slog.Any("err", err))
}
