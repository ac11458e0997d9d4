package tcp

import (
	"math/bits"
	"time"
)

// CUBIC (RFC 9438) with HyStart, as Linux 6.18's net/ipv4/tcp_cubic.c computes it, in
// the same integer arithmetic so that the windows are the kernel's to the segment: time
// in jiffies (the profile's HZ) scaled by 2^10, the cube root by table and one Newton
// step, the TCP-friendly estimate in ACK counts. RFC 9438 gives the reasoning: W(t) =
// C·(t−K)³ + Wmax with C = 0.4 and β = 0.7 (here 717/1024).

// Linux's CUBIC parameters (module parameters of tcp_cubic, at their defaults).
const (
	cubicBetaScale     = 1024 // BICTCP_BETA_SCALE
	cubicBeta          = 717  // beta: the window after a loss is 717/1024 of the one before
	cubicBicScale      = 41   // bic_scale: C = 41·10/1024 ≈ 0.4
	cubicHZShift       = 10   // BICTCP_HZ: time is counted in 1/1024 s
	cubicFastConv      = true // fast_convergence
	cubicFriendliness  = true // tcp_friendliness
	hystartLowWindow   = 16   // hystart_low_window: HyStart runs from this window up (segments)
	hystartAckDeltaUS  = 2000 // hystart_ack_delta_us: ACKs closer than this form a train
	hystartMinSamples  = 8    // HYSTART_MIN_SAMPLES: RTT samples per round before the delay test
	hystartDelayMinUS  = 4000 // HYSTART_DELAY_MIN: the delay threshold's floor (µs)
	hystartDelayMaxUS  = 16000
	hystartAckDelayMax = 1000 // hystart_ack_delay's cap: 1 ms (USEC_PER_MSEC)
	// hystartGSOMax is sk_gso_max_size for hystart_ack_delay: 64 KiB (GSO_LEGACY_MAX_SIZE).
	hystartGSOMax = 65536
)

// Derived constants, as cubictcp_register computes them.
const (
	// cubicBetaFriendly is beta_scale: 8·(1024+717)/3/(1024−717) = 15, the ACKs per
	// segment of growth of the TCP-friendly (Reno-equivalent) window, ×8.
	cubicBetaFriendly = 8 * (cubicBetaScale + cubicBeta) / 3 / (cubicBetaScale - cubicBeta)
	// cubicRTTScale is cube_rtt_scale: bic_scale·10 = 410, i.e. C·2^10.
	cubicRTTScale = cubicBicScale * 10
	// cubicFactor is cube_factor: 2^40 / 410 = 2681735677, so that K =
	// cbrt(cube_factor·(Wmax−cwnd)) is in 1/1024 s.
	cubicFactor = uint64(1) << (10 + 3*cubicHZShift) / cubicRTTScale
)

// cubic is Linux's struct bictcp.
type cubic struct {
	cnt         uint32 // grow the window by one segment after cnt ACKed segments
	lastMaxCwnd uint32 // Wmax: the window before the last reduction
	lastCwnd    uint32 // the window when cnt was last computed
	lastTime    uint32 // when (jiffies)
	originPoint uint32 // the curve's plateau (segments)
	k           uint32 // time from the epoch's start to the plateau, in 1/1024 s
	delayMin    uint32 // the smallest RTT seen (µs)
	epochStart  uint32 // the epoch's start (jiffies); 0: no epoch
	ackCnt      uint32 // segments ACKed in this epoch (for the TCP-friendly window)
	tcpCwnd     uint32 // the TCP-friendly window estimate
	// HyStart.
	sampleCnt  uint8
	found      bool   // slow start's exit point was found
	roundStart uint32 // the round's start (µs clock)
	endSeq     Seq    // the round ends when this is ACKed
	lastAck    uint32 // the last ACK of the current train (µs clock)
	currRTT    uint32 // the smallest RTT of the round (µs)
}

// clockUS is the µs clock HyStart reads (Linux tcp_mstamp).
func (c *Conn) clockUS() uint32 { return uint32(c.h.now) }

// hystartReset starts a HyStart round at the next segment to send
// (bictcp_hystart_reset).
func (c *Conn) hystartReset() {
	ca := &c.cubic
	ca.roundStart = c.clockUS()
	ca.lastAck = ca.roundStart
	ca.endSeq = c.sndNxt
	ca.currRTT = ^uint32(0)
	ca.sampleCnt = 0
}

