package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"keyhouse/internal/openapitest"
)

// syncBuffer is a bytes.Buffer safe for one writer and many readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// instance is a keyhouse serve running in-process on 127.0.0.1:0.
type instance struct {
	base string
	log  *syncBuffer
	stop func() error
}

// startServe runs `keyhouse serve` with args and waits for its address.
func startServe(t *testing.T, args ...string) *instance {
	t.Helper()
	in, err := tryServe(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// tryServe is startServe for goroutines: it reports instead of failing.
func tryServe(t *testing.T, args ...string) (*instance, error) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	log := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), func(string) string { return "" }, io.Discard, log)
	}()
	stop := func() error { cancel(); return <-done }
	addr := regexp.MustCompile(`keyhouse listening" addr=(\S+)`)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := addr.FindStringSubmatch(log.String()); m != nil {
			return &instance{base: "http://" + m[1], log: log, stop: stop}, nil
		}
		select {
		case err := <-done:
			return nil, fmt.Errorf("serve exited: %v\n%s", err, log.String())
		default:
		}
	}
	cancel()
	return nil, fmt.Errorf("serve did not start:\n%s", log.String())
}

// call sends a JSON request and decodes a JSON answer into out (if any).
// The request and the answer are checked against the OpenAPI document.
func (in *instance) call(t *testing.T, token, method, path string, body any, want int, out any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, in.base+path, r)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "keyhouse-e2e")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Transport: openapitest.Transport(t, nil)}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

