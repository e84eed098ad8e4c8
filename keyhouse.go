// Package keyhouse is the domain of the keyhouse API-key service:
// organizations, users, clients, API keys and audit events, with the
// validation of their values. It imports the standard library only; every
// adapter (store, server, command line) imports it.
package keyhouse

import (
	"crypto/rand"
	"net/netip"
	"time"
)

// Environment is an integration environment. Nothing crosses environments.
type Environment string

// The two environments.
const (
	Sandbox    Environment = "sandbox"
	Production Environment = "production"
)

// Environments lists every environment in display order.
var Environments = []Environment{Sandbox, Production}

// ParseEnvironment returns the environment named s, or an EINVALID error
// naming field.
func ParseEnvironment(field, s string) (Environment, error) {
	switch Environment(s) {
	case Sandbox, Production:
		return Environment(s), nil
	}
	return "", Errorf(EINVALID, "%s: must be sandbox or production", field)
}

// OrgState is the life-cycle state of an organization.
type OrgState string

// Organization states: pending until its first Owner activates.
const (
	OrgPending OrgState = "pending"
	OrgActive  OrgState = "active"
)

// Organization is a tenant.
type Organization struct {
	ID        string
	Name      string
	State     OrgState
	CreatedAt time.Time
	// MaxKeyLifetimeDays caps the expiry of new keys; nil for none.
	MaxKeyLifetimeDays *int
}

// UserStatus is the life-cycle state of a user.
type UserStatus string

// User states: pending until the activation link is used.
const (
	UserPending UserStatus = "pending"
	UserActive  UserStatus = "active"
)

// User is a person who signs in. The e-mail address identifies the user
// and never changes. PasswordHash and TOTPSecret are sealed values that
// never leave the service.
type User struct {
	ID           string
	Email        string
	Status       UserStatus
	PasswordHash string // argon2id in PHC string form; "" until activation
	TOTPSecret   string // sealed with the server secret; "" when not enrolled
	TOTPLastStep int64  // the last accepted TOTP time step, against replay
	CreatedAt    time.Time
}

// Membership binds a user to an organization with roles. It is pending
// from the invitation until its link is used (activated by a new address,
// accepted by an existing account), and active from then on. ID names the
// membership, not the user, so that an organization never learns an id the
// account has in another organization.
type Membership struct {
	ID        string
	OrgID     string
	UserID    string
	Roles     Roles
	Status    UserStatus // pending until the invitation's link is used
	CreatedAt time.Time  // when the invitation was made
}

// Active reports whether the membership's invitation has been accepted.
func (m *Membership) Active() bool { return m.Status == UserActive }

// Member is a user as seen from one organization: ID is the membership's,
// Status is pending until the user has accepted this organization's
// invitation (and has an active account), and CreatedAt is when this
// organization invited the user.
type Member struct {
	ID        string
	Email     string
	Roles     Roles
	Status    UserStatus
	CreatedAt time.Time
}

// Client is an integration identity in one organization and environment.
type Client struct {
	ClientID      string
	OrgID         string
	Name          string
	Environment   Environment
	InitializedAt *time.Time
	CreatedAt     time.Time
}

// Initialized reports whether keys may be generated for the client.
func (c *Client) Initialized() bool { return c.InitializedAt != nil }

// APIKey is a credential of one client. The secret is never stored: only
// its HMAC (SecretHash) and its last four characters.
type APIKey struct {
	KeyID       string
	OrgID       string
	Environment Environment
	ClientID    string
	SecretHash  []byte
	SecretLast4 string
	Description *string // nil for legacy keys
	Legacy      bool
	CreatedAt   time.Time
	CreatedBy   string
	LastUsedAt  *time.Time
	// ExpiresAt is when the key stops working; nil for never.
	ExpiresAt *time.Time
	// AllowedCIDRs are the client addresses the key works from; empty
	// for anywhere.
	AllowedCIDRs []netip.Prefix
	// ReplacedBy is the key that a roll made in this key's place.
	ReplacedBy *string
	// Expired is set in listings: whether the key had expired then.
	Expired bool
	// RemindedDays is the last expiry reminder sent (7, then 1); 0 none.
	RemindedDays int
}

// EventSummary counts the events received for one client.
type EventSummary struct {
	Today          int64
	Last7Days      int64
	Total          int64
	LastReceivedAt *time.Time
}

// Session is a signed-in user in one organization. The token itself is
// never stored: TokenHash is its SHA-256.
type Session struct {
	TokenHash  []byte
	UserID     string
	OrgID      string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute end, whatever the activity
}

// Session lifetimes.
const (
	SessionIdle     = 15 * time.Minute
	SessionAbsolute = 12 * time.Hour
)

// Link purposes: what a one-time link lets its holder do.
const (
	LinkSetup      = "setup"      // create the first organization
	LinkActivation = "activation" // set a password and enrol TOTP
)

