package dataplane

import (
	"keyhouse"
	"keyhouse/internal/token"
)

// Grant is what a verified access token allows: sending data as one key
// of one client.
type Grant struct {
	KeyID    string
	OrgID    string
	ClientID string
	Env      keyhouse.Environment
	Scope    string
	Claims   token.Claims
}
