package server

import (
	"net/http"
	"time"

	"keyhouse"
)

// invitationJSON is the answer of GET /api/v1/invitations/{token}.
type invitationJSON struct {
	OrganizationName string         `json:"organization_name"`
	Email            string         `json:"email"`
	Roles            keyhouse.Roles `json:"roles"`
	AccountExists    bool           `json:"account_exists"`
	ExpiresAt        time.Time      `json:"expires_at"`
}

// acceptedInvitationJSON is the answer of POST /api/v1/invitations/{token}/accept.
type acceptedInvitationJSON struct {
	OrganizationID   string         `json:"organization_id"`
	OrganizationName string         `json:"organization_name"`
	Roles            keyhouse.Roles `json:"roles"`
}

func (s *Server) handleInvitation(w http.ResponseWriter, r *http.Request) error {
	inv, err := s.Service.LookUpInvitation(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, invitationJSON{
		OrganizationName: inv.OrganizationName, Email: inv.Email, Roles: inv.Roles,
		AccountExists: inv.AccountExists, ExpiresAt: inv.ExpiresAt.UTC(),
	})
	return nil
}

func (s *Server) handleInvitationAccept(w http.ResponseWriter, r *http.Request) error {
	out, err := s.Service.AcceptInvitation(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, acceptedInvitationJSON{
		OrganizationID: out.OrganizationID, OrganizationName: out.OrganizationName, Roles: out.Roles,
	})
	return nil
}
