package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// SignIn starts a session with e-mail, password and TOTP code; the Client
// uses it from then on.
func (c *Client) SignIn(ctx context.Context, in SignIn) (*Session, error) {
	var s Session
	if err := c.call(ctx, http.MethodPost, "/api/v1/sessions", in, &s, http.StatusCreated); err != nil {
		return nil, err
	}
	c.SetSession(s.Token)
	return &s, nil
}

// SignOut ends the session.
func (c *Client) SignOut(ctx context.Context) error {
	if err := c.call(ctx, http.MethodDelete, "/api/v1/sessions/current", nil, nil, http.StatusNoContent); err != nil {
		return err
	}
	c.SetSession("")
	return nil
}

// Me returns the signed-in user, organization, roles and permissions.
func (c *Client) Me(ctx context.Context) (*Me, error) {
	var me Me
	return &me, c.call(ctx, http.MethodGet, "/api/v1/me", nil, &me, http.StatusOK)
}

// clientsPath is the path of env's clients.
func clientsPath(env string) string {
	return "/api/v1/environments/" + url.PathEscape(env) + "/clients"
}

// keyPath is the path of a client's keys, or of one key.
func keyPath(env, clientID string, keyID ...string) string {
	p := clientsPath(env) + "/" + url.PathEscape(clientID) + "/keys"
	for _, k := range keyID {
		p += "/" + url.PathEscape(k)
	}
	return p
}

// Clients lists env's ("sandbox", "production") initialized clients with
// their keys (no secrets) and data-received counts.
func (c *Client) Clients(ctx context.Context, env string) ([]IntegrationClient, error) {
	var out struct {
		Clients []IntegrationClient `json:"clients"`
	}
	return out.Clients, c.call(ctx, http.MethodGet, clientsPath(env), nil, &out, http.StatusOK)
}

// Summary lists env's clients with their data-received counts only: what
// every role may see.
func (c *Client) Summary(ctx context.Context, env string) ([]IntegrationClient, error) {
	var out struct {
		Clients []IntegrationClient `json:"clients"`
	}
	return out.Clients, c.call(ctx, http.MethodGet, "/api/v1/environments/"+url.PathEscape(env)+"/summary", nil, &out, http.StatusOK)
}

// CreateClient initializes a client named name in env.
func (c *Client) CreateClient(ctx context.Context, env, name string) (*IntegrationClient, error) {
	var out IntegrationClient
	in := struct {
		Name string `json:"name"`
	}{name}
	return &out, c.call(ctx, http.MethodPost, clientsPath(env), in, &out, http.StatusCreated)
}

// GenerateKey makes a key for a client; its secret is in this answer only.
func (c *Client) GenerateKey(ctx context.Context, env, clientID, description string) (*GeneratedKey, error) {
	var out GeneratedKey
	in := struct {
		Description string `json:"description,omitempty"`
	}{description}
	return &out, c.call(ctx, http.MethodPost, keyPath(env, clientID), in, &out, http.StatusCreated)
}

// UpdateKey changes a key's description ("" clears it).
func (c *Client) UpdateKey(ctx context.Context, env, clientID, keyID, description string) (*Key, error) {
	var out Key
	in := struct {
		Description string `json:"description"`
	}{description}
	return &out, c.call(ctx, http.MethodPatch, keyPath(env, clientID, keyID), in, &out, http.StatusOK)
}

// DeleteKey deletes a key for good; confirmClientID must be the client ID,
// exactly, as a person types it in the console.
func (c *Client) DeleteKey(ctx context.Context, env, clientID, keyID, confirmClientID string) error {
	in := struct {
		ConfirmClientID string `json:"confirm_client_id"`
	}{confirmClientID}
	return c.call(ctx, http.MethodDelete, keyPath(env, clientID, keyID), in, nil, http.StatusNoContent)
}

// Users lists the organization's members.
func (c *Client) Users(ctx context.Context) ([]Member, error) {
	var out struct {
		Users []Member `json:"users"`
	}
	return out.Users, c.call(ctx, http.MethodGet, "/api/v1/users", nil, &out, http.StatusOK)
}

