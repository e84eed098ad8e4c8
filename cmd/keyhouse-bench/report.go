package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// result is one scenario run against one target.
type result struct {
	Scenario        string           `json:"scenario"`
	Target          string           `json:"target"` // keyhouse or baseline
	Keys            int              `json:"keys"`
	Connections     int              `json:"connections"`
	Seconds         float64          `json:"seconds"`
	Requests        int64            `json:"requests"`
	RequestsPerS    float64          `json:"requests_per_s"`
	EventsPerS      float64          `json:"events_per_s"` // the baseline's: as if every request were accepted
	Latency         latency          `json:"latency_ms"`
	Statuses        map[string]int64 `json:"statuses"`
	Errors          map[string]int64 `json:"errors"` // unexpected statuses, and socket_* errors
	ServerCPU       float64          `json:"server_cpu_s"`
	CPUPerRequestUS float64          `json:"server_cpu_us_per_request"`
	PeakRSSMB       float64          `json:"server_peak_rss_mb"`
	StartRSSMB      float64          `json:"server_start_peak_rss_mb,omitempty"` // the peak of loading the keys, before any run
	WrkCPU          float64          `json:"wrk_cpu_s"`                          // the generator's own CPU, its start-up included
	OtherCPU        float64          `json:"other_cpu_s"`                        // every other process of the machine: disturbance
	Ratio           float64          `json:"ratio_to_baseline,omitempty"`        // requests/s over the baseline's
	P99Ratio        float64          `json:"p99_ratio_to_baseline,omitempty"`    // p99 over the baseline's
	Check           *eventCheck      `json:"events_check,omitempty"`
	Overload        *overloadRun     `json:"overload,omitempty"` // the overload scenario's figures
}

// compare sets the ratios of r to the baseline's run b.
func (r *result) compare(b *result) {
	if b.RequestsPerS > 0 {
		r.Ratio = r.RequestsPerS / b.RequestsPerS
	}
	if b.Latency.P99 > 0 {
		r.P99Ratio = r.Latency.P99 / b.Latency.P99
	}
}

// answered reports whether every request got the expected answer: no
// socket error, no other status (but refusals where they are allowed:
// 503, or wrk's count of statuses over 399 when the script did not
// count them one by one), and at least one request.
func (r *result) answered() bool {
	for kind := range r.Errors {
		if !r.refusalsAllowed() || kind != "503" && kind != otherStatus {
			return false
		}
	}
	return r.Requests > 0
}

// report is the JSON the bench writes.
type report struct {
	Started time.Time `json:"started"`
	Machine machine   `json:"machine"`
	Config  *config   `json:"config"`
	Results []*result `json:"results"`
	Targets []verdict `json:"targets"`
	// OverloadTargets are the verdicts of the overload scenario (issue 12).
	OverloadTargets []verdict `json:"overload_targets,omitempty"`
	Problems        []string  `json:"problems"` // correctness failures
}

// machine describes where the figures were measured.
type machine struct {
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"go_version"`
	Wrk       string `json:"wrk"`
	DB        string `json:"db"`
}

// writeJSON writes rep to path.
func writeJSON(path string, rep *report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// writeTable prints the results, one line each.
func writeTable(w io.Writer, results []*result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\ttarget\tkeys\tconns\treq/s\tevents/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\tcpu s\tcpu µs/req\trss MB\twrk cpu\tother cpu\t× base\tp99 × base\terrors\tevents check\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.0f\t%s\t%.2f\t%.2f\t%.2f\t%.1f\t%.1f\t%.0f\t%.0f\t%.1f\t%.1f\t%s\t%s\t%s\t%s\t\n",
			r.Scenario, r.Target, r.Keys, r.Connections, r.RequestsPerS, dash(r.EventsPerS, "%.0f"),
			r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.Max,
			r.ServerCPU, r.CPUPerRequestUS, r.PeakRSSMB, r.WrkCPU, r.OtherCPU,
			dash(r.Ratio*100, "%.1f %%"), dash(r.P99Ratio, "%.2f"), errorsText(r.Errors), checkText(r.Check))
	}
	return tw.Flush()
}

// dash formats v, or "-" when it is zero.
func dash(v float64, format string) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf(format, v)
}

// errorsText lists errors by kind, sorted: "503:12 socket_read:1".
func errorsText(errs map[string]int64) string {
	if len(errs) == 0 {
		return "0"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(errs)) {
		parts = append(parts, fmt.Sprintf("%s:%d", k, errs[k]))
	}
	return strings.Join(parts, " ")
}

// checkText summarizes an events check.
func checkText(c *eventCheck) string {
	switch {
	case c == nil:
		return "-"
	case !c.OK():
		return "FAIL: " + c.Problem
	case c.ByID:
		return fmt.Sprintf("ok (%d ids)", c.IDs)
	}
	return fmt.Sprintf("ok (%d/%d)", c.Acked, c.Stored)
}

// problems returns the correctness failures of the keyhouse results:
// requests not answered as expected, events lost or duplicated.
func problems(results []*result) []string {
	var out []string
	for _, r := range results {
		label := fmt.Sprintf("%s on %s (%d keys, %d connections)", r.Scenario, r.Target, r.Keys, r.Connections)
		if !r.answered() {
			out = append(out, fmt.Sprintf("%s: %d requests, unexpected answers %s", label, r.Requests, errorsText(r.Errors)))
		}
		if r.Check != nil && !r.Check.OK() {
			out = append(out, label+": "+r.Check.Problem)
		}
	}
	return out
}

// disturbance returns the most cores that other processes used during a
// run.
func disturbance(results []*result) float64 {
	var most float64
	for _, r := range results {
		if r.Seconds > 0 {
			most = max(most, r.OtherCPU/r.Seconds)
		}
	}
	return most
}
