package keyhouse

import "time"

// KeyDay is how many requests were authenticated with one API key (token
// and introspection requests) on one UTC day.
type KeyDay struct {
	OrgID       string
	Environment Environment
	ClientID    string
	KeyID       string
	Day         time.Time // the UTC midnight that starts the day
	Count       int64
}

// ClientDay is how many events one client's integrations sent on one UTC
// day.
type ClientDay struct {
	ClientID string
	Day      time.Time // the UTC midnight that starts the day
	Count    int64
}
