package handshakes

import (
	"testing"
	"time"
)

// BenchmarkCompare is what one move of the /compare slider costs the server: eight
// simulated runs, each carrying a recorded handshake.
func BenchmarkCompare(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compare(100*time.Millisecond, true); err != nil {
			b.Fatal(err)
		}
	}
}
