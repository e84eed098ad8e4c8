package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzRevocations drives the revocation feed's query (after, wait), its
// Last-Event-ID header, Accept and the resource-server credential. It
// answers the page as JSON or server-sent events, or refuses with a 4xx
// whose message names after or wait; a long poll or a stream is cut off
// after 20 ms, as a client that gives up.
func FuzzRevocations(f *testing.F) {
	fe := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, stream bool, auth, query, lastEventID string) {
		h := http.Header{"Authorization": {fe.fill(t, auth)}}
		if lastEventID != "" {
			h.Set("Last-Event-ID", fe.fill(t, lastEventID))
		}
		if stream {
			h.Set("Accept", "text/event-stream")
		}
		resp := fe.serve(request{method: "GET", target: withQuery("/v1/revocations", fe.fill(t, query)), header: h, within: 20 * time.Millisecond})
		if resp == nil {
			return
		}
		a := readAnswer(t, resp)
		if a.StatusCode != http.StatusOK {
			checkAPI(t, a, "after", "wait")
			return
		}
		if stream {
			if !strings.HasPrefix(a.Header.Get("Content-Type"), "text/event-stream") {
				t.Fatalf("200 to an event stream request as %s: %.200s", a.Header.Get("Content-Type"), a.body)
			}
			return
		}
		var page struct {
			Revoked []json.RawMessage `json:"revoked"`
			Cursor  *json.Number      `json:"cursor"`
		}
		if err := json.Unmarshal([]byte(a.body), &page); err != nil || page.Cursor == nil || page.Revoked == nil {
			t.Fatalf("200 with %.200s", a.body)
		}
	})
}
