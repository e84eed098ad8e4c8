package verify_test

import (
	"net/http"
	"strings"
	"sync/atomic"
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
	v := followWith(t, h, func(c *verify.Config) {
		c.MaxStaleness, c.HTTPClient = 4*time.Second, &http.Client{Timeout: time.Second}
	})
	time.Sleep(5 * time.Second) // past MaxStaleness, keyhouse quiet
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Fatalf("a good token after %v of a quiet keyhouse: %v", 5*time.Second, err)
	}
}

// TestHungFeedRead: a read of the feed that hangs (a connection dropped
// without a word by a proxy or NAT) is given up before MaxStaleness, and
// a new one made: the verifier is refusing tokens for a moment at most,
// not until the HTTP client's 90-second timeout ends the hung read.
func TestHungFeedRead(t *testing.T) {
	h := keyhousetest.NewHouse(t, "")
	_, tok := h.Token(t)
	stale := 4 * time.Second
	v := followWith(t, h, func(c *verify.Config) {
		c.MaxStaleness, c.HTTPClient = stale, &http.Client{Timeout: 90 * time.Second, Transport: &hangFirstPoll{next: http.DefaultTransport}}
	})
	time.Sleep(stale + time.Second) // the first long poll hangs meanwhile
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := v.Verify(t.Context(), tok)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("a good token %v after a read of the feed hung: %v", stale+11*time.Second, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// hangFirstPoll holds the first long poll of the feed until its request
// ends; every other request passes.
type hangFirstPoll struct {
	next http.RoundTripper
	hung atomic.Bool
}

func (h *hangFirstPoll) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/v1/revocations") && r.URL.Query().Get("wait") != "0s" && h.hung.CompareAndSwap(false, true) {
		<-r.Context().Done()
		return nil, r.Context().Err()
	}
	return h.next.RoundTrip(r)
}
