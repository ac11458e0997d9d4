package tcp

import (
	"testing"
	"time"
)

// sendSegs has the established connection of r send n full segments and returns them.
func (r *rig) sendSegs(n int) []Segment {
	r.t.Helper()
	if _, err := r.c.Send(make([]byte, n*int(r.c.mss))); err != nil {
		r.t.Fatal(err)
	}
	out := r.h.TakeOutput()
	segs := make([]Segment, len(out))
	for i, o := range out {
		segs[i] = o.Seg
	}
	return segs
}

// TestSlowStartGrowth: RFC 5681 §3.1 grows cwnd by at most one segment per ACK; Linux
// (tcp_slow_start) by one per segment the ACK covers. Either way the flight is counted
// in segments (tcpi_unacked).
func TestSlowStartGrowth(t *testing.T) {
	for _, tc := range []struct {
		name      string
		prof      Profile
		sent      int
		cwndAfter int64 // after one ACK of two segments
	}{
		{"rfc", plainProfile(), 3, 4},
		{"linux", LinuxProfile(), 10, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.prof)
			r.established()
			if got := r.c.Info()["snd_cwnd"]; got != int64(tc.prof.InitialCwnd) {
				t.Fatalf("snd_cwnd = %d, want the initial window %d", got, tc.prof.InitialCwnd)
			}
			segs := r.sendSegs(tc.sent + 2)
			if len(segs) != tc.sent {
				t.Fatalf("sent %d segments, want %d (the initial window)", len(segs), tc.sent)
			}
			if got := r.c.Info()["unacked"]; got != int64(tc.sent) {
				t.Errorf("unacked = %d, want %d", got, tc.sent)
			}
			r.in(r.from(ACK, r.their+1, segs[1].End()))
			info := r.c.Info()
			if info["snd_cwnd"] != tc.cwndAfter {
				t.Errorf("after an ACK of 2 segments snd_cwnd = %d, want %d", info["snd_cwnd"], tc.cwndAfter)
			}
		})
	}
}

// TestIdleRestart: after more than an RTO with nothing in flight, the congestion window
// goes back to the initial window (RFC 5681 §4.1), or is halved once per RTO of idle
// time but not below it (Linux tcp_cwnd_restart).
func TestIdleRestart(t *testing.T) {
	for _, tc := range []struct {
		name string
		prof Profile
		idle time.Duration // in RTOs
		want int64
	}{
		{"rfc", plainProfile(), 3, 3},
		{"linux one RTO", LinuxProfile(), 2, 10}, // 20 halved once: 10
		{"linux short", LinuxProfile(), 1, 20},   // not more than an RTO: kept
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.prof)
			r.established()
			iw := tc.prof.InitialCwnd
			segs := r.sendSegs(iw)
			r.in(r.from(ACK, r.their+1, segs[len(segs)-1].End()))
			if got := r.c.Info()["snd_cwnd"]; tc.prof.CwndPerPacket && got != int64(2*iw) {
				t.Fatalf("snd_cwnd = %d after the first flight, want %d", got, 2*iw)
			}
			r.advance(tc.idle*r.c.rto - time.Millisecond)
			r.sendSegs(1)
			if got := r.c.Info()["snd_cwnd"]; got != tc.want {
				t.Errorf("after %d RTOs idle snd_cwnd = %d, want %d", tc.idle, got, tc.want)
			}
		})
	}
}

// TestReceiverEstimates: ato starts at the minimum delayed-ACK timeout with the first
// data and doubles (up to the RTO) each time a delayed ACK has to fire; rcv_mss takes
// the size of two equal small segments in a row (Linux tcp_event_data_recv,
// tcp_measure_rcv_mss, tcp_delack_timer_handler).
func TestReceiverEstimates(t *testing.T) {
	r := newRig(t, LinuxProfile())
	r.established()
	info := r.c.Info()
	if info["ato"] != 0 || info["rcv_mss"] != 536 {
		t.Fatalf("before data: ato %d rcv_mss %d, want 0 and 536", info["ato"], info["rcv_mss"])
	}
	r.c.quickAcks = 0
	r.in(r.from(ACK, r.their+1, r.c.sndNxt, make([]byte, 300)...))
	r.expectNothing()
	if info = r.c.Info(); info["ato"] != 40000 || info["rcv_mss"] != 536 {
		t.Fatalf("after 300 bytes: ato %d rcv_mss %d, want 40000 and 536", info["ato"], info["rcv_mss"])
	}
	r.advance(40 * time.Millisecond)
	r.expect(want{flags: ACK, seq: r.c.sndNxt, ack: r.their + 301})
	if got := r.c.Info()["ato"]; got != 80000 {
		t.Errorf("after the delayed ACK fired ato = %d, want 80000", got)
	}
	r.advance(30 * time.Millisecond)
	r.in(r.from(ACK, r.their+301, r.c.sndNxt, make([]byte, 300)...))
	if info = r.c.Info(); info["ato"] != 110000 || info["rcv_mss"] != 300 {
		t.Errorf("after a second 300 bytes 70 ms after the first: ato %d rcv_mss %d, want 80/2 + 70 ms since the last data = 110000 and 300", info["ato"], info["rcv_mss"])
	}
}

// TestCwndLimitedGrowth: Linux grows the window only while the flow uses it
// (tcp_is_cwnd_limited): three segments under a window of ten leave it at ten when they
// are acknowledged, as tcp-info-ack-estimates.pkt measured on 6.18 with CUBIC. RFC 5681
// §3.1 grows it on every ACK that acknowledges new data.
func TestCwndLimitedGrowth(t *testing.T) {
	for _, tc := range []struct {
		name string
		prof Profile
		want int64 // snd_cwnd after the three segments are acknowledged one ACK each
	}{
		{"linux", LinuxProfile(), 10},
		{"rfc", plainProfile(), 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.prof)
			r.established()
			segs := r.sendSegs(3)
			if len(segs) != 3 {
				t.Fatalf("sent %d segments, want 3", len(segs))
			}
			for _, s := range segs {
				r.in(r.from(ACK, r.their+1, s.End()))
			}
			if got := r.c.Info()["snd_cwnd"]; got != tc.want {
				t.Errorf("snd_cwnd = %d, want %d", got, tc.want)
			}
		})
	}
}
