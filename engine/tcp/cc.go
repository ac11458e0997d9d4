package tcp

import "time"

// The congestion controller's entry points. The endpoint calls these and nothing else
// when the congestion window must grow or shrink, so loss recovery (which decides when a
// loss happened) and the algorithm (which decides by how much) stay apart: RFC 5681 for
// the rfc profile, CUBIC for linux (Linux tcp_congestion_ops: ssthresh, cong_avoid,
// pkts_acked, set_state, cwnd_event). The window is kept in bytes (cwnd) but, as in
// Linux, the arithmetic is in segments: cwnd is a whole number of MSS.

// ssthreshInfinite is the slow-start threshold before any loss (Linux
// TCP_INFINITE_SSTHRESH).
const ssthreshInfinite = 0x7fffffff

// maxCwndSegs bounds the congestion window, in segments (Linux snd_cwnd_clamp is ~0; a
// bound keeps cwnd·MSS inside 32 bits).
const maxCwndSegs = 1 << 16

// The algorithms Profile.CongestionControl and TCP_CONGESTION name.
const (
	CongestionCubic = "cubic" // Linux tcp_cubic.c, RFC 9438
	CongestionReno  = "reno"  // RFC 5681 (Linux tcp_reno_cong_avoid)
)

// ccState is what the congestion controller keeps besides cwnd and ssthresh.
type ccState struct {
	ccName    string   // the algorithm in use, when TCP_CONGESTION chose one; "": the profile's
	cwndCnt   uint32   // ACKed segments towards the next increase (Linux snd_cwnd_cnt)
	cubic     cubic    // CUBIC's and HyStart's state
	sentTimes sentRing // send times of the segments in flight, for RTT samples
}

// ccAlgo returns the algorithm the connection uses.
func (c *Conn) ccAlgo() string {
	if c.ccName != "" {
		return c.ccName
	}
	return c.h.Prof.CongestionControl
}

// SetCongestion selects the congestion control algorithm (setsockopt TCP_CONGESTION).
// It reports false for one the engine does not model ("cubic" and "reno" it does). As
// tcp_reinit_congestion_control does, the new algorithm starts from its initial state.
func (c *Conn) SetCongestion(name string) bool {
	if name != CongestionCubic && name != CongestionReno {
		return false
	}
	if c.ccAlgo() != name {
		c.ccName = name
		c.cubic = cubic{}
		c.hystartReset()
	}
	return true
}

// segs returns n bytes in whole segments, and cwndSegs the congestion window in them.
func (c *Conn) segs(n uint32) uint32 {
	if c.mss == 0 {
		return 0
	}
	return n / uint32(c.mss)
}

func (c *Conn) cwndSegs() uint32 { return c.segs(c.cwnd) }

func (c *Conn) setCwndSegs(n uint32) { c.cwnd = min(max(n, 1), maxCwndSegs) * uint32(c.mss) }

// ssthreshSegs is snd_ssthresh in segments (ssthreshInfinite stays itself).
func (c *Conn) ssthreshSegs() uint32 {
	if c.ssthresh >= ssthreshInfinite {
		return ssthreshInfinite
	}
	return c.segs(c.ssthresh)
}

func (c *Conn) setSsthreshSegs(n uint32) {
	if n >= ssthreshInfinite/uint32(max(c.mss, 1)) {
		c.ssthresh = ssthreshInfinite
		return
	}
	c.ssthresh = n * uint32(c.mss)
}

// inSlowStart is tcp_in_slow_start: cwnd < ssthresh (RFC 5681 §3.1).
func (c *Conn) inSlowStart() bool { return c.cwnd < c.ssthresh }

// ccInit starts the controller on a connection that has just been established (Linux
// tcp_init_congestion_control from tcp_init_transfer).
func (c *Conn) ccInit() {
	c.cubic = cubic{}
	c.cwndCnt = 0
	c.hystartReset()
}

// ccPktsAcked is the algorithm's view of an ACK that moved SND.UNA (Linux
// tcp_clean_rtx_queue → pkts_acked): the RTT of the newest segment it covers, unless one
// of them was sent twice, feeds CUBIC's delay_min and HyStart. It runs before the
// window is grown or reduced for the ACK.
func (c *Conn) ccPktsAcked() {
	rtt, ok := c.sentTimes.ack(c.sndUna, c.h.now)
	if ok && c.mss > 0 && c.h.Prof.CwndPerPacket && c.ccAlgo() == CongestionCubic {
		c.cubicAcked(rtt)
	}
}

