package server_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"keyhouse/internal/server"
)

// limitedServer serves f's service with at most n requests in flight per
// class.
func limitedServer(t *testing.T, f *dataFixture, n int) *httptest.Server {
	t.Helper()
	srv := server.New(f.e.Svc, slog.New(slog.DiscardHandler), false)
	srv.LimitInFlight(n)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts
}

// call sends one request and returns its status, headers and body.
func call(t *testing.T, method, url, contentType, auth string, body io.Reader) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

const tokenForm = "grant_type=client_credentials&scope=integration"

// holdTurn starts a request to path that takes a turn and keeps it (its
// body, over what is read before admission, never comes), and returns
// the function that ends it.
func holdTurn(t *testing.T, ts *httptest.Server, path, contentType, auth string) func() {
	t.Helper()
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", ts.URL+path, pr)
	req.ContentLength = 100 << 10
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", auth)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	var once sync.Once
	release := func() { once.Do(func() { pw.CloseWithError(io.ErrUnexpectedEOF); <-done }) }
	t.Cleanup(release) // before the server closes, which waits for it
	return release
}

// refusal sends the request of send until it is answered 503 (the turns
// taken by other requests may take a moment to be), and returns that
// answer and how long it took.
func refusal(t *testing.T, send func() (int, http.Header, string)) (int, http.Header, string, time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; {
		start := time.Now()
		status, header, body := send()
		if status == 503 || time.Now().After(deadline) {
			return status, header, body, time.Since(start)
		}
	}
}

// TestAdmissionRefusesExcess: with every turn of the token endpoint
// taken, a token request waits briefly, then gets a fast 503 in the OAuth
// shape with Retry-After, while the intake, health and the management
// API still answer; with the intake's turns taken too, an intake request
// gets 503 in the API's shape; once the turns are free, requests are
// served again.
func TestAdmissionRefusesExcess(t *testing.T) {
	f := newDataFixture(t)
	bearer, basic := "Bearer "+f.token(t, f.key.APIKey), "Basic "+f.key.APIKey
	ts := limitedServer(t, f, 1) // 1 turn for the token endpoint, 4 for the intake
	token := func() (int, http.Header, string) {
		return call(t, "POST", ts.URL+"/as/token", form, basic, strings.NewReader(tokenForm))
	}
	event := func() (int, http.Header, string) {
		return call(t, "POST", ts.URL+"/v1/events", "application/json", bearer, strings.NewReader(`{"a":1}`))
	}
	releases := []func(){holdTurn(t, ts, "/as/token", form, basic)}

	status, header, body, took := refusal(t, token)
	if status != 503 {
		t.Fatalf("token with the turn taken: %d %s, want 503", status, body)
	}
	t.Logf("token refused in %v (the wait is 20 ms)", took)
	var oauth struct{ Error string }
	if json.Unmarshal([]byte(body), &oauth); oauth.Error != "temporarily_unavailable" || header.Get("Retry-After") != "1" {
		t.Errorf("token refusal: %s, Retry-After %q; want temporarily_unavailable, 1", body, header.Get("Retry-After"))
	}
	if took > time.Second {
		t.Errorf("token refusal took %v, want well under a second", took)
	}
	if status, _, body = event(); status != 202 {
		t.Errorf("intake with the token endpoint's turn taken: %d %s", status, body)
	}
	if status, _, body = call(t, "GET", ts.URL+"/healthz", "", "", nil); status != 200 {
		t.Errorf("healthz with the turn taken: %d %s", status, body)
	}
	if status, _, body = call(t, "GET", ts.URL+"/api/v1/me", "", "Bearer "+f.owner.Token, nil); status != 200 {
		t.Errorf("management with the data plane's turn taken: %d %s", status, body)
	}

	for range 4 {
		releases = append(releases, holdTurn(t, ts, "/v1/events", "application/json", bearer))
	}
	if status, header, body, _ = refusal(t, event); status != 503 || !strings.Contains(body, `"code":"unavailable"`) || header.Get("Retry-After") != "1" {
		t.Errorf("intake with its turns taken: %d %s, Retry-After %q; want 503 unavailable, 1", status, body, header.Get("Retry-After"))
	}

	for _, release := range releases {
		release()
	}
	if status, _, body = token(); status != 200 {
		t.Errorf("token with the turn free again: %d %s", status, body)
	}
	if status, _, body = event(); status != 202 {
		t.Errorf("intake with the turns free again: %d %s", status, body)
	}
}

// TestAdmissionSlowBody: a client that sends its body slowly holds no
// turn, so the one turn serves everyone else meanwhile.
func TestAdmissionSlowBody(t *testing.T) {
	f := newDataFixture(t)
	ts := limitedServer(t, f, 1)
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.CloseWithError(io.ErrUnexpectedEOF) }) // before the server closes
	req, _ := http.NewRequest("POST", ts.URL+"/as/token", pr)
	req.ContentLength = int64(len(tokenForm))
	req.Header.Set("Content-Type", form)
	req.Header.Set("Authorization", "Basic "+f.key.APIKey)
	slow := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			slow <- 0
			return
		}
		resp.Body.Close()
		slow <- resp.StatusCode
	}()
	pw.Write([]byte(tokenForm[:10])) // the start of its body, then nothing for a while
	for range 5 {
		if status, _, body := call(t, "POST", ts.URL+"/as/token", form, "Basic "+f.key.APIKey, strings.NewReader(tokenForm)); status != 200 {
			t.Fatalf("token beside a slow body: %d %s", status, body)
		}
	}
	pw.Write([]byte(tokenForm[10:]))
	pw.Close()
	if status := <-slow; status != 200 {
		t.Errorf("the slow request, once its body came: %d, want 200", status)
	}
}

// TestAdmissionUnderLoad: many clients at once against a small bound get
// only 200s and 503s with Retry-After, and the bound's worth of them are
// served; with a bound over the clients, every request is served.
func TestAdmissionUnderLoad(t *testing.T) {
	f := newDataFixture(t)
	tests := []struct {
		name           string
		limit, clients int
		mayRefuse      bool
	}{
		{"bound under the clients", 2, 24, true},
		{"bound over the clients", 32, 16, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := limitedServer(t, f, tt.limit)
			var mu sync.Mutex
			counts := map[int]int{}
			var wg sync.WaitGroup
			for range tt.clients {
				wg.Go(func() {
					for range 10 {
						status, h, _ := call(t, "POST", ts.URL+"/as/token", form, "Basic "+f.key.APIKey, strings.NewReader(tokenForm))
						if status == 503 && h.Get("Retry-After") == "" {
							status = -503
						}
						mu.Lock()
						counts[status]++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			t.Logf("answers: %v", counts)
			for status, n := range counts {
				if status != 200 && (status != 503 || !tt.mayRefuse) {
					t.Errorf("%d answers %d (-503: without Retry-After)", n, status)
				}
			}
			if counts[200] < tt.limit {
				t.Errorf("%d of %d served, want at least %d", counts[200], tt.clients*10, tt.limit)
			}
		})
	}
}
