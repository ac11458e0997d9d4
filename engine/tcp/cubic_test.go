package tcp

import (
	"testing"
	"time"
)

// The expected values below are worked out by hand from net/ipv4/tcp_cubic.c's formulas
// (Linux 6.18) and RFC 9438, not taken from the engine's output; each comment shows the
// arithmetic.

// bareConn is an established connection's congestion state with nothing around it: MSS
// 1000, the linux profile (HZ 250), the clock at now.
func bareConn(now Time) *Conn {
	h := &Host{Prof: LinuxProfile()}
	h.now = now
	c := &Conn{h: h}
	c.mss = 1000
	c.cwnd = 10 * 1000
	c.ssthresh = ssthreshInfinite
	return c
}

func TestCubicConstants(t *testing.T) {
	// cubictcp_register: beta_scale = 8·(1024+717)/3/(1024−717) = 13928/3 = 4642,
	// 4642/307 = 15; cube_rtt_scale = 41·10 = 410; cube_factor = 2^40/410 =
	// 1099511627776/410 = 2681735677 (rounded down).
	if cubicBetaFriendly != 15 {
		t.Errorf("beta_scale = %d, want 15", cubicBetaFriendly)
	}
	if cubicRTTScale != 410 {
		t.Errorf("cube_rtt_scale = %d, want 410", cubicRTTScale)
	}
	if cubicFactor != 2681735677 {
		t.Errorf("cube_factor = %d, want 2681735677", cubicFactor)
	}
}

func TestCubicRoot(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    uint64
		want uint32
	}{
		// a < 64: (v[a] + 35) >> 6.
		{"zero", 0, 0},          // (0+35)>>6 = 0
		{"eight", 8, 2},         // v[8] = 123: 158>>6 = 2
		{"twenty-seven", 27, 3}, // v[27] = 190: 225>>6 = 3
		{"sixty-three", 63, 4},  // v[63] = 254: 289>>6 = 4 (cbrt 63 = 3.98)
		// K for Wmax − cwnd = 3 segments: a = 3·2681735677 = 8045207031, in [2^32, 2^33),
		// so fls64 = 33, b = (33·84 >> 8) − 1 = 9, a >> 27 = 59, v[59] = 248,
		// x = ((248+10) << 9) >> 6 = 2064; Newton: 2·2064 + 8045207031/(2064·2063) =
		// 4128 + 1889 = 6017; 6017·341 >> 10 = 2003. (cbrt(3/0.4) s = 1.957 s = 2004/1024.)
		{"K for 3 segments", 3 * cubicFactor, 2003},
		// 10^9: fls64 = 30, b = (30·84 >> 8) − 1 = 8, a >> 24 = 59, x = (258 << 8) >> 6
		// = 1032; 2·1032 + 10^9/(1032·1031) = 2064 + 939 = 3003; 3003·341 >> 10 = 1000.
		{"a billion", 1_000_000_000, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := cubicRoot(tc.a); got != tc.want {
				t.Errorf("cubicRoot(%d) = %d, want %d", tc.a, got, tc.want)
			}
		})
	}
}

func TestCubicSsthresh(t *testing.T) {
	for _, tc := range []struct {
		name             string
		cwnd, lastMax    uint32
		ssthresh, newMax uint32
	}{
		// First loss at 10: Wmax = 10, ssthresh = 10·717/1024 = 7170/1024 = 7.
		{"first loss", 10, 0, 7, 10},
		// Fast convergence, the window did not get back to Wmax 10: Wmax = 8·(1024+717)/
		// 2048 = 13928/2048 = 6; ssthresh = 8·717/1024 = 5736/1024 = 5.
		{"fast convergence", 8, 10, 5, 6},
		// Past the old Wmax: Wmax = 100, ssthresh = 71700/1024 = 70.
		{"past Wmax", 100, 90, 70, 100},
		// Never below 2: 2·717/1024 = 1 → 2.
		{"floor", 2, 0, 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := bareConn(1_000_000)
			c.cwnd = tc.cwnd * 1000
			c.cubic.lastMaxCwnd = tc.lastMax
			c.cubic.epochStart = 123
			if got := c.cubicSsthresh(); got != tc.ssthresh {
				t.Errorf("ssthresh = %d, want %d", got, tc.ssthresh)
			}
			if c.cubic.lastMaxCwnd != tc.newMax || c.cubic.epochStart != 0 {
				t.Errorf("Wmax = %d, epoch %d; want %d and 0 (epoch ended)", c.cubic.lastMaxCwnd, c.cubic.epochStart, tc.newMax)
			}
		})
	}
}

