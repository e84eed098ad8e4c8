package server

import (
	"errors"
	"net/http"
)

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, statusResponse{Status: "ok"})
	return nil
}

func (s *Server) handleSetup(w http.ResponseWriter, r *http.Request) error {
	var req setupRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	out, err := s.Service.Setup(r.Context(), req.Token, req.OrganizationName, req.OwnerEmail)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newCreatedOrganizationResponse(out))
	return nil
}

func (s *Server) handleActivate(w http.ResponseWriter, r *http.Request) error {
	var req activateRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	out, err := s.Service.Activate(r.Context(), req.Token, req.Password)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, enrolmentResponse{TOTPSecret: out.TOTPSecret, OTPAuthURI: out.OTPAuthURI})
	return nil
}

func (s *Server) handleActivateConfirm(w http.ResponseWriter, r *http.Request) error {
	var req activateConfirmRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.Service.ConfirmActivation(r.Context(), req.Token, req.OTP); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, statusResponse{Status: "active"})
	return nil
}

func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request) error {
	var req signInRequest
	// A malformed body is a failed sign-in like any other: same answer,
	// counted and audited. A body over the limit is refused for its size,
	// which says nothing about any account.
	if err := decode(r, &req); errors.Is(err, errJSONTooLarge) {
		return err
	}
	out, err := s.Service.SignIn(r.Context(), req.service())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newSessionResponse(out))
	return nil
}

func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) error {
	if err := s.Service.SignOut(r.Context()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) error {
	me, err := s.Service.Me(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newMeResponse(me))
	return nil
}
