package server_test

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// pageRoute is a console route a fuzz target picks: a form posted to it,
// or a page whose query string is fuzzed.
type pageRoute struct {
	method, path string // path may hold {id}, {client}, {key}
}

// sendPage sends a console request as session ("" for none) with form as
// the body of a POST or the query of a GET, and checks the answer with
// checkPage. No page ever shows what was typed in a password field.
func (fe *fuzzEnv) sendPage(t *testing.T, r pageRoute, path, session, form string) {
	t.Helper()
	cookie := "keyhouse_signin=" + signInBinding
	if session != "" {
		cookie += "; keyhouse_session=" + fe.vars[session]
	}
	req := request{method: r.method, target: path, header: http.Header{"Cookie": {cookie}}}
	if r.method == "GET" {
		req.target = withQuery(path, fe.fill(t, form))
	} else {
		req.header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.body = fe.fill(t, form)
	}
	resp := fe.serve(req)
	if resp == nil {
		return
	}
	a := readAnswer(t, resp)
	checkPage(t, a)
	for _, pw := range typedPasswords(req.body) {
		if strings.Contains(a.body, pw) || strings.Contains(a.body, template.HTMLEscapeString(pw)) {
			t.Fatalf("status %d: the page shows the password %q", a.StatusCode, pw)
		}
	}
}

// typedPasswords returns the values of a form's password fields, 8
// characters or longer, that no other field of the form holds (a page may
// show what was typed in the e-mail field, whatever it is).
func typedPasswords(form string) []string {
	q, _ := url.ParseQuery(form) // as the server does: every well-formed pair
	var pws []string
	for _, k := range []string{"password", "password2"} {
		for _, pw := range q[k] {
			if len(pw) >= 8 && !elsewhere(q, k, pw) {
				pws = append(pws, pw)
			}
		}
	}
	return pws
}

// elsewhere reports whether a field of q other than key holds s.
func elsewhere(q url.Values, key, s string) bool {
	for k, vs := range q {
		for _, v := range vs {
			if k != key && strings.Contains(v, s) {
				return true
			}
		}
	}
	return false
}

// loginRoutes are the sign-in form and page.
var loginRoutes = []pageRoute{{"POST", "/login"}, {"GET", "/login"}}

// FuzzConsoleLogin drives the sign-in form (step, email, password, state,
// otp, organization_id, next) and the sign-in page's query (next, m): no
// answer sends the browser off the site.
func FuzzConsoleLogin(f *testing.F) {
	fe := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, route uint8, form string) {
		r := loginRoutes[int(route)%len(loginRoutes)]
		fe.sendPage(t, r, r.path, "", form)
	})
}

// accountPages are the first-run and activation forms and pages.
var accountPages = []pageRoute{
	{"POST", "/setup"}, {"POST", "/activate"}, {"POST", "/activate/confirm"}, {"POST", "/activate/accept"},
	{"GET", "/setup"}, {"GET", "/activate"},
}

// FuzzConsoleAccount drives the setup form, the activation forms
// (password, TOTP confirmation, an existing account's sign-in to accept)
// and the token query of their pages.
func FuzzConsoleAccount(f *testing.F) {
	fe := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, route uint8, form string) {
		r := accountPages[int(route)%len(accountPages)]
		fe.sendPage(t, r, r.path, "", form)
	})
}

// keyPages are the API Keys page and its forms, and the other signed-in
// pages whose query is read.
var keyPages = []pageRoute{
	{"GET", keysPage},
	{"POST", keysPage + "/clients"},
	{"POST", keysPage + "/clients/{client}/keys"},
	{"POST", keysPage + "/clients/{client}/keys/{key}/description"},
	{"POST", keysPage + "/clients/{client}/keys/{key}/delete"},
	{"GET", "/dashboard"},
	{"GET", "/logout"},
	{"POST", keysPage + "/clients/{client}/keys/{key}/roll"},
}

// FuzzConsoleKeys drives the API Keys page's query (env, open, edit,
// delete, init, notice), its forms (client initialization, generate with
// expiry and allowed addresses, description and addresses, delete, roll)
// and their path values, as each session.
func FuzzConsoleKeys(f *testing.F) {
	fe := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, route uint8, client, key, form string) {
		r := keyPages[int(route)%len(keyPages)]
		session := sessions[int(route)/len(keyPages)%len(sessions)]
		path := fe.expand(t, r.path, "{client}", client, "{key}", key)
		fe.sendPage(t, r, path, session, form)
	})
}

// userPages are the Users page and its forms.
var userPages = []pageRoute{
	{"GET", "/admin/users"},
	{"POST", "/admin/users"},
	{"POST", "/admin/users/{id}/roles"},
	{"POST", "/admin/users/{id}/remove"},
	{"POST", "/admin/users/{id}/password-reset"},
	{"POST", "/admin/users/{id}/invitation"},
}

// FuzzConsoleUsers drives the Users page's query (roles, remove, reset,
// invite, notice), the invitation and role forms and the member id of
// each form, as each session.
func FuzzConsoleUsers(f *testing.F) {
	fe := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, route uint8, id, form string) {
		r := userPages[int(route)%len(userPages)]
		session := sessions[int(route)/len(userPages)%len(sessions)]
		fe.sendPage(t, r, fe.expand(t, r.path, "{id}", id), session, form)
	})
}
