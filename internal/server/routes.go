package server

import "net/http"

// routes returns every route of the server, on one screen.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	h := s.handle // public
	a := s.authed // needs a session

	mux.Handle("GET /healthz", h(s.handleHealth))
	mux.Handle("GET /metrics", h(s.handleMetrics))
	mux.Handle("GET /readyz", h(s.handleReady))

	mux.Handle("POST /as/token", h(s.handleToken))
	mux.Handle("POST /oauth2/token", h(s.handleToken))
	mux.Handle("POST /oauth2/introspect", h(s.handleIntrospect))
	mux.Handle("GET /.well-known/jwks.json", h(s.handleJWKS))
	mux.Handle("GET /.well-known/oauth-authorization-server", h(s.handleMetadata))
	mux.Handle("POST /v1/events", h(s.handleEvents))
	mux.Handle("GET /v1/revocations", h(s.handleRevocations)) // resource servers only

	mux.Handle("POST /api/v1/setup", h(s.handleSetup))
	mux.Handle("POST /api/v1/activations", h(s.handleActivate))
	mux.Handle("POST /api/v1/activations/confirm", h(s.handleActivateConfirm))
	mux.Handle("GET /api/v1/invitations/{token}", h(s.handleInvitation))
	mux.Handle("POST /api/v1/invitations/{token}/accept", a(s.handleInvitationAccept))
	mux.Handle("POST /api/v1/sessions", h(s.handleSignIn))
	mux.Handle("DELETE /api/v1/sessions/current", a(s.handleSignOut))
	mux.Handle("GET /api/v1/me", a(s.handleMe))

	mux.Handle("GET /api/v1/environments/{env}/clients", a(s.handleClientList))
	mux.Handle("POST /api/v1/environments/{env}/clients", a(s.handleClientCreate))
	mux.Handle("GET /api/v1/environments/{env}/summary", a(s.handleSummary))
	mux.Handle("POST /api/v1/environments/{env}/clients/{client_id}/keys", a(s.handleKeyCreate))
	mux.Handle("PATCH /api/v1/environments/{env}/clients/{client_id}/keys/{key_id}", a(s.handleKeyUpdate))
	mux.Handle("DELETE /api/v1/environments/{env}/clients/{client_id}/keys/{key_id}", a(s.handleKeyDelete))
	mux.Handle("POST /api/v1/environments/{env}/clients/{client_id}/keys/{key_id}/roll", a(s.handleKeyRoll))
	mux.Handle("GET /api/v1/organization", a(s.handleOrganization))
	mux.Handle("PATCH /api/v1/organization", a(s.handleOrganizationUpdate))

	mux.Handle("GET /api/v1/users", a(s.handleUserList))
	mux.Handle("POST /api/v1/users", a(s.handleUserInvite))
	mux.Handle("PATCH /api/v1/users/{id}", a(s.handleUserUpdate))
	mux.Handle("DELETE /api/v1/users/{id}", a(s.handleUserRemove))
	mux.Handle("POST /api/v1/users/{id}/password-reset", a(s.handleUserReset))
	mux.Handle("POST /api/v1/users/{id}/invitation", a(s.handleUserResend))

	mux.Handle("GET /api/v1/audit-events", a(s.handleAuditList))

	// The console: HTML pages on the same service (ui_*.go).
	p := s.page    // public page
	c := s.console // page that needs a session: else /login
	mux.HandleFunc("GET /static/{file}", s.handleStatic)
	mux.Handle("GET /{$}", p(s.handleRoot))
	mux.Handle("GET /setup", p(s.handleSetupPage))
	mux.Handle("POST /setup", p(s.handleSetupForm))
	mux.Handle("GET /activate", p(s.handleActivatePage))
	mux.Handle("POST /activate", p(s.handleActivateForm))
	mux.Handle("POST /activate/confirm", p(s.handleActivateConfirmForm))
	mux.Handle("POST /activate/accept", p(s.handleActivateAcceptForm))
	mux.Handle("GET /login", p(s.handleLoginPage))
	mux.Handle("POST /login", p(s.handleLoginForm))
	mux.Handle("GET /logout", c(s.handleLogoutPage))
	mux.Handle("POST /logout", p(s.handleLogoutForm))
	mux.Handle("GET /dashboard", c(s.handleDashboardPage))
	mux.Handle("GET /admin", c(s.handleAdminPage))
	mux.Handle("GET /admin/product-configuration", c(s.handleProductConfigurationPage))
	mux.Handle("GET /admin/product-configuration/system-settings", c(s.handleSystemSettingsPage))
	mux.Handle("GET "+keysPath, c(s.handleKeysPage))
	mux.Handle("POST "+keysPath+"/clients", c(s.handleClientInitForm))
	mux.Handle("POST "+keysPath+"/clients/{client_id}/keys", c(s.handleKeyGenerateForm))
	mux.Handle("POST "+keysPath+"/clients/{client_id}/keys/{key_id}/description", c(s.handleKeyDescriptionForm))
	mux.Handle("POST "+keysPath+"/clients/{client_id}/keys/{key_id}/delete", c(s.handleKeyDeleteForm))
	mux.Handle("POST "+keysPath+"/clients/{client_id}/keys/{key_id}/roll", c(s.handleKeyRollForm))
	mux.Handle("GET /admin/users", c(s.handleUsersPage))
	mux.Handle("POST /admin/users", c(s.handleUserInviteForm))
	mux.Handle("POST /admin/users/{id}/roles", c(s.handleUserRolesForm))
	mux.Handle("POST /admin/users/{id}/remove", c(s.handleUserRemoveForm))
	mux.Handle("POST /admin/users/{id}/password-reset", c(s.handleUserResetForm))
	mux.Handle("POST /admin/users/{id}/invitation", c(s.handleUserResendForm))
	mux.Handle("GET /admin/audit", c(s.handleAuditPage))
	mux.Handle("GET /admin/audit/export.csv", c(s.handleAuditExport))

	// Cookies are for the console: cross-origin state changes are refused.
	// Admission control comes first: the excess is refused before any work.
	return s.admit(s.logRequests(http.NewCrossOriginProtection().Handler(mux)))
}
