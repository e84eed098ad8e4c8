package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/seal"
)

// outageAnswer is one response seen during an outage test.
type outageAnswer struct {
	status int
	body   string
	header http.Header
}

// timer sends requests and keeps the slowest outageAnswer time.
type timer struct {
	mu      sync.Mutex
	slowest time.Duration
}

// do sends a request to in and returns its outageAnswer; a transport error
// fails the test (a request that hangs fails at the client's 10 s).
func (tm *timer) do(t *testing.T, in *instance, method, path, contentType, body string, header map[string]string) outageAnswer {
	t.Helper()
	req, _ := http.NewRequest(method, in.base+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	took := time.Since(start)
	tm.mu.Lock()
	tm.slowest = max(tm.slowest, took)
	tm.mu.Unlock()
	if took > 2*time.Second {
		t.Errorf("%s %s took %v during the outage, want under 2 s", method, path, took)
	}
	return outageAnswer{status: resp.StatusCode, body: string(b), header: resp.Header}
}

// token asks in for a token with an API key.
func (tm *timer) token(t *testing.T, in *instance, apiKey string) outageAnswer {
	t.Helper()
	return tm.do(t, in, "POST", "/as/token", "application/x-www-form-urlencoded", "grant_type=client_credentials",
		map[string]string{"Authorization": "Basic " + apiKey})
}

// wantUnavailable checks a 503 with Retry-After and the body's code:
// "unavailable" for the API, "temporarily_unavailable" for OAuth.
func wantUnavailable(t *testing.T, what string, a outageAnswer, oauth bool) {
	t.Helper()
	var body struct {
		Code  string `json:"code"`
		Error string `json:"error"`
	}
	_ = json.Unmarshal([]byte(a.body), &body)
	code, want := body.Code, keyhouse.EUNAVAILABLE
	if oauth {
		code, want = body.Error, "temporarily_unavailable"
	}
	if a.status != 503 || code != want || a.header.Get("Retry-After") == "" {
		t.Errorf("%s during the outage: %d %q (Retry-After %q), want 503 %q with Retry-After",
			what, a.status, a.body, a.header.Get("Retry-After"), want)
	}
}

// tenant is an organization made through the API: a signed-in owner's
// session, a client and the path of its keys.
type tenant struct {
	session string
	client  string
	keys    string
}

// newTenant sets up an organization on in from the setup link in its log
// (or in the log of other instances), signs its owner in and makes a
// client.
func newTenant(t *testing.T, in *instance, logs ...*instance) tenant {
	t.Helper()
	text := in.log.String()
	for _, o := range logs {
		text += o.log.String()
	}
	m := regexp.MustCompile(`setup_url="?\S+token=(khl_[A-Za-z0-9]+)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatal("no setup link in the logs")
	}
	var created struct{ OrganizationID, ActivationURL string }
	in.call(t, "", "POST", "/api/v1/setup", map[string]string{"token": m[1], "organization_name": "Acme", "owner_email": "owner@acme.example"}, 201, &jsonCase{&created})
	act := strings.SplitN(created.ActivationURL, "token=", 2)[1]
	var enr struct{ TOTPSecret string }
	in.call(t, "", "POST", "/api/v1/activations", map[string]string{"token": act, "password": "Correct-Horse-9battery"}, 200, &jsonCase{&enr})
	in.call(t, "", "POST", "/api/v1/activations/confirm", map[string]string{"token": act, "otp": code(t, enr.TOTPSecret, 0)}, 200, nil)
	var sess struct{ Token string }
	in.call(t, "", "POST", "/api/v1/sessions", map[string]string{"email": "owner@acme.example", "password": "Correct-Horse-9battery", "otp": code(t, enr.TOTPSecret, 1)}, 201, &sess)
	var client struct{ ClientID string }
	in.call(t, sess.Token, "POST", "/api/v1/environments/sandbox/clients", map[string]string{"name": "Shop"}, 201, &jsonCase{&client})
	return tenant{session: sess.Token, client: client.ClientID, keys: "/api/v1/environments/sandbox/clients/" + client.ClientID + "/keys"}
}

// apiKey is a key made through the API.
type apiKey struct{ KeyID, APIKey string }

// newKey makes a key of the tenant's client on in.
func (tn tenant) newKey(t *testing.T, in *instance) apiKey {
	t.Helper()
	var k apiKey
	in.call(t, tn.session, "POST", tn.keys, map[string]string{}, 201, &jsonCase{&k})
	return k
}

// bearer returns the Authorization header of a token in's token endpoint
// gives k.
func bearer(t *testing.T, in *instance, k apiKey) map[string]string {
	t.Helper()
	a := (&timer{}).token(t, in, k.APIKey)
	m := regexp.MustCompile(`"access_token":"([^"]+)"`).FindStringSubmatch(a.body)
	if a.status != 200 || m == nil {
		t.Fatalf("token: %d %s", a.status, a.body)
	}
	return map[string]string{"Authorization": "Bearer " + m[1]}
}

