package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// apiRoute is a route of the management API a fuzz target picks, and the
// fields its refusals may name.
type apiRoute struct {
	method, path string // path may hold {id}, {env}, {client}, {key}, {token}
	fields       []string
}

// sessions are the sessions a target acts as, picked by input: acme's
// Owner, its Standard member, globex's Owner.
var sessions = []string{"$SESSION", "$MEMBERSESSION", "$OTHERSESSION"}

// pick returns the route and the session that n picks.
func pick(routes []apiRoute, n uint8) (apiRoute, string) {
	return routes[int(n)%len(routes)], sessions[int(n)/len(routes)%len(sessions)]
}

// sendAPI sends a JSON request of the management API as session ("" for
// none) and checks the answer with checkAPI.
func (fe *fuzzEnv) sendAPI(t *testing.T, method, target, session, body string, fields []string) {
	t.Helper()
	h := http.Header{"Content-Type": {"application/json"}}
	if session != "" {
		h.Set("Authorization", "Bearer "+fe.vars[session])
	}
	if resp := fe.serve(request{method: method, target: target, header: h, body: fe.fill(t, body)}); resp != nil {
		checkAPI(t, readAnswer(t, resp), fields...)
	}
}

// accountRoutes are the public JSON bodies: first-run setup, activation,
// sign-in.
var accountRoutes = []apiRoute{
	{"POST", "/api/v1/setup", []string{"body", "token", "organization_name", "owner_email"}},
	{"POST", "/api/v1/activations", []string{"body", "token", "password"}},
	{"POST", "/api/v1/activations/confirm", []string{"body", "token", "otp"}},
	{"POST", "/api/v1/sessions", []string{"body", "email", "password", "otp", "organization_id"}},
}

// FuzzAPIAccount drives the JSON bodies of setup, activation, its
// confirmation and sign-in.
func FuzzAPIAccount(f *testing.F) {
	fe := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		r := accountRoutes[int(route)%len(accountRoutes)]
		fe.sendAPI(t, r.method, r.path, "", body, r.fields)
	})
}

// userRoutes are the member management routes.
var userRoutes = []apiRoute{
	{"POST", "/api/v1/users", []string{"body", "email", "roles"}},
	{"PATCH", "/api/v1/users/{id}", []string{"body", "roles"}},
	{"DELETE", "/api/v1/users/{id}", nil},
	{"POST", "/api/v1/users/{id}/password-reset", nil},
	{"GET", "/api/v1/users", nil},
	{"POST", "/api/v1/users/{id}/invitation", nil},
}

// FuzzAPIUsers drives the invitation and role bodies and the member id
// of the user routes, as an Owner, a Standard member and an Owner of
// another organization.
func FuzzAPIUsers(f *testing.F) {
	fe := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, route uint8, id, body string) {
		r, session := pick(userRoutes, route)
		fe.sendAPI(t, r.method, fe.expand(t, r.path, "{id}", id), session, body, r.fields)
	})
}

// keyRoutes are the client and key routes, and the organization's key
// policy.
var keyRoutes = []apiRoute{
	{"POST", "/api/v1/environments/{env}/clients", []string{"body", "env", "name"}},
	{"POST", "/api/v1/environments/{env}/clients/{client}/keys", []string{"body", "env", "description", "expires_at", "allowed_cidrs"}},
	{"PATCH", "/api/v1/environments/{env}/clients/{client}/keys/{key}", []string{"body", "env", "description", "allowed_cidrs"}},
	{"DELETE", "/api/v1/environments/{env}/clients/{client}/keys/{key}", []string{"body", "env", "confirm_client_id"}},
	{"GET", "/api/v1/environments/{env}/clients", []string{"env"}},
	{"GET", "/api/v1/environments/{env}/summary", []string{"env"}},
	{"POST", "/api/v1/environments/{env}/clients/{client}/keys/{key}/roll", []string{"body", "env", "grace_seconds"}},
	{"GET", "/api/v1/organization", nil},
	{"PATCH", "/api/v1/organization", []string{"body", "max_key_lifetime_days"}},
}

// FuzzAPIKeys drives the client and key bodies (name, description,
// expiry, allowed addresses, confirm_client_id, a roll's grace), the
// organization's maximum key lifetime, and path values (env, client id,
// key id).
func FuzzAPIKeys(f *testing.F) {
	fe := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, route uint8, env, client, key, body string) {
		r, session := pick(keyRoutes, route)
		path := fe.expand(t, r.path, "{env}", env, "{client}", client, "{key}", key)
		fe.sendAPI(t, r.method, path, session, body, r.fields)
	})
}

// invitationRoutes look at an invitation and accept it (as globex's
// Owner, whom acme invited).
var invitationRoutes = []apiRoute{
	{"GET", "/api/v1/invitations/{token}", nil},
	{"POST", "/api/v1/invitations/{token}/accept", nil},
}

// FuzzAPIInvitation drives the invitation token in the path.
func FuzzAPIInvitation(f *testing.F) {
	fe := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, route uint8, token string) {
		r := invitationRoutes[int(route)%len(invitationRoutes)]
		session := ""
		if r.method == "POST" {
			session = "$OTHERSESSION"
		}
		fe.sendAPI(t, r.method, fe.expand(t, r.path, "{token}", token), session, "", r.fields)
	})
}

// expand replaces each name of path ("{id}") with its fuzzed value,
// placeholders filled, as one escaped path segment.
func (fe *fuzzEnv) expand(t *testing.T, path string, namesAndValues ...string) string {
	var pairs []string
	for i := 0; i+1 < len(namesAndValues); i += 2 {
		pairs = append(pairs, namesAndValues[i], fe.pathValue(t, namesAndValues[i+1]))
	}
	return strings.NewReplacer(pairs...).Replace(path)
}
