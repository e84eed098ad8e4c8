package metrics

import (
	"testing"
	"time"
)

// BenchmarkRequest is what a token request adds to the hot path: its
// request line and its outcome.
func BenchmarkRequest(b *testing.B) {
	m := New()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Request("/as/token", "POST", 200, 50*time.Microsecond)
			m.Token("issued")
		}
	})
}

// TestSeriesAreBounded: made-up methods and unmatched paths share their
// series, so no client can make the metrics grow.
func TestSeriesAreBounded(t *testing.T) {
	m := New()
	for i := range 1000 {
		m.Request("unmatched", "X-"+string(rune('A'+i%26))+string(rune('a'+i/26%26)), 404, time.Millisecond)
	}
	n := 0
	m.byRequest.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Errorf("%d series for made-up methods, want 1", n)
	}
}
