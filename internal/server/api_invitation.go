package server

import "net/http"

func (s *Server) handleInvitation(w http.ResponseWriter, r *http.Request) error {
	inv, err := s.Service.LookUpInvitation(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, invitationResponse{
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
	writeJSON(w, http.StatusOK, acceptedInvitationResponse{
		OrganizationID: out.OrganizationID, OrganizationName: out.OrganizationName, Roles: out.Roles,
	})
	return nil
}
