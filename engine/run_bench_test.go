package engine

import (
	"runtime"
	"testing"
)

// BenchmarkSmallRun is a lesson-sized run: its allocations are what a live session keeps
// for its simulation (BENCHMARKS.md, "Memory per session").
func BenchmarkSmallRun(b *testing.B) {
	for _, sc := range testStories {
		if sc.id != "three-way-handshake" && sc.id != "four-way-close" {
			continue
		}
		b.Run(sc.id, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := sc.story.Run(sc.id, DefaultParams()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRetainedTrace reports the heap a finished lesson-sized trace keeps alive
// (what a session holds for its run), as retained-B/run.
func BenchmarkRetainedTrace(b *testing.B) {
	const n = 1000
	var keep []*Trace
	var before, after runtime.MemStats
	for b.Loop() {
		keep = make([]*Trace, 0, n)
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range n {
			tr, err := ThreeWayHandshake.Run("three-way-handshake", DefaultParams())
			if err != nil {
				b.Fatal(err)
			}
			keep = append(keep, tr)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
	}
	runtime.KeepAlive(keep)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "retained-B/run")
}