// Link is a one-time, expiring link token (setup, activation). Only the
// hash of the token is stored.
type Link struct {
	TokenHash []byte
	Purpose   string
	UserID    string
	OrgID     string
	IssuedBy  string // the user id of the member who made it; "" for the command line and setup
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// ActivationTTL is how long an activation link stays valid.
const ActivationTTL = 7 * 24 * time.Hour

// AuditEvent is an append-only record of a security-relevant action.
type AuditEvent struct {
	ID          int64
	Time        time.Time
	OrgID       string
	Environment Environment
	Actor       string
	Action      string
	Target      string
	IP          string
	UserAgent   string
}

// Audit actions.
const (
	ActionSigninSucceeded    = "signin.succeeded"
	ActionSigninFailed       = "signin.failed"
	ActionSigninUnlocked     = "signin.unlocked"
	ActionUserInvited        = "user.invited"
	ActionInvitationAccepted = "invitation.accepted"
	ActionInvitationResent   = "invitation.resent"
	ActionUserActivated      = "user.activated"
	ActionUserUpdated        = "user.updated"
	ActionUserRemoved        = "user.removed"
	ActionUserPasswordReset  = "user.password_reset"
	ActionClientInitialized  = "client.initialized"
	ActionKeyCreated         = "api_key.created"
	ActionKeyUpdated         = "api_key.updated"
	ActionKeyDeleted         = "api_key.deleted"
	ActionKeyImported        = "api_key.imported"
	ActionKeyRolled          = "api_key.rolled"
	ActionKeyRefusedAddress  = "api_key.refused_address"
	ActionOrgUpdated         = "organization.updated"
	ActionSigningKeyRotated  = "signing_key.rotated"
	ActionSigningKeyRevoked  = "signing_key.revoked"
	ActionOrgCreated         = "organization.created"
	// Deployment-wide (organization-less) events of the operator's resource-server credentials.
	ActionResourceServerCreated = "resource_server.created"
	ActionResourceServerDeleted = "resource_server.deleted"
)

// AuditFilter selects audit events. Zero fields do not filter. Events come
// newest first; Before, when set, is the cursor: only IDs below it.
type AuditFilter struct {
	OrgID  string
	From   time.Time
	To     time.Time
	Action string
	Before int64
	Limit  int
}

// NewID returns prefix + "_" + 20 random base62 characters.
func NewID(prefix string) string {
	return prefix + "_" + RandomBase62(20)
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// RandomBase62 returns n characters drawn uniformly from [0-9A-Za-z] with
// crypto/rand.
func RandomBase62(n int) string {
	out := make([]byte, n)
	buf := make([]byte, n+n/2)
	for i := 0; i < n; {
		rand.Read(buf)
		for _, b := range buf {
			if b >= 248 { // 248 = 4*62: reject to keep the draw uniform
				continue
			}
			out[i] = base62[b%62]
			if i++; i == n {
				break
			}
		}
	}
	return string(out)
}

// Throttle is the failed sign-in record of one subject (an account or a
// source IP): how many failures in a row, and until when it is locked.
type Throttle struct {
	Key         string
	Failures    int
	LockedUntil time.Time
	UpdatedAt   time.Time
}

// ClientDetail is a client with its keys and its data-received summary, as
// the API Keys page shows it.
type ClientDetail struct {
	*Client
	Keys   []*APIKey
	Events EventSummary
}

// ClientSummary is a client with its data-received summary only: what
// every role may see.
type ClientSummary struct {
	*Client
	Events EventSummary
}

// Event is one record received through the intake API.
type Event struct {
	ID          string
	OrgID       string
	Environment Environment
	ClientID    string
	KeyID       string
	ReceivedAt  time.Time
	Payload     []byte // the JSON object as sent
}

// SigningKey is a token-signing key as stored: the private key sealed with
// the server secret. RetiredAt is nil while the key signs new tokens; once
// retired it only verifies until its last token expires.
type SigningKey struct {
	ID        string
	SealedKey string
	CreatedAt time.Time
	RetiredAt *time.Time
}

// NewEventIDs returns n event ids that sort by receive time: "evt_", the
// time in microseconds as 11 base62 digits, then 12 random characters.
// The random part makes an id unique without an index to enforce it
// (SQLite keeps none); where one is kept (PostgreSQL's primary key), ids
// that grow with time append to its end instead of landing at random
// places in it. The random parts of all n come from one read of
// crypto/rand.
func NewEventIDs(t time.Time, n int) []string {
	var ts [11]byte
	m := uint64(t.UnixMicro())
	for i := len(ts) - 1; i >= 0; i-- {
		ts[i] = base62[m%62]
		m /= 62
	}
	prefix, random := "evt_"+string(ts[:]), RandomBase62(12*n)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = prefix + random[12*i:12*i+12]
	}
	return ids
}
