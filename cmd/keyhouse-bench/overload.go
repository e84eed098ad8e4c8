package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"
)

// The overload scenario (issue 12) drives the token endpoint and the
// intake past what keyhouse can serve, in three phases each:
//
//   - peak: the default suite's targetConns connections, a closed loop;
//     its goodput (answers under 400 a second) is the peak, and the
//     baseline runs beside it for the p99 to compare with;
//   - 4x: overloadFactor times the connections, a closed loop;
//   - flood: floodFactor times the connections, each waiting a random
//     time before each request so that together they offer floodOffer
//     times the peak whatever the answers' speed (wrk is a closed loop:
//     a connection that waits for its answer offers no more).
//
// Targets: goodput at least 80 % of the peak, the p99 of the successful
// answers at most 5 times the baseline's p99, and the server's RSS flat:
// after the phases, idle for a second, at most maxRSSGrowMB over before
// them, which is the garbage collector's headroom (keyhouse serve lets
// the heap grow by 64 MB between collections while it is small, so the
// RSS moves by that much without anything kept).
const (
	overloadFactor = 4
	floodFactor    = 16
	floodOffer     = 2.0
	// Targets.
	minGoodput   = 0.80
	maxP99Ratio  = 5.0
	maxRSSGrowMB = 64
)

// overloadScenarios are the loads the overload scenario drives.
var overloadScenarios = []scenario{
	{Name: "overload-token", Mode: "token", Creds: credKeys},
	{Name: "overload-intake", Mode: "event", Creds: credTokens, Events: 1},
}

// overloadRun is what the overload scenario adds to a result.
type overloadRun struct {
	Phase       string  `json:"phase"`           // peak, 4x or flood
	ThinkMS     float64 `json:"think_ms"`        // each connection's average wait before a request
	OfferedPerS float64 `json:"offered_per_s"`   // every answer a second
	GoodputPerS float64 `json:"goodput_per_s"`   // answers under 400 a second
	PeakPerS    float64 `json:"peak_per_s"`      // the peak phase's goodput
	OfPeak      float64 `json:"goodput_of_peak"` // GoodputPerS over PeakPerS
	// P99OKRatio is the bound on the successful answers' p99 over the
	// baseline's p99 in the peak phase.
	P99OKRatio  float64 `json:"p99_ok_ratio_to_baseline,omitempty"`
	RSSBeforeMB float64 `json:"rss_before_mb"` // the server's RSS before the 4x and flood phases
	RSSAfterMB  float64 `json:"rss_after_mb"`  // and after them, idle for a second
}

// overload runs the overload scenario on the keyhouse sv.
func (r *runner) overload(ctx context.Context, rep *report, sv *server, base *target, keys int, log io.Writer) error {
	for _, sc := range overloadScenarios {
		runs, err := r.overloadPhases(ctx, sc, sv, base, keys)
		rep.Results = append(rep.Results, runs...)
		if err != nil {
			return err
		}
		for _, res := range runs {
			if o := res.Overload; o != nil && res.Target == "keyhouse" {
				logf(log, "%-15s %-5s %4d conns: offered %7.0f/s, goodput %7.0f/s (%.1f %% of peak), p99 ok ≤ %.2f ms (× %.2f), rss %.0f → %.0f MB; other processes %.2f cores",
					sc.Name, o.Phase, res.Connections, o.OfferedPerS, o.GoodputPerS, o.OfPeak*100, res.Latency.P99OK,
					o.P99OKRatio, o.RSSBeforeMB, o.RSSAfterMB, res.OtherCPU/res.Seconds)
			}
		}
	}
	return nil
}

// overloadPhases measures the three phases of sc: the peak (and the
// baseline beside it), 4x and flood.
func (r *runner) overloadPhases(ctx context.Context, sc scenario, sv *server, base *target, keys int) ([]*result, error) {
	t := sv.target
	peak, err := r.measure(ctx, sc, t, keys, targetConns)
	if err != nil {
		return nil, err
	}
	runs := []*result{peak}
	var baseP99 float64
	if base != nil {
		b, err := r.measure(ctx, sc, base, keys, targetConns)
		if err != nil {
			return runs, err
		}
		peak.compare(b)
		baseP99 = b.Latency.P99
		runs = append(runs, b)
	}
	before, err := currentRSS(t.Proc.pid())
	if err != nil {
		return runs, err
	}
	peakPerS := goodput(peak, sc)
	closed, err := r.measure(ctx, sc, t, keys, overloadFactor*targetConns)
	if err != nil {
		return runs, err
	}
	runs = append(runs, closed)
	floodConns := floodFactor * targetConns
	think := floodThink(floodConns, peakPerS, peak.Latency.Mean)
	flood, err := r.measureThink(ctx, sc, t, keys, floodConns, think)
	if err != nil {
		return runs, err
	}
	runs = append(runs, flood)
	select {
	case <-ctx.Done():
		return runs, ctx.Err()
	case <-time.After(time.Second):
	}
	after, err := currentRSS(t.Proc.pid())
	if err != nil {
		return runs, err
	}
	for _, p := range []struct {
		res   *result
		phase string
		think time.Duration
	}{{peak, "peak", 0}, {closed, "4x", 0}, {flood, "flood", think}} {
		p.res.Overload = &overloadRun{
			Phase: p.phase, ThinkMS: float64(p.think) / float64(time.Millisecond),
			OfferedPerS: p.res.RequestsPerS, GoodputPerS: goodput(p.res, sc), PeakPerS: peakPerS,
			RSSBeforeMB: float64(before) / (1 << 20), RSSAfterMB: float64(after) / (1 << 20),
		}
		p.res.Overload.OfPeak = p.res.Overload.GoodputPerS / peakPerS
		if baseP99 > 0 {
			p.res.Overload.P99OKRatio = p.res.Latency.P99OK / baseP99
		}
	}
	return runs, nil
}

