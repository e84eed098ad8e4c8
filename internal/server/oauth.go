package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"keyhouse"
	"keyhouse/internal/service"
)

// oauthError is an RFC 6749 §5.2 error: the token and introspection
// endpoints answer these instead of the management API's shape.
type oauthError struct {
	status      int
	Code        string `json:"error"`
	Description string `json:"error_description"`
	cause       error  // logged, never shown
	bearer      bool   // a 401 asks for a bearer credential, not Basic
}

// Error implements the error interface.
func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

// Unwrap returns the internal cause.
func (e *oauthError) Unwrap() error { return e.cause }

func badRequest(code, desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, Code: code, Description: desc}
}

var errInvalidClient = &oauthError{status: http.StatusUnauthorized, Code: "invalid_client", Description: "client authentication failed"}

// errInvalidResourceServer is errInvalidClient for a bearer credential.
var errInvalidResourceServer = &oauthError{status: http.StatusUnauthorized, Code: "invalid_client", Description: "client authentication failed", bearer: true}

// writeOAuthError writes e with the headers RFC 6749 asks for.
func writeOAuthError(w http.ResponseWriter, e *oauthError) {
	switch {
	case e.status == http.StatusUnauthorized && e.bearer:
		w.Header().Set("WWW-Authenticate", `Bearer realm="keyhouse"`)
	case e.status == http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Basic realm="keyhouse"`)
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, e.status, e)
}

// maxFormBody bounds the token and introspection request bodies.
const maxFormBody = 16 << 10

// parseForm reads the form body and the query string, both of which the
// token endpoint accepts (Kount integrations send grant_type in either).
// A body over maxFormBody is a 413.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return &oauthError{status: http.StatusRequestEntityTooLarge, Code: "invalid_request", Description: "the body must be at most 16 KiB"}
		}
		return badRequest("invalid_request", "the body must be an application/x-www-form-urlencoded form under 16 KiB")
	}
	return nil
}

// singleValued refuses a request that gives one of params twice with
// different values (RFC 6749 §3.2: parameters must not repeat). The same
// value in the query and the body, as some Kount integrations send, is
// one value.
func singleValued(r *http.Request, params ...string) error {
	for _, p := range params {
		vs := r.Form[p]
		for _, v := range vs[min(1, len(vs)):] {
			if v != vs[0] {
				return badRequest("invalid_request", p+" must not be repeated")
			}
		}
	}
	return nil
}

// clientKey authenticates the caller's API key: HTTP Basic (the API key,
// any RFC 6749 §2.3.1 form of key id and secret, or a legacy key), or
// client_id and client_secret in the body. Every failure is the same 401.
func (s *Server) clientKey(r *http.Request) (*keyhouse.APIKey, error) {
	auth := r.Header.Get("Authorization")
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	var k *keyhouse.APIKey
	var err error
	switch scheme, cred, _ := strings.Cut(auth, " "); {
	case auth != "" && secret != "":
		return nil, badRequest("invalid_request", "use one client authentication method, not two")
	case auth != "" && strings.EqualFold(scheme, "Basic"):
		k, err = s.Service.AuthenticateBasic(r.Context(), strings.TrimSpace(cred))
	case auth == "" && id != "" && secret != "":
		k, err = s.Service.AuthenticatePair(r.Context(), id, secret)
	default:
		return nil, errInvalidClient
	}
	if err != nil {
		return nil, clientAuthError(err, errInvalidClient)
	}
	return k, nil
}

// clientAuthError is the RFC 6749 answer for a failed client
// authentication: invalid the answer for wrong credentials.
func clientAuthError(err error, invalid *oauthError) error {
	switch keyhouse.ErrorCode(err) {
	case keyhouse.ECREDENTIALS, keyhouse.EUNAUTHORIZED:
		return invalid
	case keyhouse.ETHROTTLED: // too many failures from this source: Retry-After from err
		return &oauthError{status: http.StatusTooManyRequests, Code: "invalid_client", Description: keyhouse.ErrorMessage(err), cause: err}
	case keyhouse.EUNAVAILABLE:
		return &oauthError{status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", Description: "the store is unavailable; retry", cause: err}
	}
	return &oauthError{status: http.StatusInternalServerError, Code: "server_error", Description: "internal error", cause: err}
}

// handleToken is the OAuth 2.0 client-credentials token endpoint.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) error {
	err := s.issueToken(w, r)
	s.metrics().Token(tokenOutcome(err))
	return err
}

// issueToken answers a token request.
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	k, err := s.clientKey(r)
	if err != nil {
		return err
	}
	if err := singleValued(r, "grant_type", "scope"); err != nil {
		return err
	}
	switch gt := r.Form.Get("grant_type"); gt {
	case "client_credentials":
	case "":
		return badRequest("invalid_request", "grant_type is required")
	default:
		return badRequest("unsupported_grant_type", "only client_credentials is supported")
	}
	scope, ok := service.CheckScope(r.Form.Get("scope"))
	if !ok {
		return badRequest("invalid_scope", "the only scope is integration")
	}
	noteActor(w, k.OrgID, k.ClientID)
	tok, err := s.Service.IssueToken(k, scope)
	if err != nil {
		return err
	}
	w.Header()["Pragma"] = headerNoCache
	p := answerPool.Get().(*[]byte)
	*p = appendTokenJSON((*p)[:0], tok)
	writeRawJSON(w, http.StatusOK, *p) // copied into the connection's buffer
	answerPool.Put(p)
	return nil
}

// answerPool holds the buffers the token answers are written in: one a
// request was a tenth of what a token request allocated beside the
// signature.
var answerPool = sync.Pool{New: func() any {
	b := make([]byte, 0, 1<<10)
	return &b
}}

// appendTokenJSON appends the RFC 6749 §5.1 answer for t to b, as
// encoding/json writes the tokenResponse of the same values.
func appendTokenJSON(b []byte, t *service.IssuedToken) []byte {
	b = appendJSONString(append(b, `{"access_token":`...), t.AccessToken)
	b = appendJSONString(append(b, `,"token_type":`...), t.TokenType)
	b = strconv.AppendInt(append(b, `,"expires_in":`...), int64(t.ExpiresIn), 10)
	b = appendJSONString(append(b, `,"scope":`...), t.Scope)
	return append(b, "}\n"...)
}

// handleIntrospect is RFC 7662 token introspection, for callers with an
// API key, which learn only of tokens of the key's organization and
// environment, and for resource servers ("Authorization: Bearer
// <credential>"), which learn of every token.
func (s *Server) handleIntrospect(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	g, err := s.introspect(r)
	if err != nil {
		return err
	}
	if g == nil {
		writeJSON(w, http.StatusOK, introspectionResponse{Active: false})
		return nil
	}
	writeJSON(w, http.StatusOK, newIntrospectionResponse(&g.Claims))
	return nil
}

// introspect authenticates the caller and returns the grant of the
// request's token that it may learn of, or nil.
func (s *Server) introspect(r *http.Request) (*service.Grant, error) {
	raw := r.PostForm.Get("token")
	if scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " "); strings.EqualFold(scheme, "Bearer") {
		rs, err := s.resourceServer(r)
		if err != nil {
			return nil, clientAuthError(err, errInvalidResourceServer)
		}
		return s.Service.IntrospectAny(r.Context(), rs, raw), nil
	}
	caller, err := s.clientKey(r)
	if err != nil {
		return nil, err
	}
	return s.Service.Introspect(r.Context(), caller, raw), nil
}

// handleJWKS serves the public keys that verify access tokens.
func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=60")
	_, err := w.Write(s.Service.JWKS())
	return err
}

// handleMetadata serves RFC 8414 authorization server metadata.
func (s *Server) handleMetadata(w http.ResponseWriter, r *http.Request) error {
	base := s.Service.BaseURL()
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(newMetadataResponse(base))
}
