package server

import (
	"encoding/json"
	"net/http"

	"keyhouse"
)

func (s *Server) handleOrganization(w http.ResponseWriter, r *http.Request) error {
	o, err := s.Service.Organization(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newOrganizationResponse(o))
	return nil
}

func (s *Server) handleOrganizationUpdate(w http.ResponseWriter, r *http.Request) error {
	var req organizationUpdateRequest
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
	writeJSON(w, http.StatusOK, newOrganizationResponse(o))
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
