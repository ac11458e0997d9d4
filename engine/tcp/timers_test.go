package tcp

import (
	"testing"
	"time"
)

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
