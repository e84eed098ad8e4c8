package service

import (
	"context"
	"time"

	"keyhouse"
	"keyhouse/internal/dataplane"
)

// Store is the persistence the service needs. internal/sqlstore implements
// it for SQLite and PostgreSQL. Every method that finds one object answers
// a keyhouse ENOTFOUND error when there is none.
type Store interface {
	// Update runs fn in one read-write transaction: committed when fn
	// returns nil, rolled back otherwise.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in one read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error

	// FindKey returns the key with the given id, outside any transaction:
	// the token endpoint's look-up.
	FindKey(ctx context.Context, keyID string) (*keyhouse.APIKey, error)
	// FindKeyByHash returns the key whose SecretHash is hash (legacy keys).
	FindKeyByHash(ctx context.Context, hash []byte) (*keyhouse.APIKey, error)
	// ForEachKey calls fn with every API key: the loading of the in-memory
	// key index.
	ForEachKey(ctx context.Context, fn func(*keyhouse.APIKey)) error
	// InsertEvents commits events durably in one transaction, with the
	// per-day counts of the data-received summary.
	InsertEvents(ctx context.Context, events []*keyhouse.Event) error
	// ListSigningKeys returns every token-signing key, oldest first.
	ListSigningKeys(ctx context.Context) ([]*keyhouse.SigningKey, error)
	// WatchChanges, TouchKeys, AddKeyDays, ListRevocations and the key
	// look-ups above are the data plane's (see dataplane.Store).
	WatchChanges(ctx context.Context, w dataplane.Watcher)
	TouchKeys(ctx context.Context, used map[string]time.Time) error
	// FindResourceServer returns the resource server with id, outside
	// any transaction: the data plane's, for the authentication of a
	// resource server.
	FindResourceServer(ctx context.Context, id string) (*keyhouse.ResourceServer, error)
	ListRevocations(ctx context.Context, after int64, limit int) (*keyhouse.RevocationPage, error)
	// AddKeyDays adds per-day request counts of API keys, in one
	// transaction (the usage flush's batch).
	AddKeyDays(ctx context.Context, counts []keyhouse.KeyDay) error
	// Ready answers EUNAVAILABLE, saying why, when the store cannot serve
	// now: it does not answer, cannot be written, or lacks migrations.
	Ready(ctx context.Context) error
}

