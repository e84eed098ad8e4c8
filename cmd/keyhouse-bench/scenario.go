package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// scenario is one kind of load.
type scenario struct {
	Name   string
	Mode   string // of load.lua: token, event or batch
	Creds  string // credentials: credKeys, credTokens or credToken
	Events int64  // events per request; 0 for token requests
}

// The credential files a scenario spreads its requests over.
const (
	credKeys   = "keys"   // every API key
	credTokens = "tokens" // access tokens fetched beforehand
	credToken  = "token"  // one access token
)

// scenarios are every scenario, in the order they run.
var scenarios = []scenario{
	{Name: "token", Mode: "token", Creds: credKeys},
	{Name: "intake", Mode: "event", Creds: credTokens, Events: 1},
	{Name: "intake-batch", Mode: "batch", Creds: credTokens, Events: 100},
	{Name: "verify-cached", Mode: "event", Creds: credToken, Events: 1},
}

// overloadName names the overload scenario (overload.go): phases of its
// own rather than one run per connection count.
const overloadName = "overload"

// findScenario returns the scenario called name.
func findScenario(name string) (scenario, bool) {
	if name == overloadName {
		return scenario{Name: name}, true
	}
	for _, s := range scenarios {
		if s.Name == name {
			return s, true
		}
	}
	return scenario{}, false
}

// expect returns the status keyhouse answers a request of s.
func (s scenario) expect() int {
	if s.Events == 0 {
		return 200
	}
	return 202
}

// expectOf returns the status t answers every request of sc with.
func expectOf(sc scenario, t *target) int {
	if t.keyhouse() {
		return sc.expect()
	}
	return 200
}

// target is a server under load.
type target struct {
	Name string // "keyhouse" or "baseline"
	URL  string
	Proc *process
	DB   *sql.DB // keyhouse's database, for the events check; nil for the baseline
}

// keyhouse reports whether t is keyhouse rather than the baseline.
func (t *target) keyhouse() bool { return t.DB != nil }

// runner runs scenarios with wrk.
type runner struct {
	cfg    *config
	dir    string            // scratch files
	script string            // load.lua
	creds  map[string]string // credentials kind → file
}

// measure runs sc against t with conns connections: a warm-up, then the
// measured run, then (on keyhouse, for intake) the exactly-once check.
func (r *runner) measure(ctx context.Context, sc scenario, t *target, keys, conns int) (*result, error) {
	return r.measureThink(ctx, sc, t, keys, conns, 0)
}

