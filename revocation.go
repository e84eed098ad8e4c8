package keyhouse

import "time"

// Revocation kinds: what an entry of the revocation feed revokes.
const (
	RevokedAPIKey     = "api_key"     // an API key was deleted: Subject is its key id
	RevokedSigningKey = "signing_key" // a signing key was revoked: Subject is its kid
)

// Revocation is one entry of the revocation feed: every key deletion and
// every revoked signing key, numbered in the order they committed.
type Revocation struct {
	ID      int64 // increases with every entry of one database
	Kind    string
	Subject string
	At      time.Time
}

// RevocationPage is a read of the revocation feed.
type RevocationPage struct {
	Entries []Revocation // after the cursor asked for, oldest first
	// Last is the cursor to ask with next: the last entry's ID, or, with
	// no entries, the cursor asked for (the newest ID when none was).
	Last int64
	// Expired reports that the cursor asked for is outside the retained
	// window (entries after it were pruned) or unknown to this database;
	// Entries is then empty.
	Expired bool
}

// ResourceServer is a credential for the product's own services: it may
// introspect any access token and read the revocation feed, nothing else.
// Its secret is stored as an HMAC only.
type ResourceServer struct {
	ID         string
	Name       string
	SecretHash []byte
	CreatedAt  time.Time
	CreatedBy  string
}
