package server

import (
	"encoding/json"
	"time"

	"keyhouse"
)

// organizationResponse is an organization with its key policy: GET and
// PATCH /api/v1/organization, and the organization of GET /api/v1/me.
type organizationResponse struct {
	ID        string            `json:"organization_id"`
	Name      string            `json:"name"`
	State     keyhouse.OrgState `json:"state"`
	CreatedAt time.Time         `json:"created_at"`
	// MaxKeyLifetimeDays caps new keys' expiry; null for none.
	MaxKeyLifetimeDays *int `json:"max_key_lifetime_days"`
}

func newOrganizationResponse(o *keyhouse.Organization) organizationResponse {
	return organizationResponse{ID: o.ID, Name: o.Name, State: o.State, CreatedAt: o.CreatedAt, MaxKeyLifetimeDays: o.MaxKeyLifetimeDays}
}

// organizationUpdateRequest sets the organization's maximum key lifetime.
// The field is required and may be null (none), so it is read raw:
// absent and null differ.
type organizationUpdateRequest struct {
	MaxKeyLifetimeDays json.RawMessage `json:"max_key_lifetime_days"`
}
