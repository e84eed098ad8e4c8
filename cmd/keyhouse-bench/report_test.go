package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sampleResults are a keyhouse run and its baseline.
func sampleResults() []*result {
	kh := &result{Scenario: "intake", Target: "keyhouse", Keys: 1000, Connections: 64, Seconds: 4,
		Requests: 62000, RequestsPerS: 15500, EventsPerS: 15500,
		Latency: latency{P50: 3.85, P90: 6.18, P99: 8.85, Max: 13.9}, Errors: map[string]int64{},
		ServerCPU: 5.5, CPUPerRequestUS: 88, PeakRSSMB: 30,
		Check: &eventCheck{Acked: 62000, Answered202: 62000, PerRequest: 1, Stored: 62010, InFlightMax: 64}}
	base := &result{Scenario: "intake", Target: "baseline", Keys: 1000, Connections: 64, Seconds: 4,
		Requests: 248000, RequestsPerS: 62000, EventsPerS: 62000,
		Latency: latency{P50: 0.91, P90: 4.18, P99: 8.46, Max: 15.5}, Errors: map[string]int64{},
		ServerCPU: 4.6, CPUPerRequestUS: 19, PeakRSSMB: 19}
	kh.compare(base)
	return []*result{kh, base}
}

func TestWriteTable(t *testing.T) {
	var b strings.Builder
	if err := writeTable(&b, sampleResults()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want a header and 2 rows:\n%s", len(lines), b.String())
	}
	want := [][]string{
		{"scenario", "target", "req/s", "events/s", "p99 ms", "× base", "events check"},
		{"intake", "keyhouse", "1000", "64", "15500", "3.85", "8.85", "25.0 %", "1.05", "ok (62000/62010)"},
		{"intake", "baseline", "62000", "0.91", "8.46"},
	}
	for i, fields := range want {
		for _, f := range fields {
			if !strings.Contains(lines[i], f) {
				t.Errorf("line %d %q lacks %q", i, lines[i], f)
			}
		}
	}
	if got := strings.Fields(lines[2]); got[len(got)-1] != "-" || got[len(got)-2] != "0" {
		t.Errorf("baseline row should end with no errors and no check: %q", lines[2])
	}
}

func TestCellTexts(t *testing.T) {
	tests := []struct{ got, want string }{
		{errorsText(nil), "0"},
		{errorsText(map[string]int64{"socket_read": 1, "503": 12}), "503:12 socket_read:1"},
		{checkText(nil), "-"},
		{checkText(&eventCheck{Acked: 5, Stored: 6}), "ok (5/6)"},
		{checkText(&eventCheck{ByID: true, IDs: 7}), "ok (7 ids)"},
		{checkText(&eventCheck{Problem: "lost events"}), "FAIL: lost events"},
		{dash(0, "%.1f"), "-"},
		{dash(0.5, "%.1f"), "0.5"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestProblems(t *testing.T) {
	rs := sampleResults()
	if p := problems(rs); len(p) != 0 {
		t.Fatalf("problems of a clean run: %q", p)
	}
	rs[0].Errors["503"] = 3
	rs[0].Check.Problem = "lost events: 1"
	rs[1].Requests = 0
	p := problems(rs)
	if len(p) != 3 || !strings.Contains(p[0], "503:3") || !strings.Contains(p[1], "lost events") || !strings.Contains(p[2], "0 requests") {
		t.Errorf("problems = %q", p)
	}
}

func TestJudgeTargets(t *testing.T) {
	token := func(keys int, rps, ratio, p99ratio, rss float64) *result {
		return &result{Scenario: "token", Target: "keyhouse", Keys: keys, Connections: 64, RequestsPerS: rps,
			Ratio: ratio, P99Ratio: p99ratio, PeakRSSMB: rss, Errors: map[string]int64{}}
	}
	rs := append(sampleResults(),
		token(1000, 20000, 0.46, 1.9, 40),
		token(1_000_000, 17000, 0.39, 2.1, 420),
		&result{Scenario: "intake-batch", Target: "keyhouse", Keys: 1000, Connections: 64, EventsPerS: 123000,
			Check: &eventCheck{}},
		&result{Scenario: "token", Target: "keyhouse", Keys: 1000, Connections: 16, Ratio: 0.1}, // not at 64: not judged
	)
	got := map[string]bool{}
	for _, v := range judgeTargets(rs) {
		got[v.Target] = v.Met
	}
	want := map[string]bool{
		"intake, 1000 keys, requests/s of the baseline's":   false,
		"intake, 1000 keys, p99 over the baseline's":        true,
		"intake, 1000 keys, acknowledged events lost":       true,
		"token, 1000 keys, requests/s of the baseline's":    true,
		"token, 1000 keys, p99 over the baseline's":         true,
		"token, 1000000 keys, requests/s of the baseline's": false,
		"token, 1000000 keys, p99 over the baseline's":      false,
		"intake-batch, 1000 keys, durable events/s":         true,
		"growth: token with 1000000 keys over 1000 keys":    false, // 0.39 / 0.46 = 85 %
		"growth: server RSS with 1000000 keys":              false,
	}
	if len(got) != len(want) {
		t.Errorf("%d verdicts, want %d: %v", len(got), len(want), got)
	}
	for k, met := range want {
		if m, ok := got[k]; !ok || m != met {
			t.Errorf("%s: met %v (present %v), want %v", k, m, ok, met)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	rep := &report{Config: &config{DB: "postgres://u:secret@h/db", Keys: []int{1000}}, Results: sampleResults()}
	if err := writeJSON(path, rep); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "secret") {
		t.Error("the JSON holds the database URL's password")
	}
	var back report
	if err := json.Unmarshal(b, &back); err != nil || len(back.Results) != 2 || back.Results[0].Ratio != 0.25 {
		t.Errorf("round trip: %v, %+v", err, back.Results)
	}
}