// TestOutagePostgres cuts instances A and C off PostgreSQL (a proxy of
// the test's between them; the server and instance B are untouched) and
// restores them. During the cut every route of A that needs the store
// answers 503 with Retry-After within 2 s and /readyz says 503; token
// issue for keys in A's memory goes on for --stale-keys-for (3 s), then
// waits for the store. C, whose --stale-keys-for outlasts the test, goes
// on issuing from memory: once the store is back it refuses the key
// deleted through B meanwhile, which only its listener's reconnection
// and reload can tell it. A serves again within 5 s, with no restart, and
// nothing A answered 503 was stored.
func TestOutagePostgres(t *testing.T) {
	const grace = 3 * time.Second
	dsn := keyhousetest.PostgresDSN(t)
	proxy, cut := keyhousetest.ProxyDSN(t, dsn)
	secret := filepath.Join(t.TempDir(), "keyhouse.secret")
	if _, _, err := seal.LoadKeyFile(secret, true); err != nil {
		t.Fatal(err)
	}
	a := startServe(t, "--db", cut, "--secret-file", secret, "--stale-keys-for", grace.String())
	b := startServe(t, "--db", dsn, "--secret-file", secret)
	c := startServe(t, "--db", cut, "--secret-file", secret, "--stale-keys-for", "1h")
	tn := newTenant(t, b, a, c)
	kept, deleted := tn.newKey(t, b), tn.newKey(t, b)
	keptBearer, deletedBearer := bearer(t, a, kept), bearer(t, a, deleted) // both in A's memory now
	bearer(t, c, kept)
	bearer(t, c, deleted)
	var tm timer
	if got := tm.do(t, a, "GET", "/readyz", "", "", nil); got.status != 200 {
		t.Fatalf("/readyz before the outage: %d %s", got.status, got.body)
	}
	accepted := 0
	if got := tm.do(t, a, "POST", "/v1/events", "application/json", `{"before":true}`, keptBearer); got.status != 202 {
		t.Fatalf("intake before the outage: %d %s", got.status, got.body)
	}
	accepted++

	proxy.Cut()
	cutAt := time.Now()
	tm = timer{}
	// Within the grace, A issues tokens from memory; the rest waits.
	if got := tm.token(t, a, kept.APIKey); got.status != 200 && time.Since(cutAt) < grace {
		t.Errorf("token for a key in memory, %v into the outage: %d %s", time.Since(cutAt), got.status, got.body)
	}
	b.call(t, tn.session, "DELETE", tn.keys+"/"+deleted.KeyID, map[string]string{"confirm_client_id": tn.client}, 204, nil)
	made := tn.newKey(t, b) // unknown to A
	checkRoutesGone(t, &tm, a, tn, keptBearer, made)
	time.Sleep(time.Until(cutAt.Add(grace + 100*time.Millisecond)))
	wantUnavailable(t, "token for a key in memory past the grace", tm.token(t, a, kept.APIKey), true)
	wantUnavailable(t, "token for the key deleted through B", tm.token(t, a, deleted.APIKey), true)
	for _, k := range []apiKey{kept, deleted} { // the risk that --stale-keys-for bounds
		if got := tm.token(t, c, k.APIKey); got.status != 200 {
			t.Errorf("C, token from memory %v into the outage: %d %s", time.Since(cutAt), got.status, got.body)
		}
	}
	t.Logf("PostgreSQL outage: slowest outageAnswer %v", tm.slowest)

	proxy.Restore()
	ready := keyhousetest.WaitFor(t, 5*time.Second, "A ready again", func() bool {
		return tm.do(t, a, "GET", "/readyz", "", "", nil).status == 200
	})
	served := keyhousetest.WaitFor(t, 5*time.Second, "A serves the API again", func() bool {
		return tm.do(t, a, "GET", "/api/v1/me", "", "", map[string]string{"Authorization": "Bearer " + tn.session}).status == 200
	})
	refused := keyhousetest.WaitFor(t, 5*time.Second, "A refuses the key deleted during the outage", func() bool {
		return tm.token(t, a, deleted.APIKey).status == 401
	})
	heard := keyhousetest.WaitFor(t, 5*time.Second, "C refuses the key deleted during the outage", func() bool {
		return tm.token(t, c, deleted.APIKey).status == 401
	})
	t.Logf("PostgreSQL recovery: A's /readyz 200 after %v, A's API after %v more, A refuses the deleted key after %v more, C after %v more",
		ready, served, refused, heard)
	if got := tm.do(t, a, "POST", "/v1/events", "application/json", `{"deleted":true}`, deletedBearer); got.status != 401 {
		t.Errorf("intake on A with the deleted key's token after the outage: %d %s", got.status, got.body)
	}
	if got := tm.token(t, a, kept.APIKey); got.status != 200 {
		t.Errorf("token for the kept key after the outage: %d %s", got.status, got.body)
	}
	if got := tm.do(t, a, "POST", "/v1/events", "application/json", `{"after":true}`, keptBearer); got.status != 202 {
		t.Errorf("intake after the outage: %d %s", got.status, got.body)
	}
	accepted++
	if n := countEvents(t, dsn, kept.KeyID); n != accepted {
		t.Errorf("%d events stored, %d accepted: what was answered 503 must not be stored", n, accepted)
	}
	checkKeyCount(t, b, tn, 2) // kept and made: the key A was asked for during the outage does not exist
	for _, in := range []*instance{a, b, c} {
		if err := in.stop(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}
}

// checkRoutesGone checks what in answers while its store is gone: 503
// with Retry-After on routes that read or write the store, /readyz 503,
// and a token for a key it does not hold in memory (unknown) 503.
func checkRoutesGone(t *testing.T, tm *timer, in *instance, tn tenant, bearer map[string]string, unknown apiKey) {
	t.Helper()
	session := map[string]string{"Authorization": "Bearer " + tn.session}
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/readyz", ""},
		{"GET", "/api/v1/me", ""},
		{"GET", "/api/v1/environments/sandbox/clients", ""},
		{"POST", tn.keys, `{"description":"during the outage"}`},
	} {
		wantUnavailable(t, r.method+" "+r.path, tm.do(t, in, r.method, r.path, "application/json", r.body, session), false)
	}
	wantUnavailable(t, "intake", tm.do(t, in, "POST", "/v1/events", "application/x-ndjson", "{\"during\":1}\n{\"during\":2}", bearer), false)
	wantUnavailable(t, "sign-in", tm.do(t, in, "POST", "/api/v1/sessions", "application/json",
		`{"email":"owner@acme.example","password":"Correct-Horse-9battery","otp":"000000"}`, nil), false)
	wantUnavailable(t, "token for a key not in memory", tm.token(t, in, unknown.APIKey), true)
}

