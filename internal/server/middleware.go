package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"keyhouse"
)

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

const correlationHeader = "X-Correlation-Id"

// sessionCookie is the name of the console's session cookie. When the
// base URL is https it carries the __Host- prefix, which browsers accept
// only from a secure origin, for the whole host and path "/": no other
// host of the domain, and no plain-http page, can plant or shadow it.
const (
	sessionCookie       = "keyhouse_session"
	secureSessionCookie = "__Host-keyhouse_session"
)

// sessionCookieName returns the session cookie's name for this server.
func (s *Server) sessionCookieName() string {
	if s.SecureCookies {
		return secureSessionCookie
	}
	return sessionCookie
}

// handle adapts a handlerFunc: request info in the context, errors
// written by writeError.
func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := keyhouse.NewContextWithRequest(r.Context(), s.requestInfo(r))
		r = r.WithContext(ctx)
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// authed is handle for routes that need a session: the cookie or an
// "Authorization: Bearer" session token.
func (s *Server) authed(h handlerFunc) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		token := s.sessionToken(r)
		if token == "" {
			return keyhouse.Errorf(keyhouse.EUNAUTHORIZED, "sign in first")
		}
		p, err := s.Service.Authenticate(r.Context(), token)
		if err != nil {
			return err
		}
		noteActor(w, p.OrgID, "")
		return h(w, r.WithContext(keyhouse.NewContextWithPrincipal(r.Context(), p)))
	})
}

// sessionToken returns the session token of r, from the bearer header or
// the session cookie.
func (s *Server) sessionToken(r *http.Request) string {
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, token, _ := strings.Cut(auth, " ")
		if strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(token)
		}
		return ""
	}
	if c, err := r.Cookie(s.sessionCookieName()); err == nil {
		return c.Value
	}
	return ""
}

// requestInfo returns where r came from: the client's address (see
// clientIP) and user agent.
func (s *Server) requestInfo(r *http.Request) keyhouse.RequestInfo {
	// UTF-8, as the audit stores it (PostgreSQL refuses any other text),
	// cut whole at 512 bytes.
	ua := strings.ToValidUTF8(r.UserAgent(), "\uFFFD")
	if len(ua) > 512 {
		ua = strings.ToValidUTF8(ua[:512], "")
	}
	return keyhouse.RequestInfo{IP: clientIP(r, s.TrustedProxies), UserAgent: ua}
}

// statusWriter records the status code written, and what the handlers
// learned of whom the request acted for, for its log line.
type statusWriter struct {
	http.ResponseWriter
	status      int
	org, client string
}

// noteActor records, for the request's log line, the organization and
// client (if any) it acted for; w is the handler's ResponseWriter.
func noteActor(w http.ResponseWriter, org, client string) {
	if sw, ok := w.(*statusWriter); ok {
		sw.org, sw.client = org, client
	}
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests sets the correlation id and the headers of every response
// (nosniff; HSTS when the base URL is https) and logs each request:
// method, the route pattern (never the path itself, which may hold an
// invitation token, nor the query string, which may hold a link token),
// status, duration.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(correlationHeader)
		if !validCorrelationID(id) {
			id = keyhouse.RandomBase62(16)
		}
		h := w.Header()
		h.Set(correlationHeader, id)
		h["X-Content-Type-Options"] = headerNoSniff // JSON too: never sniffed as HTML
		if s.SecureCookies {
			h["Strict-Transport-Security"] = headerHSTS
		}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		took := time.Since(start)
		s.metrics().Request(routeOf(r), r.Method, sw.status, took)
		if !s.NoAccessLog {
			s.logRequest(r, sw, id, took)
		}
	})
}

// logRequest writes the request's line: method, route pattern, status,
// duration, correlation id, and the organization and client where known.
func (s *Server) logRequest(r *http.Request, sw *statusWriter, id string, took time.Duration) {
	level := requestLevel(r.URL.Path, sw.status)
	if !s.Logger.Enabled(r.Context(), level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method), slog.String("route", routeOf(r)),
		slog.Int("status", sw.status), slog.Duration("duration", took),
		slog.String("correlation_id", id),
	}
	if sw.org != "" {
		attrs = append(attrs, slog.String("organization_id", sw.org))
	}
	if sw.client != "" {
		attrs = append(attrs, slog.String("client_id", sw.client))
	}
	s.Logger.LogAttrs(r.Context(), level, "request", attrs...)
}

