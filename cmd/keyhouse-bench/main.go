// Command keyhouse-bench measures what keyhouse adds to every request. In
// one run it starts `keyhouse serve` on a fresh database with -keys API
// keys, and a minimal net/http server that answers a fixed 200 (the
// baseline), both as separate processes; drives each with wrk, scripted
// in Lua (lua/load.lua) to spread requests over keys and tokens and count
// statuses; and prints, per scenario, requests/s, events/s, latency,
// errors, the server's CPU and peak RSS, and the ratio to the baseline.
// After each intake run it checks that every event answered 202 is in the
// database exactly once.
//
// With no flags it runs a short default suite (under a minute). -smoke
// runs for a few seconds and checks correctness only: every request
// answered as expected, no acknowledged event lost or stored twice.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "keyhouse-bench:", err)
		os.Exit(1)
	}
}

// config is what a run measures.
type config struct {
	DB        string        `json:"-"` // sqlite, or a postgres:// URL (not written: it may hold a password)
	Keys      []int         `json:"keys"`
	Conns     []int         `json:"connections"`
	Scenarios []string      `json:"scenarios"`
	Duration  time.Duration `json:"duration_ns"`
	Warmup    time.Duration `json:"warmup_ns"`
	Threads   int           `json:"wrk_threads"`
	Tokens    int           `json:"tokens"`
	Spread    int           `json:"spread"`
	Quiet     time.Duration `json:"quiet_ns"`
	Baseline  bool          `json:"baseline"`
	Count     bool          `json:"count_statuses"`
	CheckIDs  bool          `json:"check_ids"`
	Smoke     bool          `json:"smoke"`
	JSON      string        `json:"-"`
	Keyhouse  string        `json:"-"`
	Keep      bool          `json:"-"`
}

// parseFlags reads the command line.
func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("keyhouse-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.DB, "db", "sqlite", "database: sqlite (a temp file), or postgres://… of a server where a fresh database is created and dropped")
	keys := fs.String("keys", "1000", "API keys to provision; a comma-separated list runs each (e.g. 1000,100000,1000000)")
	conns := fs.String("c", "64", "connections; a comma-separated list runs each (e.g. 1,16,64,256)")
	names := fs.String("scenarios", "token,intake,intake-batch,verify-cached", "scenarios to run; overload (not in the default) drives token and intake past their peak")
	fs.DurationVar(&c.Duration, "duration", 4*time.Second, "measured time of each run (whole seconds)")
	fs.DurationVar(&c.Warmup, "warmup", time.Second, "unmeasured load before each run (0: none)")
	fs.IntVar(&c.Threads, "threads", 2, "wrk threads")
	fs.IntVar(&c.Tokens, "tokens", 1000, "access tokens fetched for the intake scenario")
	fs.IntVar(&c.Spread, "spread", 100_000, "at most this many API keys, drawn at random from all, spread the token requests")
	fs.DurationVar(&c.Quiet, "quiet", 0, "before each run, wait up to this long for other processes to leave the CPUs idle (for shared machines)")
	fs.BoolVar(&c.Baseline, "baseline", true, "run each scenario against the baseline too")
	fs.BoolVar(&c.Count, "count", false, "count every status and accepted event in the wrk script (costs the generator CPU; on with -check-ids)")
	fs.BoolVar(&c.CheckIDs, "check-ids", false, "look up every acknowledged event id (on with -smoke)")
	fs.BoolVar(&c.Smoke, "smoke", false, "a few seconds, correctness only: exit status 1 on any unanswered request or lost event")
	fs.StringVar(&c.JSON, "json", "", "write the results as JSON to this file (default: a file in the temp directory)")
	fs.StringVar(&c.Keyhouse, "keyhouse", "", "keyhouse binary to run (default: go build keyhouse/cmd/keyhouse)")
	fs.BoolVar(&c.Keep, "keep", false, "keep the scratch directory (database, logs, credentials)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if c.Keys, err = intList("-keys", *keys); err != nil {
		return nil, err
	}
	if c.Conns, err = intList("-c", *conns); err != nil {
		return nil, err
	}
	for name := range strings.SplitSeq(*names, ",") {
		if _, ok := findScenario(strings.TrimSpace(name)); !ok {
			return nil, fmt.Errorf("-scenarios: unknown scenario %q", name)
		}
		c.Scenarios = append(c.Scenarios, strings.TrimSpace(name))
	}
	if c.Smoke {
		c.smoke()
	}
	c.Count = c.Count || c.CheckIDs
	if c.Duration < time.Second || c.Threads < 1 || c.Tokens < 1 || c.Spread < 1 {
		return nil, fmt.Errorf("-duration must be at least 1s; -threads, -tokens and -spread at least 1")
	}
	return c, nil
}

// smoke sizes the run for CI: a few seconds, every event id checked.
func (c *config) smoke() {
	c.Keys, c.Conns, c.Duration, c.Warmup = []int{200}, []int{8}, time.Second, 0
	c.Tokens, c.CheckIDs = 50, true
}

// intList parses a comma-separated list of positive integers.
func intList(flagName, s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(strings.ReplaceAll(f, "_", "")))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s: %q is not a positive integer", flagName, f)
		}
		out = append(out, n)
	}
	return out, nil
}

// run is the program: args without the program name.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == baselineCommand {
		return serveBaseline(ctx)
	}
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	rep, err := bench(ctx, cfg, stderr)
	if rep != nil && len(rep.Results) > 0 {
		fmt.Fprintln(stdout)
		writeTable(stdout, rep.Results)
		if !cfg.Smoke && len(rep.Targets) > 0 {
			fmt.Fprintf(stdout, "\ntargets of issues 6 and 11 (%d connections):\n", targetConns)
			writeVerdicts(stdout, rep.Targets)
		}
		if len(rep.OverloadTargets) > 0 {
			fmt.Fprintln(stdout)
			writeOverload(stdout, rep.Results)
			fmt.Fprintln(stdout, "\ntargets of issue 12 (overload):")
			writeVerdicts(stdout, rep.OverloadTargets)
		}
		if busy := disturbance(rep.Results); busy > 0.2 {
			fmt.Fprintf(stdout, "\nnote: other processes used up to %.2f cores during a run: those figures are disturbed\n", busy)
		}
		fmt.Fprintf(stdout, "\nJSON: %s\n", cfg.JSON)
	}
	if err != nil {
		return err
	}
	if len(rep.Problems) > 0 {
		return fmt.Errorf("correctness:\n  %s", strings.Join(rep.Problems, "\n  "))
	}
	if cfg.Smoke {
		fmt.Fprintln(stdout, "smoke: every request answered, every acknowledged event stored once")
	}
	return nil
}