// congestionAcked grows the congestion window for an ACK that acknowledged (or newly
// SACKed) acked segments (Linux tcp_cong_avoid, from tcp_cong_control).
func (c *Conn) congestionAcked(acked int) {
	if c.mss == 0 {
		return
	}
	cubicAlgo := c.ccAlgo() == CongestionCubic
	if acked <= 0 || c.cwnd >= 1<<30 || !c.cwndMayGrow() {
		return
	}
	if !c.h.Prof.CwndPerPacket {
		// RFC 5681 §3.1: in slow start min(N, SMSS) per ACK, one SMSS here (an ACK
		// covers at least a segment); in congestion avoidance the RECOMMENDED byte
		// counting: one SMSS once a window's worth of data has been ACKed, counted in
		// whole segments as tcp_cong_avoid_ai does.
		if c.inSlowStart() {
			c.cwnd += uint32(c.mss)
			return
		}
		c.congAvoidAI(c.cwndSegs(), uint32(acked))
		return
	}
	a := uint32(acked)
	if c.inSlowStart() {
		if a = c.slowStart(a); a == 0 {
			return
		}
	}
	if cubicAlgo {
		c.cubicUpdate(c.cwndSegs(), a)
		c.congAvoidAI(c.cubic.cnt, a)
		return
	}
	c.congAvoidAI(c.cwndSegs(), a) // tcp_reno_cong_avoid
}

// slowStart is tcp_slow_start: the window grows by one segment for each segment acked,
// up to ssthresh; it returns the segments left over for congestion avoidance.
func (c *Conn) slowStart(acked uint32) uint32 {
	cw := c.cwndSegs()
	n := min(cw+acked, c.ssthreshSegs())
	acked -= n - cw
	c.setCwndSegs(n)
	return acked
}

// congAvoidAI is tcp_cong_avoid_ai: one segment more once w segments have been acked
// (snd_cwnd_cnt counts them), several when an ACK covers more than w.
func (c *Conn) congAvoidAI(w, acked uint32) {
	w = max(w, 1)
	cw := c.cwndSegs()
	if c.cwndCnt >= w {
		// Credits gathered at a larger w are applied gently now.
		c.cwndCnt = 0
		cw++
	}
	c.cwndCnt += acked
	if c.cwndCnt >= w {
		d := c.cwndCnt / w
		c.cwndCnt -= d * w
		cw += d
	}
	c.setCwndSegs(cw)
}

// lossSsthresh is the slow-start threshold after a loss, in bytes. For the rfc profile
// it is half the data in flight, at least two segments (RFC 5681 §3.1, equation 4).
// Linux's algorithms take it from the window (tcp_congestion_ops.ssthresh): Reno half
// of it (tcp_reno_ssthresh), CUBIC 717/1024 of it, which also ends CUBIC's epoch and
// remembers the window at the loss (cubictcp_recalc_ssthresh), so it is called once per
// loss event, as Linux does.
func (c *Conn) lossSsthresh() uint32 {
	if !c.h.Prof.CwndPerPacket {
		flight := uint32(c.sndMax - c.sndUna)
		return max(flight/2, 2*uint32(c.mss))
	}
	if c.ccAlgo() == CongestionCubic {
		return c.cubicSsthresh() * uint32(c.mss)
	}
	return max(c.cwndSegs()>>1, 2) * uint32(c.mss)
}

// recoverySsthresh is the threshold fast recovery sets. Under RFC 5681 §3.2 step 2 (and
// RFC 6675 §5 step 4.2) FlightSize leaves out the new data limited transmit sent on the
// first duplicate ACKs (RFC 3042), which is what lies beyond cwnd: limited transmit
// does not change cwnd while it sends. The per-packet profile's algorithm (CUBIC, Linux's
// Reno) works from cwnd and needs no such care.
func (c *Conn) recoverySsthresh() uint32 {
	if !c.h.Prof.CwndPerPacket {
		flight := min(uint32(c.sndMax-c.sndUna), c.cwnd)
		return max(flight/2, 2*uint32(c.mss))
	}
	return c.lossSsthresh()
}

// currentSsthresh is tcp_current_ssthresh outside a reduction: the threshold, or
// three quarters of the window if that is more (what a restart after idle keeps).
func (c *Conn) currentSsthresh() uint32 {
	cw := c.cwndSegs()
	return max(c.ssthreshSegs(), cw>>1+cw>>2)
}

// ccTimeout is the window's part of a retransmission timeout (RFC 5681 §3.1, RFC 6298
// §5.5; Linux tcp_enter_loss): ssthresh from the algorithm when first says this timeout
// starts a loss event (a second one for the same data keeps it), the window down to one
// segment (Linux: what is still in flight plus one, which after a timeout has marked
// everything lost is one), and the algorithm's state for a loss (cubictcp_state with
// TCP_CA_Loss starts CUBIC and HyStart afresh, so Wmax is forgotten).
func (c *Conn) ccTimeout(first bool) {
	if first {
		c.ssthresh = c.lossSsthresh()
	}
	c.cwnd = uint32(c.mss) // RFC 5681 §3.1: the loss window, one segment
	c.cwndCnt = 0
	c.cwndLost = true
	if c.ccAlgo() == CongestionCubic {
		c.cubic = cubic{}
		c.hystartReset()
	}
}

