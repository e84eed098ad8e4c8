package main

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestGCPercent(t *testing.T) {
	tests := []struct {
		live uint64
		want int
	}{
		{0, 10_000},
		{4 << 20, 1600},  // a thousand keys: the heap may grow by 64 MB
		{64 << 20, 100},  // from here on, Go's default
		{300 << 20, 100}, // a million keys
	}
	for _, tt := range tests {
		if got := gcPercent(tt.live, gcHeadroom); got != tt.want {
			t.Errorf("gcPercent(%d MB) = %d, want %d", tt.live>>20, got, tt.want)
		}
	}
}

func TestMemoryLimit(t *testing.T) {
	const mb = 1 << 20
	// 20 MB besides the heap, 10 MB live, two hashes of 19 MiB: 10 + 64 of
	// heap, and room for the hashes.
	if got := memoryLimit(20*mb, 10*mb, gcHeadroom, 38*mb); got != 132*mb {
		t.Errorf("small heap: %d MB, want 132", got/mb)
	}
	// A live heap over the headroom may double, as with Go's default.
	if got := memoryLimit(20*mb, 300*mb, gcHeadroom, 38*mb); got != 658*mb {
		t.Errorf("large heap: %d MB, want 658", got/mb)
	}
}

func TestProcs(t *testing.T) {
	if got := procs("", 2, 2); got != 4 {
		t.Errorf(`procs("", 2, 2) = %d, want 4`, got)
	}
	if got := procs("", 2, 1); got != 2 {
		t.Errorf(`procs("", 2, 1) = %d, want 2: --procs-per-cpu 1`, got)
	}
	if got := procs("3", 3, 2); got != 3 {
		t.Errorf(`procs("3", 3, 2) = %d, want 3: GOMAXPROCS chose`, got)
	}
}

// TestTuneGC checks that tuneGC raises GOGC for this test's small heap
// and returns when its context ends.
func TestTuneGC(t *testing.T) {
	old := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(old) })
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		tuneGC(ctx, time.Hour, gcHeadroom, 0, false)
		close(done)
	}()
	gogc := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if metrics.Read(gogc); gogc[0].Value.Uint64() > 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("GOGC still 100 after tuneGC started")
		}
	}
	cancel()
	<-done
}