// cubicSsthresh is cubictcp_recalc_ssthresh, in segments: the epoch ends; Wmax is the
// window now, or with fast convergence, when the window did not get back to the last
// Wmax, (1+β)/2 of it, so that a flow that keeps losing gives way to newer ones.
func (c *Conn) cubicSsthresh() uint32 {
	ca := &c.cubic
	cw := c.cwndSegs()
	ca.epochStart = 0
	if cw < ca.lastMaxCwnd && cubicFastConv {
		ca.lastMaxCwnd = cw * (cubicBetaScale + cubicBeta) / (2 * cubicBetaScale)
	} else {
		ca.lastMaxCwnd = cw
	}
	return max(cw*cubicBeta/cubicBetaScale, 2)
}

// cubicUpdate is bictcp_update: how many ACKed segments (cnt) make the window one
// segment larger, from the cubic curve and the TCP-friendly estimate.
func (c *Conn) cubicUpdate(cwnd, acked uint32) {
	ca := &c.cubic
	now := c.jiffies()
	hz := c.hz()
	ca.ackCnt += acked
	if ca.lastCwnd == cwnd && int32(now-ca.lastTime) <= int32(hz/32) {
		return
	}
	// The curve is recomputed at most once per jiffy; a reduction sets epochStart to 0,
	// which forces it.
	if !(ca.epochStart != 0 && now == ca.lastTime) {
		ca.lastCwnd = cwnd
		ca.lastTime = now
		if ca.epochStart == 0 {
			ca.epochStart = now
			ca.ackCnt = acked
			ca.tcpCwnd = cwnd
			if ca.lastMaxCwnd <= cwnd {
				ca.k = 0
				ca.originPoint = cwnd
			} else {
				ca.k = cubicRoot(cubicFactor * uint64(ca.lastMaxCwnd-cwnd))
				ca.originPoint = ca.lastMaxCwnd
			}
		}
		// t = time since the epoch plus the minimum RTT, in 1/1024 s.
		t := uint64(int32(now - ca.epochStart))
		t += uint64(usecsToJiffies(ca.delayMin, hz))
		t <<= cubicHZShift
		t /= uint64(hz)
		var offs uint64
		if t < uint64(ca.k) {
			offs = uint64(ca.k) - t
		} else {
			offs = t - uint64(ca.k)
		}
		// C/rtt·(t−K)³, with C·2^10 = cubicRTTScale.
		delta := uint32((cubicRTTScale * offs * offs * offs) >> (10 + 3*cubicHZShift))
		var target uint32
		if t < uint64(ca.k) {
			target = ca.originPoint - delta
		} else {
			target = ca.originPoint + delta
		}
		if target > cwnd {
			ca.cnt = cwnd / (target - cwnd)
		} else {
			ca.cnt = 100 * cwnd // very small growth
		}
		// Before any loss the curve knows no Wmax: grow at least 5 % per RTT.
		if ca.lastMaxCwnd == 0 && ca.cnt > 20 {
			ca.cnt = 20
		}
	}
	if cubicFriendliness {
		// The window standard TCP would have (RFC 9438 §4.3, Reno-friendly region).
		d := cwnd * cubicBetaFriendly >> 3
		for d > 0 && ca.ackCnt > d {
			ca.ackCnt -= d
			ca.tcpCwnd++
		}
		if ca.tcpCwnd > cwnd {
			maxCnt := cwnd / (ca.tcpCwnd - cwnd)
			if ca.cnt > maxCnt {
				ca.cnt = maxCnt
			}
		}
	}
	// At most one segment per two ACKed: 1.5× per RTT.
	ca.cnt = max(ca.cnt, 2)
}

// usecsToJiffies is Linux's usecs_to_jiffies: rounded up.
func usecsToJiffies(us, hz uint32) uint32 {
	return uint32((uint64(us)*uint64(hz) + 999999) / 1000000)
}