// checkKeyCount checks how many keys the tenant's client has.
func checkKeyCount(t *testing.T, in *instance, tn tenant, want int) {
	t.Helper()
	var list struct {
		Clients []struct {
			Keys []json.RawMessage `json:"keys"`
		} `json:"clients"`
	}
	in.call(t, tn.session, "GET", "/api/v1/environments/sandbox/clients", nil, 200, &list)
	if len(list.Clients) != 1 || len(list.Clients[0].Keys) != want {
		t.Errorf("keys after the outage: %+v, want %d", list, want)
	}
}

// TestOutageSQLite holds the SQLite database's write lock from another
// connection, as another process would, and releases it: meanwhile every
// route that writes answers 503 with Retry-After within 2 s, /readyz says
// 503, token issue goes on from memory (on SQLite every deletion goes
// through this process, so memory is current); afterwards keyhouse serves
// again within 5 s and nothing answered 503 was stored.
func TestOutageSQLite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "kh.db")
	in := startServe(t, "--db", "sqlite:"+db)
	tn := newTenant(t, in)
	k := tn.newKey(t, in)
	bear := bearer(t, in, k)
	var tm timer
	if got := tm.do(t, in, "POST", "/v1/events", "application/json", `{"before":true}`, bear); got.status != 202 {
		t.Fatalf("intake before the outage: %d %s", got.status, got.body)
	}
	release := holdWriteLock(t, db)
	tm = timer{}
	session := map[string]string{"Authorization": "Bearer " + tn.session}
	wantUnavailable(t, "/readyz", tm.do(t, in, "GET", "/readyz", "", "", nil), false)
	wantUnavailable(t, "intake", tm.do(t, in, "POST", "/v1/events", "application/json", `{"during":true}`, bear), false)
	wantUnavailable(t, "key create", tm.do(t, in, "POST", tn.keys, "application/json", `{}`, session), false)
	wantUnavailable(t, "sign-in", tm.do(t, in, "POST", "/api/v1/sessions", "application/json",
		`{"email":"owner@acme.example","password":"Correct-Horse-9battery","otp":"000000"}`, nil), false)
	if got := tm.token(t, in, k.APIKey); got.status != 200 {
		t.Errorf("token for a key in memory while the database is locked: %d %s", got.status, got.body)
	}
	t.Logf("SQLite outage (write lock held): slowest outageAnswer %v", tm.slowest)

	release()
	ready := keyhousetest.WaitFor(t, 5*time.Second, "ready again", func() bool {
		return tm.do(t, in, "GET", "/readyz", "", "", nil).status == 200
	})
	stored := keyhousetest.WaitFor(t, 5*time.Second, "intake again", func() bool {
		return tm.do(t, in, "POST", "/v1/events", "application/json", `{"after":true}`, bear).status == 202
	})
	t.Logf("SQLite recovery: /readyz 200 after %v, intake after %v more", ready, stored)
	var n int
	if err := openSQLite(t, db).QueryRow(`SELECT COUNT(*) FROM events`).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d events stored (%v), want the 2 accepted", n, err)
	}
	checkKeyCount(t, in, tn, 1)
	if err := in.stop(); err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

// openSQLite opens the database file for the test's own queries.
func openSQLite(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// holdWriteLock takes the SQLite database's write lock on a connection of
// the test's (BEGIN EXCLUSIVE) and returns the function that releases it.
func holdWriteLock(t *testing.T, path string) func() {
	t.Helper()
	conn, err := openSQLite(t, path).Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatalf("take the write lock: %v", err)
	}
	return func() {
		if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
			t.Errorf("release the write lock: %v", err)
		}
		conn.Close()
	}
}
