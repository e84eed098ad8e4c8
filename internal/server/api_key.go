package server

import (
	"net/http"
	"time"

	"keyhouse"
	"keyhouse/internal/service"
)

func (s *Server) handleKeyCreate(w http.ResponseWriter, r *http.Request) error {
	env, err := pathEnv(r)
	if err != nil {
		return err
	}
	var req keyCreateRequest
	if err := decodeOptional(r, &req); err != nil {
		return err
	}
	kr := service.KeyRequest{Description: req.Description}
	if kr.ExpiresAt, err = parseExpiry(req.ExpiresAt); err != nil {
		return err
	}
	if kr.AllowedCIDRs, err = keyhouse.ParseCIDRs("allowed_cidrs", req.AllowedCIDRs); err != nil {
		return err
	}
	k, err := s.Service.Generate(r.Context(), env, r.PathValue("client_id"), kr)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newGeneratedKeyResponse(k))
	return nil
}

// parseExpiry reads expires_at: absent or null for none, else RFC 3339.
func parseExpiry(s *string) (*time.Time, error) {
	if s == nil {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, *s)
	if err != nil {
		return nil, keyhouse.Errorf(keyhouse.EINVALID, "expires_at: must be an RFC 3339 time like 2027-01-31T00:00:00Z")
	}
	return &t, nil
}

func (s *Server) handleKeyUpdate(w http.ResponseWriter, r *http.Request) error {
	env, err := pathEnv(r)
	if err != nil {
		return err
	}
	var req keyUpdateRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Description == nil && req.AllowedCIDRs == nil {
		return keyhouse.Errorf(keyhouse.EINVALID, "description: is required (use \"\" to clear it), unless allowed_cidrs is given")
	}
	ch := service.KeyChanges{Description: req.Description}
	if req.AllowedCIDRs != nil {
		cidrs, err := keyhouse.ParseCIDRs("allowed_cidrs", *req.AllowedCIDRs)
		if err != nil {
			return err
		}
		ch.AllowedCIDRs = &cidrs
	}
	k, err := s.Service.UpdateKey(r.Context(), env, r.PathValue("client_id"), r.PathValue("key_id"), ch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newKeyResponse(k))
	return nil
}

func (s *Server) handleKeyRoll(w http.ResponseWriter, r *http.Request) error {
	env, err := pathEnv(r)
	if err != nil {
		return err
	}
	var req keyRollRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	max := int64(keyhouse.MaxGrace / time.Second)
	if req.GraceSeconds == nil || *req.GraceSeconds < 0 || *req.GraceSeconds > max {
		return keyhouse.Errorf(keyhouse.EINVALID, "grace_seconds: is required, 0 to %d", max)
	}
	k, err := s.Service.RollKey(r.Context(), env, r.PathValue("client_id"), r.PathValue("key_id"),
		time.Duration(*req.GraceSeconds)*time.Second)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newRolledKeyResponse(k))
	return nil
}
