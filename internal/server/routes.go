package server

import "net/http"

// routes returns every route of the server, on one screen.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	h := s.handle // public
	a := s.authed // needs a session

	mux.Handle("GET /healthz", h(s.handleHealth))

	mux.Handle("POST /as/token", h(s.handleToken))
	mux.Handle("POST /oauth2/token", h(s.handleToken))
	mux.Handle("POST /oauth2/introspect", h(s.handleIntrospect))
	mux.Handle("GET /.well-known/jwks.json", h(s.handleJWKS))
	mux.Handle("GET /.well-known/oauth-authorization-server", h(s.handleMetadata))
	mux.Handle("POST /v1/events", h(s.handleEvents))

	mux.Handle("POST /api/v1/setup", h(s.handleSetup))
	mux.Handle("POST /api/v1/activations", h(s.handleActivate))
	mux.Handle("POST /api/v1/activations/confirm", h(s.handleActivateConfirm))
	mux.Handle("POST /api/v1/sessions", h(s.handleSignIn))
	mux.Handle("DELETE /api/v1/sessions/current", a(s.handleSignOut))
	mux.Handle("GET /api/v1/me", a(s.handleMe))

	mux.Handle("GET /api/v1/environments/{env}/clients", a(s.handleClientList))
	mux.Handle("POST /api/v1/environments/{env}/clients", a(s.handleClientCreate))
	mux.Handle("GET /api/v1/environments/{env}/summary", a(s.handleSummary))
	mux.Handle("POST /api/v1/environments/{env}/clients/{client_id}/keys", a(s.handleKeyCreate))
	mux.Handle("PATCH /api/v1/environments/{env}/clients/{client_id}/keys/{key_id}", a(s.handleKeyUpdate))
	mux.Handle("DELETE /api/v1/environments/{env}/clients/{client_id}/keys/{key_id}", a(s.handleKeyDelete))

	mux.Handle("GET /api/v1/users", a(s.handleUserList))
	mux.Handle("POST /api/v1/users", a(s.handleUserInvite))
	mux.Handle("PATCH /api/v1/users/{id}", a(s.handleUserUpdate))
	mux.Handle("DELETE /api/v1/users/{id}", a(s.handleUserRemove))
	mux.Handle("POST /api/v1/users/{id}/password-reset", a(s.handleUserReset))

	mux.Handle("GET /api/v1/audit-events", a(s.handleAuditList))

	// Cookies are for the console: cross-origin state changes are refused.
	return s.logRequests(http.NewCrossOriginProtection().Handler(mux))
}
