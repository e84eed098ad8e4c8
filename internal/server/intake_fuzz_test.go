package server

import (
	"bytes"
	"encoding/json"
	"testing"

	"keyhouse/internal/service"
)

// FuzzReadEvents feeds the intake's body reader arbitrary bodies: it must
// never panic, and what it accepts must be 1 to MaxBatch JSON objects that
// are parts of the body.
func FuzzReadEvents(f *testing.F) {
	// The seeds are in testdata/fuzz/FuzzReadEvents.
	f.Fuzz(func(t *testing.T, body []byte, ndjson bool) {
		events, err := readEvents(body, ndjson)
		if err != nil {
			if events != nil {
				t.Fatal("events returned with an error")
			}
			return
		}
		if len(events) == 0 || len(events) > service.MaxBatch {
			t.Fatalf("%d events accepted", len(events))
		}
		for _, e := range events {
			var m map[string]any
			if json.Unmarshal(e, &m) != nil || !bytes.Contains(body, e) {
				t.Fatalf("accepted %q, which is not an object of the body", e)
			}
		}
	})
}
