package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/openapitest"
	"keyhouse/internal/server"
)

// documentedRoutes returns the document's operations as ServeMux
// patterns: "POST /as/token".
func documentedRoutes(t *testing.T) []string {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(server.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, method+" "+path)
		}
	}
	slices.Sort(out)
	return out
}

// TestOpenAPIRoutes fails when a route of the router is missing from the
// document or the other way round, and when the document describes a
// console page.
func TestOpenAPIRoutes(t *testing.T) {
	if _, err := openapitest.Router(); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	e := keyhousetest.New(t)
	s := server.New(e.Svc, slog.New(slog.DiscardHandler), false)
	routes := s.APIRoutes()
	slices.Sort(routes)
	documented := documentedRoutes(t)
	for _, r := range routes {
		if _, found := slices.BinarySearch(documented, r); !found {
			t.Errorf("route %q is not in openapi.json", r)
		}
	}
	for _, d := range documented {
		if _, found := slices.BinarySearch(routes, d); !found {
			t.Errorf("openapi.json describes %q, which the router does not have", d)
		}
	}
	for _, p := range s.PageRoutes() {
		if slices.Contains(documented, p) {
			t.Errorf("openapi.json describes the console page %q", p)
		}
	}
}

// TestOpenAPIServed checks GET /api/v1/openapi.json: public, cacheable,
// and the document in the repository.
func TestOpenAPIServed(t *testing.T) {
	e := keyhousetest.New(t)
	srv := checkedServer(t, server.New(e.Svc, slog.New(slog.DiscardHandler), false))
	resp, err := http.Get(srv.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	want, _ := os.ReadFile("openapi.json")
	if resp.StatusCode != 200 || !bytes.Equal(got, want) || resp.Header.Get("Cache-Control") != "public, max-age=300" {
		t.Errorf("GET /api/v1/openapi.json: %d %q, %d bytes; want 200, the repository's %d bytes",
			resp.StatusCode, resp.Header.Get("Cache-Control"), len(got), len(want))
	}
	var doc struct{ OpenAPI string }
	if json.Unmarshal(got, &doc); doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
}

// checkedServer serves h and checks every exchange against the OpenAPI
// document (package openapitest); benchmarks measure the server alone.
func checkedServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	if _, bench := t.(*testing.B); !bench {
		h = openapitest.Handler(t, h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// TestOpenAPIPlainAnswers checks that the document also covers the plain
// text answers of documented routes: /metrics where it is not served,
// and the cross-origin refusal.
func TestOpenAPIPlainAnswers(t *testing.T) {
	e := keyhousetest.New(t)
	srv := checkedServer(t, server.New(e.Svc, slog.New(slog.DiscardHandler), false))
	tests := []struct {
		name, method, path string
		header             map[string]string
		status             int
	}{
		{"metrics on their own listener", "GET", "/metrics", nil, 404},
		{"cross-origin sign-in", "POST", "/api/v1/sessions", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, header, _ := sendHTTP(t, tt.method, srv.URL+tt.path, "", `{}`, tt.header)
			if status != tt.status || !strings.HasPrefix(header.Get("Content-Type"), "text/plain") {
				t.Errorf("%d %s, want %d text/plain", status, header.Get("Content-Type"), tt.status)
			}
		})
	}
}
