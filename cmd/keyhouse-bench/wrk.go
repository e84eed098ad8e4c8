package main

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// loadScript is the wrk script of every scenario.
//
//go:embed lua/load.lua
var loadScript []byte

// wrkMarker starts the one line of load.lua's done() that holds the
// results.
const wrkMarker = "@@keyhouse-bench "

// wrkResult is what load.lua reports of one wrk run. Times are in
// microseconds.
type wrkResult struct {
	DurationUS float64 `json:"duration_us"`
	Requests   int64   `json:"requests"`
	Bytes      int64   `json:"bytes"`
	Errors     struct {
		Connect int64 `json:"connect"`
		Read    int64 `json:"read"`
		Write   int64 `json:"write"`
		Status  int64 `json:"status"`
		Timeout int64 `json:"timeout"`
	} `json:"errors"`
	Latency  latency          `json:"latency_us"`
	Counted  bool             `json:"counted"`  // whether the script counted each answer
	Statuses map[string]int64 `json:"statuses"` // by status, when Counted
	Accepted int64            `json:"accepted"` // events of the 202 answers, when Counted
}

// otherStatus is the key, in a result's statuses, of the answers over
// 399 when the script did not count statuses one by one.
const otherStatus = "4xx/5xx"

// derive fills Statuses and Accepted from wrk's own counts when the
// script did not count them: every answer not over 399 is expect, which
// accepts perRequest events when it is 202.
func (r *wrkResult) derive(expect int, perRequest int64) {
	if r.Counted {
		return
	}
	r.Statuses = map[string]int64{}
	if ok := r.Requests - r.Errors.Status; ok > 0 {
		r.Statuses[strconv.Itoa(expect)] = ok
	}
	if r.Errors.Status > 0 {
		r.Statuses[otherStatus] = r.Errors.Status
	}
	if expect == 202 {
		r.Accepted = r.Statuses["202"] * perRequest
	}
}

// latency holds percentiles of request latency.
type latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
	// P99OK is at least the p99 of the answers under 400 (load.lua).
	P99OK float64 `json:"p99_ok"`
}

// parseWrk finds the results line of load.lua in wrk's output.
func parseWrk(out []byte) (*wrkResult, error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		_, js, ok := strings.Cut(sc.Text(), wrkMarker)
		if !ok {
			continue
		}
		var r wrkResult
		if err := json.Unmarshal([]byte(js), &r); err != nil {
			return nil, fmt.Errorf("wrk results: %w", err)
		}
		if r.DurationUS <= 0 {
			return nil, errors.New("wrk results: no duration")
		}
		if r.Statuses == nil {
			r.Statuses = map[string]int64{}
		}
		return &r, nil
	}
	return nil, fmt.Errorf("wrk printed no results line:\n%s", lastLines(out, 20))
}

// lastLines returns the last n lines of out.
func lastLines(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// wrkRun is one invocation of wrk with load.lua.
type wrkRun struct {
	URL      string
	Script   string // the path of load.lua
	Mode     string // token, event or batch
	Creds    string // the credentials file
	Name     string // unique per run: written into every event
	Count    bool   // count each answer in the script (slower generator)
	IDsDir   string // with Count: where the ids of accepted events go; "" for none
	Threads  int
	Conns    int
	Duration time.Duration
	Think    time.Duration // each connection's average wait before a request; 0: none (closed loop)
}

// args returns wrk's command line.
func (w wrkRun) args() []string {
	secs := max(1, int(w.Duration.Round(time.Second)/time.Second))
	return []string{
		"-t", strconv.Itoa(max(1, min(w.Threads, w.Conns))), "-c", strconv.Itoa(w.Conns),
		"-d", strconv.Itoa(secs) + "s", "--timeout", "10s", "-s", w.Script, w.URL,
		"--", w.Mode, w.Creds, w.Name, map[bool]string{true: "count", false: "fast"}[w.Count], w.IDsDir,
		strconv.FormatFloat(float64(w.Think)/float64(time.Millisecond), 'f', -1, 64),
	}
}

// runWrk runs wrk and returns its results and the CPU time wrk itself
// used: the proof that the generator was not the bottleneck.
func runWrk(ctx context.Context, w wrkRun) (*wrkResult, time.Duration, error) {
	cmd := exec.CommandContext(ctx, "wrk", w.args()...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, 0, fmt.Errorf("wrk: %w:\n%s", err, lastLines(out, 20))
	}
	r, err := parseWrk(out)
	if err != nil {
		return nil, 0, err
	}
	return r, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}
