package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"keyhouse"
	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/server"
)

// The console's HTTP contract, without a browser: headers, cookies, CSRF,
// the forms' answers. These run everywhere; the browser tests run where
// Chromium is.

// webClient is a cookie-keeping client that does not follow redirects.
type webClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newWebClient(t *testing.T, base string) *webClient {
	jar, _ := cookiejar.New(nil)
	return &webClient{t: t, base: base, c: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// session makes the client signed in with a session token.
func (w *webClient) session(token string) *webClient {
	u, _ := url.Parse(w.base)
	w.c.Jar.SetCookies(u, []*http.Cookie{{Name: "keyhouse_session", Value: token}})
	return w
}

func (w *webClient) do(req *http.Request) (*http.Response, string) {
	w.t.Helper()
	resp, err := w.c.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (w *webClient) get(path string) (*http.Response, string) {
	w.t.Helper()
	req, _ := http.NewRequest("GET", w.base+path, nil)
	return w.do(req)
}

func (w *webClient) post(path string, form url.Values) (*http.Response, string) {
	w.t.Helper()
	req, _ := http.NewRequest("POST", w.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return w.do(req)
}

var (
	inlineScript  = regexp.MustCompile(`<script(\s[^>]*)?>`)
	inlineHandler = regexp.MustCompile(`\son[a-z]+\s*=`)
	inlineStyle   = regexp.MustCompile(`\sstyle\s*=`)
)

func TestConsolePagesSecurityHeaders(t *testing.T) {
	f := newFixture(t)
	w := newWebClient(t, f.srv.URL).session(f.owner.Token)
	pages := []string{"/login", "/setup?token=x", "/activate?token=x", "/dashboard", "/admin",
		"/admin/product-configuration", "/admin/product-configuration/system-settings",
		keysPage + "?env=sandbox&open=" + f.client["own"] + "&init=1", keysPage + "?env=production",
		"/admin/users?invite=1", "/admin/audit", "/logout"}
	for _, p := range pages {
		resp, body := w.get(p)
		want := 200
		if p == "/activate?token=x" || p == "/setup?token=x" {
			want = 404 // a made-up link says so at once
		}
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", p, resp.StatusCode, want)
			continue
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "img-src 'self' data:") {
			t.Errorf("GET %s: CSP %q", p, csp)
		}
		if resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: headers %v", p, resp.Header)
		}
		for _, m := range inlineScript.FindAllString(body, -1) {
			if !strings.Contains(m, "src=") {
				t.Errorf("GET %s: inline script %s", p, m)
			}
		}
		if m := inlineHandler.FindString(body); m != "" {
			t.Errorf("GET %s: inline event handler %q", p, m)
		}
		if m := inlineStyle.FindString(body); m != "" {
			t.Errorf("GET %s: inline style %q", p, m)
		}
		if strings.Contains(body, "generated-dialog") {
			t.Errorf("GET %s shows a generated key dialog", p)
		}
	}
}

func TestConsoleStaticFiles(t *testing.T) {
	f := newFixture(t)
	w := newWebClient(t, f.srv.URL)
	_, page := w.get("/login")
	src := regexp.MustCompile(`src="(/static/app\.js\?v=[0-9a-f]+)"`).FindStringSubmatch(page)
	if src == nil {
		t.Fatal("the page links no versioned script")
	}
	resp, body := w.get(src[1])
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "javascript") ||
		!strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || !strings.Contains(body, "clipboard") {
		t.Errorf("GET %s: %d %v", src[1], resp.StatusCode, resp.Header)
	}
	if resp, _ := w.get("/static/nothing.js"); resp.StatusCode != 404 {
		t.Errorf("unknown static file: %d", resp.StatusCode)
	}
}

// signInForm walks the sign-in forms and returns the last answer.
func signInForm(t *testing.T, e *keyhousetest.Env, w *webClient, u *keyhousetest.User, extra url.Values) (*http.Response, string) {
	t.Helper()
	form := url.Values{"state": {passwordStep(t, w, u.Email, keyhousetest.Password)}, "otp": {e.Code(t, u.Secret)}}
	for k, v := range extra {
		form[k] = v
	}
	return w.post("/login", form)
}

// passwordStep posts the first step of the sign-in and returns the sealed
// state the code step carries; the page must not hold the password.
func passwordStep(t *testing.T, w *webClient, email, password string) string {
	t.Helper()
	resp, body := w.post("/login", url.Values{"step": {"password"}, "email": {email}, "password": {password}})
	if resp.StatusCode != 200 || !strings.Contains(body, `name="otp"`) {
		t.Fatalf("password step: %d", resp.StatusCode)
	}
	if strings.Contains(body, password) {
		t.Fatal("the code step's page holds the password")
	}
	return stateOf(t, body)
}

// stateOf returns the sealed sign-in state of a sign-in page.
func stateOf(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`name="state" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no sealed state in the page")
	}
	return m[1]
}

func TestConsoleSessionCookie(t *testing.T) {
	for _, secure := range []bool{false, true} {
		e := keyhousetest.New(t)
		owner := e.NewOrg(t, "acme")
		srv := httptest.NewServer(server.New(e.Svc, slog.New(slog.DiscardHandler), secure))
		t.Cleanup(srv.Close)
		w := newWebClient(t, srv.URL)
		resp, _ := signInForm(t, e, w, owner, url.Values{"next": {"//evil.example/x"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
			t.Fatalf("sign-in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		cookie := resp.Header.Get("Set-Cookie")
		for _, want := range []string{"keyhouse_session=khs_", "Path=/", "HttpOnly", "SameSite=Lax"} {
			if !strings.Contains(cookie, want) {
				t.Errorf("secure=%v: cookie %q lacks %s", secure, cookie, want)
			}
		}
		if strings.Contains(cookie, "Secure") != secure {
			t.Errorf("secure=%v: cookie %q", secure, cookie)
		}
	}
}

func TestConsoleSignInAnswers(t *testing.T) {
	f := newFixture(t)
	w := newWebClient(t, f.srv.URL)

	// A wrong code: the same message as for anything else wrong, and the
	// password is not sent back.
	state := passwordStep(t, w, f.owner.Email, keyhousetest.Password)
	resp, body := w.post("/login", url.Values{"state": {state}, "otp": {"000000"}})
	if resp.StatusCode != 401 || !strings.Contains(body, "The e-mail, password or code is not right") || strings.Contains(body, keyhousetest.Password) {
		t.Errorf("wrong code: %d", resp.StatusCode)
	}
	// A forged or stale state starts over.
	resp, _ = w.post("/login", url.Values{"state": {state[:len(state)-2] + "AA"}, "otp": {"123456"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("forged state: %d", resp.StatusCode)
	}

	// Cross-origin form posts are refused.
	req, _ := http.NewRequest("POST", f.srv.URL+"/login", strings.NewReader("email=a"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, _ := w.do(req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site post: %d, want 403", resp.StatusCode)
	}

	// Signed in, back where the sign-in started; signed out, the session
	// is gone.
	resp, _ = signInForm(t, f.e, w, f.owner, url.Values{"next": {"/admin/audit?action=user.invited"}})
	if loc := resp.Header.Get("Location"); loc != "/admin/audit?action=user.invited" {
		t.Errorf("after sign-in: %q", loc)
	}
	if resp, _ := w.get("/admin/audit"); resp.StatusCode != 200 {
		t.Fatalf("signed in: %d", resp.StatusCode)
	}
	token := ""
	for _, c := range w.c.Jar.Cookies(mustURL(f.srv.URL)) {
		token = c.Value
	}
	resp, _ = w.post("/logout", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?m=signed-out" {
		t.Errorf("logout: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, err := f.e.Svc.Authenticate(context.Background(), token); keyhouse.ErrorCode(err) != keyhouse.EUNAUTHORIZED {
		t.Errorf("the session outlived sign-out: %v", err)
	}
	resp, _ = w.get("/dashboard")
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/login?next=%2Fdashboard" {
		t.Errorf("signed out: %d to %q", resp.StatusCode, loc)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// TestConsoleOrganizationPicker signs in a member of two organizations:
// the console asks which one, after the credentials are checked.
func TestConsoleOrganizationPicker(t *testing.T) {
	f := newFixture(t)
	f.e.Join(t, f.owner, f.other, "view")
	w := newWebClient(t, f.srv.URL)
	resp, body := signInForm(t, f.e, w, f.owner, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `name="organization_id" value="`+f.other.OrgID+`"`) ||
		!strings.Contains(body, `value="`+f.owner.OrgID+`"`) {
		t.Fatalf("no organization picker: %d", resp.StatusCode)
	}
	if strings.Contains(body, keyhousetest.Password) {
		t.Fatal("the picker's page holds the password")
	}
	resp, _ = w.post("/login", url.Values{"state": {stateOf(t, body)}, "organization_id": {f.other.OrgID}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("picked: %d", resp.StatusCode)
	}
	_, body = w.get("/dashboard")
	if !strings.Contains(body, "globex") || !strings.Contains(body, "View") {
		t.Error("the dashboard is not the chosen organization's, with its role")
	}

	// Wrong credentials never show the organizations.
	w2 := newWebClient(t, f.srv.URL)
	_, body = w2.post("/login", url.Values{"state": {passwordStep(t, w2, f.owner.Email, "Wrong-password-1")}, "otp": {f.e.Code(t, f.owner.Secret)}})
	if strings.Contains(body, f.other.OrgID) || strings.Contains(body, "globex") {
		t.Error("a failed sign-in shows the user's organizations")
	}
}

// TestConsoleUserForms invites, changes roles, resets and removes through
// the Users page, with the Owner-only rules answered by the service.
func TestConsoleUserForms(t *testing.T) {
	f := newFixture(t)
	admin := newWebClient(t, f.srv.URL).session(f.roles["admin"].Token)
	owner := newWebClient(t, f.srv.URL).session(f.owner.Token)

	resp, body := admin.post("/admin/users", url.Values{"email": {"new@acme.example"}, "roles": {"owner"}})
	if resp.StatusCode != 403 || !strings.Contains(body, "Only an Owner may grant, remove or change the owner role") ||
		!strings.Contains(body, `id="invite-dialog" class="dialog" aria-labelledby="invite-title" open`) {
		t.Errorf("admin inviting an owner: %d", resp.StatusCode)
	}
	resp, body = admin.post("/admin/users", url.Values{"email": {"new@acme.example"}, "roles": {"standard", "view"}})
	if resp.StatusCode != 201 || !strings.Contains(body, "http://kh.test/activate?token=khl_") {
		t.Fatalf("admin inviting a standard user: %d", resp.StatusCode)
	}
	if strings.Contains(body, `id="roles-open-`+f.owner.ID+`"`) {
		t.Error("an Admin is offered actions on an Owner")
	}
	if _, body := admin.get("/admin/users"); strings.Contains(body, "khl_") {
		t.Error("the invitation link shows again on a GET")
	}

	std := f.roles["standard"]
	resp, _ = owner.post("/admin/users/"+std.ID+"/roles", url.Values{"roles": {"admin"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/users?notice=roles" {
		t.Errorf("change roles: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body = owner.post("/admin/users/"+f.owner.ID+"/roles", url.Values{"roles": {"admin"}})
	if resp.StatusCode != 409 || !strings.Contains(body, "The organization must keep at least one active Owner") {
		t.Errorf("demoting the last owner: %d", resp.StatusCode)
	}
	resp, body = owner.post("/admin/users/"+f.roles["view"].ID+"/password-reset", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "/activate?token=khl_") {
		t.Errorf("password reset: %d", resp.StatusCode)
	}
	resp, _ = owner.post("/admin/users/"+std.ID+"/remove", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("remove: %d", resp.StatusCode)
	}
	resp, _ = owner.post("/admin/users/"+f.other.ID+"/remove", nil)
	if resp.StatusCode != 404 {
		t.Errorf("removing another organization's user: %d, want 404", resp.StatusCode)
	}
	viewer := newWebClient(t, f.srv.URL).session(f.roles["view"].Token)
	if resp, _ := viewer.get("/admin/users"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a reset user's session: %d, want the way to sign-in", resp.StatusCode)
	}
}

func TestConsoleAuditPages(t *testing.T) {
	f := newFixture(t)
	w := newWebClient(t, f.srv.URL).session(f.owner.Token)
	_, body := w.get("/admin/audit?limit=2")
	next := regexp.MustCompile(`href="(/admin/audit\?[^"]*cursor=[^"]+)" rel="next"`).FindStringSubmatch(body)
	if next == nil {
		t.Fatal("no link to older events")
	}
	_, older := w.get(strings.ReplaceAll(next[1], "&amp;", "&"))
	if !strings.Contains(older, "Newest") || older == body {
		t.Error("the older page is not another page")
	}
	resp, body := w.get("/admin/audit?action=user.invited&from=2026-01-01")
	if resp.StatusCode != 200 || !strings.Contains(body, "user.invited") || strings.Contains(body, "<code>signin.succeeded</code>") {
		t.Errorf("filtered report: %d", resp.StatusCode)
	}
	resp, body = w.get("/admin/audit?from=yesterday")
	if resp.StatusCode != 422 || !strings.Contains(body, "From must be an RFC 3339 time or a YYYY-MM-DD date") {
		t.Errorf("bad filter: %d", resp.StatusCode)
	}
	resp, body = w.get("/admin/audit/export.csv?action=user.invited")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(body, "id,time,organization_id") || !strings.Contains(body, "user.invited") {
		t.Errorf("CSV export: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	view := newWebClient(t, f.srv.URL).session(f.roles["view"].Token)
	if resp, _ := view.get("/admin/audit/export.csv"); resp.StatusCode != 403 {
		t.Errorf("a View user's export: %d, want 403", resp.StatusCode)
	}
}
