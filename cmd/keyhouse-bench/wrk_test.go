package main

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseWrk(t *testing.T) {
	counted, err := os.ReadFile("testdata/wrk-count.txt")
	if err != nil {
		t.Fatal(err)
	}
	r, err := parseWrk(counted)
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 63380 || r.DurationUS != 4e6 || !r.Counted || r.Accepted != 63368 {
		t.Errorf("requests, duration, counted, accepted = %d, %v, %v, %d", r.Requests, r.DurationUS, r.Counted, r.Accepted)
	}
	if r.Statuses["202"] != 63368 || r.Statuses["503"] != 12 {
		t.Errorf("statuses = %v", r.Statuses)
	}
	if want := (latency{P50: 4320, P90: 22360, P99: 44320, Max: 85900, Mean: 4120.5}); r.Latency != want {
		t.Errorf("latency = %+v, want %+v", r.Latency, want)
	}
	if e := r.Errors; e.Read != 1 || e.Timeout != 2 || e.Connect != 0 || e.Write != 0 {
		t.Errorf("socket errors = %+v, want 1 read and 2 timeouts", e)
	}
}

func TestParseWrkFailures(t *testing.T) {
	tests := []struct {
		name, out, want string
	}{
		{"no results line", "Running 1s test @ http://x\nunable to connect to x\n", "no results line"},
		{"broken JSON", wrkMarker + `{"duration_us":`, "wrk results"},
		{"no duration", wrkMarker + `{"requests":3}`, "no duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseWrk([]byte(tt.out))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestDerive(t *testing.T) {
	fast, err := os.ReadFile("testdata/wrk-fast.txt")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		expect       int
		perRequest   int64
		wantStatuses map[string]int64
		wantAccepted int64
	}{
		{"token", 200, 0, map[string]int64{"200": 990, otherStatus: 10}, 0},
		{"intake", 202, 1, map[string]int64{"202": 990, otherStatus: 10}, 990},
		{"batch", 202, 100, map[string]int64{"202": 990, otherStatus: 10}, 99000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := parseWrk(fast)
			if err != nil {
				t.Fatal(err)
			}
			r.derive(tt.expect, tt.perRequest)
			if !maps.Equal(r.Statuses, tt.wantStatuses) || r.Accepted != tt.wantAccepted {
				t.Errorf("statuses, accepted = %v, %d; want %v, %d", r.Statuses, r.Accepted, tt.wantStatuses, tt.wantAccepted)
			}
		})
	}
	t.Run("counted results are left alone", func(t *testing.T) {
		r := &wrkResult{Counted: true, Requests: 5, Statuses: map[string]int64{"202": 4, "400": 1}, Accepted: 4}
		r.derive(202, 1)
		if r.Statuses["202"] != 4 || r.Accepted != 4 {
			t.Errorf("derive changed counted results: %+v", r)
		}
	})
}

func TestWrkArgs(t *testing.T) {
	tests := []struct {
		name string
		run  wrkRun
		want []string
	}{
		{
			"threads capped by connections, seconds rounded",
			wrkRun{URL: "http://h", Script: "s.lua", Mode: "token", Creds: "k.txt", Name: "n", Threads: 2, Conns: 1, Duration: 2400 * time.Millisecond},
			[]string{"-t", "1", "-c", "1", "-d", "2s", "--timeout", "10s", "-s", "s.lua", "http://h", "--", "token", "k.txt", "n", "fast", "", "0"},
		},
		{
			"counting with ids",
			wrkRun{URL: "http://h", Script: "s.lua", Mode: "batch", Creds: "t.txt", Name: "n", Count: true, IDsDir: "ids", Threads: 2, Conns: 64, Duration: time.Second},
			[]string{"-t", "2", "-c", "64", "-d", "1s", "--timeout", "10s", "-s", "s.lua", "http://h", "--", "batch", "t.txt", "n", "count", "ids", "0"},
		},
		{
			"think time in milliseconds",
			wrkRun{URL: "http://h", Script: "s.lua", Mode: "token", Creds: "k.txt", Name: "n", Threads: 2, Conns: 1024, Duration: time.Second, Think: 12500 * time.Microsecond},
			[]string{"-t", "2", "-c", "1024", "-d", "1s", "--timeout", "10s", "-s", "s.lua", "http://h", "--", "token", "k.txt", "n", "fast", "", "12.5"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.run.args(); !slices.Equal(got, tt.want) {
				t.Errorf("args = %q\nwant   %q", got, tt.want)
			}
		})
	}
}
