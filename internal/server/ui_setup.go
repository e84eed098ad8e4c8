package server

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"image/png"
	"net/http"
	"net/url"
	"strings"

	"github.com/pquerna/otp"

	"keyhouse"
	"keyhouse/internal/service"
)

// setupView is the first-run page: the first organization and its Owner.
type setupView struct {
	chrome
	Token, OrgName, Email string
	Errors                map[string]string // by field
	ActivationURL         string            // after success: the link to pass on
	ActivatePath          string            // the same link on this site
	Sent                  bool              // after success: the link was e-mailed to Email
	Dead                  string            // "missing" or "dead": no form, say what to do
}

func (s *Server) handleSetupPage(w http.ResponseWriter, r *http.Request) error {
	v := setupView{chrome: chrome{Title: "Set up keyhouse", Narrow: true}, Token: r.URL.Query().Get("token")}
	if v.Token == "" {
		v.Title, v.Dead = "This page needs a setup link", "missing"
		return s.render(w, http.StatusNotFound, "setup.html", v)
	}
	err := s.Service.CheckSetupLink(r.Context(), v.Token)
	if keyhouse.ErrorCode(err) == keyhouse.ENOTFOUND {
		v.Title, v.Dead = "This setup link does not work", "dead"
		return s.render(w, http.StatusNotFound, "setup.html", v)
	}
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "setup.html", v)
}

func (s *Server) handleSetupForm(w http.ResponseWriter, r *http.Request) error {
	v := setupView{
		chrome: chrome{Title: "Set up keyhouse", Narrow: true},
		Token:  r.PostFormValue("token"), OrgName: r.PostFormValue("organization_name"), Email: r.PostFormValue("owner_email"),
	}
	out, err := s.Service.Setup(r.Context(), v.Token, v.OrgName, v.Email)
	if formError(err) {
		v.Errors = fieldErrors(err, &v.chrome, "organization_name", "owner_email")
		return s.render(w, statusOf[keyhouse.ErrorCode(err)], "setup.html", v)
	} else if err != nil {
		return err
	}
	v.Title = "Organization created"
	v.ActivationURL, v.ActivatePath, v.Sent = out.ActivationURL, sitePath(out.ActivationURL), out.EmailSent
	v.Alert = out.MailError // the e-mail failed: the link is shown instead
	v.Clean = "/setup"
	return s.render(w, http.StatusOK, "setup.html", v)
}

// fieldErrors files a service error under the field it names when the
// form has that field, and as the page's alert otherwise.
func fieldErrors(err error, c *chrome, fields ...string) map[string]string {
	field, msg := fieldError(err)
	for _, f := range fields {
		if f == field {
			return map[string]string{field: msg}
		}
	}
	c.Alert = msg
	return nil
}

// sitePath returns the path and query of a link the service made with the
// configured base URL, so that it works wherever the browser reached us.
func sitePath(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		return ""
	}
	return u.RequestURI()
}

// activateView is the page of an invitation link: for a new address a
// password, then TOTP enrolment; for an existing account a sign-in that
// accepts the invitation; for a dead link, only that it is dead.
type activateView struct {
	chrome
	Token  string
	Step   string // "password", "enrol", "accept" or "dead"
	Errors map[string]string
	Secret string       // the TOTP secret, as text
	URI    string       // the otpauth URI, to draw the QR code again
	QR     template.URL // the QR code as a PNG data: URL
	Invite *service.Invitation
}

// newActivateView looks the link up, so that the page says at once what
// it is for, or that it is used, expired or unknown.
func (s *Server) newActivateView(r *http.Request, token, step string) (activateView, int, error) {
	v := activateView{chrome: chrome{Title: "Activate your account", Narrow: true}, Token: token, Step: step}
	inv, err := s.Service.LookUpInvitation(r.Context(), token)
	switch {
	case keyhouse.ErrorCode(err) == keyhouse.ENOTFOUND:
		v.Title, v.Step = "This link does not work", "dead"
		return v, http.StatusNotFound, nil
	case err != nil:
		return v, 0, err
	}
	v.Invite = inv
	if inv.AccountExists {
		v.Title, v.Step = "Join "+inv.OrganizationName, "accept"
	}
	return v, http.StatusOK, nil
}

