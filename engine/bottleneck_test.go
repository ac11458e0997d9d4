package engine

import (
	"strings"
	"testing"
	"time"

	"synack/engine/tcp"
)

func TestSerialization(t *testing.T) {
	for _, tc := range []struct {
		name  string
		bytes int
		rate  int64
		want  time.Duration
	}{
		{"a 1500-byte packet at 12 Mbit/s", 1500, 12_000_000, time.Millisecond},
		{"a 52-byte ACK at 10 Mbit/s rounds up", 52, 10_000_000, 42 * time.Microsecond}, // 41.6 µs
		{"a 1500-byte packet at the slowest rate", 1500, MinRate, 187500 * time.Microsecond},
		{"a 1500-byte packet at the fastest rate", 1500, MaxRate, 2 * time.Microsecond}, // 1.2 µs
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := serialization(tc.bytes, tc.rate); got != tc.want {
				t.Errorf("serialization(%d, %d) = %s, want %s", tc.bytes, tc.rate, got, tc.want)
			}
		})
	}
}

func TestBottleneckParams(t *testing.T) {
	for _, tc := range []struct {
		name      string
		rate      int64
		queue     int
		wantErr   string
		wantQueue int
	}{
		{"no bottleneck", 0, 0, "", 0},
		{"a queue without a rate", 0, 10, "needs a rate", 0},
		{"the slowest rate", MinRate, 0, "", DefaultQueue},
		{"below the slowest rate", MinRate - 1, 0, "out of range", 0},
		{"the fastest rate", MaxRate, 1, "", 1},
		{"above the fastest rate", MaxRate + 1, 1, "out of range", 0},
		{"the longest queue", 1_000_000, MaxQueue, "", MaxQueue},
		{"a queue too long", 1_000_000, MaxQueue + 1, "out of range", 0},
		{"a negative queue", 1_000_000, -1, "out of range", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Params{Rate: tc.rate, Queue: tc.queue}
			err := p.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				if p.Queue != tc.wantQueue {
					t.Errorf("Queue = %d after Validate, want %d", p.Queue, tc.wantQueue)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Validate() = %v, want an error saying %q", err, tc.wantErr)
			}
		})
	}
}

// bulkSpec is a client that connects and writes n bytes to a server that reads them.
func bulkSpec(n int) Spec {
	return Spec{Listen: 128, Server: SpecApp{Read: true}, Steps: []SpecStep{
		{At: 10 * ms, Endpoint: "client", Call: "connect"},
		{At: 300 * ms, Endpoint: "client", Call: "send", Bytes: n}}}
}

// dataSegments returns the client's data segments.
func dataSegments(tr *Trace) []*tcp.SegmentEvent {
	var out []*tcp.SegmentEvent
	for _, s := range tr.Segments() {
		if s.Src == "client" && len(s.Seg.Payload) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// At 12 Mbit/s a full segment (20 bytes of IP, 20 of TCP, 12 of timestamps, 1448 of
// data: 1500 bytes) takes exactly 1 ms on the line, so a burst arrives 1 ms apart, the
// first RTT/2 + 1 ms after it was sent.
func TestBottleneckSpacesABurst(t *testing.T) {
	tr, err := RunSpec("bulk", bulkSpec(10*1448), Params{Rate: 12_000_000, Queue: 100})
	if err != nil {
		t.Fatal(err)
	}
	segs := dataSegments(tr)
	if len(segs) != 10 {
		t.Fatalf("%d data segments, want 10 (the initial window)", len(segs))
	}
	for i, s := range segs {
		if n := wireBytes(&s.Seg); n != 1500 {
			t.Fatalf("segment %d is %d bytes on the wire, want 1500", s.ID, n)
		}
		want := segs[0].Arrive.Add(time.Duration(i) * time.Millisecond)
		if s.Arrive != want {
			t.Errorf("data segment %d arrives at %s, want %s", i+1, s.Arrive, want)
		}
	}
	first := segs[0]
	var at tcp.Time
	for _, e := range tr.All() {
		if e.Kind == tcp.EventSegment && e.Segment.ID == first.ID {
			at = e.At
		}
	}
	if want := at.Add(50*ms + time.Millisecond); first.Arrive != want {
		t.Errorf("first data segment arrives at %s, want %s (sent at %s, 1 ms on the line, 50 ms of delay)", first.Arrive, want, at)
	}
}

// A queue of 2 behind a slow line: of a 10-segment burst, one is on the line, two wait,
// and the other seven are dropped with the fault "queue".
func TestBottleneckQueueDropsTail(t *testing.T) {
	tr, err := RunSpec("bulk", bulkSpec(10*1448), Params{Rate: 1_200_000, Queue: 2})
	if err != nil {
		t.Fatal(err)
	}
	segs := dataSegments(tr)
	var fates []string
	for _, s := range segs[:10] {
		f := s.Fate.String()
		if s.Fault != "" {
			f += "/" + s.Fault
		}
		fates = append(fates, f)
	}
	want := "delivered delivered delivered dropped/queue dropped/queue dropped/queue dropped/queue dropped/queue dropped/queue dropped/queue"
	if got := strings.Join(fates, " "); got != want {
		t.Errorf("fates of the first burst:\n got %s\nwant %s", got, want)
	}
}

// The sample a data segment carries: Linux's initial window is 10 segments (RFC 6928,
// TCP_INIT_CWND), the flight counts the segment itself, the peer's window is the one its
// last segment advertised, scaled.
func TestCCSampleOnDataSegments(t *testing.T) {
	tr, err := RunSpec("bulk", bulkSpec(10*1448), Params{})
	if err != nil {
		t.Fatal(err)
	}
	segs := dataSegments(tr)
	if len(segs) != 10 {
		t.Fatalf("%d data segments, want 10", len(segs))
	}
	var synack *tcp.SegmentEvent
	for _, s := range tr.Segments() {
		if s.Seg.Flags == tcp.SYN|tcp.ACK {
			synack = s
		}
		if s.Seg.Flags&tcp.SYN != 0 && s.CC != (tcp.CCSample{}) {
			t.Errorf("segment %d (%s) carries a sample %+v; a SYN has none", s.ID, s.Seg.Flags, s.CC)
		}
	}
	for i, s := range segs {
		if s.CC.Cwnd != 10*1448 {
			t.Errorf("segment %d: cwnd %d, want %d", s.ID, s.CC.Cwnd, 10*1448)
		}
		if want := uint32(i+1) * 1448; s.CC.InFlight != want {
			t.Errorf("segment %d: in flight %d, want %d", s.ID, s.CC.InFlight, want)
		}
		if s.CC.Ssthresh != tcp.SsthreshInfinite {
			t.Errorf("segment %d: ssthresh %d, want infinite before any loss", s.ID, s.CC.Ssthresh)
		}
	}
	// Before any ACK of data the client knows the server's window from its SYN-ACK
	// alone, which is never scaled (RFC 7323 §2.2).
	if synack == nil {
		t.Fatal("no SYN-ACK")
	}
	if got, want := segs[0].CC.PeerWnd, uint32(synack.Seg.Window); got != want {
		t.Errorf("first data segment: peer window %d, want the SYN-ACK's %d", got, want)
	}
}