// TestCubicUpdate: the first ACK after a loss at 10 segments (cwnd now 7, min RTT
// 100 ms) starts an epoch. K = 2003 (TestCubicRoot); t = usecs_to_jiffies(100000) = 25
// jiffies at HZ 250, << 10 / 250 = 102; offs = 2003 − 102 = 1901; delta = 410·1901³ >>
// 40 = 2816632637410 >> 40 = 2; target = 10 − 2 = 8 > 7, so cnt = 7/(8−7) = 7. The
// TCP-friendly window: ack_cnt 1 < 7·15 >> 3 = 13, so it stays 7 and does not lower cnt.
func TestCubicUpdate(t *testing.T) {
	c := bareConn(5_000_000)
	c.cwnd = 7000
	c.cubic.lastMaxCwnd = 10
	c.cubic.delayMin = 100_000
	c.cubicUpdate(7, 1)
	ca := c.cubic
	if ca.k != 2003 || ca.originPoint != 10 || ca.cnt != 7 || ca.tcpCwnd != 7 {
		t.Errorf("K %d origin %d cnt %d tcp_cwnd %d, want 2003, 10, 7, 7", ca.k, ca.originPoint, ca.cnt, ca.tcpCwnd)
	}
	if ca.epochStart != c.jiffies() {
		t.Errorf("epoch_start = %d, want now (%d jiffies)", ca.epochStart, c.jiffies())
	}
	// Within HZ/32 = 7 jiffies (28 ms) with the same window nothing is recomputed, but
	// the ACKs are counted.
	c.h.now = c.h.now.Add(20 * time.Millisecond)
	c.cubic.cnt = 99
	c.cubicUpdate(7, 3)
	if c.cubic.cnt != 99 || c.cubic.ackCnt != 4 {
		t.Errorf("within HZ/32: cnt %d ack_cnt %d, want 99 (kept) and 4", c.cubic.cnt, c.cubic.ackCnt)
	}
	// 2.5 s into the epoch: t = (625 + 25) << 10 / 250 = 2662 > K, offs = 659, delta =
	// 410·659³ >> 40 = 117338383390 >> 40 = 0 (0.107); target = 10 > 7, so
	// cnt = 7/(10−7) = 2.
	c.h.now = 5_000_000 + 2_500_000
	c.cubicUpdate(7, 1)
	if c.cubic.cnt != 2 {
		t.Errorf("2.5 s into the epoch cnt = %d, want 2", c.cubic.cnt)
	}
}

// TestCubicFirstEpochCap: before any loss (Wmax 0) the curve starts at the window itself,
// target = cwnd, so cnt would be 100·cwnd; Linux caps it at 20 (5 % per RTT).
func TestCubicFirstEpochCap(t *testing.T) {
	c := bareConn(1_000_000)
	c.cwnd = 40_000
	c.cubicUpdate(40, 1)
	if c.cubic.cnt != 20 {
		t.Errorf("cnt = %d, want 20", c.cubic.cnt)
	}
}

// TestCubicFriendliness: when the Reno estimate is ahead of the window, cnt is at most
// cwnd/(tcp_cwnd − cwnd). With cwnd 20 and 40 ACKs counted: 40 > 20·15 >> 3 = 37, so
// tcp_cwnd becomes 21 and ack_cnt 3; cnt ≤ 20/(21−20) = 20 (the curve's 100·20 at
// target ≤ cwnd is lowered to 20).
func TestCubicFriendliness(t *testing.T) {
	c := bareConn(1_000_000)
	c.cwnd = 20_000
	c.cubic = cubic{lastMaxCwnd: 20, originPoint: 20, epochStart: c.jiffies(), tcpCwnd: 20, ackCnt: 39, lastTime: c.jiffies() - 100}
	c.cubicUpdate(20, 1)
	if c.cubic.tcpCwnd != 21 || c.cubic.ackCnt != 3 || c.cubic.cnt != 20 {
		t.Errorf("tcp_cwnd %d ack_cnt %d cnt %d, want 21, 3, 20", c.cubic.tcpCwnd, c.cubic.ackCnt, c.cubic.cnt)
	}
}

