package packetdrill

import (
	"testing"
	"time"

	"synack/engine/tcp"
)

// lagStack is the engine seen through a clock that runs late: after each injection its
// Now is lag past the time asked for, as a loaded machine's would be.
type lagStack struct {
	*EngineStack
	lag     time.Duration
	late    time.Duration
	injects []time.Duration
}

func (s *lagStack) Inject(t time.Duration, seg tcp.Segment) error {
	s.injects = append(s.injects, t)
	s.late = t + s.lag
	return s.EngineStack.Inject(t, seg)
}

func (s *lagStack) Now() time.Duration { return max(s.EngineStack.Now(), s.late) }

// As packetdrill's adjust_relative_event_times: an inbound packet written relative to an
// inbound packet is due relative to when that one was due, however late it went in;
// any other event counts from when the previous one really happened.
func TestRelativeTimesAnchorInboundPackets(t *testing.T) {
	src := `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 65535 <mss 1460,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <...>
+.1 < . 1:1(0) ack 1 win 65535
+.01 < P. 1:101(100) ack 1 win 65535
+.01 < P. 101:201(100) ack 1 win 65535
+0 accept(3, ..., ...) = 4
+.01 < P. 201:301(100) ack 1 win 65535
`
	s, err := Parse("lag.pkt", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	st := &lagStack{EngineStack: NewEngineStack(tcp.LinuxProfile()), lag: 3 * time.Millisecond}
	if res := Run(s, st); !res.Pass {
		t.Fatal(res)
	}
	ms := time.Millisecond
	// The SYN is due at 0; the ACK 100 ms after the SYN-ACK was sent (at 0); the two
	// data segments 10 ms after the one before each was due, not after the late clock;
	// the last 10 ms after accept(), which ran on the late clock (123 ms).
	want := []time.Duration{0, 100 * ms, 110 * ms, 120 * ms, 133 * ms}
	if len(st.injects) != len(want) {
		t.Fatalf("injected at %v, want %v", st.injects, want)
	}
	for i := range want {
		if st.injects[i] != want[i] {
			t.Fatalf("injected at %v, want %v", st.injects, want)
		}
	}
}
