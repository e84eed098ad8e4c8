// Package openapitest checks HTTP exchanges with keyhouse against its
// OpenAPI document (internal/server/openapi.json), for tests: as a
// middleware around the server (Handler) or as the client's transport
// (Transport). A mismatch fails the test.
//
// Every answer of a documented route is checked, and every request that
// the server accepted (status below 400): tests send refused requests on
// purpose, which need not match the document, but their answers must.
// Exchanges of routes the document lacks (the console's pages, the mux's
// 404 and 405) pass unchecked: TestOpenAPIRoutes holds the document and
// the router together.
package openapitest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"keyhouse/internal/server"
)

// Router returns the document's router, loaded and validated once.
var Router = sync.OnceValues(func() (routers.Router, error) {
	// An NDJSON batch and an event stream are text to the document.
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/event-stream", openapi3filter.PlainBodyDecoder)
	doc, err := openapi3.NewLoader().LoadFromData(server.OpenAPI())
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	return legacy.NewRouter(doc)
})

// maxChecked is the largest request body that is read to be checked; a
// larger one passes unchecked.
const maxChecked = 2 << 20

// exchange is one request and its answer, as sent and received.
type exchange struct {
	req     *http.Request
	reqBody []byte
	status  int
	header  http.Header
	body    []byte
}

// check fails tb when the exchange does not match the document.
func (x *exchange) check(tb testing.TB) {
	tb.Helper()
	router, err := Router()
	if err != nil {
		tb.Fatalf("openapi.json: %v", err)
	}
	req := x.req.Clone(context.Background())
	req.Body = io.NopCloser(bytes.NewReader(x.reqBody))
	if req.Header.Get("Content-Type") == "" && len(x.reqBody) > 0 {
		req.Header.Set("Content-Type", "application/json") // the JSON API reads JSON whatever the header says
	}
	route, params, err := router.FindRoute(req)
	if err != nil { // a route the document lacks: the mux's 404 or 405, a console page
		return
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true, IncludeResponseStatus: true}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if x.status < 400 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			tb.Errorf("openapi: %s %s: the request the server accepted does not match the document: %v", req.Method, req.URL.Path, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: x.status, Header: x.header, Options: opts}
	out.SetBodyBytes(x.body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		tb.Errorf("openapi: %s %s → %d: the answer does not match the document: %v\n%s", req.Method, req.URL.Path, x.status, err, truncate(x.body))
	}
}

func truncate(b []byte) string {
	if len(b) > 500 {
		return string(b[:500]) + "…"
	}
	return strings.TrimSpace(string(b))
}

// readBody reads a request body to check, and puts back what the server
// will read. It reports false for a body too large to check.
func readBody(r *http.Request) ([]byte, bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, true
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxChecked+1))
	if err != nil || len(body) > maxChecked {
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
		return nil, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, true
}

// Handler serves h and checks every exchange.
func Handler(tb testing.TB, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := readBody(r)
		if !ok {
			h.ServeHTTP(w, r)
			return
		}
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		x := &exchange{req: r, reqBody: body, status: rec.status, header: rec.Header(), body: rec.body.Bytes()}
		x.check(tb)
	})
}

// Transport sends requests through rt (http.DefaultTransport when nil)
// and checks every exchange.
func Transport(tb testing.TB, rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		body, ok := readBody(r)
		resp, err := rt.RoundTrip(r)
		if err != nil || !ok {
			return resp, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		x := &exchange{req: r, reqBody: body, status: resp.StatusCode, header: resp.Header, body: b}
		x.check(tb)
		return resp, nil
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// recorder passes an answer on and keeps a copy of its status and body.
type recorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
