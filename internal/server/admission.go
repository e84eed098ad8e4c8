package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"keyhouse"
)

// Admission control: when more requests arrive than keyhouse can serve,
// the excess is refused at once with 503 and Retry-After, instead of
// joining a queue that grows until clients time out. Each class of
// traffic has a gate of its own, so that a flood of one never takes the
// other's turns:
//
//   - the data plane (token, introspection, JWKS and metadata): at most
//     n requests served at once; more wait, first come first served, at
//     most dataWait, and at most waitFactor × n of them;
//   - the intake: the same with intakeFactor × n, since its requests
//     mostly wait for the group commit, which grows with them and costs
//     less a request the more it carries;
//   - the management API and the console: the same bounds, but waiting
//     at most manageWait (people rather wait a moment than retry);
//   - never gated: /healthz and /readyz (a balancer must see an
//     overloaded instance alive), /v1/revocations (the product's own
//     services hold it open waiting for news: a turn held for a minute
//     would starve the others; an unauthenticated flood of it costs a
//     failed authentication each, limited per source), and the routes that hash a password,
//     which the service admits itself by turns among sources
//     (service/hashturn.go), a fairness a gate in front would undo.
//
// The wait is what bounds the queue: under a sustained overload every
// request admitted has waited up to dataWait, and the rest are refused
// after it; a burst shorter than that is served whole. A request that
// finds waitFactor × n waiting is refused at once.
//
// A request's body, up to maxPreread bytes, is read before it asks for a
// turn, so that a client sending its body slowly holds none.

// Bounds of admission.
const (
	dataWait   = 20 * time.Millisecond // longest wait of a data-plane request
	manageWait = time.Second           // of a management or console request
	maxPreread = 64 << 10              // bodies read before admission
	warnEvery  = 10 * time.Second      // at most one overload warning per this
	// inFlightPerProc is the default bound per Go processor.
	inFlightPerProc = 16
	// waitFactor bounds the waiting requests: this many times the bound
	// of those in flight.
	waitFactor = 8
	// intakeFactor is the intake's bound over the other routes'.
	intakeFactor = 4
)

// errOverloaded refuses a request the server has no turn for.
var errOverloaded = &keyhouse.Error{
	Code:       keyhouse.EUNAVAILABLE,
	Message:    "keyhouse is overloaded; retry in a moment",
	RetryAfter: time.Second,
}

// errOverloadedOAuth is errOverloaded in the shape of RFC 6749.
var errOverloadedOAuth = &oauthError{
	status: http.StatusServiceUnavailable, Code: "temporarily_unavailable",
	Description: "keyhouse is overloaded; retry in a moment", cause: errOverloaded,
}

// admission holds the gates of a server and counts the refusals.
type admission struct {
	data, intake, manage *gate
	logger               *slog.Logger
	refused              atomic.Int64 // since the last warning
	warned               atomic.Int64 // when the last warning was logged, Unix ns
}

// newAdmission returns gates of n requests at a time (0: the default).
func newAdmission(n int, logger *slog.Logger) *admission {
	if n <= 0 {
		n = inFlightPerProc * runtime.GOMAXPROCS(0)
	}
	return &admission{data: newGate(n, dataWait), intake: newGate(intakeFactor*n, dataWait),
		manage: newGate(n, manageWait), logger: logger}
}

// LimitInFlight sets how many requests of each class (data plane;
// management and console) are served at once, 8 × n more waiting for a
// turn, and 4 × n for the intake; 0 means 16 per Go processor. Call it
// before serving.
func (s *Server) LimitInFlight(n int) {
	s.admission = newAdmission(n, s.Logger)
}

// admit is the admission middleware: see the comment at the top.
func (s *Server) admit(next http.Handler) http.Handler {
	if s.admission == nil {
		s.admission = newAdmission(0, s.Logger)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := s.admission
		g, oauth := a.gateOf(r)
		if g == nil {
			next.ServeHTTP(w, r)
			return
		}
		if p := preread(r); p != nil {
			defer p.free()
		}
		if !g.enter(r.Context()) {
			a.refuse(s, w, r, oauth)
			return
		}
		defer g.leave()
		next.ServeHTTP(w, r)
	})
}