// floodThink returns the average wait before each request that makes
// conns connections offer floodOffer times peakPerS: a connection's
// cycle is its wait and its answer's time, taken as the peak phase's
// mean latency (ms); at least a millisecond.
func floodThink(conns int, peakPerS, meanMS float64) time.Duration {
	cycle := float64(conns) / (floodOffer * peakPerS) * float64(time.Second)
	return max(time.Millisecond, time.Duration(cycle-meanMS*float64(time.Millisecond)))
}

// goodput returns the expected answers a second of res.
func goodput(res *result, sc scenario) float64 {
	return float64(res.Statuses[strconv.Itoa(sc.expect())]) / res.Seconds
}

// refusalsAllowed reports whether res may hold refusals: the 4x and
// flood phases of the overload scenario.
func (res *result) refusalsAllowed() bool {
	return res.Overload != nil && res.Overload.Phase != "peak"
}

// overloadVerdicts judges the 4x and flood phases against the targets.
func overloadVerdicts(results []*result) []verdict {
	var out []verdict
	for _, r := range results {
		o := r.Overload
		if r.Target != "keyhouse" || !r.refusalsAllowed() {
			continue
		}
		label := fmt.Sprintf("%s %s (%d conns)", r.Scenario, o.Phase, r.Connections)
		out = append(out,
			verdict{label + ", goodput of the peak", fmt.Sprintf("≥ %.0f %%", minGoodput*100),
				fmt.Sprintf("%.1f %% (%.0f of %.0f/s; offered %.0f/s)", o.OfPeak*100, o.GoodputPerS, o.PeakPerS, o.OfferedPerS), o.OfPeak >= minGoodput})
		if o.P99OKRatio > 0 {
			out = append(out, verdict{label + ", p99 of the successful over the baseline's", fmt.Sprintf("≤ %.0f", maxP99Ratio),
				fmt.Sprintf("%.2f (≤ %.2f ms)", o.P99OKRatio, r.Latency.P99OK), o.P99OKRatio <= maxP99Ratio})
		}
		if o.Phase == "flood" {
			grow := o.RSSAfterMB - o.RSSBeforeMB
			out = append(out, verdict{r.Scenario + ", server RSS after the overload over before", fmt.Sprintf("≤ +%d MB", maxRSSGrowMB),
				fmt.Sprintf("%+.0f MB (%.0f → %.0f MB; peak in the flood %.0f MB)", grow, o.RSSBeforeMB, o.RSSAfterMB, r.PeakRSSMB), grow <= maxRSSGrowMB})
		}
	}
	return out
}

// writeOverload prints the overload scenario's phases, one line each.
func writeOverload(w io.Writer, results []*result) {
	fmt.Fprintf(w, "%-16s %-5s %5s %8s %9s %9s %8s %9s %10s %9s %11s %8s %9s\n", "overload", "phase", "conns", "think ms",
		"offered/s", "goodput/s", "of peak", "p99 ok ms", "p99 × base", "refused/s", "rss MB b→a", "peak MB", "other cpu")
	for _, r := range results {
		o := r.Overload
		if o == nil || r.Target != "keyhouse" {
			continue
		}
		fmt.Fprintf(w, "%-16s %-5s %5d %8.1f %9.0f %9.0f %7.1f%% %9.2f %10s %9.0f %11s %8.0f %9.2f\n", r.Scenario, o.Phase, r.Connections, o.ThinkMS,
			o.OfferedPerS, o.GoodputPerS, o.OfPeak*100, r.Latency.P99OK, dash(o.P99OKRatio, "%.2f"), o.OfferedPerS-o.GoodputPerS,
			fmt.Sprintf("%.0f→%.0f", o.RSSBeforeMB, o.RSSAfterMB), r.PeakRSSMB, r.OtherCPU/r.Seconds)
	}
}
