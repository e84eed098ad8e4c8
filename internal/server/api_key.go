package server

import (
	"encoding/json"
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
	var req struct {
		Description  string   `json:"description"`
		ExpiresAt    *string  `json:"expires_at"`
		AllowedCIDRs []string `json:"allowed_cidrs"`
	}
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
	writeJSON(w, http.StatusCreated, k)
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
	var req struct {
		Description  *string   `json:"description"`
		AllowedCIDRs *[]string `json:"allowed_cidrs"`
	}
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
	writeJSON(w, http.StatusOK, k)
	return nil
}

func (s *Server) handleKeyRoll(w http.ResponseWriter, r *http.Request) error {
	env, err := pathEnv(r)
	if err != nil {
		return err
	}
	var req struct {
		GraceSeconds *int64 `json:"grace_seconds"`
	}
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
	writeJSON(w, http.StatusCreated, k)
	return nil
}

func (s *Server) handleOrganization(w http.ResponseWriter, r *http.Request) error {
	o, err := s.Service.Organization(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (s *Server) handleOrganizationUpdate(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		MaxKeyLifetimeDays json.RawMessage `json:"max_key_lifetime_days"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	days, err := parseLifetime(req.MaxKeyLifetimeDays)
	if err != nil {
		return err
	}
	o, err := s.Service.SetMaxKeyLifetime(r.Context(), days)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

// parseLifetime reads max_key_lifetime_days: required, null or a whole
// number of days.
func parseLifetime(raw json.RawMessage) (*int, error) {
	if raw == nil {
		return nil, keyhouse.Errorf(keyhouse.EINVALID, "max_key_lifetime_days: is required (null for none)")
	}
	var days *int
	if err := json.Unmarshal(raw, &days); err != nil {
		return nil, keyhouse.Errorf(keyhouse.EINVALID, "max_key_lifetime_days: must be null or a whole number of days")
	}
	return days, nil
}
