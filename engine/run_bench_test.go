package engine

import "testing"

// BenchmarkSmallRun is a lesson-sized run: its allocations are what a live session keeps
// for its simulation (BENCHMARKS.md, "Memory per session").
func BenchmarkSmallRun(b *testing.B) {
	for _, sc := range testStories[:] {
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
