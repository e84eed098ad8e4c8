package main

import (
	"strings"
	"testing"
	"time"
)

func TestFloodThink(t *testing.T) {
	tests := []struct {
		name     string
		conns    int
		peakPerS float64
		meanMS   float64
		want     time.Duration
	}{
		// 1024 connections offering 2 × 25,600/s: a cycle of 20 ms, 2 of them the answer.
		{"cycle less the answer", 1024, 25600, 2, 18 * time.Millisecond},
		{"at least a millisecond", 1024, 1e6, 2, time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := floodThink(tt.conns, tt.peakPerS, tt.meanMS); got != tt.want {
				t.Errorf("floodThink = %v, want %v", got, tt.want)
			}
		})
	}
}

// overloadResult is a keyhouse run of phase with the given errors.
func overloadResult(phase string, errs map[string]int64) *result {
	return &result{Scenario: "overload-token", Target: "keyhouse", Connections: 256, Seconds: 4, Requests: 100,
		Errors: errs, Overload: &overloadRun{Phase: phase}}
}

// TestOverloadAnswered: refusals are expected answers in the 4x and
// flood phases only, and socket errors never are.
func TestOverloadAnswered(t *testing.T) {
	tests := []struct {
		name string
		res  *result
		want bool
	}{
		{"4x with refusals counted by wrk", overloadResult("4x", map[string]int64{otherStatus: 10}), true},
		{"flood with 503s counted by the script", overloadResult("flood", map[string]int64{"503": 10}), true},
		{"flood with a 500", overloadResult("flood", map[string]int64{"503": 10, "500": 1}), false},
		{"4x with a socket error", overloadResult("4x", map[string]int64{"socket_read": 1}), false},
		{"peak with refusals", overloadResult("peak", map[string]int64{otherStatus: 1}), false},
		{"another scenario with refusals", &result{Requests: 1, Errors: map[string]int64{"503": 1}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.res.answered(); got != tt.want {
				t.Errorf("answered = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOverloadVerdicts(t *testing.T) {
	flood := overloadResult("flood", nil)
	flood.Latency.P99OK = 30
	flood.Overload = &overloadRun{Phase: "flood", GoodputPerS: 8500, PeakPerS: 10000, OfPeak: 0.85, OfferedPerS: 19000,
		P99OKRatio: 6, RSSBeforeMB: 100, RSSAfterMB: 110}
	got := overloadVerdicts([]*result{overloadResult("peak", nil), flood})
	want := []struct {
		target string
		met    bool
	}{{"goodput", true}, {"p99", false}, {"RSS", true}}
	if len(got) != len(want) {
		t.Fatalf("%d verdicts, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if !strings.Contains(got[i].Target, w.target) || got[i].Met != w.met {
			t.Errorf("verdict %d: %+v, want %s met %v", i, got[i], w.target, w.met)
		}
	}
}
