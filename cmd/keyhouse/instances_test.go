package main

import (
	"bytes"
	"context"
	"database/sql"
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

// post sends a form or JSON body with headers and returns the status.
func (in *instance) send(t *testing.T, path, contentType, body string, header map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", in.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

// TestSeveralInstances runs two `keyhouse serve` on one PostgreSQL
// database: a session, a key and a token made on one work on the other, a
// deletion on one is refused by the other within a second, intake on
// both stores every event once, and `signing-keys rotate --revoke` ends the
// old key's tokens on both within a second.
func TestSeveralInstances(t *testing.T) {
	p := startPair(t)
	a, b, dsn, secret, app, sess := p.a, p.b, p.dsn, p.secret, p.app, p.sess

	// A client on B, a key on A, a token for it on B, intake on both.
	var client struct{ ClientID string }
	b.call(t, sess, "POST", "/api/v1/environments/sandbox/clients", map[string]string{"name": "Shop"}, 201, &jsonCase{&client})
	keys := "/api/v1/environments/sandbox/clients/" + client.ClientID + "/keys"
	var gen struct{ KeyID, APIKey string }
	a.call(t, sess, "POST", keys, map[string]string{}, 201, &jsonCase{&gen})
	basic := map[string]string{"Authorization": "Basic " + gen.APIKey}
	status, body := b.send(t, "/as/token", "application/x-www-form-urlencoded", "grant_type=client_credentials", basic)
	if status != 200 {
		t.Fatalf("token on B for a key made on A: %d %s", status, body)
	}
	tok := regexp.MustCompile(`"access_token":"([^"]+)"`).FindStringSubmatch(body)[1]
	bearer := map[string]string{"Authorization": "Bearer " + tok}
	accepted := 0
	for i := range 20 {
		in := []*instance{a, b}[i%2]
		if status, body := in.send(t, "/v1/events", "application/x-ndjson", "{\"n\":1}\n{\"n\":2}", bearer); status != 202 {
			t.Fatalf("intake: %d %s", status, body)
		}
		accepted += 2
	}
	if n := countEvents(t, dsn, gen.KeyID); n != accepted {
		t.Fatalf("%d events stored, %d accepted", n, accepted)
	}

	// Delete on B; A refuses the token it has verified and cached before,
	// and the key, within a second.
	b.call(t, sess, "DELETE", keys+"/"+gen.KeyID, map[string]string{"confirm_client_id": client.ClientID}, 204, nil)
	accepted += waitRefused(t, a, bearer)
	if status, _ := a.send(t, "/as/token", "application/x-www-form-urlencoded", "grant_type=client_credentials", basic); status != 401 {
		t.Errorf("A gives the deleted key a token: %d", status)
	}
	if n := countEvents(t, dsn, gen.KeyID); n != accepted {
		t.Errorf("%d events stored, %d accepted", n, accepted)
	}
	// Drop both instances' listening connections, then delete a key that
	// A holds in memory: A reconnects, reloads, and refuses it within 1 s.
	var gen2 struct{ KeyID, APIKey string }
	a.call(t, sess, "POST", keys, map[string]string{}, 201, &jsonCase{&gen2})
	_, body = b.send(t, "/as/token", "application/x-www-form-urlencoded", "grant_type=client_credentials", map[string]string{"Authorization": "Basic " + gen2.APIKey})
	bearer2 := map[string]string{"Authorization": "Bearer " + regexp.MustCompile(`"access_token":"([^"]+)"`).FindStringSubmatch(body)[1]}
	if status, _ := a.send(t, "/v1/events", "application/json", `{}`, bearer2); status != 202 {
		t.Fatalf("intake on A with the second key: %d", status)
	}
	if n := terminateListeners(t, dsn, app); n != 2 {
		t.Fatalf("terminated %d listening connections, want 2", n)
	}
	b.call(t, sess, "DELETE", keys+"/"+gen2.KeyID, map[string]string{"confirm_client_id": client.ClientID}, 204, nil)
	waitRefused(t, a, bearer2)

	var gen3 struct{ KeyID, APIKey string }
	a.call(t, sess, "POST", keys, map[string]string{}, 201, &jsonCase{&gen3})
	revokeAcross(t, []string{"--db", dsn, "--secret-file", secret}, gen3.APIKey, a, b)

	for _, in := range []*instance{a, b} {
		if err := in.stop(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}
}

// pair is two `keyhouse serve` on one PostgreSQL database, and the
// session of the Owner of the organization set up through them.
type pair struct {
	a, b                   *instance
	dsn, secret, app, sess string
}

// startPair starts two instances together (migrations must not race),
// sets up on A, activates on B, signs in on A and checks the session on B.
func startPair(t *testing.T) *pair {
	p := &pair{app: "kh_" + strings.ToLower(keyhouse.RandomBase62(10))} // names this test's connections
	p.dsn = keyhousetest.PostgresDSN(t) + "&application_name=" + p.app
	p.secret = filepath.Join(t.TempDir(), "keyhouse.secret")
	if _, _, err := seal.LoadKeyFile(p.secret, true); err != nil {
		t.Fatal(err)
	}
	var errA, errB error
	var wg sync.WaitGroup
	wg.Go(func() { p.a, errA = tryServe(t, "--db", p.dsn, "--secret-file", p.secret) })
	wg.Go(func() { p.b, errB = tryServe(t, "--db", p.dsn, "--secret-file", p.secret) })
	wg.Wait()
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	a, b := p.a, p.b
	m := regexp.MustCompile(`setup_url="?\S+token=(khl_[A-Za-z0-9]+)`).FindStringSubmatch(a.log.String() + b.log.String())
	if m == nil {
		t.Fatalf("no setup link in the logs")
	}
	var created struct{ OrganizationID, ActivationURL string }
	a.call(t, "", "POST", "/api/v1/setup", map[string]string{"token": m[1], "organization_name": "Acme", "owner_email": "owner@acme.example"}, 201, &jsonCase{&created})
	act := strings.SplitN(created.ActivationURL, "token=", 2)[1]
	var enr struct{ TOTPSecret string }
	b.call(t, "", "POST", "/api/v1/activations", map[string]string{"token": act, "password": "Correct-Horse-9battery"}, 200, &jsonCase{&enr})
	b.call(t, "", "POST", "/api/v1/activations/confirm", map[string]string{"token": act, "otp": code(t, enr.TOTPSecret, 0)}, 200, nil)
	var sess struct{ Token string }
	a.call(t, "", "POST", "/api/v1/sessions", map[string]string{"email": "owner@acme.example", "password": "Correct-Horse-9battery", "otp": code(t, enr.TOTPSecret, 1)}, 201, &sess)
	b.call(t, sess.Token, "GET", "/api/v1/me", nil, 200, nil)
	p.sess = sess.Token
	return p
}

// waitRefused posts events with bearer to in until it answers 401, and
// fails if that takes over a second. It returns how many were accepted
// meanwhile.
func waitRefused(t *testing.T, in *instance, bearer map[string]string) int {
	t.Helper()
	accepted := 0
	for deadline := time.Now().Add(time.Second); ; time.Sleep(5 * time.Millisecond) {
		status, _ := in.send(t, "/v1/events", "application/json", `{"late":true}`, bearer)
		if status == 401 {
			return accepted
		}
		if status != 202 || time.Now().After(deadline) {
			t.Fatalf("the deleted key's token is still accepted after 1 s: %d", status)
		}
		accepted++
	}
}

// terminateListeners ends the LISTEN connections of application app and
// returns how many there were.
func terminateListeners(t *testing.T, dsn, app string) int {
	return queryInt(t, dsn, `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND query LIKE 'LISTEN%'`, app)
}

// countEvents counts the stored events of a key in the database at dsn.
func countEvents(t *testing.T, dsn, keyID string) int {
	return queryInt(t, dsn, `SELECT COUNT(*) FROM events WHERE key_id = $1`, keyID)
}

// queryInt runs a one-number query on the database at dsn.
func queryInt(t *testing.T, dsn, query string, arg any) int {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(context.Background(), query, arg).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