// cubeRootTable is cubic_root's table: for x in [0, 63], cbrt(x<<18) − 1, refined.
var cubeRootTable = [64]uint8{
	0, 54, 54, 54, 118, 118, 118, 118,
	123, 129, 134, 138, 143, 147, 151, 156,
	157, 161, 164, 168, 170, 173, 176, 179,
	181, 185, 187, 190, 192, 194, 197, 199,
	200, 202, 204, 206, 209, 211, 213, 215,
	217, 219, 221, 222, 224, 225, 227, 229,
	231, 232, 234, 236, 237, 239, 240, 242,
	244, 245, 246, 248, 250, 251, 252, 254,
}

// cubicRoot is Linux's cubic_root: a table lookup on the top bits, then one
// Newton–Raphson step, x = (2x + a/x²)/3 with the division by 3 as ·341/1024 (average
// error about 0.2 %).
func cubicRoot(a uint64) uint32 {
	b := uint32(bits.Len64(a))
	if b < 7 {
		return (uint32(cubeRootTable[a]) + 35) >> 6
	}
	b = ((b * 84) >> 8) - 1
	shift := a >> (b * 3)
	x := (uint32(cubeRootTable[shift]) + 10) << b >> 6
	x = 2*x + uint32(a/(uint64(x)*uint64(x-1)))
	return (x * 341) >> 10
}

// cubicAcked is cubictcp_acked: an ACK's RTT sample updates the minimum delay and, in
// slow start from hystartLowWindow segments up, feeds HyStart.
func (c *Conn) cubicAcked(rtt time.Duration) {
	ca := &c.cubic
	// Samples right after a reduction are discarded (the queue is draining).
	if ca.epochStart != 0 && int32(c.jiffies()-ca.epochStart) < int32(c.hz()) {
		return
	}
	delay := uint32(max(rtt/time.Microsecond, 1))
	if ca.delayMin == 0 || ca.delayMin > delay {
		ca.delayMin = delay
	}
	if !ca.found && c.inSlowStart() && c.cwndSegs() >= hystartLowWindow {
		c.hystartUpdate(delay)
	}
}

// HyStart's detections, the bits of Profile.HyStartDetect (tcp_cubic.c HYSTART_ACK_TRAIN
// and HYSTART_DELAY).
const (
	HyStartACKTrain = 1
	HyStartDelay    = 2
)

// hystartUpdate is hystart_update with the profile's detections (hystart_detect): slow
// start ends (ssthresh = cwnd) when a round's ACK train has lasted longer than half the
// minimum RTT, or when the smallest of a round's first samples exceeds the minimum RTT
// by an eighth of it, clamped to [4 ms, 16 ms].
func (c *Conn) hystartUpdate(delay uint32) {
	ca := &c.cubic
	if ca.endSeq.LessThan(c.sndUna) {
		c.hystartReset()
	}
	detect := c.h.Prof.HyStartDetect
	now := c.clockUS()
	if detect&HyStartACKTrain != 0 && int32(now-ca.lastAck) <= hystartAckDeltaUS {
		ca.lastAck = now
		// Without pacing by a qdisc (sk_pacing_status SK_PACING_NONE) the threshold is
		// half of delay_min plus the TSO cushion.
		threshold := (ca.delayMin + c.hystartAckDelay()) >> 1
		if int32(now-ca.roundStart) > int32(threshold) {
			ca.found = true
			c.ssthresh = c.cwnd
		}
	}
	if detect&HyStartDelay == 0 {
		return
	}
	if ca.currRTT > delay {
		ca.currRTT = delay
	}
	if ca.sampleCnt < hystartMinSamples {
		ca.sampleCnt++
		return
	}
	if ca.currRTT > ca.delayMin+min(max(ca.delayMin>>3, hystartDelayMinUS), hystartDelayMaxUS) {
		ca.found = true
		c.ssthresh = c.cwnd
	}
}

// hystartAckDelay is hystart_ack_delay: the time 4 GSO packets take at the pacing rate,
// at most 1 ms. Linux's pacing rate in slow start is 2·cwnd·MSS/SRTT
// (tcp_update_pacing_rate, tcp_pacing_ss_ratio 200 %).
func (c *Conn) hystartAckDelay() uint32 {
	if !c.rttValid || c.srtt <= 0 {
		return 0
	}
	rate := 2 * uint64(c.cwnd) * uint64(time.Second) / uint64(c.srtt) // bytes per second
	if rate == 0 {
		return 0
	}
	return uint32(min(uint64(hystartAckDelayMax), uint64(hystartGSOMax)*4*1000000/rate))
}