// measureThink is measure with each connection waiting think on average
// before each request (0: a closed loop).
func (r *runner) measureThink(ctx context.Context, sc scenario, t *target, keys, conns int, think time.Duration) (*result, error) {
	name := fmt.Sprintf("%s-%s-k%d-c%d", t.Name, sc.Name, keys, conns)
	w := wrkRun{URL: t.URL, Script: r.script, Mode: sc.Mode, Creds: r.creds[sc.Creds], Think: think,
		Name: name + "-warmup", Threads: r.cfg.Threads, Conns: conns, Duration: r.cfg.Warmup, Count: r.cfg.Count}
	if r.cfg.Warmup > 0 {
		if _, _, err := runWrk(ctx, w); err != nil {
			return nil, fmt.Errorf("%s warm-up: %w", name, err)
		}
	}
	checked := t.keyhouse() && sc.Events > 0
	var before int64
	if checked {
		var err error
		if before, w.IDsDir, err = r.prepareCheck(ctx, t, name); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	w.Name, w.Duration = name, r.cfg.Duration
	if err := waitQuiet(ctx, r.cfg.Quiet); err != nil {
		return nil, err
	}
	pid := t.Proc.pid()
	resetPeakRSS(pid)
	start, err := sampleUsage(pid)
	if err != nil {
		return nil, fmt.Errorf("%s: server cpu: %w", name, err)
	}
	out, wrkCPU, err := runWrk(ctx, w)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	end, err := sampleUsage(pid)
	if err != nil {
		return nil, fmt.Errorf("%s: server usage: %w", name, err)
	}
	out.derive(expectOf(sc, t), sc.Events)
	res := newResult(sc, t, keys, conns, out)
	res.addUsage(start, end, wrkCPU)
	if checked {
		if res.Check, err = r.checkEvents(ctx, t.DB, before, out, sc, conns, w.IDsDir); err != nil {
			return nil, fmt.Errorf("%s: events check: %w", name, err)
		}
	}
	return res, nil
}

// prepareCheck counts the events stored before a run and, with
// -check-ids, makes the folder where wrk writes the acknowledged ids.
func (r *runner) prepareCheck(ctx context.Context, t *target, name string) (int64, string, error) {
	before, err := settledCount(ctx, t.DB)
	if err != nil {
		return 0, "", fmt.Errorf("count events: %w", err)
	}
	if !r.cfg.CheckIDs {
		return before, "", nil
	}
	dir := filepath.Join(r.dir, name)
	return before, dir, os.MkdirAll(dir, 0o700)
}

// usageSample is the server's CPU time, the machine's busy time and the
// server's peak RSS at one moment.
type usageSample struct {
	cpu, busy time.Duration
	rss       int64
}

// sampleUsage reads a usage sample of the process pid.
func sampleUsage(pid int) (usageSample, error) {
	cpu, err1 := cpuTime(pid)
	busy, err2 := machineBusy()
	rss, err3 := peakRSS(pid)
	return usageSample{cpu: cpu, busy: busy, rss: rss}, firstErr(err1, err2, err3)
}

// addUsage fills the server and machine figures of res from two samples.
func (res *result) addUsage(start, end usageSample, wrkCPU time.Duration) {
	res.ServerCPU, res.PeakRSSMB, res.WrkCPU = (end.cpu - start.cpu).Seconds(), float64(end.rss)/(1<<20), wrkCPU.Seconds()
	res.OtherCPU = max(0, (end.busy-start.busy).Seconds()-res.ServerCPU-res.WrkCPU)
	if res.Requests > 0 {
		res.CPUPerRequestUS = float64(end.cpu-start.cpu) / float64(time.Microsecond) / float64(res.Requests)
	}
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// checkEvents compares the events of a run's 202 answers with the rows
// it added to the database.
func (r *runner) checkEvents(ctx context.Context, db *sql.DB, before int64, out *wrkResult, sc scenario, conns int, idsDir string) (*eventCheck, error) {
	after, err := settledCount(ctx, db)
	if err != nil {
		return nil, err
	}
	c := &eventCheck{Acked: out.Accepted, Answered202: out.Statuses["202"], PerRequest: sc.Events,
		Stored: after - before, InFlightMax: int64(conns) * sc.Events}
	if c.Duplicates, err = countDuplicates(ctx, db); err != nil {
		return nil, err
	}
	if idsDir != "" {
		if err := checkIDs(ctx, db, idsDir, c); err != nil {
			return nil, err
		}
	}
	c.judge()
	return c, nil
}

// newResult turns wrk's figures into a result.
func newResult(sc scenario, t *target, keys, conns int, out *wrkResult) *result {
	secs := out.DurationUS / 1e6
	res := &result{
		Scenario: sc.Name, Target: t.Name, Keys: keys, Connections: conns,
		Seconds: secs, Requests: out.Requests, RequestsPerS: float64(out.Requests) / secs,
		Latency:  latencyMS(out.Latency),
		Statuses: out.Statuses, Errors: map[string]int64{},
	}
	expect := expectOf(sc, t)
	if t.keyhouse() {
		res.EventsPerS = float64(out.Accepted) / secs
	} else {
		res.EventsPerS = res.RequestsPerS * float64(sc.Events) // as if each were accepted
	}
	for status, n := range out.Statuses {
		if status != strconv.Itoa(expect) {
			res.Errors[status] = n
		}
	}
	for kind, n := range map[string]int64{"connect": out.Errors.Connect, "read": out.Errors.Read,
		"write": out.Errors.Write, "timeout": out.Errors.Timeout} {
		if n > 0 {
			res.Errors["socket_"+kind] = n
		}
	}
	return res
}

// latencyMS converts microseconds to milliseconds.
func latencyMS(l latency) latency {
	return latency{P50: l.P50 / 1e3, P90: l.P90 / 1e3, P99: l.P99 / 1e3, Max: l.Max / 1e3, Mean: l.Mean / 1e3, P99OK: l.P99OK / 1e3}
}

// quietCores is the CPU use of other processes under which the machine
// counts as quiet.
const quietCores = 0.15

// waitQuiet waits, up to limit, until the machine's CPU use over half a
// second is under quietCores: with no load running, that is the use of
// other processes. After limit it returns and the run measures anyway
// (its other_cpu_s shows the disturbance).
func waitQuiet(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		b0, err := machineBusy()
		if err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		b1, err := machineBusy()
		if err != nil {
			return err
		}
		if (b1-b0).Seconds()/0.5 < quietCores {
			return nil
		}
	}
	return nil
}
