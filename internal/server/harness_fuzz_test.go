package server_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/server"
	"keyhouse/internal/service"
)

// The fuzz targets of this package drive the real http.Handler (server.New
// on a real store, SQLite unless KEYHOUSE_TEST_BACKEND says otherwise) with
// outside input, and check the property every route owes a hostile
// client: no panic, no 5xx, and a refusal that says what was wrong.
//
// Seeds (testdata/fuzz/FuzzXxx) are static files, but the values that make
// an input valid (a session token, an API key) are made anew by each
// fixture: seeds name them by placeholder ($SESSION, $APIKEY, … see
// fuzzEnv.vars), which the target replaces before sending. A mutated
// placeholder is garbage like any other input.

// signInBinding is the sign-in cookie every console request of the fuzz
// targets carries, so that $STATE opens: 43 characters, as the server
// makes them.
const signInBinding = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuz"

// legacyKey is a legacy key imported for the fixture's client.
const legacyKey = "legacy-Key-0123456789-abcdefgh"

// fuzzEnv is a keyhouse with an organization ("acme": an Owner, a
// Standard member, a client with a key and a legacy key, a pending
// invitation), a second organization whose Owner is invited to acme, and
// an unused setup link.
type fuzzEnv struct {
	e           *keyhousetest.Env
	h           http.Handler
	vars        map[string]string // placeholder → value
	repl        *strings.Replacer
	ownerSecret string          // acme's Owner's TOTP secret, for $OTP
	ownerCtx    context.Context // acme's Owner, signed in
}

