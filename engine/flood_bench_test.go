package engine

import (
	"fmt"
	"io"
	"testing"
	"time"
	"unsafe"

	"synack/engine/tcp"
)

// floodRun simulates n spoofed SYNs (one per microsecond) against a listener with
// cookies on and returns the server's counters and the trace.
func floodRun(n int, trace bool) (tcp.HostStats, *Trace) {
	prof := tcp.LinuxProfile()
	s := NewSim(1)
	s.DefaultLink = Link{Delay: 25 * time.Millisecond}
	s.Horizon = 0
	if !trace {
		s.noTrace = true
	}
	server := s.AddHost("server", tcp.ServerAddr, "server", prof)
	server.TimerTrace = func(tcp.TimerKind) bool { return trace }
	s.At(0, func() { server.Listen(tcp.ServerPort, 128) })
	s.AddLane("attacker-1", tcp.AttackerNet, "attacker")
	s.Flood(FloodConfig{Lane: "attacker-1", Prefix: tcp.AttackerNet, Target: tcp.ServerAddr, Port: tcp.ServerPort,
		Count: n, Start: 1, Interval: time.Microsecond})
	// Run through the flood; the half-open entries' SYN-ACK retries are not the point.
	s.RunUntil(tcp.Time(0).Add(time.Duration(n)*time.Microsecond + 100*time.Millisecond))
	return server.Stats(), s.Trace()
}

// traceBytes is the memory a trace's columns and arena hold (interned tables aside).
func traceBytes(tr *Trace) int {
	st := &tr.store
	n := columnBytes(&st.events) + columnBytes(&st.segs) + columnBytes(&st.extras) + columnBytes(&st.others) +
		columnBytes(&st.cookies) + columnBytes(&st.pays)
	for _, c := range st.arena {
		n += cap(c)
	}
	return n
}

func columnBytes[T any](c *column[T]) int {
	var zero T
	n := 0
	for _, ch := range c.chunks {
		n += cap(ch)
	}
	return n * int(unsafe.Sizeof(zero))
}

func TestFloodAnswersEverySYNWithCookiesOverTheBacklog(t *testing.T) {
	st, _ := floodRun(10000, true)
	if st.SegmentsIn != 10000 {
		t.Fatalf("server received %d SYNs, want 10000", st.SegmentsIn)
	}
	// The first 129 fill the SYN queue (backlog 128 holds backlog + 1 on Linux 6.18,
	// testdata/packetdrill/syn-queue-backlog-plus-one.pkt); every later SYN gets a cookie.
	if st.CookiesSent != 10000-129 {
		t.Fatalf("cookies sent = %d, want %d", st.CookiesSent, 10000-129)
	}
}

// BenchmarkSYNFloodCookies measures the engine under a flood of spoofed SYNs answered
// with SYN cookies: the whole simulation, trace included.
func BenchmarkSYNFloodCookies(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		for _, trace := range []bool{true, false} {
			b.Run(fmt.Sprintf("syns=%d/trace=%v", n, trace), func(b *testing.B) {
				var kept int
				for i := 0; i < b.N; i++ {
					st, tr := floodRun(n, trace)
					if st.CookiesSent < n-128-1000 { // a few random tuples repeat one in the SYN queue
						b.Fatalf("cookies sent = %d", st.CookiesSent)
					}
					kept = traceBytes(tr)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/SYN")
				b.ReportMetric(float64(kept)/float64(n), "trace-B/SYN")
			})
		}
	}
}

// BenchmarkTraceWriters writes the trace of a 100,000-SYN flood (200,000 events) as JSON
// lines and as text: the writers stream from the trace, so their allocations are per
// line of output at most, never a copy of the trace.
func BenchmarkTraceWriters(b *testing.B) {
	_, tr := floodRun(100_000, true)
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := tr.WriteJSONLines(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(tr.Len()), "ns/event")
	})
	b.Run("text", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := tr.WriteText(io.Discard, TextOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(tr.Len()), "ns/event")
	})
}
