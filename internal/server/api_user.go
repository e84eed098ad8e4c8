package server

import (
	"net/http"
)

func (s *Server) handleUserList(w http.ResponseWriter, r *http.Request) error {
	ms, err := s.Service.ListUsers(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newUserListResponse(ms))
	return nil
}

func (s *Server) handleUserInvite(w http.ResponseWriter, r *http.Request) error {
	var req userInviteRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	out, err := s.Service.InviteUser(r.Context(), req.Email, req.Roles)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newInvitedResponse(out))
	return nil
}

func (s *Server) handleUserUpdate(w http.ResponseWriter, r *http.Request) error {
	var req userUpdateRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	m, err := s.Service.UpdateUserRoles(r.Context(), r.PathValue("id"), req.Roles)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newMemberResponse(m))
	return nil
}

func (s *Server) handleUserRemove(w http.ResponseWriter, r *http.Request) error {
	if err := s.Service.RemoveUser(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleUserReset answers the member, now pending, with the link to pass
// on, or "email_sent" when it was e-mailed.
func (s *Server) handleUserReset(w http.ResponseWriter, r *http.Request) error {
	out, err := s.Service.ResetPassword(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newInvitedResponse(out))
	return nil
}

// handleUserResend sends a pending member's invitation again, with a
// fresh link: the invite's answer.
func (s *Server) handleUserResend(w http.ResponseWriter, r *http.Request) error {
	out, err := s.Service.ResendInvitation(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newInvitedResponse(out))
	return nil
}
