package verify_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"keyhouse/verify"
)

// BenchmarkMiddlewareCached is one request through the middleware with a
// token verified before (the steady state of a product service), to a
// handler that does nothing; allocations are the middleware's.
func BenchmarkMiddlewareCached(b *testing.B) {
	h := newHouseB(b)
	v, err := verify.New(b.Context(), verify.Config{Issuer: h.srv.URL, Credential: h.credential, Now: h.a.Clock.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	_, access := h.tokenB(b)
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
