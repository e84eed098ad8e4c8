package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"keyhouse/internal/keyhousetest"
)

// The data plane's benchmarks run the real handlers (routing, logging,
// parsing, the service, SQLite with synchronous=FULL) without the network,
// so that they measure keyhouse and not the loopback. BENCHMARKS.md has
// the figures and how to rerun them.

// serve runs one request through the handler and fails unless it answers want.
func serve(b *testing.B, h http.Handler, req *http.Request, want int) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("%s %s: %d %s", req.Method, req.URL.Path, rec.Code, rec.Body)
	}
}

func BenchmarkKeyVerification(b *testing.B) {
	f := newDataFixture(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.e.Svc.AuthenticateBasic(ctx, f.key.APIKey); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTokenIssue(b *testing.B) {
	f := newDataFixture(b)
	h := f.srv.Config.Handler
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/as/token", strings.NewReader("grant_type=client_credentials&scope=integration"))
		req.Header.Set("Content-Type", form)
		req.Header.Set("Authorization", "Basic "+f.key.APIKey)
		serve(b, h, req, 200)
	}
}

func BenchmarkTokenVerifyCold(b *testing.B) {
	f := newDataFixture(b)
	toks := make([]string, 0, 1024)
	for range cap(toks) {
		toks = append(toks, f.token(b, f.key.APIKey))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == len(toks) { // past the pre-made tokens: cold again through a new service
			b.StopTimer()
			f = newDataFixture(b)
			toks, i = toks[:0], 0
			for range cap(toks) {
				toks = append(toks, f.token(b, f.key.APIKey))
			}
			b.StartTimer()
		}
		if _, err := f.e.Svc.VerifyToken(context.Background(), toks[i]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkTokenVerifyCached(b *testing.B) {
	f := newDataFixture(b)
	tok := f.token(b, f.key.APIKey)
	ctx := context.Background()
	if _, err := f.e.Svc.VerifyToken(ctx, tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.e.Svc.VerifyToken(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// benchIntake posts batches of n events from parallel clients.
func benchIntake(b *testing.B, n int) {
	f := newDataFixture(b)
	h := f.srv.Config.Handler
	auth := "Bearer " + f.token(b, f.key.APIKey)
	var body strings.Builder
	for i := range n {
		fmt.Fprintf(&body, "{\"order\":\"A-%d\",\"amount\":12.5,\"currency\":\"EUR\"}\n", i)
	}
	payload := body.String()
	b.SetParallelism(16) // concurrent requests share commits, as they do in production
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("POST", "/v1/events", strings.NewReader(payload))
			req.Header.Set("Content-Type", "application/x-ndjson")
			req.Header.Set("Authorization", auth)
			serve(b, h, req, 202)
		}
	})
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkIntakeOneEvent(b *testing.B) { benchIntake(b, 1) }
func BenchmarkIntakeBatch100(b *testing.B) { benchIntake(b, 100) }

// BenchmarkIntrospectResourceServer is one of the product's services
// asking about a token with its resource-server credential: the
// credential's check and the (cached) token's verification.
func BenchmarkIntrospectResourceServer(b *testing.B) {
	f := newDataFixture(b)
	h := f.srv.Config.Handler
	rs, err := f.e.Svc.CreateResourceServer(keyhousetest.Operator(""), "orders")
	if err != nil {
		b.Fatal(err)
	}
	body := "token=" + f.token(b, f.key.APIKey)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/oauth2/introspect", strings.NewReader(body))
		req.Header.Set("Content-Type", form)
		req.Header.Set("Authorization", "Bearer "+rs.Credential)
		serve(b, h, req, 200)
	}
}
