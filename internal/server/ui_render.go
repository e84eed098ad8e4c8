package server

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"keyhouse"
	"keyhouse/internal/service"
)

//go:embed templates/*.html static/*
var uiFiles embed.FS

// ui is the console's templates and static files, parsed and hashed once
// at start-up.
type ui struct {
	pages  map[string]*template.Template // page file name → layout + page
	static map[string]staticFile         // file name → content
}

// staticFile is one embedded file of static/, with its version hash.
type staticFile struct {
	body    []byte
	ctype   string
	version string
}

// mustNewUI parses every template and reads every static file; it panics
// on a broken template, so that a bad build fails at start-up and in
// every test rather than on the first request to one page.
func mustNewUI() *ui {
	u, err := newUI()
	if err != nil {
		panic(fmt.Sprintf("console templates: %v", err))
	}
	return u
}

func newUI() (*ui, error) {
	u := &ui{pages: map[string]*template.Template{}, static: map[string]staticFile{}}
	statics, err := fs.Glob(uiFiles, "static/*")
	if err != nil {
		return nil, err
	}
	for _, name := range statics {
		b, err := uiFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		u.static[path.Base(name)] = staticFile{body: b, ctype: mime.TypeByExtension(path.Ext(name)), version: hex.EncodeToString(sum[:6])}
	}
	pages, err := fs.Glob(uiFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, name := range pages {
		base := path.Base(name)
		if base == "layout.html" {
			continue
		}
		t, err := template.New(base).Funcs(u.funcs()).ParseFS(uiFiles, "templates/layout.html", name)
		if err != nil {
			return nil, err
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("%s: no content template", base)
		}
		u.pages[base] = t
	}
	return u, nil
}

// funcs are the helpers the templates may call.
func (u *ui) funcs() template.FuncMap {
	return template.FuncMap{
		"asset": func(name string) (string, error) {
			f, ok := u.static[name]
			if !ok {
				return "", fmt.Errorf("no static file %q", name)
			}
			return "/static/" + name + "?v=" + f.version, nil
		},
		"when":           when,
		"whenp":          func(t *time.Time) string { return whenOr(t, "Never") },
		"ago":            ago,
		"auditWord":      auditWord,
		"initial":        initial,
		"n":              thousands,
		"day":            func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
		"iso":            func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"roleName":       roleName,
		"roleList":       roleList,
		"deref":          deref,
		"inc":            func(i int) int { return i + 1 },
		"envTitle":       envTitle,
		"keysPath":       func() string { return keysPath },
		"maxDescription": func() int { return keyhouse.MaxDescription },
		"roleText":       roleText,
		"rolesPick": func(all []keyhouse.Role, chosen keyhouse.Roles, owner bool, id string) rolesPick {
			return rolesPick{All: all, Chosen: chosen, Owner: owner, ID: id}
		},
	}
}

// initial is the first letter of an e-mail address, for the account
// button.
func initial(email string) string {
	if email == "" {
		return "?"
	}
	return strings.ToUpper(email[:1])
}

// when formats a time for people: UTC, to the minute.
func when(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04") + " UTC" }

func whenOr(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return when(*t)
}

// roleList names roles as the console does: "Owner, Admin".
func roleList(rs keyhouse.Roles) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = roleName(r)
	}
	return strings.Join(names, ", ")
}

// roleName is a role as the console names it.
func roleName(r keyhouse.Role) string {
	switch r {
	case keyhouse.RoleOwner:
		return "Owner"
	case keyhouse.RoleAdmin:
		return "Admin"
	case keyhouse.RoleStandard:
		return "Standard"
	case keyhouse.RoleView:
		return "View"
	}
	return string(r)
}

// roleText says what a role may do (SPEC §1).
func roleText(r keyhouse.Role) string {
	switch r {
	case keyhouse.RoleOwner:
		return "everything, including API keys and other Owners"
	case keyhouse.RoleAdmin:
		return "clients, users (not Owners) and the audit report"
	case keyhouse.RoleStandard:
		return "the dashboard"
	case keyhouse.RoleView:
		return "the dashboard, read only"
	}
	return ""
}

// rolesPick is the role checkboxes of a form: every role, those ticked,
// and whether the viewer may tick owner.
type rolesPick struct {
	All    []keyhouse.Role
	Chosen keyhouse.Roles
	Owner  bool
	ID     string
}

// chrome is what the shared layout shows around every page: the signed-in
// user, the navigation and breadcrumbs, and one notice or error. Every
// page's view struct embeds it.
type chrome struct {
	Title  string
	Me     *service.Me // nil when signed out
	Can    service.Can // what the user may do, to hide what it may not
	Nav    string      // the active top-level section: "dashboard", "admin"
	Crumbs []crumb     // the path to this page, the page itself last
	Notice string      // a success message
	Alert  string      // a page-level error message
	Clean  string      // when set, the script replaces the address with it
	Narrow bool        // a form on its own (sign-in, activation)
	Now    time.Time   // the service's clock, for "3 minutes ago"
}

// crumb is one step of the breadcrumbs.
type crumb struct {
	Title, Href string
}

// Breadcrumb trails of the Admin section.
var (
	crumbAdmin          = crumb{"Admin", "/admin"}
	crumbProductConfig  = crumb{"Product Configuration", "/admin/product-configuration"}
	crumbSystemSettings = crumb{"System Settings", "/admin/product-configuration/system-settings"}
	crumbAPIKeys        = crumb{"API Keys", keysPath}
)

// signedInChrome returns the chrome of a page for the principal in ctx.
func (s *Server) signedInChrome(r *http.Request, title, nav string, crumbs ...crumb) (chrome, error) {
	me, err := s.Service.Me(r.Context())
	if err != nil {
		return chrome{}, err
	}
	return chrome{Title: title, Me: me, Can: me.Permissions, Nav: nav, Crumbs: crumbs, Now: s.Service.Now()}, nil
}

// render writes a page: the layout around the page's content template,
// executed into a buffer first so that a template error is an error, not
// half a page.
func (s *Server) render(w http.ResponseWriter, status int, page string, view any) error {
	t := s.ui.pages[page]
	if t == nil {
		return fmt.Errorf("render: no page %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", view); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// contentSecurityPolicy allows the console's own script, stylesheet and
// images (plus data: images, for the TOTP QR code) and nothing else: no
// inline script, no framing, forms only to this origin.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// setPageHeaders sets the security headers of every console response.
// Pages are never cached: they show account data, and some show a secret
// once.
func setPageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

// handleStatic serves the embedded stylesheet and script. The templates
// link them with their content hash, so they may be cached for good.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := s.ui.static[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.ctype)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.URL.Query().Get("v") == f.version {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("ETag", `"`+f.version+`"`)
	if r.Header.Get("If-None-Match") == `"`+f.version+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(f.body)
}
