package server

import (
	"errors"
	"net/http"
	"strings"

	"keyhouse"
	"keyhouse/internal/service"
)

// loginView is the sign-in page. It has three steps: e-mail and password,
// then the TOTP code, then (for a member of several organizations) the
// organization. The later steps carry what was typed before in one hidden
// field, sealed by the service (ciphertext, never in an address), which
// opens once, within 3 minutes, in the browser that started the sign-in
// (signInCookie); nothing is checked until the code is in, so the answer
// never tells which part was wrong.
type loginView struct {
	chrome
	Step  string // "password", "code" or "organization"
	Email string
	State string // the sealed e-mail, password (and code) of the steps before
	Next  string // where to go once signed in
	Orgs  []*keyhouse.Organization
	Error string
}

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	v := loginView{
		chrome: chrome{Title: "Sign in", Narrow: true},
		Step:   "password", Next: localPath(q.Get("next"), ""),
	}
	if q.Get("m") == "ended" {
		v.Alert = notices["ended"]
	} else {
		v.Notice = notices[q.Get("m")]
	}
	return s.render(w, http.StatusOK, "login.html", v)
}

func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) error {
	v := loginView{chrome: chrome{Title: "Sign in", Narrow: true}, Next: localPath(r.PostFormValue("next"), "")}
	if r.PostFormValue("step") == "password" {
		req := service.SignInRequest{Email: strings.TrimSpace(r.PostFormValue("email")), Password: r.PostFormValue("password")}
		v.Email = req.Email
		if req.Email == "" || req.Password == "" {
			v.Step, v.Error = "password", "Enter your e-mail address and your password."
			return s.render(w, http.StatusUnprocessableEntity, "login.html", v)
		}
		v.Step, v.State = "code", s.Service.SealSignIn(req, s.signInBinding(w, r))
		return s.render(w, http.StatusOK, "login.html", v)
	}
	binding := s.signInBinding(w, r)
	req, err := s.Service.OpenSignIn(r.Context(), r.PostFormValue("state"), binding)
	if keyhouse.ErrorCode(err) == keyhouse.EINVALID {
		v.Step, v.Error = "password", pageMessage(err)
		return s.render(w, http.StatusUnprocessableEntity, "login.html", v)
	} else if err != nil {
		return err
	}
	v.Email = req.Email
	if code := strings.Join(strings.Fields(r.PostFormValue("otp")), ""); code != "" {
		req.OTP = code
	}
	req.OrganizationID = r.PostFormValue("organization_id")
	out, orgs, err := s.Service.SignInChoices(r.Context(), req)
	switch code := keyhouse.ErrorCode(err); {
	case err == nil && orgs != nil:
		v.Step, v.Orgs, v.State = "organization", orgs, s.Service.SealSignIn(req, binding)
		return s.render(w, http.StatusOK, "login.html", v)
	case err == nil:
		s.setSessionCookie(w, out.Token)
		http.Redirect(w, r, localPath(v.Next, "/dashboard"), http.StatusSeeOther)
		return nil
	case code == keyhouse.ECREDENTIALS || code == keyhouse.ETHROTTLED || code == keyhouse.EINVALID ||
		code == keyhouse.EUNAVAILABLE && errors.Is(err, service.ErrBusy):
		v.Step, v.Error = "password", pageMessage(err)
		if code == keyhouse.ECREDENTIALS {
			v.Error += ". " + codeOnce
		}
		setRetryAfter(w, err, statusOf[code])
		return s.render(w, statusOf[code], "login.html", v)
	default:
		return err
	}
}

// codeOnce follows a refused sign-in: the code shown right after it was
// used (at activation, or a sign-in a moment ago) is refused, and nothing
// else would tell why.
const codeOnce = "An authenticator code works once: if you have just used this one, wait for the next."

// signInCookie is the cookie that binds the console's sealed sign-in
// states to the browser that started the sign-in.
const signInCookie = "keyhouse_signin"

// signInBinding returns the browser's sign-in binding: the value of its
// signInCookie, set now with a fresh random value when it has none. A
// request without the cookie gets a new value, which opens no state
// sealed before.
func (s *Server) signInBinding(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(signInCookie); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	v := keyhouse.RandomBase62(43)
	http.SetCookie(w, &http.Cookie{
		Name: signInCookie, Value: v, Path: "/login",
		HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
	return v
}

// logoutView asks to confirm signing out (sign-out is a POST).
type logoutView struct{ chrome }

func (s *Server) handleLogoutPage(w http.ResponseWriter, r *http.Request) error {
	c, err := s.signedInChrome(r, "Sign out", "")
	if err != nil {
		return err
	}
	c.Narrow = true
	return s.render(w, http.StatusOK, "logout.html", logoutView{c})
}

// handleLogout ends the session, if it is still alive, and forgets the
// cookie either way.
func (s *Server) handleLogoutForm(w http.ResponseWriter, r *http.Request) error {
	if token := s.sessionToken(r); token != "" {
		if p, err := s.Service.Authenticate(r.Context(), token); err == nil {
			if err := s.Service.SignOut(keyhouse.NewContextWithPrincipal(r.Context(), p)); err != nil {
				return err
			}
		}
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/login?m=signed-out", http.StatusSeeOther)
	return nil
}

// fieldError returns the field a service message names ("description:
// at most 255 characters" names description) and the message in the
// console's words.
func fieldError(err error) (field, msg string) {
	if f, _, ok := strings.Cut(keyhouse.ErrorMessage(err), ": "); ok && !strings.ContainsAny(f, " ") {
		return f, pageMessage(err)
	}
	return "", pageMessage(err)
}

// formError reports whether err is one a form shows next to its fields
// (a field breaks a rule, or clashes with the current state) rather than
// as an error page.
func formError(err error) bool {
	switch keyhouse.ErrorCode(err) {
	case keyhouse.EINVALID, keyhouse.ECONFLICT, keyhouse.EBADREQUEST:
		return true
	}
	return false
}
