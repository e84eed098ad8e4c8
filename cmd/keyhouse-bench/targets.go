package main

import (
	"fmt"
	"io"
)

// targetConns is the number of connections the targets of issues 6 and
// 11 are stated for.
const targetConns = 64

// verdict is one target and what the run measured.
type verdict struct {
	Target string `json:"target"`
	Want   string `json:"want"`
	Got    string `json:"got"`
	Met    bool   `json:"met"`
}

// judgeTargets returns the verdicts the results allow: the runs of
// keyhouse at targetConns connections, and growth when several key
// counts ran.
func judgeTargets(results []*result) []verdict {
	var out []verdict
	for _, r := range results {
		if r.Target != "keyhouse" || r.Connections != targetConns {
			continue
		}
		label := fmt.Sprintf("%s, %d keys", r.Scenario, r.Keys)
		switch r.Scenario {
		case "token": // issue 11, once the signature was crypto/ecdsa's
			out = append(out, ratioVerdicts(label, r, 0.40, 2)...)
		case "intake": // issue 6
			out = append(out, ratioVerdicts(label, r, 0.50, 3)...)
			out = append(out, verdict{label + ", acknowledged events lost", "0", checkText(r.Check), r.Check != nil && r.Check.OK()})
		case "intake-batch":
			ok := r.EventsPerS >= 100_000 && r.Check != nil && r.Check.OK()
			out = append(out, verdict{label + ", durable events/s", "≥ 100000, none lost", fmt.Sprintf("%.0f, %s", r.EventsPerS, checkText(r.Check)), ok})
		}
	}
	return append(out, growthVerdicts(results)...)
}

// ratioVerdicts judges requests/s (at least min of the baseline's) and
// p99 (at most maxP99 times the baseline's).
func ratioVerdicts(label string, r *result, min, maxP99 float64) []verdict {
	if r.Ratio == 0 {
		return nil // no baseline ran
	}
	return []verdict{
		{label + ", requests/s of the baseline's", fmt.Sprintf("≥ %.0f %%", min*100), fmt.Sprintf("%.1f %%", r.Ratio*100), r.Ratio >= min},
		{label + ", p99 over the baseline's", fmt.Sprintf("≤ %g", maxP99), fmt.Sprintf("%.2f (%.2f ms)", r.P99Ratio, r.Latency.P99), r.P99Ratio <= maxP99},
	}
}

// growthVerdicts compares token with the most keys to token with the
// fewest, at targetConns connections, by their ratios to the baseline
// (each run against its own baseline, so that a busier moment does not
// count as growth), and the RSS with 1,000,000 keys or more.
func growthVerdicts(results []*result) []verdict {
	var low, high *result
	for _, r := range results {
		if r.Target != "keyhouse" || r.Scenario != "token" || r.Connections != targetConns {
			continue
		}
		if low == nil || r.Keys < low.Keys {
			low = r
		}
		if high == nil || r.Keys > high.Keys {
			high = r
		}
	}
	var out []verdict
	if low != nil && high.Keys > low.Keys && low.Ratio > 0 {
		rel := high.Ratio / low.Ratio
		out = append(out, verdict{fmt.Sprintf("growth: token with %d keys over %d keys", high.Keys, low.Keys), "≥ 90 %",
			fmt.Sprintf("%.1f %% (%.0f vs %.0f req/s)", rel*100, high.RequestsPerS, low.RequestsPerS), rel >= 0.9})
	}
	if rss := peakRSSAt(results, 1_000_000); rss > 0 {
		out = append(out, verdict{"growth: server RSS with 1000000 keys", "≤ 400 MB", fmt.Sprintf("%.0f MB", rss), rss <= 400})
	}
	return out
}

// peakRSSAt returns keyhouse's largest peak RSS in the runs with at least
// keys keys, 0 when there were none.
func peakRSSAt(results []*result, keys int) float64 {
	var peak float64
	for _, r := range results {
		if r.Target == "keyhouse" && r.Keys >= keys {
			peak = max(peak, r.PeakRSSMB, r.StartRSSMB)
		}
	}
	return peak
}

// writeVerdicts prints the verdicts.
func writeVerdicts(w io.Writer, vs []verdict) {
	for _, v := range vs {
		mark := "MISSED"
		if v.Met {
			mark = "met"
		}
		fmt.Fprintf(w, "  %-6s %s: %s (target %s)\n", mark, v.Target, v.Got, v.Want)
	}
}
