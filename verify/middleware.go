package verify

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

// claimsKey is the context key of the claims Middleware puts.
type claimsKey struct{}

// ClaimsFrom returns the claims of the request's verified token, put in
// its context by Middleware.
func ClaimsFrom(ctx context.Context) (Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	if !ok {
		return Claims{}, false
	}
	return *c, true
}

// Middleware serves next the requests whose "Authorization: Bearer"
// token verifies, with the token's claims in the request's context
// (ClaimsFrom). It answers 401 with WWW-Authenticate for a missing or
// bad token, and 503 with Retry-After while keyhouse has not been heard
// from for longer than MaxStaleness.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, raw, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || raw == "" {
			refuse(w, http.StatusUnauthorized, `Bearer realm="keyhouse"`, "invalid_token", "an access token is required: Authorization: Bearer <token>")
			return
		}
		c, err := v.Verify(r.Context(), strings.TrimSpace(raw))
		switch {
		case errors.Is(err, ErrStale):
			w.Header().Set("Retry-After", "5")
			refuse(w, http.StatusServiceUnavailable, "", "unavailable", "token verification is unavailable: no news from keyhouse; retry")
			return
		case err != nil:
			refuse(w, http.StatusUnauthorized, `Bearer realm="keyhouse", error="invalid_token"`, "invalid_token", "the access token is invalid, expired or revoked")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, c)))
	})
}

// refuse writes an error in keyhouse's shape, {"code","message"}.
func refuse(w http.ResponseWriter, status int, challenge, code, message string) {
	h := w.Header()
	if challenge != "" {
		h.Set("WWW-Authenticate", challenge)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"code":"` + code + `","message":"` + message + `"}` + "\n"))
}
