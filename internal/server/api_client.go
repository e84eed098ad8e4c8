package server

import (
	"net/http"

	"keyhouse"
)

// pathEnv returns the {env} path value.
func pathEnv(r *http.Request) (keyhouse.Environment, error) {
	return keyhouse.ParseEnvironment("env", r.PathValue("env"))
}

func (s *Server) handleClientList(w http.ResponseWriter, r *http.Request) error {
	env, err := pathEnv(r)
	if err != nil {
		return err
	}
	cs, err := s.Service.ListClients(r.Context(), env)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newClientListResponse(cs))
	return nil
}

func (s *Server) handleSummary(w http.ResponseWriter, r *http.Request) error {
	env, err := pathEnv(r)
	if err != nil {
		return err
	}
	cs, err := s.Service.Summary(r.Context(), env)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newSummaryResponse(cs))
	return nil
}

func (s *Server) handleClientCreate(w http.ResponseWriter, r *http.Request) error {
	env, err := pathEnv(r)
	if err != nil {
		return err
	}
	var req clientCreateRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	c, err := s.Service.InitClient(r.Context(), env, req.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newClientResponse(c))
	return nil
}

func (s *Server) handleKeyDelete(w http.ResponseWriter, r *http.Request) error {
	env, err := pathEnv(r)
	if err != nil {
		return err
	}
	var req keyDeleteRequest
	// No body is no confirmation: the service answers 422 naming the field.
	if err := decodeOptional(r, &req); err != nil {
		return err
	}
	err = s.Service.DeleteKey(r.Context(), env, r.PathValue("client_id"), r.PathValue("key_id"), req.ConfirmClientID)
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