// gateOf returns the gate of r (nil: never gated) and whether its
// refusal takes the OAuth shape.
func (a *admission) gateOf(r *http.Request) (*gate, bool) {
	switch p := r.URL.Path; {
	case p == "/as/token", p == "/oauth2/token", p == "/oauth2/introspect":
		return a.data, true
	case p == "/v1/events":
		return a.intake, false
	case strings.HasPrefix(p, "/.well-known/"):
		return a.data, false
	case p == "/healthz", p == "/readyz", p == "/v1/revocations":
		return nil, false
	case r.Method == http.MethodPost && hashesPassword[p]:
		return nil, false
	}
	return a.manage, false
}

// hashesPassword are the paths whose POST hashes a password (sign-in,
// activation, and the console's forms of both).
var hashesPassword = map[string]bool{
	"/api/v1/sessions": true, "/api/v1/activations": true,
	"/login": true, "/activate": true, "/activate/accept": true,
}

// refuse answers 503 with Retry-After, and warns at most every warnEvery
// of how many requests were refused. It runs outside logRequests: a
// log line per refusal would cost the CPU the refusal saves.
func (a *admission) refuse(s *Server, w http.ResponseWriter, r *http.Request, oauth bool) {
	h := w.Header()
	h["X-Content-Type-Options"] = headerNoSniff
	if s.SecureCookies {
		h["Strict-Transport-Security"] = headerHSTS
	}
	if oauth {
		s.writeError(w, r, errOverloadedOAuth)
	} else {
		s.writeError(w, r, errOverloaded)
	}
	a.refused.Add(1)
	now, last := time.Now().UnixNano(), a.warned.Load()
	if now-last >= int64(warnEvery) && a.warned.CompareAndSwap(last, now) {
		a.logger.Warn("overloaded: requests refused with 503", "refused", a.refused.Swap(0),
			"in_flight_limit", cap(a.data.slots))
	}
}

// gate admits at most cap(slots) requests at a time; waitFactor times as
// many may wait, first come first served, up to maxWait each. Past that a
// request is refused at once.
type gate struct {
	slots   chan struct{}
	waiting atomic.Int64
	maxWait time.Duration
}

func newGate(n int, maxWait time.Duration) *gate {
	return &gate{slots: make(chan struct{}, n), maxWait: maxWait}
}

// enter takes a turn, waiting for one if need be, and reports whether it
// got one; the caller calls leave when done.
func (g *gate) enter(ctx context.Context) bool {
	select {
	case g.slots <- struct{}{}:
		return true
	default:
	}
	if g.waiting.Add(1) > int64(waitFactor*cap(g.slots)) {
		g.waiting.Add(-1)
		return false
	}
	defer g.waiting.Add(-1)
	t := time.NewTimer(g.maxWait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}: // a channel's senders are served in order
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}

// leave gives back a turn.
func (g *gate) leave() { <-g.slots }

// prereadBody is a request body whose first bytes (all of it, unless it
// is over maxPreread) were read before admission.
type prereadBody struct {
	buf  []byte
	off  int
	err  error         // how reading the body ended: io.EOF, nil (more to come) or a failure
	rest io.ReadCloser // the body itself
}

var prereadPool = sync.Pool{New: func() any { return &prereadBody{buf: make([]byte, 0, 1<<10)} }}

// preread reads r's body, unless it is empty or announced over
// maxPreread, and puts it back in r as a prereadBody: free it once the
// handler has returned (every handler copies what it keeps of a body).
func preread(r *http.Request) *prereadBody {
	n := r.ContentLength
	if r.Body == nil || r.Body == http.NoBody || n == 0 || n > maxPreread {
		return nil
	}
	if n < 0 { // chunked: up to the bound
		n = maxPreread
	}
	p := prereadPool.Get().(*prereadBody)
	if int64(cap(p.buf)) < n {
		p.buf = make([]byte, n)
	}
	p.buf, p.off, p.rest = p.buf[:n], 0, r.Body
	got := 0
	for got < len(p.buf) && p.err == nil {
		var m int
		m, p.err = r.Body.Read(p.buf[got:])
		got += m
	}
	p.buf = p.buf[:got]
	r.Body = p
	return p
}

// Read returns the bytes read before admission, then the rest.
func (p *prereadBody) Read(b []byte) (int, error) {
	if p.off < len(p.buf) {
		n := copy(b, p.buf[p.off:])
		p.off += n
		return n, nil
	}
	if p.err != nil {
		return 0, p.err
	}
	return p.rest.Read(b)
}

// Close closes the body.
func (p *prereadBody) Close() error { return p.rest.Close() }

// free returns p to the pool.
func (p *prereadBody) free() {
	p.buf, p.off, p.err, p.rest = p.buf[:0], 0, nil, nil
	prereadPool.Put(p)
}
