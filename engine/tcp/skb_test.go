package tcp

import (
	"testing"
	"time"
)

// TestTSOSegs: one transmission carries a millisecond of the pacing rate (rate >> 10),
// plus 64 KB >> (min RTT in µs >> 9) while that shift is under 32, at most
// sk_gso_max_size (65215 bytes), at least tcp_min_tso_segs (Linux tcp_tso_autosize; the
// expected counts are that formula's, in whole 1000-byte segments).
func TestTSOSegs(t *testing.T) {
	const mss = 1000
	r := newRig(t, LinuxProfile())
	r.sackEstablished(mss, 100*time.Millisecond, true)
	c := r.c
	for _, tc := range []struct {
		rate   uint64
		minRTT time.Duration
		want   int
	}{
		{2_000_000, 100 * time.Millisecond, 2},     // 1953 bytes: tcp_min_tso_segs
		{10_240_000, 100 * time.Millisecond, 10},   // 10000 bytes
		{10_240_000, 16384 * time.Microsecond, 10}, // shift 32: nothing added
		{10_240_000, 16383 * time.Microsecond, 10}, // shift 31: 65215 >> 31 = 0
		{10_240_000, 1023 * time.Microsecond, 42},  // shift 1: 10000 + 32607
		{10_240_000, 511 * time.Microsecond, 65},   // shift 0: capped at 65215
		{1 << 40, 100 * time.Millisecond, 65},      // capped at 65215
	} {
		c.pacingRate, c.pacingSet = tc.rate, true
		c.rack.minRTT = tc.minRTT
		if got := c.tsoSegs(); got != tc.want {
			t.Errorf("rate %d B/s, min RTT %v: %d segments, want %d", tc.rate, tc.minRTT, got, tc.want)
		}
	}
}

// TestPacingRate: tcp_update_pacing_rate is mss · max(cwnd, packets out) / SRTT, at
// 200 % while cwnd is under half ssthresh and 120 % after, with srtt_us in eighths of a
// microsecond as the kernel keeps it.
func TestPacingRate(t *testing.T) {
	const mss = 1000
	r := newRig(t, LinuxProfile())
	r.sackEstablished(mss, 100*time.Millisecond, true)
	c := r.c
	c.srtt = 10 * time.Millisecond
	c.setCwndSegs(16)
	c.ssthresh = ssthreshInfinite
	if got, want := c.pacingNow(), uint64(3_200_000); got != want { // 2 · 16 · 1000 / 0.01
		t.Errorf("slow start: %d B/s, want %d", got, want)
	}
	c.setSsthreshSegs(32)                                           // cwnd 16 is half of it: no longer under
	if got, want := c.pacingNow(), uint64(1_920_000); got != want { // 1.2 · 16 · 1000 / 0.01
		t.Errorf("cwnd at half ssthresh: %d B/s, want %d", got, want)
	}
	c.setSsthreshSegs(34) // 34 / 2 = 17; 33 / 2 would be 16, as the kernel divides
	if got, want := c.pacingNow(), uint64(3_200_000); got != want {
		t.Errorf("cwnd under half ssthresh: %d B/s, want %d", got, want)
	}
}

// TestRTTFromSACK: with the linux profile an ACK that only SACKs is timed from the first
// segment it newly SACKs (Linux tcp_ack_update_rtt's sack_rtt_us): after a 100 ms
// handshake, a SACK 150 ms after the data left moves SRTT by an eighth of the
// difference, to 106.25 ms.
func TestRTTFromSACK(t *testing.T) {
	const mss = 1000
	r := newRig(t, recoveryProfile())
	iss := r.sackEstablished(mss, 100*time.Millisecond, true)
	if got := r.c.srtt; got != 100*time.Millisecond {
		t.Fatalf("SRTT after the handshake %v, want 100ms", got)
	}
	if _, err := r.c.Send(make([]byte, 4*mss)); err != nil {
		t.Fatal(err)
	}
	r.h.TakeOutput()
	r.advance(150 * time.Millisecond)
	r.in(r.sackFrom(iss, iss+1, mss, [2]int{2, 2}))
	if got, want := r.c.srtt, 106250*time.Microsecond; got != want {
		t.Errorf("SRTT after the SACK %v, want %v", got, want)
	}
}
