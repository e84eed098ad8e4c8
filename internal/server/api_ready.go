package server

import (
	"net/http"

	"keyhouse"
)

// handleReady answers whether this instance can serve (SPEC §8): 200 when
// the store answers, its migrations are applied and a signing key is
// loaded; else 503 with the reason, {"code":"unavailable","message":…},
// and Retry-After. A failed check is the probe's answer, not an error of
// the server's, so it is not logged as one.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) error {
	if err := s.Service.Ready(r.Context()); err != nil { // within the store's timeout
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Code: keyhouse.EUNAVAILABLE, Message: keyhouse.ErrorMessage(err)})
		return nil
	}
	writeJSON(w, http.StatusOK, statusResponse{Status: "ready"})
	return nil
}
