package verify_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"keyhouse/internal/keyhousetest"
	"keyhouse/internal/server"
	"keyhouse/verify"
)

// BenchmarkMiddlewareCached is one request through the middleware with a
// token verified before (the steady state of a product service), to a
// handler that does nothing; allocations are the middleware's.
func BenchmarkMiddlewareCached(b *testing.B) {
	h := keyhousetest.NewHouse(b, "")
	v, err := verify.New(b.Context(), verify.Config{Issuer: h.Srv.URL, Credential: h.Credential, Now: h.A.Clock.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	_, access := h.Token(b)
	handler := v.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := httptest.NewRequest("GET", "/v1/orders", nil)
	req.Header.Set("Authorization", "Bearer "+access)
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, req)
	if w.Code != 200 {
		b.Fatalf("status %d %s", w.Code, w.Body)
	}
	b.ReportAllocs()
	for b.Loop() {
		handler.ServeHTTP(w, req)
	}
}

// BenchmarkVerifyPropagation measures, over b.N deletions, the time from
// the DELETE's answer (through instance A's HTTP API) to the product
// service's first 401 for a token of the deleted key, its verifier
// following instance B; two instances on one PostgreSQL database
// (KEYHOUSE_TEST_POSTGRES; skipped without). Run with -benchtime=200x.
func BenchmarkVerifyPropagation(b *testing.B) {
	h := keyhousetest.NewHouse(b, keyhousetest.PostgresDSN(b))
	srvA := httptest.NewServer(server.New(h.A.Svc, slog.New(slog.DiscardHandler), false))
	defer srvA.Close()
	v, err := verify.New(b.Context(), verify.Config{Issuer: h.Srv.URL, Credential: h.Credential, Now: h.A.Clock.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	handler := v.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	status := func(access string) int {
		req := httptest.NewRequest("GET", "/v1/orders", nil)
		req.Header.Set("Authorization", "Bearer "+access)
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, req)
		return w.Code
	}
	var took []time.Duration
	for b.Loop() {
		b.StopTimer()
		keyID, access := h.Token(b)
		if status(access) != 200 {
			b.Fatal("a live token refused")
		}
		b.StartTimer()
		req, _ := http.NewRequest("DELETE", srvA.URL+"/api/v1/environments/sandbox/clients/"+h.ClientID+"/keys/"+keyID,
			strings.NewReader(`{"confirm_client_id":"`+h.ClientID+`"}`))
		req.Header.Set("Authorization", "Bearer "+h.Owner.Token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 204 {
			b.Fatalf("delete: %v %v", resp, err)
		}
		resp.Body.Close()
		answered := time.Now()
		for status(access) != 401 {
			if time.Since(answered) > 10*time.Second {
				b.Fatal("the deleted key's token still accepted after 10 s")
			}
			time.Sleep(100 * time.Microsecond)
		}
		took = append(took, time.Since(answered))
	}
	slices.Sort(took)
	ms := func(q float64) float64 {
		return float64(took[min(len(took)-1, int(q*float64(len(took))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(ms(0.50), "p50_ms")
	b.ReportMetric(ms(0.99), "p99_ms")
}
