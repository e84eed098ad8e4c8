// Package metrics is keyhouse's Prometheus instrumentation: it implements
// the counting interfaces of the service and the HTTP server on
// prometheus/client_golang, and serves them in the text format.
package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds every series keyhouse exports, in a registry of its own.
type Metrics struct {
	reg         *prometheus.Registry
	byRequest   sync.Map // requestKey → *requestSeries: no label hashing per request
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	tokens      *prometheus.CounterVec
	events      prometheus.Counter
	commitSize  prometheus.Histogram
	commitTime  prometheus.Histogram
	commitFails prometheus.Counter
	signIns     *prometheus.CounterVec
	revocations *prometheus.CounterVec
	failures    *prometheus.CounterVec
}

// New returns the metrics, with the Go runtime's and the process's.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keyhouse_http_requests_total", Help: "HTTP requests answered, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "keyhouse_http_request_duration_seconds", Help: "Time to answer an HTTP request, by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keyhouse_tokens_total", Help: `Token requests by outcome: "issued", or the OAuth error they were refused with.`,
		}, []string{"outcome"}),
		events: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "keyhouse_events_accepted_total", Help: "Events acknowledged (202) by the intake: durably stored.",
		}),
		commitSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "keyhouse_intake_commit_events", Help: "Events per intake group commit.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 8),
		}),
		commitTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "keyhouse_intake_commit_duration_seconds", Help: "Time of an intake group commit.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
		commitFails: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "keyhouse_intake_commit_failures_total", Help: "Intake group commits that failed (their requests got 503).",
		}),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keyhouse_signins_total", Help: "Sign-ins by outcome: succeeded, failed, throttled, busy, error.",
		}, []string{"outcome"}),
		revocations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keyhouse_revocations_applied_total", Help: "Revocations this instance applied, by kind: api_key, signing_key.",
		}, []string{"kind"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keyhouse_request_failures_total", Help: `Requests that failed on the server's side (5xx), by error code; "unavailable" is the store away or a bound reached.`,
		}, []string{"code"}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.tokens, m.events, m.commitSize, m.commitTime,
		m.commitFails, m.signIns, m.revocations, m.failures,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// KeyIndex exports size, how many API keys the instance holds in memory,
// read at each scrape. Call it once, when the service exists.
func (m *Metrics) KeyIndex(size func() int) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "keyhouse_api_keys_in_memory", Help: "API keys in this instance's in-memory index.",
	}, func() float64 { return float64(size()) }))
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// requestKey names the series of one kind of request.
type requestKey struct {
	route, method string
	status        int
}

// requestSeries are the series one kind of request moves.
type requestSeries struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

// Request counts one answered request (server.Metrics).
func (m *Metrics) Request(route, method string, status int, took time.Duration) {
	k := requestKey{route, knownMethod(method), status}
	v, ok := m.byRequest.Load(k)
	if !ok {
		v, _ = m.byRequest.LoadOrStore(k, &requestSeries{
			count:   m.requests.WithLabelValues(k.route, k.method, strconv.Itoa(status)),
			latency: m.latency.WithLabelValues(route),
		})
	}
	rs := v.(*requestSeries)
	rs.count.Inc()
	rs.latency.Observe(took.Seconds())
}

// knownMethod returns method if it is one of HTTP's, else "other": a
// client chooses the method, and must not choose how many series there
// are.
func knownMethod(method string) string {
	switch method {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
		return method
	}
	return "other"
}

// Token counts one token request's outcome (server.Metrics).
func (m *Metrics) Token(outcome string) { m.tokens.WithLabelValues(outcome).Inc() }

// EventsAccepted counts acknowledged events (server.Metrics).
func (m *Metrics) EventsAccepted(n int) { m.events.Add(float64(n)) }

// Failed counts a 5xx by its error code (server.Metrics).
func (m *Metrics) Failed(code string) { m.failures.WithLabelValues(code).Inc() }

// GroupCommit records one intake commit (service.Metrics).
func (m *Metrics) GroupCommit(events int, took time.Duration, err error) {
	if err != nil {
		m.commitFails.Inc()
		return
	}
	m.commitSize.Observe(float64(events))
	m.commitTime.Observe(took.Seconds())
}

// SignIn counts a sign-in's outcome (service.Metrics).
func (m *Metrics) SignIn(outcome string) { m.signIns.WithLabelValues(outcome).Inc() }

// Revoked counts an applied revocation (service.Metrics).
func (m *Metrics) Revoked(kind string) { m.revocations.WithLabelValues(kind).Inc() }
