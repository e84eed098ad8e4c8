package main

import (
	"context"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// gcHeadroom is the default of --gc-headroom: how much the heap may grow
// between two collections at least. Go's default (GOGC=100) lets it grow by the live heap: with the
// few megabytes keyhouse keeps live for a thousand keys, the collector
// ran about a hundred times a second under load and took a tenth of the
// CPU. With a million keys the live heap is larger than gcHeadroom and
// the default holds, so memory stays where it was.
const gcHeadroom = 64 << 20

// tuneGC sets GOGC from the live heap every interval until ctx ends, so
// that the heap may grow by headroom before the next collection (see
// gcPercent). serve runs it unless the GOGC variable chose for itself.
//
// GOGC multiplies the heap marked live at each collection, and that may
// hold transient memory: the password hashes' 19 MiB each. A GOGC made
// for a 10 MB live heap then let a heap marked with two hashes in it
// grow to over 300 MB. So, unless GOMEMLIMIT chose (limit false), tuneGC
// also sets a soft memory limit (see memoryLimit): what the runtime uses
// besides the heap, the live heap, the growth GOGC allows, and reserve,
// the memory the password hashes may hold at once.
func tuneGC(ctx context.Context, every time.Duration, headroom, reserve uint64, limit bool) {
	sample := []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	if limit {
		defer debug.SetMemoryLimit(math.MaxInt64)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	last := -1
	for {
		metrics.Read(sample)
		if v := uint64s(sample); v != nil {
			if p := gcPercent(v[0], headroom); p != last {
				debug.SetGCPercent(p)
				last = p
			}
			if limit {
				nonHeap := v[1] - min(v[1], v[2]+v[3]+v[4]+v[5])
				debug.SetMemoryLimit(int64(min(memoryLimit(nonHeap, v[0], headroom, reserve), math.MaxInt64)))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// uint64s returns the samples' values, or nil when one is not a uint64.
func uint64s(samples []metrics.Sample) []uint64 {
	out := make([]uint64, len(samples))
	for i, s := range samples {
		if s.Value.Kind() != metrics.KindUint64 {
			return nil
		}
		out[i] = s.Value.Uint64()
	}
	return out
}

// memoryLimit returns the soft memory limit for a runtime that uses
// nonHeap bytes besides the heap, with live bytes live: the heap may grow
// by headroom (or by live, Go's default, when that is more), plus the
// reserve for transient memory.
func memoryLimit(nonHeap, live, headroom, reserve uint64) uint64 {
	return nonHeap + live + max(live, headroom) + reserve
}

// gcPercent returns the GOGC that lets a heap of live bytes grow by
// headroom before the next collection: never below Go's default of 100,
// and at most 10,000 (a live heap under 1% of headroom).
func gcPercent(live, headroom uint64) int {
	p := headroom * 100 / max(live, 1)
	return int(min(max(p, 100), 10_000))
}

// oversubscribe runs perCPU times as many Go processors (Ps) as Go would
// by default (--procs-per-cpu, 2 unless told), unless the GOMAXPROCS
// variable chose. With one P a core, a
// goroutine that becomes runnable under load waits behind every goroutine
// queued on its P: the token endpoint's p99 was 3.1–3.5 times the baseline's
// at 64 connections. With two a core the kernel shares the cores between
// more threads in shorter turns, and the p99 fell to 1.3–1.4 times, at the
// same throughput (BENCHMARKS.md).
// GOMAXPROCS belongs to the process, so it acts once a process: the
// tests run serve many times, with the first setting.
func oversubscribe(perCPU int) {
	oversubscribed.Do(func() {
		runtime.GOMAXPROCS(procs(os.Getenv("GOMAXPROCS"), runtime.GOMAXPROCS(0), perCPU))
	})
}

var oversubscribed sync.Once

// procs returns the GOMAXPROCS serve runs with: perCPU times the current
// one, unless the variable is set (the runtime obeyed it already).
func procs(env string, current, perCPU int) int {
	if env != "" {
		return current
	}
	return perCPU * current
}

// tuning is serve's run-time tuning: --gc-headroom and --procs-per-cpu.
type tuning struct {
	headroomMiB int
	procsPerCPU int
}

// tuningFlags registers serve's tuning flags on fs.
func (e *env) tuningFlags(fs *flagSet) *tuning {
	var t tuning
	fs.IntVar(&t.headroomMiB, "gc-headroom", gcHeadroom>>20, "MiB the heap may grow by between garbage collections while the live heap is smaller (0: Go's default, GOGC=100; the GOGC variable overrides)")
	fs.IntVar(&t.procsPerCPU, "procs-per-cpu", 2, "Go processors per CPU (1: Go's default; the GOMAXPROCS variable overrides)")
	fs.check("gc-headroom", between(0, 1<<20)) // 1 TiB
	fs.check("procs-per-cpu", between(1, 64))
	return &t
}