// TestHystartDelayThreshold: with a minimum RTT of 200 ms the delay test needs a round's
// smallest RTT (after 8 samples) above 200 ms + clamp(200/8 = 25 ms, 4 ms, 16 ms) =
// 216 ms; exactly 216 ms is not above it.
func TestHystartDelayThreshold(t *testing.T) {
	for _, tc := range []struct {
		rtt   uint32
		found bool
	}{{216_000, false}, {216_001, true}} {
		c := bareConn(10_000_000)
		c.cwnd = 20_000
		c.sndNxt, c.sndUna = 100_000, 50_000
		c.cubic.delayMin = 200_000
		c.hystartReset()
		for i := range 9 {
			c.h.now += 3000 // ACKs 3 ms apart: no ACK train
			c.hystartUpdate(tc.rtt)
			if c.cubic.found && i < 8 {
				t.Fatalf("rtt %d: found after %d samples, want the 9th at the earliest", tc.rtt, i+1)
			}
		}
		if c.cubic.found != tc.found {
			t.Errorf("rtt %d µs: found = %v, want %v", tc.rtt, c.cubic.found, tc.found)
		}
		if tc.found && c.ssthresh != c.cwnd {
			t.Errorf("rtt %d µs: ssthresh = %d, want cwnd %d", tc.rtt, c.ssthresh, c.cwnd)
		}
	}
}

// TestHystartAckTrain: ACKs less than 2 ms apart form a train; once it has lasted more
// than (delay_min + ack delay)/2 from the round's start, slow start ends. With delay_min
// 40 ms and no RTT estimate (ack delay 0) that is 20 ms: a train of 10 ACKs 2 ms apart
// reaches 20 ms (not more), the 11th 22 ms.
func TestHystartAckTrain(t *testing.T) {
	c := bareConn(10_000_000)
	c.cwnd = 20_000
	c.sndNxt, c.sndUna = 100_000, 50_000
	c.cubic.delayMin = 40_000
	c.hystartReset()
	for i := 1; i <= 10; i++ {
		c.h.now += 2000
		c.hystartUpdate(40_000)
		if c.cubic.found {
			t.Fatalf("found after %d ms of train, want more than 20", 2*i)
		}
	}
	c.h.now += 2000
	c.hystartUpdate(40_000)
	if !c.cubic.found || c.ssthresh != 20_000 {
		t.Errorf("after 22 ms of train found = %v ssthresh %d, want true and 20000", c.cubic.found, c.ssthresh)
	}
}

// TestRenoCongestionAvoidance: tcp_cong_avoid_ai with w = cwnd: one segment more per
// window of ACKed segments; a stretch ACK of 25 at cwnd 10 adds 2 and keeps 5.
func TestRenoCongestionAvoidance(t *testing.T) {
	c := bareConn(0)
	c.ssthresh = 5000
	for range 9 {
		c.congAvoidAI(c.cwndSegs(), 1)
	}
	if c.cwndSegs() != 10 || c.cwndCnt != 9 {
		t.Fatalf("after 9 ACKed: cwnd %d cnt %d, want 10 and 9", c.cwndSegs(), c.cwndCnt)
	}
	c.congAvoidAI(c.cwndSegs(), 1)
	if c.cwndSegs() != 11 || c.cwndCnt != 0 {
		t.Fatalf("after 10 ACKed: cwnd %d cnt %d, want 11 and 0", c.cwndSegs(), c.cwndCnt)
	}
	c.cwnd = 10_000
	c.congAvoidAI(10, 25)
	if c.cwndSegs() != 12 || c.cwndCnt != 5 {
		t.Errorf("stretch ACK of 25: cwnd %d cnt %d, want 12 and 5", c.cwndSegs(), c.cwndCnt)
	}
}

// TestSlowStartCapsAtSsthresh: tcp_slow_start grows to ssthresh and hands the rest of
// the ACKed segments to congestion avoidance: cwnd 10, ssthresh 12, 5 ACKed → 12, 3 left.
func TestSlowStartCapsAtSsthresh(t *testing.T) {
	c := bareConn(0)
	c.ssthresh = 12_000
	if left := c.slowStart(5); left != 3 || c.cwndSegs() != 12 {
		t.Errorf("slowStart(5) left %d cwnd %d, want 3 and 12", left, c.cwndSegs())
	}
}

