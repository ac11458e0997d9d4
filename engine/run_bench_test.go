package engine

import "testing"

// BenchmarkSmallRun is a lesson-sized run: its allocations are what a live session keeps
// for its simulation (BENCHMARKS.md, "Memory per session").
func BenchmarkSmallRun(b *testing.B) {
	for _, id := range []string{"three-way-handshake", "four-way-close"} {
		b.Run(id, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Run(id, DefaultParams()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
