package server

import (
	"time"

	"keyhouse"
)

// invitationResponse is the answer of GET /api/v1/invitations/{token}.
type invitationResponse struct {
	OrganizationName string         `json:"organization_name"`
	Email            string         `json:"email"`
	Roles            keyhouse.Roles `json:"roles"`
	AccountExists    bool           `json:"account_exists"`
	ExpiresAt        time.Time      `json:"expires_at"`
}

// acceptedInvitationResponse is the answer of POST /api/v1/invitations/{token}/accept.
type acceptedInvitationResponse struct {
	OrganizationID   string         `json:"organization_id"`
	OrganizationName string         `json:"organization_name"`
	Roles            keyhouse.Roles `json:"roles"`
}