// TestRestartKeepsSsthresh: tcp_cwnd_restart after 3.5 RTOs idle with cwnd 40 and
// ssthresh 20: ssthresh = max(20, 40/2 + 40/4 = 30) = 30; cwnd halves while idle − k·RTO
// > 0 and cwnd > 10: 40 → 20 → 10 (then 10 is not above the restart window).
func TestRestartKeepsSsthresh(t *testing.T) {
	c := bareConn(0)
	c.rto = time.Second
	c.cwnd = 40_000
	c.ssthresh = 20_000
	c.lastSendAt = 0
	c.h.now = Time(0).Add(3500 * time.Millisecond)
	c.idleRestart()
	if c.ssthreshSegs() != 30 || c.cwndSegs() != 10 {
		t.Errorf("after 3.5 RTOs idle: ssthresh %d cwnd %d, want 30 and 10", c.ssthreshSegs(), c.cwndSegs())
	}
}

// TestRFCCongestionAvoidance: RFC 5681 §3.1 with byte counting: past ssthresh the window
// grows by one segment once a window's worth (10 segments) has been ACKed, here by five
// delayed ACKs of two segments; in slow start one segment per ACK whatever it covers.
func TestRFCCongestionAvoidance(t *testing.T) {
	c := bareConn(0)
	c.h.Prof = plainProfile()
	c.ssthresh = 5000
	for i := range 4 {
		c.congestionAcked(2)
		if c.cwndSegs() != 10 {
			t.Fatalf("after %d ACKs of 2: cwnd %d, want 10", i+1, c.cwndSegs())
		}
	}
	c.congestionAcked(2)
	if c.cwndSegs() != 11 {
		t.Errorf("after 10 segments ACKed: cwnd %d, want 11", c.cwndSegs())
	}
	c.cwnd, c.ssthresh = 3000, ssthreshInfinite
	c.congestionAcked(2)
	if c.cwndSegs() != 4 {
		t.Errorf("slow start, an ACK of 2: cwnd %d, want 4 (one SMSS per ACK)", c.cwndSegs())
	}
}

// TestSentRing: the ring gives the RTT of the newest segment an ACK covers, none when one
// of the covered segments was sent again (Karn), and keeps its order across growth and
// wrap-around.
func TestSentRing(t *testing.T) {
	var r sentRing
	for i := range 20 { // grows past 16
		r.sent(Seq(1000*(i+1)), Time(i*1000))
	}
	if rtt, ok := r.ack(3000, 50_000); !ok || rtt != 48*time.Millisecond {
		t.Errorf("ACK of 3 segments: rtt %v ok %v, want 48ms (the third, sent at 2 ms) and true", rtt, ok)
	}
	r.retransmitted(4000, 6000) // the segments ending at 5000 and 6000
	if _, ok := r.ack(5000, 60_000); ok {
		t.Error("ACK covering a retransmitted segment gave an RTT sample")
	}
	if rtt, ok := r.ack(7000, 70_000); ok { // covers 6000, retransmitted, and 7000
		t.Errorf("ACK covering 6000 (retransmitted): sample %v, want none", rtt)
	}
	if rtt, ok := r.ack(8000, 80_000); !ok || rtt != 73*time.Millisecond {
		t.Errorf("ACK of the segment sent at 7 ms: rtt %v ok %v, want 73ms", rtt, ok)
	}
	for i := 20; i < 40; i++ { // wraps around the front that was freed
		r.sent(Seq(1000*(i+1)), Time(i*1000))
	}
	if r.count != 32 {
		t.Fatalf("%d segments in the ring, want 32", r.count)
	}
	if rtt, ok := r.ack(40_000, 100_000); !ok || rtt != 61*time.Millisecond {
		t.Errorf("ACK of everything: rtt %v ok %v, want 61ms (the last, sent at 39 ms)", rtt, ok)
	}
	if _, ok := r.ack(40_000, 100_000); ok || r.count != 0 {
		t.Errorf("a duplicate ACK gave a sample, or the ring is not empty (%d)", r.count)
	}
}