func (s *Server) handleActivatePage(w http.ResponseWriter, r *http.Request) error {
	v, status, err := s.newActivateView(r, r.URL.Query().Get("token"), "password")
	if err != nil {
		return err
	}
	return s.render(w, status, "activate.html", v)
}

// handleActivateAcceptForm signs an existing account in on its
// invitation's link, accepts the invitation, and starts a session in the
// organization that invited it.
func (s *Server) handleActivateAcceptForm(w http.ResponseWriter, r *http.Request) error {
	token := r.PostFormValue("token")
	code := strings.Join(strings.Fields(r.PostFormValue("otp")), "")
	out, err := s.Service.SignInToAccept(r.Context(), token, r.PostFormValue("password"), code)
	if err == nil {
		s.setSessionCookie(w, out.Token)
		http.Redirect(w, r, "/dashboard?notice=joined", http.StatusSeeOther)
		return nil
	}
	switch keyhouse.ErrorCode(err) {
	case keyhouse.ECREDENTIALS, keyhouse.ETHROTTLED, keyhouse.EUNAVAILABLE, keyhouse.ENOTFOUND:
	default:
		return err
	}
	v, status, verr := s.newActivateView(r, token, "accept")
	if verr != nil {
		return verr
	}
	if v.Step == "accept" {
		v.Alert, status = pageMessage(err), statusOf[keyhouse.ErrorCode(err)]
	}
	return s.render(w, status, "activate.html", v)
}

func (s *Server) handleActivateForm(w http.ResponseWriter, r *http.Request) error {
	v, status, err := s.newActivateView(r, r.PostFormValue("token"), "password")
	if err != nil || v.Step != "password" { // dead, or an account now: say so
		if err == nil {
			err = s.render(w, status, "activate.html", v)
		}
		return err
	}
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("password2") {
		v.Errors = map[string]string{"password2": "The two passwords do not match."}
		return s.render(w, http.StatusUnprocessableEntity, "activate.html", v)
	}
	enr, err := s.Service.Activate(r.Context(), v.Token, pw)
	if formError(err) {
		v.Errors = fieldErrors(err, &v.chrome, "password")
		return s.render(w, statusOf[keyhouse.ErrorCode(err)], "activate.html", v)
	} else if err != nil {
		return err
	}
	v.Step, v.Secret, v.URI = "enrol", enr.TOTPSecret, enr.OTPAuthURI
	if v.QR, err = qrDataURL(enr.OTPAuthURI); err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "activate.html", v)
}

func (s *Server) handleActivateConfirmForm(w http.ResponseWriter, r *http.Request) error {
	code := r.PostFormValue("otp")
	out, err := s.Service.ConfirmActivationSignIn(r.Context(), r.PostFormValue("token"), code)
	if err == nil && out != nil { // activation ends signed in (README, Choices)
		s.setSessionCookie(w, out.Token)
		http.Redirect(w, r, "/dashboard?notice=welcome", http.StatusSeeOther)
		return nil
	} else if err == nil {
		http.Redirect(w, r, "/login?m=activated", http.StatusSeeOther)
		return nil
	}
	if !formError(err) {
		return err
	}
	// Show the enrolment again. The secret and URI come back from the
	// form only to be shown to the person who sent them.
	v := activateView{
		chrome: chrome{Title: "Activate your account", Narrow: true}, Token: r.PostFormValue("token"), Step: "enrol",
		Secret: r.PostFormValue("secret"), URI: r.PostFormValue("uri"),
	}
	v.Errors = fieldErrors(err, &v.chrome, "otp")
	if qr, qerr := qrDataURL(v.URI); qerr == nil {
		v.QR = qr
	}
	return s.render(w, statusOf[keyhouse.ErrorCode(err)], "activate.html", v)
}

// qrDataURL draws an otpauth URI as a QR code, a PNG in a data: URL (the
// CSP allows img-src data:), so that no image route holds the secret.
func qrDataURL(uri string) (template.URL, error) {
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return "", fmt.Errorf("otpauth uri: %w", err)
	}
	img, err := key.Image(232, 232)
	if err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", fmt.Errorf("qr png: %w", err)
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())), nil
}
