package verify_test

import (
	"log/slog"
	"net/http"
	"testing"
	"time"

	"keyhouse/internal/keyhousetest"
	"keyhouse/verify"
)

// TestClientTimeoutUnderLongPoll: a verifier given an HTTP client whose
// timeout is shorter than the feed's long poll still hears from a quiet
// keyhouse, and goes on accepting tokens past MaxStaleness: its long
// polls ask for less than the client's timeout instead of all timing out
// (and the verifier failing closed for good).
func TestClientTimeoutUnderLongPoll(t *testing.T) {
	h := keyhousetest.NewHouse(t, "")
	_, tok := h.Token(t)
	v, err := verify.New(t.Context(), verify.Config{
		Issuer: h.Srv.URL, Credential: h.Credential, Now: h.A.Clock.Now, MaxStaleness: 4 * time.Second,
		HTTPClient: &http.Client{Timeout: time.Second}, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	time.Sleep(5 * time.Second) // past MaxStaleness, keyhouse quiet
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Fatalf("a good token after %v of a quiet keyhouse: %v", 5*time.Second, err)
	}
}
