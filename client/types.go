package client

import "time"

// The shapes of keyhouse's answers, as the OpenAPI document
// (GET /api/v1/openapi.json) describes them. Times are UTC.

// SignIn is what a person types to sign in. OrganizationID chooses the
// organization when the account belongs to several.
type SignIn struct {
	Email          string `json:"email"`
	Password       string `json:"password"`
	OTP            string `json:"otp"`
	OrganizationID string `json:"organization_id,omitempty"`
}

// Session is a signed-in session; Token is its bearer token.
type Session struct {
	Token          string    `json:"token"`
	ExpiresAt      time.Time `json:"expires_at"`
	OrganizationID string    `json:"organization_id"`
	Roles          []string  `json:"roles"`
}

// Organization is a tenant.
type Organization struct {
	ID        string    `json:"organization_id"`
	Name      string    `json:"name"`
	State     string    `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	// MaxKeyLifetimeDays caps new keys' expiry, in days; nil for none.
	MaxKeyLifetimeDays *int `json:"max_key_lifetime_days"`
}

// Permissions says what the signed-in user may do.
type Permissions struct {
	ViewKeys    bool `json:"view_keys"`
	InitClient  bool `json:"init_client"`
	ManageKeys  bool `json:"manage_keys"`
	ManageUsers bool `json:"manage_users"`
	Audit       bool `json:"audit"`
}

// Me is the signed-in user, its organization and roles.
type Me struct {
	UserID       string        `json:"user_id"`
	Email        string        `json:"email"`
	Organization *Organization `json:"organization"`
	Roles        []string      `json:"roles"`
	Permissions  Permissions   `json:"permissions"`
}

// Events counts the events received for one client.
type Events struct {
	Today          int64      `json:"today"`
	Last7Days      int64      `json:"last_7_days"`
	Total          int64      `json:"total"`
	LastReceivedAt *time.Time `json:"last_received_at"`
}

// IntegrationClient is an integration identity (a "client" in keyhouse's
// words) with, in a client list, its keys and data-received counts.
type IntegrationClient struct {
	ClientID      string     `json:"client_id"`
	Name          string     `json:"name"`
	Environment   string     `json:"environment"`
	InitializedAt *time.Time `json:"initialized_at"`
	Keys          []Key      `json:"keys,omitempty"`
	Events        *Events    `json:"events,omitempty"`
}

// Key is an API key, without its secret.
type Key struct {
	KeyID       string     `json:"key_id"`
	SecretLast4 string     `json:"secret_last4"`
	Description *string    `json:"description"` // nil for legacy keys
	Legacy      bool       `json:"legacy"`
	CreatedAt   time.Time  `json:"created_at"`
	CreatedBy   string     `json:"created_by"`
	LastUsedAt  *time.Time `json:"last_used_at"`
	ExpiresAt   *time.Time `json:"expires_at"` // nil: never
	// AllowedCIDRs are the client addresses the key works from; empty for
	// anywhere.
	AllowedCIDRs []string `json:"allowed_cidrs"`
	ReplacedBy   *string  `json:"replaced_by"` // the key a roll made in its place
	Expired      bool     `json:"expired"`     // whether it had expired when listed
}

// GeneratedKey is a new key: the only answer that holds its secret.
// APIKey is the HTTP Basic credential (base64 of key id ":" secret).
type GeneratedKey struct {
	KeyID        string     `json:"key_id"`
	APIKey       string     `json:"api_key"`
	Secret       string     `json:"secret"`
	Description  *string    `json:"description"`
	CreatedAt    time.Time  `json:"created_at"`
	ExpiresAt    *time.Time `json:"expires_at"` // nil: never
	AllowedCIDRs []string   `json:"allowed_cidrs"`
}

// RolledKey is a roll's answer: the new key (its secret in this answer
// only), the key it replaces, and when that one stops working.
type RolledKey struct {
	GeneratedKey
	Replaces        string    `json:"replaces"`
	OldKeyExpiresAt time.Time `json:"old_key_expires_at"`
}

// KeyOptions is what a new key may carry besides its description: an
// expiry (nil: never, or the organization's maximum lifetime) and the
// client addresses it works from (CIDR ranges or addresses; none:
// anywhere).
type KeyOptions struct {
	Description  string
	ExpiresAt    *time.Time
	AllowedCIDRs []string
}

// Member is a user as seen from the organization. ActivationURL and
// EmailSent are set in the answers to an invitation or a password reset:
// the link to pass on when keyhouse sends no e-mail.
type Member struct {
	ID            string    `json:"id"`
	Email         string    `json:"email"`
	Roles         []string  `json:"roles"`
	Status        string    `json:"status"`
	CreatedAt     time.Time `json:"created_at"`
	ActivationURL string    `json:"activation_url,omitempty"`
	EmailSent     bool      `json:"email_sent,omitempty"`
}

// AuditEvent is one event of the security audit report.
type AuditEvent struct {
	ID             int64     `json:"id"`
	Time           time.Time `json:"time"`
	OrganizationID string    `json:"organization_id"`
	Environment    string    `json:"environment,omitempty"`
	Actor          string    `json:"actor"`
	Action         string    `json:"action"`
	Target         string    `json:"target"`
	IP             string    `json:"ip"`
	UserAgent      string    `json:"user_agent"`
}

// AuditPage is one page of the report, newest first; NextCursor, when
// not "", is AuditQuery.Cursor for the next (older) page.
type AuditPage struct {
	Events     []AuditEvent `json:"audit_events"`
	NextCursor string       `json:"next_cursor"`
}

// AuditQuery filters the audit report; zero fields do not filter.
type AuditQuery struct {
	From, To time.Time
	Action   string
	Cursor   string
	Limit    int // 1 to 1000; 0: keyhouse's default (100)
}

// Created is a new organization and its first Owner's activation link
// (ActivationURL; EmailSent instead when keyhouse e-mailed it).
type Created struct {
	OrganizationID string `json:"organization_id"`
	ActivationURL  string `json:"activation_url,omitempty"`
	EmailSent      bool   `json:"email_sent,omitempty"`
}

// Enrolment is the TOTP secret to add to an authenticator app.
type Enrolment struct {
	TOTPSecret string `json:"totp_secret"`
	OTPAuthURI string `json:"otpauth_uri"`
}

// Accepted is the intake's answer: the ids of the stored events.
type Accepted struct {
	Accepted int      `json:"accepted"`
	IDs      []string `json:"ids"`
}