// code returns the TOTP code of secret for the step offset steps from now.
func code(t *testing.T, secret string, offset int) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, time.Now().Add(time.Duration(offset)*30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// secrets collects every secret the flow sees, to look for afterwards.
type secrets []string

func (s *secrets) add(v string) string { *s = append(*s, v); return v }

// TestServeEndToEnd walks the whole first-run flow against a real
// `keyhouse serve`: setup → activate → sign in with TOTP → initialize a
// client → generate a key → edit its description → delete it with the
// confirmation → `signing-keys rotate --revoke` from the command line,
// whose old key's token the server refuses within a second. Then it checks that no secret reached the log or the
// database file in plaintext, and that the server shuts down cleanly.
func TestServeEndToEnd(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "kh.db")
	in := startServe(t, "--db", "sqlite:"+db)
	var seen secrets

	m := regexp.MustCompile(`setup_url="?\S+token=(khl_[A-Za-z0-9]+)`).FindStringSubmatch(in.log.String())
	if m == nil {
		t.Fatalf("no setup link in the log:\n%s", in.log.String())
	}
	var created struct{ OrganizationID, ActivationURL string }
	in.call(t, "", "POST", "/api/v1/setup", map[string]string{"token": m[1], "organization_name": "Acme", "owner_email": "owner@acme.example"}, 201, &jsonCase{&created})
	in.call(t, "", "POST", "/api/v1/setup", map[string]string{"token": m[1], "organization_name": "Again", "owner_email": "x@acme.example"}, 422, nil)

	act := seen.add(strings.SplitN(created.ActivationURL, "token=", 2)[1])
	if strings.Contains(in.log.String(), act) {
		t.Error("the activation link made through the API reached the log; only its caller may have it")
	}
	password := seen.add("Correct-Horse-9battery")
	var enr struct{ TOTPSecret, OTPAuthURI string }
	in.call(t, "", "POST", "/api/v1/activations", map[string]string{"token": act, "password": password}, 200, &jsonCase{&enr})
	seen.add(enr.TOTPSecret)
	in.call(t, "", "POST", "/api/v1/activations/confirm", map[string]string{"token": act, "otp": code(t, enr.TOTPSecret, 0)}, 200, nil)

	var sess struct{ Token string }
	in.call(t, "", "POST", "/api/v1/sessions", map[string]string{"email": "owner@acme.example", "password": password, "otp": code(t, enr.TOTPSecret, 1)}, 201, &sess)
	tok := seen.add(sess.Token)

	var client struct{ ClientID string }
	in.call(t, tok, "POST", "/api/v1/environments/sandbox/clients", map[string]string{"name": "Web shop"}, 201, &jsonCase{&client})
	keys := "/api/v1/environments/sandbox/clients/" + client.ClientID + "/keys"
	var gen struct{ KeyID, APIKey, Secret string }
	in.call(t, tok, "POST", keys, map[string]string{"description": "checkout"}, 201, &jsonCase{&gen})
	seen.add(gen.APIKey)
	seen.add(gen.Secret)
	in.call(t, tok, "PATCH", keys+"/"+gen.KeyID, map[string]string{"description": "checkout, EU"}, 200, nil)
	in.call(t, tok, "PATCH", keys+"/"+gen.KeyID, map[string]string{"description": strings.Repeat("x", 256)}, 422, nil)

	var list struct {
		Clients []struct {
			ClientID string `json:"client_id"`
			Keys     []struct {
				KeyID       string `json:"key_id"`
				Description string `json:"description"`
			} `json:"keys"`
		} `json:"clients"`
	}
	in.call(t, tok, "GET", "/api/v1/environments/sandbox/clients", nil, 200, &list)
	if len(list.Clients) != 1 || len(list.Clients[0].Keys) != 1 || list.Clients[0].Keys[0].Description != "checkout, EU" {
		t.Fatalf("clients = %+v", list)
	}
	in.call(t, tok, "DELETE", keys+"/"+gen.KeyID, map[string]string{"confirm_client_id": client.ClientID + " "}, 422, nil)
	in.call(t, tok, "DELETE", keys+"/"+gen.KeyID, map[string]string{"confirm_client_id": client.ClientID}, 204, nil)
	in.call(t, tok, "GET", "/api/v1/environments/sandbox/clients", nil, 200, &list)
	if len(list.Clients[0].Keys) != 0 {
		t.Fatalf("key still listed after delete: %+v", list)
	}
	// The command line revokes the signing key of the running server (on
	// SQLite: the server finds the change by polling the stored keys).
	var gen2 struct{ KeyID, APIKey, Secret string }
	in.call(t, tok, "POST", keys, map[string]string{}, 201, &jsonCase{&gen2})
	seen.add(gen2.APIKey)
	seen.add(gen2.Secret)
	revokeAcross(t, []string{"--db", "sqlite:" + db}, gen2.APIKey, in)

	in.call(t, tok, "DELETE", "/api/v1/sessions/current", nil, 204, nil)
	in.call(t, tok, "GET", "/api/v1/me", nil, 401, nil)

	if err := in.stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if fi, err := os.Stat(db + ".secret"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("server secret file: %v, %v; want mode 0600", fi, err)
	}
	if !strings.Contains(in.log.String(), `msg=stopped`) {
		t.Errorf("no clean stop in the log")
	}
	assertNoSecrets(t, seen, in.log.String(), dir)
}

// assertNoSecrets fails when any secret appears in the log or in any file
// under dir (the database, its WAL, the secret file).
func assertNoSecrets(t *testing.T, seen secrets, log, dir string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) < 2 {
		t.Fatalf("expected the database and its secret file in %s, found %v", dir, files)
	}
	for _, s := range seen {
		if s == "" {
			t.Fatal("an empty secret was collected")
		}
		if strings.Contains(log, s) {
			t.Errorf("the log holds a secret (%d characters)", len(s))
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds a secret (%d characters) in plaintext", filepath.Base(f), len(s))
			}
		}
	}
}

// jsonCase decodes snake_case JSON fields into a struct with CamelCase
// field names: "client_id" fills ClientID.
type jsonCase struct{ v any }

func (j *jsonCase) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	camel := map[string]json.RawMessage{}
	for k, v := range m {
		camel[strings.NewReplacer("_id", "ID", "_url", "URL", "_uri", "URI", "totp", "TOTP", "api_key", "APIKey", "_", "").Replace(k)] = v
	}
	b, _ = json.Marshal(camel)
	return json.Unmarshal(b, j.v)
}
