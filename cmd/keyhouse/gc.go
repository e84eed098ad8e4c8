package main

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// gcHeadroom is how much the heap may grow between two collections at
// least. Go's default (GOGC=100) lets it grow by the live heap: with the
// few megabytes keyhouse keeps live for a thousand keys, the collector
// ran about a hundred times a second under load and took a tenth of the
// CPU. With a million keys the live heap is larger than gcHeadroom and
// the default holds, so memory stays where it was.
const gcHeadroom = 64 << 20

// tuneGC sets GOGC from the live heap every interval until ctx ends, so
// that the heap may grow by gcHeadroom before the next collection (see
// gcPercent). serve runs it unless the GOGC variable chose for itself;
// GOMEMLIMIT, when set, still bounds the heap.
func tuneGC(ctx context.Context, every time.Duration) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	t := time.NewTicker(every)
	defer t.Stop()
	last := -1
	for {
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			if p := gcPercent(sample[0].Value.Uint64(), gcHeadroom); p != last {
				debug.SetGCPercent(p)
				last = p
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// gcPercent returns the GOGC that lets a heap of live bytes grow by
// headroom before the next collection: never below Go's default of 100,
// and at most 10,000 (a live heap under 1% of headroom).
func gcPercent(live, headroom uint64) int {
	p := headroom * 100 / max(live, 1)
	return int(min(max(p, 100), 10_000))
}
