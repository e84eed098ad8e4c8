package server

import (
	"time"

	"keyhouse"
	"keyhouse/internal/service"
)

// signInRequest is POST /api/v1/sessions: e-mail, password, TOTP code, and
// the organization when the account has several.
type signInRequest struct {
	Email          string `json:"email"`
	Password       string `json:"password"`
	OTP            string `json:"otp"`
	OrganizationID string `json:"organization_id"`
}

func (r *signInRequest) service() service.SignInRequest {
	return service.SignInRequest{Email: r.Email, Password: r.Password, OTP: r.OTP, OrganizationID: r.OrganizationID}
}

// sessionResponse is a new session; the token is shown once.
type sessionResponse struct {
	Token          string         `json:"token"`
	ExpiresAt      time.Time      `json:"expires_at"`
	OrganizationID string         `json:"organization_id"`
	Roles          keyhouse.Roles `json:"roles"`
}

func newSessionResponse(s *service.SignedIn) sessionResponse {
	return sessionResponse{Token: s.Token, ExpiresAt: s.ExpiresAt, OrganizationID: s.OrganizationID, Roles: s.Roles}
}

// permissionsResponse says what the caller may do, for clients that hide
// what the user may not do.
type permissionsResponse struct {
	ViewKeys    bool `json:"view_keys"`
	InitClient  bool `json:"init_client"`
	ManageKeys  bool `json:"manage_keys"`
	ManageUsers bool `json:"manage_users"`
	Audit       bool `json:"audit"`
}

// meResponse is GET /api/v1/me: the user, organization, roles.
type meResponse struct {
	UserID       string                `json:"user_id"`
	Email        string                `json:"email"`
	Organization *organizationResponse `json:"organization"`
	Roles        keyhouse.Roles        `json:"roles"`
	Permissions  permissionsResponse   `json:"permissions"`
}

func newMeResponse(me *service.Me) meResponse {
	out := meResponse{UserID: me.UserID, Email: me.Email, Roles: me.Roles, Permissions: permissionsResponse(me.Permissions)}
	if o := me.Organization; o != nil {
		org := newOrganizationResponse(o)
		out.Organization = &org
	}
	return out
}

// setupRequest creates the first organization with a setup link's token.
type setupRequest struct {
	Token            string `json:"token"`
	OrganizationName string `json:"organization_name"`
	OwnerEmail       string `json:"owner_email"`
}

// createdOrganizationResponse is a new organization and its Owner's activation link
// (or "email_sent", or the reason the e-mail failed).
type createdOrganizationResponse struct {
	OrganizationID string `json:"organization_id"`
	ActivationURL  string `json:"activation_url,omitempty"`
	EmailSent      bool   `json:"email_sent,omitempty"`
	MailError      string `json:"mail_error,omitempty"`
}

func newCreatedOrganizationResponse(c *service.CreatedOrg) createdOrganizationResponse {
	return createdOrganizationResponse{OrganizationID: c.OrganizationID, ActivationURL: c.ActivationURL, EmailSent: c.EmailSent, MailError: c.MailError}
}

// activateRequest sets a new account's password from an activation link.
type activateRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// enrolmentResponse is the TOTP secret to add to an authenticator app.
type enrolmentResponse struct {
	TOTPSecret string `json:"totp_secret"`
	OTPAuthURI string `json:"otpauth_uri"`
}

// activateConfirmRequest confirms TOTP enrolment with a code.
type activateConfirmRequest struct {
	Token string `json:"token"`
	OTP   string `json:"otp"`
}
