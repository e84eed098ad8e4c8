package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"keyhouse"
)

// page adapts a console handler: security headers, request info in the
// context, and errors written as pages by writePageError.
func (s *Server) page(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setPageHeaders(w)
		r = r.WithContext(keyhouse.NewContextWithRequest(r.Context(), s.requestInfo(r)))
		var err error
		if r.Method == http.MethodPost {
			err = parsePageForm(w, r)
		}
		if err == nil {
			err = h(w, r)
		}
		if err != nil {
			s.writePageError(w, r, err)
		}
	})
}

// console is page for the pages that need a session. Without one it sends
// the browser to /login; when the session has ended (idle, expired, signed
// out elsewhere) it says so there, and comes back after sign-in.
func (s *Server) console(h handlerFunc) http.Handler {
	return s.page(func(w http.ResponseWriter, r *http.Request) error {
		token := s.sessionToken(r)
		if token == "" {
			s.toLogin(w, r, "")
			return nil
		}
		p, err := s.Service.Authenticate(r.Context(), token)
		if keyhouse.ErrorCode(err) == keyhouse.EUNAUTHORIZED {
			s.clearSessionCookie(w)
			s.toLogin(w, r, "ended")
			return nil
		} else if err != nil {
			return err
		}
		r = r.WithContext(keyhouse.NewContextWithPrincipal(r.Context(), p))
		if err := h(w, r); err != nil {
			// The error page of a signed-in person is inside the layout,
			// with the navigation: write it with the principal.
			s.writePageError(w, r, err)
		}
		return nil
	})
}

// errPageNotFound is the answer to an address the console does not have.
var errPageNotFound = keyhouse.Errorf(keyhouse.ENOTFOUND, "There is no page at this address. Check the link, or go back to the dashboard.")

// handleNotFound answers every GET of an address no route matches: under
// the API's prefixes as the mux would, else a page inside the layout
// (with the navigation when the browser has a live session).
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	for _, prefix := range []string{"/api/", "/v1/", "/oauth2/", "/as/", "/.well-known/"} {
		if strings.HasPrefix(r.URL.Path, prefix) {
			http.NotFound(w, r) // the API's answer as before: not a page
			return
		}
	}
	setPageHeaders(w)
	if token := s.sessionToken(r); token != "" {
		if p, err := s.Service.Authenticate(r.Context(), token); err == nil {
			r = r.WithContext(keyhouse.NewContextWithPrincipal(r.Context(), p))
		}
	}
	s.writePageError(w, r, errPageNotFound)
}

// toLogin redirects to the sign-in page with a message key, and the page
// to come back to when the request was a GET.
func (s *Server) toLogin(w http.ResponseWriter, r *http.Request, msg string) {
	q := url.Values{}
	if msg != "" {
		q.Set("m", msg)
	}
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		q.Set("next", r.URL.RequestURI())
	}
	target := "/login"
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// localPath returns next when it is a path on this site, and fallback
// otherwise: a sign-in must never send the browser elsewhere.
func localPath(next, fallback string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return fallback
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return fallback
	}
	return next
}

// setSessionCookie stores a new session in the browser. It is a cookie of
// the browser session (no Expires): the server ends the session after 15
// minutes idle or 12 hours, whatever the browser keeps.
func (s *Server) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: s.sessionCookieName(), Value: token, Path: "/",
		HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

// clearSessionCookie removes the session cookie.
func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: s.sessionCookieName(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

// errorView is the page of an error that has no form to go back to.
type errorView struct {
	chrome
	Status  int
	Heading string
	Message string
}

// writePageError is the console's one function that turns an error into a
// page, as writeError is for the JSON API: a safe message, the status of
// the error's code, and internal errors logged with the correlation id.
func (s *Server) writePageError(w http.ResponseWriter, r *http.Request, err error) {
	code := keyhouse.ErrorCode(err)
	if code == keyhouse.EUNAUTHORIZED {
		s.toLogin(w, r, "ended")
		return
	}
	status, _ := s.statusFor(w, r, err)
	v := errorView{Status: status, Message: pageMessage(err)}
	switch status {
	case http.StatusForbidden:
		v.Heading = "You don't have access to this page"
	case http.StatusNotFound:
		v.Heading = "Page not found"
	case http.StatusUnprocessableEntity, http.StatusBadRequest:
		v.Heading = "This request was refused"
	case http.StatusRequestEntityTooLarge:
		v.Heading = "The form is too large"
	case http.StatusServiceUnavailable:
		v.Heading = "keyhouse is unavailable"
		v.Message = "The database could not be reached. Nothing was changed; try again in a moment."
	default:
		v.Heading = "Something went wrong"
	}
	v.Title = v.Heading
	if keyhouse.PrincipalFromContext(r.Context()) != nil {
		if c, err := s.signedInChrome(r, v.Title, ""); err == nil {
			c.Title = v.Title
			v.chrome = c
			if status == http.StatusForbidden && len(c.Me.Roles) > 0 {
				v.Message = fmt.Sprintf("As %s in %s you may see %s. If you need more, ask an Owner or an Admin of %s.",
					roleList(c.Me.Roles), c.Me.Organization.Name, roleText(c.Me.Roles[0]), c.Me.Organization.Name)
			}
		}
	}
	if err := s.render(w, status, "error.html", v); err != nil {
		s.logError(r, "render error page", err)
		http.Error(w, v.Message, status)
	}
}

// handleRoot sends people to their dashboard (or to sign in).
func (s *Server) handleRoot(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
	return nil
}

// notices are the success messages a redirect may ask a page to show, by
// key: pages never echo text from the address.
var notices = map[string]string{
	"welcome":     "Your account is active and you are signed in. Your authenticator's code works once: next time, sign in with a new one.",
	"activated":   "Your account is active. Sign in with your password and a code from your authenticator app.",
	"ended":       "Your session has ended. Sign in again to continue.",
	"signed-out":  "You have signed out.",
	"saved":       "Description saved.",
	"deleted":     "API key deleted. Integrations that used it can no longer send data.",
	"initialized": "Client initialized. You can now generate API keys for it.",
	"roles":       "Roles updated.",
	"removed":     "User removed from the organization.",
	"joined":      "Invitation accepted: you are now a member of this organization.",
}
