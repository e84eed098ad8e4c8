package main

import (
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
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

// oversubscribe runs twice as many Go processors (Ps) as Go would by
// default, unless the GOMAXPROCS variable chose. With one P a core, a
// goroutine that becomes runnable under load waits behind every goroutine
// queued on its P: the token endpoint's p99 was 3.1–3.5 times the baseline's
// at 64 connections. With two a core the kernel shares the cores between
// more threads in shorter turns, and the p99 fell to 1.3–1.4 times, at the
// same throughput (BENCHMARKS.md).
// It acts once a process: the tests run serve many times.
func oversubscribe() {
	oversubscribed.Do(func() {
		runtime.GOMAXPROCS(procs(os.Getenv("GOMAXPROCS"), runtime.GOMAXPROCS(0)))
	})
}

var oversubscribed sync.Once

// procs returns the GOMAXPROCS serve runs with: twice the current one,
// unless the variable is set (the runtime obeyed it already).
func procs(env string, current int) int {
	if env != "" {
		return current
	}
	return 2 * current
}