// routeOf returns the path pattern of the route that served r ("GET
// /api/v1/invitations/{token}" gives "/api/v1/invitations/{token}"), or
// "unmatched" when no route did.
func routeOf(r *http.Request) string {
	if r.Pattern == "" {
		return "unmatched"
	}
	_, p, _ := strings.Cut(r.Pattern, " ")
	return p
}

// requestLevel is the log level of a finished request: the data plane's
// successes, which come by the thousand each second, and the probes'
// (health, readiness, metrics) are DEBUG (a log line is a write to
// stderr per request); everything else is INFO.
func requestLevel(path string, status int) slog.Level {
	switch {
	case status >= 400:
		return slog.LevelInfo
	case path == "/v1/events" || path == "/as/token" || strings.HasPrefix(path, "/oauth2/"),
		path == "/healthz" || path == "/readyz" || path == "/metrics":
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// validCorrelationID reports whether a caller's id is safe to echo and log.
func validCorrelationID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// decode reads a JSON body of at most maxJSONBody into v: one object, no
// unknown fields. The MaxBytesReader has no ResponseWriter to mark the
// connection for closing: the server discards a short unread rest, and
// closes the connection after a long one.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syntax *json.SyntaxError
		switch {
		case isTooLarge(err):
			return errJSONTooLarge
		case errors.Is(err, io.EOF):
			return errNoBody
		case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
			return keyhouse.Errorf(keyhouse.EBADREQUEST, "body: malformed JSON")
		}
		return keyhouse.Errorf(keyhouse.EBADREQUEST, "body: %s", jsonProblem(err))
	}
	if dec.More() {
		return keyhouse.Errorf(keyhouse.EBADREQUEST, "body: one JSON object only")
	}
	return nil
}

// jsonProblem describes a decoding error without echoing the input.
func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		if typeErr.Field == "" { // the body itself: an array, a string, a number
			return "must be a JSON object"
		}
		return fmt.Sprintf("%s: wrong type, want %s", typeErr.Field, typeErr.Type)
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		return strings.TrimPrefix(msg, "json: ") // names the field only
	}
	return "malformed JSON"
}

// decodeOptional is decode for a body that may be absent: an empty body
// leaves v as it is.
func decodeOptional(r *http.Request, v any) error {
	err := decode(r, v)
	if err != nil && keyhouse.ErrorMessage(err) == errNoBody.Message {
		return nil
	}
	return err
}

var errNoBody = keyhouse.Errorf(keyhouse.EBADREQUEST, "body: a JSON object is required")

// writeJSON writes v as a JSON response with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	setJSONHeaders(w.Header())
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeRawJSON writes body, JSON already encoded and ending in a newline
// as writeJSON's, with writeJSON's headers. The data plane's hot answers
// are appended by hand: encoding/json's reflection and buffers were a
// tenth of an intake request.
func writeRawJSON(w http.ResponseWriter, status int, body []byte) {
	setJSONHeaders(w.Header())
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// The values of the headers every JSON answer carries, shared by all:
// assigning them allocates nothing, and nothing modifies a header value in
// place (Header.Add appends to a copy).
var (
	headerJSON    = []string{"application/json"}
	headerNoStore = []string{"no-store"}
	headerNoCache = []string{"no-cache"} // Pragma, beside the token's no-store
	headerNoSniff = []string{"nosniff"}
	// headerHSTS keeps browsers on https for a year once they have seen
	// the https base URL; it names no subdomains, which may not be ours.
	headerHSTS = []string{"max-age=31536000"}
)

func setJSONHeaders(h http.Header) {
	h["Content-Type"] = headerJSON
	h["Cache-Control"] = headerNoStore
}

// appendJSONString appends s as a JSON string as encoding/json writes it.
// The data plane's strings (ids, tokens, scopes) need no escaping; any
// other goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