type rolesBody struct {
	Email string   `json:"email,omitempty"`
	Roles []string `json:"roles"`
}

// InviteUser invites email with roles; the member is pending until the
// invitation's link (ActivationURL, without SMTP) is used.
func (c *Client) InviteUser(ctx context.Context, email string, roles ...string) (*Member, error) {
	var out Member
	return &out, c.call(ctx, http.MethodPost, "/api/v1/users", rolesBody{email, roles}, &out, http.StatusCreated)
}

// UpdateUser replaces a member's roles.
func (c *Client) UpdateUser(ctx context.Context, id string, roles ...string) (*Member, error) {
	var out Member
	return &out, c.call(ctx, http.MethodPatch, "/api/v1/users/"+url.PathEscape(id), rolesBody{Roles: roles}, &out, http.StatusOK)
}

// RemoveUser removes a member from the organization.
func (c *Client) RemoveUser(ctx context.Context, id string) error {
	return c.call(ctx, http.MethodDelete, "/api/v1/users/"+url.PathEscape(id), nil, nil, http.StatusNoContent)
}

// AuditEvents returns one page of the security audit report.
func (c *Client) AuditEvents(ctx context.Context, q AuditQuery) (*AuditPage, error) {
	v := url.Values{}
	for name, t := range map[string]time.Time{"from": q.From, "to": q.To} {
		if !t.IsZero() {
			v.Set(name, t.UTC().Format(time.RFC3339))
		}
	}
	for name, s := range map[string]string{"action": q.Action, "cursor": q.Cursor} {
		if s != "" {
			v.Set(name, s)
		}
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	path := "/api/v1/audit-events"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var out AuditPage
	return &out, c.call(ctx, http.MethodGet, path, nil, &out, http.StatusOK)
}

// Setup creates the first organization of a new deployment with the
// token of the setup link that keyhouse serve printed; the token is spent.
func (c *Client) Setup(ctx context.Context, token, organizationName, ownerEmail string) (*Created, error) {
	in := struct {
		Token            string `json:"token"`
		OrganizationName string `json:"organization_name"`
		OwnerEmail       string `json:"owner_email"`
	}{token, organizationName, ownerEmail}
	var out Created
	return &out, c.call(ctx, http.MethodPost, "/api/v1/setup", in, &out, http.StatusCreated)
}

// Activate sets a new account's password with the token of its activation
// link, and starts TOTP enrolment; ConfirmActivation ends it.
func (c *Client) Activate(ctx context.Context, token, password string) (*Enrolment, error) {
	in := struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}{token, password}
	var out Enrolment
	return &out, c.call(ctx, http.MethodPost, "/api/v1/activations", in, &out, http.StatusOK)
}

// ConfirmActivation confirms TOTP enrolment with a code: the account (and
// a pending organization's first Owner, the organization) becomes active.
func (c *Client) ConfirmActivation(ctx context.Context, token, otp string) error {
	in := struct {
		Token string `json:"token"`
		OTP   string `json:"otp"`
	}{token, otp}
	return c.call(ctx, http.MethodPost, "/api/v1/activations/confirm", in, nil, http.StatusOK)
}

// ResetPassword sends a member a password reset: the member is pending
// until the link (ActivationURL, without SMTP) is used.
func (c *Client) ResetPassword(ctx context.Context, id string) (*Member, error) {
	var out Member
	return &out, c.call(ctx, http.MethodPost, "/api/v1/users/"+url.PathEscape(id)+"/password-reset", nil, &out, http.StatusOK)
}

// ResendInvitation sends a pending member's invitation again, with a
// fresh link.
func (c *Client) ResendInvitation(ctx context.Context, id string) (*Member, error) {
	var out Member
	return &out, c.call(ctx, http.MethodPost, "/api/v1/users/"+url.PathEscape(id)+"/invitation", nil, &out, http.StatusOK)
}