// ccTxStart is the CA_EVENT_TX_START event: data leaves with nothing in flight. CUBIC
// moves its epoch forward by the idle time, so the curve resumes where it stopped
// instead of jumping ahead (cubictcp_cwnd_event).
func (c *Conn) ccTxStart() {
	if c.ccAlgo() != CongestionCubic || c.cubic.epochStart == 0 {
		return
	}
	now := c.jiffies()
	if d := int32(now - c.jiffiesAt(c.lastSendAt)); d > 0 {
		c.cubic.epochStart += uint32(d)
		if int32(c.cubic.epochStart-now) > 0 {
			c.cubic.epochStart = now
		}
	}
}

// initialJiffiesSeconds is where the engine's jiffies counter starts, in seconds before
// zero (Linux INITIAL_JIFFIES is −300·HZ: it wraps five minutes after boot, so
// wrap-safe arithmetic is exercised).
const initialJiffiesSeconds = 300

// hz is the profile's kernel tick rate (CONFIG_HZ), 1000 when it names none.
func (c *Conn) hz() uint32 {
	if c.h.Prof.HZ > 0 {
		return uint32(c.h.Prof.HZ)
	}
	return 1000
}

// jiffies is Linux's tcp_jiffies32 at the connection's now, and jiffiesAt at t.
func (c *Conn) jiffies() uint32 { return c.jiffiesAt(c.h.now) }

func (c *Conn) jiffiesAt(t Time) uint32 {
	hz := c.hz()
	return uint32(int64(t)*int64(hz)/int64(time.Second/time.Microsecond)) - initialJiffiesSeconds*hz
}

// sentRing keeps when each segment in flight was first sent (Linux skb_mstamp) and
// whether it was sent again, so that an ACK gives CUBIC's HyStart the RTT of the newest
// segment it covers (tcp_clean_rtx_queue's ca_rtt_us). It is a ring, so that a long
// transfer costs O(1) per segment.
type sentRing struct {
	ends  []Seq
	at    []Time
	rtx   []bool
	head  int
	count int
}

// sent records a new segment ending at end, sent at t.
func (r *sentRing) sent(end Seq, t Time) {
	if r.count == len(r.ends) {
		r.grow()
	}
	i := (r.head + r.count) % len(r.ends)
	r.ends[i], r.at[i], r.rtx[i] = end, t, false
	r.count++
}

func (r *sentRing) grow() {
	n := max(2*len(r.ends), 16)
	ends, at, rtx := make([]Seq, n), make([]Time, n), make([]bool, n)
	for k := range r.count {
		i := (r.head + k) % len(r.ends)
		ends[k], at[k], rtx[k] = r.ends[i], r.at[i], r.rtx[i]
	}
	r.ends, r.at, r.rtx, r.head = ends, at, rtx, 0
}

// retransmitted marks the segments that end after seq and at or before end as sent
// again: their ACK gives no RTT sample (Karn's rule, RFC 6298 §3).
func (r *sentRing) retransmitted(seq, end Seq) {
	for k := range r.count {
		i := (r.head + k) % len(r.ends)
		if r.ends[i].LessThanEq(seq) {
			continue
		}
		if end.LessThan(r.ends[i]) {
			break
		}
		r.rtx[i] = true
	}
}

// ack drops the segments una covers and returns the RTT of the newest of them, when
// one was covered and none of them was sent twice.
func (r *sentRing) ack(una Seq, now Time) (rtt time.Duration, ok bool) {
	var last Time
	n, rtx := 0, false
	for r.count > 0 && r.ends[r.head].LessThanEq(una) {
		last = r.at[r.head]
		rtx = rtx || r.rtx[r.head]
		r.head = (r.head + 1) % len(r.ends)
		r.count--
		n++
	}
	if n == 0 || rtx {
		return 0, false
	}
	return now.Sub(last), true
}

// oldest returns the send time of the oldest segment una covers, when one is covered
// and none of those covered was sent twice (Linux tcp_clean_rtx_queue's first_ackt
// without FLAG_RETRANS_DATA_ACKED).
func (r *sentRing) oldest(una Seq) (Time, bool) {
	if r.count == 0 || una.LessThan(r.ends[r.head]) {
		return 0, false
	}
	first := r.at[r.head]
	for k := range r.count {
		i := (r.head + k) % len(r.ends)
		if una.LessThan(r.ends[i]) {
			break
		}
		if r.rtx[i] {
			return 0, false
		}
	}
	return first, true
}

// reset forgets every segment (the connection retransmits from SND.UNA).
func (r *sentRing) reset() { r.head, r.count = 0, 0 }
