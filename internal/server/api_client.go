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
	if cs == nil {
		cs = []*keyhouse.ClientDetail{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"clients": cs})
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
	if cs == nil {
		cs = []*keyhouse.ClientSummary{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"clients": cs})
	return nil
}

func (s *Server) handleClientCreate(w http.ResponseWriter, r *http.Request) error {
	env, err := pathEnv(r)
	if err != nil {
		return err
	}
	var req struct {
		Name string `json:"name"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	c, err := s.Service.InitClient(r.Context(), env, req.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) handleKeyDelete(w http.ResponseWriter, r *http.Request) error {
	env, err := pathEnv(r)
	if err != nil {
		return err
	}
	var req struct {
		ConfirmClientID string `json:"confirm_client_id"`
	}
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