func newFuzzEnv(f testing.TB) *fuzzEnv {
	f.Helper()
	e := keyhousetest.New(f)
	e.Run(f)
	setup, err := e.Svc.EnsureSetupLink(context.Background())
	must(f, err)
	owner := e.NewOrg(f, "acme")
	member := e.Invite(f, owner, "standard@acme.example", "standard")
	other := e.NewOrg(f, "globex")
	client := e.NewClient(f, owner)
	gen, err := e.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, client.ClientID, "fuzz")
	must(f, err)
	_, err = e.Svc.ImportLegacy(owner.Ctx, keyhouse.Sandbox, client.ClientID, []string{legacyKey})
	must(f, err)
	invite, err := e.Svc.InviteUser(owner.Ctx, "new@acme.example", []string{"view"})
	must(f, err)
	join, err := e.Svc.InviteUser(owner.Ctx, other.Email, []string{"admin"})
	must(f, err)
	k, err := e.Svc.AuthenticatePair(context.Background(), gen.KeyID, gen.Secret)
	must(f, err)
	access, err := e.Svc.IssueToken(k, service.ScopeIntegration)
	must(f, err)
	audit, err := e.Svc.ListAudit(owner.Ctx, keyhouse.AuditFilter{Limit: 2}, "")
	must(f, err)
	rs, err := e.Svc.CreateResourceServer(keyhousetest.Operator(""), "fuzz")
	must(f, err)
	fe := &fuzzEnv{e: e, h: server.New(e.Svc, slog.New(slog.DiscardHandler), false), ownerSecret: owner.Secret, ownerCtx: owner.Ctx, vars: map[string]string{
		"$SESSION":       owner.Token,
		"$MEMBERSESSION": member.Token,
		"$OTHERSESSION":  other.Token,
		"$MEMBER":        member.ID,
		"$OWNERID":       owner.ID,
		"$OWNER":         owner.Email,
		"$PASSWORD":      keyhousetest.Password,
		"$CLIENT":        client.ClientID,
		"$KEYID":         gen.KeyID,
		"$SECRET":        gen.Secret,
		"$APIKEY":        gen.APIKey,
		"$LEGACY":        legacyKey,
		"$ACCESS":        access.AccessToken,
		"$SETUP":         keyhousetest.TokenOf(f, setup),
		"$INVITE":        keyhousetest.TokenOf(f, invite.ActivationURL),
		"$JOIN":          keyhousetest.TokenOf(f, join.ActivationURL),
		"$ORG":           owner.OrgID,
		"$CURSOR":        audit.NextCursor,
		"$RS":            rs.Credential,
	}}
	// The longest placeholder first: $MEMBERSESSION before $MEMBER.
	names := slices.SortedFunc(maps.Keys(fe.vars), func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	var pairs []string
	for _, k := range names {
		pairs = append(pairs, k, fe.vars[k])
	}
	fe.repl = strings.NewReplacer(pairs...)
	return fe
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// fill replaces the placeholders of s. Two are made anew for each input
// that names them: $STATE, a sealed sign-in state of the Owner's e-mail and
// password for the console's second step (it opens once), and $OTP, the
// Owner's current TOTP code, which moves the test clock on (a code is good
// once).
func (fe *fuzzEnv) fill(tb testing.TB, s string) string {
	if strings.Contains(s, "$STATE") {
		req := service.SignInRequest{Email: fe.vars["$OWNER"], Password: keyhousetest.Password}
		s = strings.ReplaceAll(s, "$STATE", url.QueryEscape(fe.e.Svc.SealSignIn(req, signInBinding)))
	}
	if strings.Contains(s, "$OTP") {
		s = strings.ReplaceAll(s, "$OTP", fe.e.Code(tb, fe.ownerSecret))
	}
	return fe.repl.Replace(s)
}

// pathValue is a fuzzed path segment, placeholders replaced, escaped so
// that it stays one segment.
func (fe *fuzzEnv) pathValue(tb testing.TB, s string) string {
	return url.PathEscape(fe.fill(tb, s))
}

// request is what a fuzz target sends.
type request struct {
	method, target string // target: path and query, placeholders replaced
	header         http.Header
	body           string
	within         time.Duration // when set, the request is cancelled after it (a long poll, a stream)
}

// serve sends req to the handler, from a client address derived from the
// request (so that sign-in throttling, which is per source, does not stop
// every later input at the door), and returns the answer. It returns nil
// for a request that no HTTP client could send (a header value with a
// control character, a target that is no URL): net/http refuses those
// before any handler runs.
func (fe *fuzzEnv) serve(req request) *http.Response {
	r, err := http.NewRequest(req.method, "http://kh.test"+req.target, strings.NewReader(req.body))
	if err != nil || r.URL.Host != "kh.test" || !strings.HasPrefix(r.URL.Path, "/") {
		return nil
	}
	for k, vs := range req.header {
		for _, v := range vs {
			if !validHeaderValue(v) {
				return nil
			}
			r.Header.Add(k, v)
		}
	}
	h := fnv.New32a()
	io.WriteString(h, req.method+req.target+req.body)
	ip := h.Sum32()
	r.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:40000", ip>>16&0xff, ip>>8&0xff, ip&0xff)
	if req.within > 0 {
		ctx, cancel := context.WithTimeout(r.Context(), req.within)
		defer cancel()
		r = r.WithContext(ctx)
	}
	rec := httptest.NewRecorder()
	fe.h.ServeHTTP(rec, r)
	if rec.Code == http.StatusServiceUnavailable && r.Context().Err() != nil {
		return nil // cut off while the store answered: a client gone, who sees no answer
	}
	return rec.Result()
}

// validHeaderValue reports whether net/http's server would accept v as a
// header value (httpguts.ValidHeaderFieldValue): no control character but
// tab.
func validHeaderValue(v string) bool {
	for i := range len(v) {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// answer is a response read for checking.
type answer struct {
	*http.Response
	body string
}

func readAnswer(t *testing.T, resp *http.Response) answer {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp, string(b)}
}

// codesOf are the error codes of the JSON API each 4xx status may carry
// (keyhouse's error codes, SPEC §6).
var codesOf = map[int][]string{
	400: {"bad_request"},
	401: {"unauthorized", "invalid_credentials", "invalid_token"},
	403: {"forbidden"},
	404: {"not_found"},
	409: {"conflict"},
	410: {"cursor_expired"},
	413: {"too_large"},
	415: {"unsupported_media_type"},
	422: {"invalid"},
	429: {"throttled"},
}

// muxAnswer reports whether a is the ServeMux's own answer to a path that
// no route matches (a fuzzed segment that is empty, "." or ".."): plain
// text or a redirect to the cleaned path, never a handler's.
func muxAnswer(a answer) bool {
	switch a.StatusCode {
	case 301, 307, 308:
		return strings.HasPrefix(a.Header.Get("Location"), "/")
	case 404, 405:
		return strings.HasPrefix(a.Header.Get("Content-Type"), "text/plain")
	}
	return false
}

// checkAPI fails unless a is a 2xx, or a 4xx in the JSON API's error shape:
// a code of its status, a Retry-After on a 429, and, for a 400 or a 422,
// a message that starts with the name of the field at fault, one of
// fields ("line 3: …" counts as the field "line").
func checkAPI(t *testing.T, a answer, fields ...string) {
	t.Helper()
	if a.StatusCode >= 500 {
		t.Fatalf("status %d: %s", a.StatusCode, a.body)
	}
	if a.StatusCode < 300 || muxAnswer(a) {
		return
	}
	var e struct{ Code, Message string }
	if ct := a.Header.Get("Content-Type"); ct != "application/json" || json.Unmarshal([]byte(a.body), &e) != nil {
		t.Fatalf("status %d, %s: %q is not a JSON error", a.StatusCode, ct, a.body)
	}
	codes, ok := codesOf[a.StatusCode]
	if !ok || !contains(codes, e.Code) || e.Message == "" {
		t.Fatalf("status %d with %s", a.StatusCode, a.body)
	}
	if a.StatusCode == 429 && a.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	if a.StatusCode == 400 || a.StatusCode == 422 {
		field, rest, _ := strings.Cut(e.Message, ": ")
		field, _, _ = strings.Cut(field, " ") // "line 3"
		field, _, _ = strings.Cut(field, "[") // "allowed_cidrs[0]"
		if !contains(fields, field) || rest == "" || strings.HasPrefix(rest, ":") {
			t.Fatalf("status %d: message %q names no field of %q", a.StatusCode, e.Message, fields)
		}
	}
	if strings.Contains(e.Message, "struct") || strings.Contains(e.Message, "map[") || strings.Contains(e.Message, "interface") {
		t.Fatalf("status %d: message %q shows a Go type", a.StatusCode, e.Message)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkPage fails unless a console answer is a page (2xx or 4xx HTML; a
// 4xx says what is wrong in an alert, next to a field, or as an error
// page) or a redirect to a path on this site.
func checkPage(t *testing.T, a answer) {
	t.Helper()
	switch s := a.StatusCode; {
	case s >= 500:
		t.Fatalf("status %d: %s", s, a.body)
	case s == http.StatusSeeOther:
		if loc := a.Header.Get("Location"); !localTarget(loc) {
			t.Fatalf("redirect to %q, not a path on this site", loc)
		}
		return
	case muxAnswer(a):
		return
	}
	if ct := a.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Fatalf("status %d with Content-Type %q: %.200s", a.StatusCode, ct, a.body)
	}
	if a.StatusCode >= 400 && !strings.Contains(a.body, `role="alert"`) &&
		!strings.Contains(a.body, `class="field-error"`) && !strings.Contains(a.body, `class="status-code"`) &&
		!strings.Contains(a.body, `This link does not work`) {
		t.Fatalf("status %d page says nothing of what is wrong: %.2000s", a.StatusCode, a.body)
	}
}

// localTarget reports whether a redirect's Location stays on this site:
// a path, not "//host" nor "/\host" (which browsers read as a host).
func localTarget(loc string) bool {
	if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\") {
		return false
	}
	u, err := url.Parse(loc)
	return err == nil && u.Host == "" && u.Scheme == ""
}
