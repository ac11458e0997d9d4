package engine

import (
	"testing"
	"time"
)

// synTimes runs connect-timeout under p and returns when each SYN left and when connect()
// failed, in seconds after the first SYN.
func synTimes(t *testing.T, tune func(*Profile), profile string) ([]float64, float64) {
	t.Helper()
	prof, _ := ProfileByName(profile)
	if tune != nil {
		tune(&prof)
	}
	s := NewSim(1)
	s.DefaultLink = Link{Delay: 50 * time.Millisecond}
	s.Horizon = 10 * time.Minute
	client := s.AddHost("client", ClientAddr, "client", prof)
	s.AddHost("server", ServerAddr, "server", prof)
	s.AddFault(Fault{Action: FaultDrop, From: "client", AnyFlags: true})
	s.At(0, func() { client.Connect(ClientPort, ServerAddr, ServerPort) })
	tr := s.Run()
	var syns []float64
	fail := -1.0
	for _, e := range tr.All() {
		if e.Kind == EventSegment && e.Segment.Seg.Flags == SYN {
			syns = append(syns, e.At.Sub(0).Seconds())
		}
		if e.Kind == EventApp && e.Call == "connect" && e.Result == "ETIMEDOUT" {
			fail = e.At.Sub(0).Seconds()
		}
	}
	return syns, fail
}

func equalF(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// LINUX-FACTS: tcp_syn_retries 6 with tcp_syn_linear_timeouts 4 sends SYNs at 0,1,2,3,4,5,7,
// 11,19,35,67 s and gives up at about 131 s; with linear timeouts 0, at 0,1,3,7,15,31,63 s
// and ETIMEDOUT at 127 s (the sum of 2^0..2^6). RFC profile: doubling from 1 s (RFC 6298
// §5.5), capped at 60 s, given up after R2 = 3 min (RFC 1122 §4.2.3.5).
func TestSYNRetransmissionSchedules(t *testing.T) {
	for _, tc := range []struct {
		name    string
		profile string
		tune    func(*Profile)
		syns    []float64
		fail    float64
	}{
		{"linux 6.5+", "linux", nil, []float64{0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67}, 131},
		{"linux linear 0", "linux", func(p *Profile) { p.SynLinearTimeouts = 0 }, []float64{0, 1, 3, 7, 15, 31, 63}, 127},
		{"linux syn_retries 2", "linux", func(p *Profile) { p.SynLinearTimeouts = 0; p.SynRetries = 2 }, []float64{0, 1, 3}, 7},
		{"rfc", "rfc", nil, []float64{0, 1, 3, 7, 15, 31, 63, 123}, 183},
	} {
		t.Run(tc.name, func(t *testing.T) {
			syns, fail := synTimes(t, tc.tune, tc.profile)
			if !equalF(syns, tc.syns) || fail != tc.fail {
				t.Fatalf("SYNs at %v, ETIMEDOUT at %v; want %v and %v", syns, fail, tc.syns, tc.fail)
			}
		})
	}
}

// LINUX-FACTS: tcp_synack_retries 5 resends the SYN-ACK at 1, 3, 7, 15, 31 s after the
// first, and the request is dropped at ≈63 s.
func TestSynAckRetransmission(t *testing.T) {
	r := newRig(t, LinuxProfile())
	iss := r.passiveToSynReceived()
	var at []time.Duration
	for i := 0; i < 200; i++ {
		r.advance(500 * time.Millisecond)
		for _, o := range r.h.TakeOutput() {
			if o.Seg.Flags == SYN|ACK && o.Seg.Seq == iss {
				at = append(at, r.now.Sub(0))
			}
		}
		if r.c.State() != SynReceived {
			break
		}
	}
	want := []time.Duration{1 * time.Second, 3 * time.Second, 7 * time.Second, 15 * time.Second, 31 * time.Second}
	if len(at) != len(want) {
		t.Fatalf("SYN-ACK resent at %v, want %v", at, want)
	}
	for i := range want {
		if at[i] != want[i] {
			t.Fatalf("SYN-ACK resent at %v, want %v", at, want)
		}
	}
	if r.now.Sub(0) != 63*time.Second || !r.noted("syn-ack-gave-up") || r.l.SynQueueLen() != 0 {
		t.Fatalf("request dropped at %s (noted %v, queue %d), want 63s", r.now.Sub(0), r.noted("syn-ack-gave-up"), r.l.SynQueueLen())
	}
}

// RFC 6298: the first data RTO after a clean RTT sample R is SRTT + max(G, 4·RTTVAR) =
// R + 2R, floored at 1 s in the RFC (§2.4); it doubles on each timeout (§5.5).
func TestDataRTOAndBackoff(t *testing.T) {
	r := newRig(t, plainProfile())
	iss := r.passiveToSynReceived()
	r.advance(100 * time.Millisecond) // the handshake's round trip: R = 100 ms
	r.in(r.from(ACK, r.their+1, iss+1))
	r.c.Send([]byte("hello"))
	r.expect(want{flags: ACK | PSH, seq: iss + 1, ack: r.their + 1, len: 5})
	var gaps []time.Duration
	last := r.now
	for i := 0; i < 3; i++ {
		for {
			r.advance(10 * time.Millisecond)
			if out := r.h.TakeOutput(); len(out) > 0 {
				gaps = append(gaps, r.now.Sub(last))
				last = r.now
				break
			}
		}
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
	for i := range want {
		if gaps[i] != want[i] {
			t.Fatalf("retransmissions after %v, want %v", gaps, want)
		}
	}
}

// Delayed ACKs: the RFC profile acknowledges a lone segment after 200 ms; Linux ACKs the
// first data at once (quick-ACK mode).
func TestDelayedAndQuickACK(t *testing.T) {
	r := newRig(t, RFCProfile())
	iss := r.established()
	r.in(r.from(ACK|PSH, r.their+1, iss+1, []byte("x")...))
	r.expectNothing()
	r.advance(199 * time.Millisecond)
	r.expectNothing()
	r.advance(time.Millisecond)
	r.expect(want{flags: ACK, seq: iss + 1, ack: r.their + 2})

	l := newRig(t, LinuxProfile())
	iss = l.established()
	l.in(l.from(ACK|PSH, l.their+1, iss+1, []byte("x")...))
	l.expect(want{flags: ACK, seq: iss + 1, ack: l.their + 2})
}

// Data is cut into MSS-sized segments; PSH marks the last segment of the write.
func TestSegmentationAndPSH(t *testing.T) {
	r := newRig(t, plainProfile())
	iss := r.established() // the peer sent no MSS option: 536 (RFC 9293 §3.7.1)
	r.c.Send(make([]byte, 1200))
	r.expect(
		want{flags: ACK, seq: iss + 1, ack: r.their + 1, len: 536},
		want{flags: ACK, seq: iss + 537, ack: r.their + 1, len: 536},
		want{flags: ACK | PSH, seq: iss + 1073, ack: r.their + 1, len: 128},
	)
}
