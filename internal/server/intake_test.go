package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"keyhouse"
	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/server"
	"keyhouse/internal/service"
)

const ndjson = "application/x-ndjson"

// countEvents returns how many events of the key are stored.
func (f *dataFixture) countEvents(t *testing.T, keyID string) int {
	t.Helper()
	var n int
	err := f.e.Store.DB().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM events WHERE key_id = $1`, keyID).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestIntake(t *testing.T) {
	f := newDataFixture(t)
	bearer := map[string]string{"Authorization": "Bearer " + f.token(t, f.key.APIKey)}
	lines := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "{\"n\":%d}\n", i)
		}
		return b.String()
	}
	tests := []struct {
		name, contentType, body string
		header                  map[string]string
		status, accepted        int
		code                    string
	}{
		{"one object", "application/json", `{"order":"A-1","amount":12.5}`, bearer, 202, 1, ""},
		{"batch", ndjson, "{\"a\":1}\n\n{\"a\":2}\r\n{\"a\":3}", bearer, 202, 3, ""},
		{"1000 events", ndjson, lines(1000), bearer, 202, 1000, ""},
		{"1001 events", ndjson, lines(1001), bearer, 413, 0, "too_large"},
		{"over 1 MiB", "application/json", `{"x":"` + strings.Repeat("a", 1<<20) + `"}`, bearer, 413, 0, "too_large"},
		{"not an object", "application/json", `[1,2]`, bearer, 400, 0, "bad_request"},
		{"malformed line", ndjson, "{\"a\":1}\n{\"a\":", bearer, 400, 0, "bad_request"},
		{"empty batch", ndjson, "\n\n", bearer, 400, 0, "bad_request"},
		{"wrong content type", "text/plain", `{"a":1}`, bearer, 415, 0, "unsupported_media_type"},
		{"no token", "application/json", `{"a":1}`, nil, 401, 0, "invalid_token"},
		{"garbage token", "application/json", `{"a":1}`, map[string]string{"Authorization": "Bearer abc.def.ghi"}, 401, 0, "invalid_token"},
		{"API key instead of a token", "application/json", `{"a":1}`, map[string]string{"Authorization": "Basic " + f.key.APIKey}, 401, 0, "invalid_token"},
	}
	total := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := f.post(t, "/v1/events", tt.contentType, tt.body, tt.header)
			if status != tt.status || h.Get("X-Correlation-Id") == "" {
				t.Fatalf("got %d %s (%v), want %d", status, body, h, tt.status)
			}
			if tt.status != 202 {
				var e struct{ Code, Message string }
				json.Unmarshal([]byte(body), &e)
				if e.Code != tt.code || e.Message == "" {
					t.Errorf("error body %s, want code %s", body, tt.code)
				}
				if status == 401 && h.Get("WWW-Authenticate") != `Bearer realm="keyhouse", error="invalid_token"` {
					t.Errorf("WWW-Authenticate = %q", h.Get("WWW-Authenticate"))
				}
				return
			}
			var ok struct {
				Accepted int
				IDs      []string
			}
			json.Unmarshal([]byte(body), &ok)
			if ok.Accepted != tt.accepted || len(ok.IDs) != tt.accepted {
				t.Errorf("202 body %.200s, want %d accepted", body, tt.accepted)
			}
			total += tt.accepted
		})
	}
	if got := f.countEvents(t, f.key.KeyID); got != total {
		t.Errorf("%d events stored, %d accepted", got, total)
	}
	// The summary of the API Keys page counts them.
	_, body := f.do(t, f.owner.Token, "GET", "/api/v1/environments/sandbox/clients", "")
	if !strings.Contains(body, fmt.Sprintf(`"total":%d`, total)) || !strings.Contains(body, `"last_received_at":"20`) {
		t.Errorf("summary after intake: %s", body)
	}
}

func TestCorrelationID(t *testing.T) {
	f := newDataFixture(t)
	_, h, _ := f.post(t, "/v1/events", "application/json", `{}`, map[string]string{"X-Correlation-Id": "order-42"})
	if h.Get("X-Correlation-Id") != "order-42" {
		t.Errorf("correlation id not echoed: %q", h.Get("X-Correlation-Id"))
	}
	_, h, _ = f.post(t, "/v1/events", "application/json", `{}`, map[string]string{"X-Correlation-Id": "bad id / injected"})
	if got := h.Get("X-Correlation-Id"); got == "" || strings.Contains(got, " ") {
		t.Errorf("unsafe correlation id echoed: %q", got)
	}
}

