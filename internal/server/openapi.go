package server

import (
	_ "embed"
	"net/http"
)

// openAPIDocument is the OpenAPI 3.1 description of every route in
// APIRoutes. To add a route: register it on api in routes.go and describe
// it under "paths" in openapi.json, its shapes under components/schemas
// (see model.go); TestOpenAPIRoutes fails until both are done, and the
// API tests check every answer against the document
// (internal/openapitest).
//
//go:embed openapi.json
var openAPIDocument []byte

// handleOpenAPI serves the OpenAPI document: public, and cacheable for
// five minutes (it changes only with the binary).
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, err := w.Write(openAPIDocument)
	return err
}

// OpenAPI returns the OpenAPI document that GET /api/v1/openapi.json
// serves. The caller must not modify it.
func OpenAPI() []byte { return openAPIDocument }