// Tx is the set of operations available inside a transaction.
type Tx interface {
	// Lock holds a lock named by kind and id until the transaction ends,
	// for rules that read, then write (the last Owner, keys per client).
	Lock(kind, id string) error

	CreateOrg(o *keyhouse.Organization) error
	FindOrg(id string) (*keyhouse.Organization, error)
	ListOrgs() ([]*keyhouse.Organization, error)
	SetOrgState(id string, state keyhouse.OrgState) error
	// SetOrgKeyLifetime sets the maximum lifetime of new keys (nil: none).
	SetOrgKeyLifetime(id string, days *int) error

	// CreateUser answers ECONFLICT when the e-mail is taken.
	CreateUser(u *keyhouse.User) error
	FindUserByID(id string) (*keyhouse.User, error)
	FindUserByEmail(email string) (*keyhouse.User, error)
	// UpdateUser writes Status, PasswordHash, TOTPSecret and TOTPLastStep.
	UpdateUser(u *keyhouse.User) error

	// PutMembership inserts m, or replaces the roles of an existing one.
	PutMembership(m *keyhouse.Membership) error
	// ActivateMembership marks the membership's invitation accepted.
	ActivateMembership(orgID, userID string) error
	// FindMembership returns a membership, pending or active.
	FindMembership(orgID, userID string) (*keyhouse.Membership, error)
	FindMembershipByID(id string) (*keyhouse.Membership, error)
	DeleteMembership(orgID, userID string) error
	// ListMembers returns the organization's members as it sees them,
	// ordered by e-mail.
	ListMembers(orgID string) ([]*keyhouse.Member, error)
	// ListMemberships returns the user's active memberships, ordered by
	// org id; pending invitations are not among them.
	ListMemberships(userID string) ([]*keyhouse.Membership, error)
	// CountOwners counts the active users holding the owner role in orgID
	// through an active membership.
	CountOwners(orgID string) (int, error)

	CreateLink(l *keyhouse.Link) error
	FindLink(tokenHash []byte) (*keyhouse.Link, error)
	// UseLink marks an unused link used; ECONFLICT when it was used already.
	UseLink(tokenHash []byte, at time.Time) error
	// DeleteLinks removes the unused links of a purpose for a user in an
	// organization (userID "" for every user, as for setup links).
	DeleteLinks(purpose, userID, orgID string) error
	// DeleteLinksIssuedBy removes the unused links a member made in an
	// organization (issuer is the member's user id, never "").
	DeleteLinksIssuedBy(orgID, issuer string) error

	CreateSession(s *keyhouse.Session) error
	FindSession(tokenHash []byte) (*keyhouse.Session, error)
	TouchSession(tokenHash []byte, at time.Time) error
	DeleteSession(tokenHash []byte) error
	// DeleteUserSessions ends the user's sessions in orgID, or in every
	// organization when orgID is "".
	DeleteUserSessions(userID, orgID string) error

	// CreateClient answers ECONFLICT when the client ID is taken.
	CreateClient(c *keyhouse.Client) error
	FindClient(orgID string, env keyhouse.Environment, clientID string) (*keyhouse.Client, error)
	// ListClients returns the environment's clients ordered by name, then ID.
	ListClients(orgID string, env keyhouse.Environment) ([]*keyhouse.Client, error)

	// CreateKey answers ECONFLICT when the key id or secret hash is taken.
	CreateKey(k *keyhouse.APIKey) error
	FindKey(keyID string) (*keyhouse.APIKey, error)
	// ListKeys returns the environment's keys ordered by created_at, key id.
	ListKeys(orgID string, env keyhouse.Environment) ([]*keyhouse.APIKey, error)
	CountKeys(clientID string, now time.Time) (int, error) // those not expired at now
	UpdateKeyDescription(keyID string, description string) error
	// UpdateKeyPolicy writes ExpiresAt, AllowedCIDRs and ReplacedBy, and
	// tells every instance that the key changed.
	UpdateKeyPolicy(k *keyhouse.APIKey) error
	// DeleteKey deletes a key at the given time and appends it to the
	// revocation feed; other instances hear of it when the transaction
	// commits (see dataplane.Plane.Revoke for this one).
	DeleteKey(keyID string, at time.Time) error
	// ExpiringKeys returns the keys not replaced by a roll that expire in
	// (after, until], soonest first.
	ExpiringKeys(after, until time.Time) ([]*keyhouse.APIKey, error)
	// ClaimExpiryReminder records the reminder of days before a key's
	// expiry and reports whether this call claimed it (false when it, or
	// a later one, was claimed already).
	ClaimExpiryReminder(keyID string, days int) (bool, error)
	// EndedRolls returns the keys replaced by a roll whose grace ended
	// at or before now.
	EndedRolls(now time.Time) ([]*keyhouse.APIKey, error)
	// ExpiriesDue reports whether AnnounceExpiries has work at now.
	ExpiriesDue(now time.Time) (bool, error)
	// AnnounceExpiries puts the keys expired by now in the revocation
	// feed, each once, and returns their ids.
	AnnounceExpiries(now time.Time) ([]string, error)

	// EventSummaries counts received events per client ID of the
	// environment: since dayStart (today), since weekStart, and in total.
	EventSummaries(orgID string, env keyhouse.Environment, dayStart, weekStart time.Time) (map[string]keyhouse.EventSummary, error)
	// EventDays returns the per-client event counts of the days from
	// since (a UTC midnight) on; KeyDays the per-key request counts.
	EventDays(orgID string, env keyhouse.Environment, since time.Time) ([]keyhouse.ClientDay, error)
	KeyDays(orgID string, env keyhouse.Environment, since time.Time) ([]keyhouse.KeyDay, error)

	// AppendAudit inserts ev and sets its ID.
	AppendAudit(ev *keyhouse.AuditEvent) error
	// ListAudit returns events matching f, newest first, at most f.Limit.
	ListAudit(f keyhouse.AuditFilter) ([]*keyhouse.AuditEvent, error)

	// CreateSigningKey inserts k and tells every instance that the
	// signing keys changed.
	CreateSigningKey(k *keyhouse.SigningKey) error
	// HasCurrentSigningKey reports whether a signing key is not retired.
	HasCurrentSigningKey() (bool, error)
	// RetireSigningKeys retires every signing key not yet retired.
	RetireSigningKeys(at time.Time) error
	// RevokeSigningKeys deletes every signing key not yet retired,
	// appends each to the revocation feed, and returns their ids.
	RevokeSigningKeys(at time.Time) ([]string, error)
	// PruneRevocations forgets the revocation feed's entries made before
	// before; cursors before them are expired from then on.
	PruneRevocations(before time.Time) error

	// CreateResourceServer answers ECONFLICT when the id or hash is taken.
	CreateResourceServer(rs *keyhouse.ResourceServer) error
	// ListResourceServers returns every resource server, ordered by name, then id.
	ListResourceServers() ([]*keyhouse.ResourceServer, error)
	// DeleteResourceServer answers ENOTFOUND when there is none.
	DeleteResourceServer(id string) error
	// DeleteSigningKey deletes a signing key, if it is still there.
	DeleteSigningKey(kid string) error

	// FindThrottle returns the record for key, or a zero Throttle with
	// that Key when there is none (never ENOTFOUND).
	FindThrottle(key string) (keyhouse.Throttle, error)
	PutThrottle(t keyhouse.Throttle) error
	DeleteThrottle(key string) error
	// DeleteThrottles forgets every record whose key starts with prefix
	// and returns how many there were.
	DeleteThrottles(prefix string) (int, error)
	// PruneThrottles forgets the records last updated before idle whose
	// lock (if any) ended before now.
	PruneThrottles(idle, now time.Time) error
	// PruneAudit deletes the deployment-wide (organization-less) events
	// of action but the newest keep.
	PruneAudit(action string, keep int) error

	// UseSignInState records that the sealed sign-in state id is used,
	// until expires; false when it was used already.
	UseSignInState(id string, expires time.Time) (bool, error)
	// PruneSignInStates forgets the used states that expired before now.
	PruneSignInStates(now time.Time) error
}
