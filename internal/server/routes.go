package server

import (
	"net/http"
	"slices"
)

// routes returns every route of the server, on one screen.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	// api: the routes that openapi.json describes, one line each;
	// page: the console's HTML routes, which it leaves out.
	api := recorder{mux, &s.apiRoutes}
	page := recorder{mux, &s.pageRoutes}
	h := s.handle // public
	a := s.authed // needs a session

	api.Handle("GET /healthz", h(s.handleHealth))
	api.Handle("GET /metrics", h(s.handleMetrics))
	api.Handle("GET /readyz", h(s.handleReady))

	api.Handle("POST /as/token", h(s.handleToken))
	api.Handle("POST /oauth2/token", h(s.handleToken))
	api.Handle("POST /oauth2/introspect", h(s.handleIntrospect))
	api.Handle("GET /.well-known/jwks.json", h(s.handleJWKS))
	api.Handle("GET /.well-known/oauth-authorization-server", h(s.handleMetadata))
	api.Handle("POST /v1/events", h(s.handleEvents))
	api.Handle("GET /v1/revocations", h(s.handleRevocations)) // resource servers only

	api.Handle("POST /api/v1/setup", h(s.handleSetup))
	api.Handle("POST /api/v1/activations", h(s.handleActivate))
	api.Handle("POST /api/v1/activations/confirm", h(s.handleActivateConfirm))
	api.Handle("GET /api/v1/invitations/{token}", h(s.handleInvitation))
	api.Handle("POST /api/v1/invitations/{token}/accept", a(s.handleInvitationAccept))
	api.Handle("POST /api/v1/sessions", h(s.handleSignIn))
	api.Handle("DELETE /api/v1/sessions/current", a(s.handleSignOut))
	api.Handle("GET /api/v1/me", a(s.handleMe))

	api.Handle("GET /api/v1/environments/{env}/clients", a(s.handleClientList))
	api.Handle("POST /api/v1/environments/{env}/clients", a(s.handleClientCreate))
	api.Handle("GET /api/v1/environments/{env}/summary", a(s.handleSummary))
	api.Handle("POST /api/v1/environments/{env}/clients/{client_id}/keys", a(s.handleKeyCreate))
	api.Handle("PATCH /api/v1/environments/{env}/clients/{client_id}/keys/{key_id}", a(s.handleKeyUpdate))
	api.Handle("DELETE /api/v1/environments/{env}/clients/{client_id}/keys/{key_id}", a(s.handleKeyDelete))
	api.Handle("POST /api/v1/environments/{env}/clients/{client_id}/keys/{key_id}/roll", a(s.handleKeyRoll))
	api.Handle("GET /api/v1/organization", a(s.handleOrganization))
	api.Handle("PATCH /api/v1/organization", a(s.handleOrganizationUpdate))

	api.Handle("GET /api/v1/users", a(s.handleUserList))
	api.Handle("POST /api/v1/users", a(s.handleUserInvite))
	api.Handle("PATCH /api/v1/users/{id}", a(s.handleUserUpdate))
	api.Handle("DELETE /api/v1/users/{id}", a(s.handleUserRemove))
	api.Handle("POST /api/v1/users/{id}/password-reset", a(s.handleUserReset))
	api.Handle("POST /api/v1/users/{id}/invitation", a(s.handleUserResend))

	api.Handle("GET /api/v1/audit-events", a(s.handleAuditList))
	api.Handle("GET /api/v1/openapi.json", h(s.handleOpenAPI))

	// The console: HTML pages on the same service (ui_*.go).
	p := s.page    // public page
	c := s.console // page that needs a session: else /login
	page.Handle("GET /static/{file}", http.HandlerFunc(s.handleStatic))
	page.Handle("GET /{$}", p(s.handleRoot))
	page.Handle("GET /setup", p(s.handleSetupPage))
	page.Handle("POST /setup", p(s.handleSetupForm))
	page.Handle("GET /activate", p(s.handleActivatePage))
	page.Handle("POST /activate", p(s.handleActivateForm))
	page.Handle("POST /activate/confirm", p(s.handleActivateConfirmForm))
	page.Handle("POST /activate/accept", p(s.handleActivateAcceptForm))
	page.Handle("GET /login", p(s.handleLoginPage))
	page.Handle("POST /login", p(s.handleLoginForm))
	page.Handle("GET /logout", c(s.handleLogoutPage))
	page.Handle("POST /logout", p(s.handleLogoutForm))
	page.Handle("GET /dashboard", c(s.handleDashboardPage))
	page.Handle("GET /admin", c(s.handleAdminPage))
	page.Handle("GET /admin/product-configuration", c(s.handleProductConfigurationPage))
	page.Handle("GET /admin/product-configuration/system-settings", c(s.handleSystemSettingsPage))
	page.Handle("GET "+keysPath, c(s.handleKeysPage))
	page.Handle("POST "+keysPath+"/clients", c(s.handleClientInitForm))
	page.Handle("POST "+keysPath+"/clients/{client_id}/keys", c(s.handleKeyGenerateForm))
	page.Handle("POST "+keysPath+"/clients/{client_id}/keys/{key_id}/description", c(s.handleKeyDescriptionForm))
	page.Handle("POST "+keysPath+"/clients/{client_id}/keys/{key_id}/delete", c(s.handleKeyDeleteForm))
	page.Handle("POST "+keysPath+"/clients/{client_id}/keys/{key_id}/roll", c(s.handleKeyRollForm))
	page.Handle("GET /admin/users", c(s.handleUsersPage))
	page.Handle("POST /admin/users", c(s.handleUserInviteForm))
	page.Handle("POST /admin/users/{id}/roles", c(s.handleUserRolesForm))
	page.Handle("POST /admin/users/{id}/remove", c(s.handleUserRemoveForm))
	page.Handle("POST /admin/users/{id}/password-reset", c(s.handleUserResetForm))
	page.Handle("POST /admin/users/{id}/invitation", c(s.handleUserResendForm))
	page.Handle("GET /admin/audit", c(s.handleAuditPage))
	page.Handle("GET /admin/audit/export.csv", c(s.handleAuditExport))
	page.Handle("GET /", http.HandlerFunc(s.handleNotFound)) // every other page address: 404 in the layout

	// Cookies are for the console: cross-origin state changes are refused.
	// Admission control comes first: the excess is refused before any work.
	return s.admit(s.logRequests(http.NewCrossOriginProtection().Handler(mux)))
}

// recorder registers routes on a mux and records their patterns.
type recorder struct {
	mux  *http.ServeMux
	list *[]string
}

// Handle registers h for pattern and records the pattern.
func (r recorder) Handle(pattern string, h http.Handler) {
	r.mux.Handle(pattern, h)
	*r.list = append(*r.list, pattern)
}

// APIRoutes returns the patterns ("POST /as/token") of every route that
// the OpenAPI document describes: the JSON API, the data plane and the
// probes, in the order routes registers them.
func (s *Server) APIRoutes() []string { return slices.Clone(s.apiRoutes) }

// PageRoutes returns the patterns of the console's HTML routes, which the
// OpenAPI document leaves out.
func (s *Server) PageRoutes() []string { return slices.Clone(s.pageRoutes) }
