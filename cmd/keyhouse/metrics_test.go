package main

import (
	"bufio"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestMetrics scrapes GET /metrics of a running keyhouse before and after
// a token request, an intake request and a refused token request: each
// series they touch moves, and the runtime's and the key index's are
// there. With --metrics-addr the series move to a listener of their own.
func TestMetrics(t *testing.T) {
	dir := t.TempDir()
	db, secret := filepath.Join(dir, "kh.db"), filepath.Join(dir, "kh.secret")
	apiKey := seedKey(t, db, secret)
	in := startServe(t, "--db", "sqlite:"+db, "--secret-file", secret)
	before := scrape(t, in.base)

	access := accessToken(t, in, apiKey)
	if status, body := in.send(t, "/v1/events", "application/x-ndjson", "{\"a\":1}\n{\"a\":2}\n", map[string]string{"Authorization": "Bearer " + access}); status != http.StatusAccepted {
		t.Fatalf("intake: %d %s", status, body)
	}
	in.send(t, "/as/token", "application/x-www-form-urlencoded", "grant_type=client_credentials", map[string]string{"Authorization": "Basic bm9wZTpub3Bl"})
	after := scrape(t, in.base)

	moved := map[string]float64{
		`keyhouse_tokens_total{outcome="issued"}`:                                     1,
		`keyhouse_tokens_total{outcome="invalid_client"}`:                             1,
		`keyhouse_events_accepted_total`:                                              2,
		`keyhouse_intake_commit_events_count`:                                         1,
		`keyhouse_http_requests_total{method="POST",route="/as/token",status="200"}`:  1,
		`keyhouse_http_requests_total{method="POST",route="/v1/events",status="202"}`: 1,
		`keyhouse_http_request_duration_seconds_count{route="/v1/events"}`:            1,
		`keyhouse_http_requests_total{method="GET",route="/metrics",status="200"}`:    1,
	}
	for series, want := range moved {
		if got := after[series] - before[series]; got < want {
			t.Errorf("%s moved by %v, want %v (before %v, after %v)", series, got, want, before[series], after[series])
		}
	}
	for _, series := range []string{"keyhouse_api_keys_in_memory", "go_goroutines", "process_resident_memory_bytes"} {
		if _, ok := after[series]; !ok {
			t.Errorf("no %s", series)
		}
	}
	if after["keyhouse_api_keys_in_memory"] != 1 {
		t.Errorf("keyhouse_api_keys_in_memory = %v, want 1", after["keyhouse_api_keys_in_memory"])
	}
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}

	other := startServe(t, "--db", "sqlite:"+db, "--secret-file", secret, "--metrics-addr", "127.0.0.1:0")
	if resp, err := http.Get(other.base + "/metrics"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics on the main listener with --metrics-addr: %v %v", resp, err)
	}
	addr := strings.SplitN(strings.SplitN(other.log.String(), `msg="metrics listening" addr=`, 2)[1], "\n", 2)[0]
	if got := scrape(t, "http://"+addr); len(got) == 0 {
		t.Error("nothing on --metrics-addr")
	}
}

// scrape reads base's /metrics into series (name with labels) → value.
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, b)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// TestRequestLog: one line per request at the level chosen, with the
// route pattern, the status and, where known, the organization and
// client; probes and data-plane successes only at debug; --access-log
// false, none.
func TestRequestLog(t *testing.T) {
	dir := t.TempDir()
	db, secret := filepath.Join(dir, "kh.db"), filepath.Join(dir, "kh.secret")
	apiKey := seedKey(t, db, secret)
	requests := func(in *instance) string {
		t.Helper()
		http.Get(in.base + "/healthz")
		accessToken(t, in, apiKey)
		http.Get(in.base + "/api/v1/me")
		if err := in.stop(); err != nil {
			t.Fatal(err)
		}
		return in.log.String()
	}

	log := requests(startServe(t, "--db", "sqlite:"+db, "--secret-file", secret))
	if strings.Contains(log, "route=/healthz") || strings.Contains(log, "route=/as/token") {
		t.Errorf("probes or data-plane successes logged at info:\n%s", log)
	}
	if !strings.Contains(log, `msg=request method=GET route=/api/v1/me status=401`) {
		t.Errorf("no line for GET /api/v1/me:\n%s", log)
	}

	log = requests(startServe(t, "--db", "sqlite:"+db, "--secret-file", secret, "--log-level", "debug"))
	if !strings.Contains(log, "route=/healthz status=200") {
		t.Errorf("no probe line at debug:\n%s", log)
	}
	if !regexp.MustCompile(`route=/as/token status=200 .*organization_id=org_\w+ client_id=\d{10}`).MatchString(log) {
		t.Errorf("the token request's line lacks its organization and client:\n%s", log)
	}
	if strings.Contains(log, apiKey) {
		t.Error("the API key reached the log")
	}

	log = requests(startServe(t, "--db", "sqlite:"+db, "--secret-file", secret, "--access-log=false", "--log-level", "debug"))
	if strings.Contains(log, "msg=request") {
		t.Errorf("request lines with --access-log=false:\n%s", log)
	}
}