// TestDeletionStopsDataAtOnce: token issued, event accepted, key deleted
// through the management API, the same token refused, a new token refused.
func TestDeletionStopsDataAtOnce(t *testing.T) {
	f := newDataFixture(t)
	tok := f.token(t, f.key.APIKey)
	bearer := map[string]string{"Authorization": "Bearer " + tok}
	if status, _, body := f.post(t, "/v1/events", "application/json", `{"before":"delete"}`, bearer); status != 202 {
		t.Fatalf("before delete: %d %s", status, body)
	}
	path := "/api/v1/environments/sandbox/clients/" + f.client["own"] + "/keys/" + f.key.KeyID
	if status, body := f.do(t, f.owner.Token, "DELETE", path, `{"confirm_client_id":"`+f.client["own"]+`"}`); status != 204 {
		t.Fatalf("delete: %d %s", status, body)
	}
	if status, _, body := f.post(t, "/v1/events", "application/json", `{"after":"delete"}`, bearer); status != 401 {
		t.Errorf("the deleted key's token: %d %s", status, body)
	}
	status, _, _ := f.post(t, "/as/token", form, "grant_type=client_credentials", map[string]string{"Authorization": "Basic " + f.key.APIKey})
	if status != 401 {
		t.Errorf("a new token for the deleted key: %d", status)
	}
	if n := f.countEvents(t, f.key.KeyID); n != 1 {
		t.Errorf("%d events stored, want the one before the deletion", n)
	}
}

func TestExpiredToken(t *testing.T) {
	f := newDataFixture(t)
	bearer := map[string]string{"Authorization": "Bearer " + f.token(t, f.key.APIKey)}
	if status, _, _ := f.post(t, "/v1/events", "application/json", `{}`, bearer); status != 202 {
		t.Fatalf("fresh token: %d", status)
	}
	f.e.Clock.Add(1200*time.Second + time.Minute) // past expiry and leeway
	if status, _, _ := f.post(t, "/v1/events", "application/json", `{}`, bearer); status != 401 {
		t.Errorf("expired token (cached before): %d", status)
	}
}

// TestConcurrentIntake sends from many clients at once: every 202 is
// stored exactly once.
func TestConcurrentIntake(t *testing.T) {
	f := newDataFixture(t)
	bearer := map[string]string{"Authorization": "Bearer " + f.token(t, f.key.APIKey)}
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted := 0
	for i := range 16 {
		wg.Go(func() {
			for j := range 10 {
				body := fmt.Sprintf("{\"w\":%d,\"j\":%d}\n{\"w\":%d,\"j\":%d}", i, j, i, j)
				req, _ := http.NewRequest("POST", f.srv.URL+"/v1/events", strings.NewReader(body))
				req.Header.Set("Content-Type", ndjson)
				req.Header.Set("Authorization", bearer["Authorization"])
				resp, err := http.DefaultClient.Do(req) // not f.post: no t.Fatal off the test's goroutine
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode == 202 {
					mu.Lock()
					accepted += 2
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if accepted != 320 {
		t.Errorf("%d events accepted, want 320", accepted)
	}
	if n := f.countEvents(t, f.key.KeyID); n != accepted {
		t.Errorf("%d events stored, %d accepted", n, accepted)
	}
}

// TestIntakeRateLimit: a key over its rate gets 429 with the error JSON
// and Retry-After, and another key is not slowed by it.
func TestIntakeRateLimit(t *testing.T) {
	e := keyhousetest.New(t, func(c *service.Config) { c.IntakeRate = 1 }) // bursts of 2
	e.Run(t)
	owner := e.NewOrg(t, "acme")
	c := e.NewClient(t, owner)
	srv := httptest.NewServer(server.New(e.Svc, slog.New(slog.DiscardHandler), false))
	t.Cleanup(srv.Close)
	f := &dataFixture{fixture: &fixture{e: e, srv: srv}}
	send := func(apiKey string) (int, string) {
		status, h, body := f.post(t, "/v1/events", "application/json", `{}`, map[string]string{"Authorization": "Bearer " + f.token(t, apiKey)})
		if status == 429 && h.Get("Retry-After") != "1" {
			t.Errorf("429 with Retry-After %q, want 1", h.Get("Retry-After"))
		}
		return status, body
	}
	a, _ := e.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, c.ClientID, "")
	b, _ := e.Svc.GenerateKey(owner.Ctx, keyhouse.Sandbox, c.ClientID, "")
	for i, want := range []int{202, 202, 429} {
		if status, body := send(a.APIKey); status != want || (want == 429 && !strings.Contains(body, `"code":"throttled"`)) {
			t.Fatalf("request %d: %d %s, want %d", i+1, status, body, want)
		}
	}
	if status, _ := send(b.APIKey); status != 202 {
		t.Errorf("another key: %d", status)
	}
	e.Clock.Add(time.Second) // one token back
	if status, _ := send(a.APIKey); status != 202 {
		t.Errorf("a second later: %d", status)
	}
}
