package tcp

// The buffers a write is cut into and what each transmission takes of them, as Linux
// 6.18 does it (net/ipv4/tcp.c tcp_sendmsg_locked, tcp_output.c tcp_write_xmit and
// __tcp_transmit_skb), where the profile asks for it (Profile.SendBuffers). The boundaries
// decide where PSH goes:
//
//   - A write fills buffers of size_goal bytes (tcp_xmit_size_goal: half the largest
//     window the peer has shown, whole segments, at most 64 KB), appending to the last
//     unsent buffer first; the first bytes a write appends take the PSH off that buffer.
//   - A buffer is marked PSH when a write ends (tcp_push, unless MSG_MORE), and when a full
//     buffer leaves the stream more than half the peer's largest window past the last
//     mark (forced_push). A full buffer that is not forced goes out alone if it is the
//     first unsent one (tcp_push_one), so the rest of the write appends to what is left
//     of it.
//   - Each transmission takes one buffer, or its first part (tso_fragment; PSH stays
//     with the part left), or grows it from the next (tcp_grow_skb; a buffer eaten whole
//     gives its PSH): at most half the congestion window (tcp_cwnd_test), what the
//     pacing rate sends in about a millisecond (tcp_tso_autosize: sk_pacing_rate >> 10,
//     at least tcp_min_tso_segs), and the window (tcp_mss_split_point).
//   - A transmission of more than one segment carries PSH on its last segment whatever
//     the buffer says (__tcp_transmit_skb forces it on GSO packets; tcp_gso_segment
//     keeps it on the last segment only); a single segment carries it only if it ends a
//     buffer marked PSH.
//   - A retransmission takes its part of a buffer the same way (tcp_fragment,
//     tcp_retrans_try_collapse merging small buffers and their PSH).
//
// The engine sends one segment at a time; a transmission is the run of segments one
// planned unit covers. Without SendBuffers (the rfc profile) PSH marks the segment that
// ends a write (RFC 9293 §3.9.1, SEND with the PUSH flag).

import "time"

// gsoMaxSize is sk_gso_max_size for a device with segmentation offload: GSO_LEGACY_MAX_SIZE
// (65536) less MAX_TCP_HEADER (320 on x86-64) and one (sk_setup_caps).
const gsoMaxSize = 65536 - 320 - 1

// Pacing constants of tcp_tso_autosize: sk_pacing_shift (about 1 ms of the pacing rate
// per transmission) and tcp_tso_rtt_log (a round trip under 2^9 µs adds 64 KB >> (rtt >>
// 9)).
const (
	pacingShift = 10
	tsoRTTLog   = 9
)

// skbEdge is the end of one buffer of queued data (Linux's sk_buff in the write or
// retransmit queue) and whether the buffer carries PSH.
type skbEdge struct {
	end Seq
	psh bool
}

// sendBuffers is the send queue's buffer structure (see the file comment).
type sendBuffers struct {
	// edges are the ends of the buffers of unacknowledged data, in order; the last is the
	// end of what was written.
	edges []skbEdge
	// pushedSeq is the write sequence of the last PSH mark (Linux pushed_seq).
	pushedSeq Seq
	pushedSet bool
	// unit is the transmission being sent, segment by segment.
	unit sendUnit
	// pushOne stops output after one transmission (tcp_push_one).
	pushOne bool
	// pacingRate is sk_pacing_rate in bytes per second (tcp_update_pacing_rate), set
	// once the connection is established and on every ACK.
	pacingRate uint64
	pacingSet  bool
}

// sendUnit is one transmission: [start, end), and whether its last segment has PSH.
type sendUnit struct {
	start, end Seq
	psh, open  bool
	rtx        bool // a retransmission
}

// writeEnd is the sequence number after the last byte written (Linux write_seq).
func (c *Conn) writeEnd() Seq { return c.sendStart.Add(uint32(len(c.sendBuf))) }

// addEdge ends a buffer at the end of what was written, marked PSH or not.
func (c *Conn) addEdge(psh bool) {
	end := c.writeEnd()
	if n := len(c.edges); n > 0 && c.edges[n-1].end == end {
		c.edges[n-1].psh = c.edges[n-1].psh || psh
		return
	}
	c.edges = append(c.edges, skbEdge{end: end, psh: psh})
}

// markPushAt ends a buffer at seq marked PSH (a probe sends it so, tcp_write_wakeup).
func (c *Conn) markPushAt(seq Seq) {
	i := c.splitAt(seq)
	if i >= 0 {
		c.edges[i].psh = true
	}
}

// splitAt makes seq a buffer end, the part after keeping the PSH (tso_fragment,
// tcp_fragment), and returns its index; -1 when seq is outside the queued data.
func (c *Conn) splitAt(seq Seq) int {
	if !c.sendStart.LessThan(seq) || c.writeEnd().LessThan(seq) {
		return -1
	}
	for i, e := range c.edges {
		if e.end == seq {
			return i
		}
		if seq.LessThan(e.end) {
			c.edges = append(c.edges, skbEdge{})
			copy(c.edges[i+1:], c.edges[i:])
			c.edges[i] = skbEdge{end: seq}
			return i
		}
	}
	c.edges = append(c.edges, skbEdge{end: seq})
	return len(c.edges) - 1
}

// pshIn reports whether a buffer marked PSH ends in (seq, end].
func (c *Conn) pshIn(seq, end Seq) bool {
	for _, e := range c.edges {
		if end.LessThan(e.end) {
			break
		}
		if seq.LessThan(e.end) && e.psh {
			return true
		}
	}
	return false
}

// pshAt reports whether a buffer marked PSH ends exactly at end.
func (c *Conn) pshAt(end Seq) bool {
	for _, e := range c.edges {
		if e.end == end {
			return e.psh
		}
	}
	return false
}

// takeEdges makes [seq, end) one buffer, as a transmission leaves it: cut at both ends,
// the buffers inside merged with their PSH (tcp_grow_skb, tcp_retrans_try_collapse).
func (c *Conn) takeEdges(seq, end Seq) {
	c.splitAt(seq)
	i := c.splitAt(end)
	if i < 0 {
		return
	}
	j := i
	for j > 0 && seq.LessThan(c.edges[j-1].end) {
		j--
		c.edges[i].psh = c.edges[i].psh || c.edges[j].psh
	}
	if j < i {
		c.edges = append(c.edges[:j], c.edges[i:]...)
	}
}

// pruneEdges drops the buffers wholly acknowledged.
func (c *Conn) pruneEdges() {
	k := 0
	for k < len(c.edges) && c.edges[k].end.LessThanEq(c.sendStart) {
		k++
	}
	if k > 0 {
		c.edges = c.edges[k:]
	}
}

// forcedPush is Linux's forced_push: the stream is more than half the peer's largest
// window past the last PSH mark.
func (c *Conn) forcedPush() bool {
	return c.pushedSeq.Add(c.maxSndWnd / 2).LessThan(c.writeEnd())
}

// markPush marks the last buffer PSH (tcp_mark_push).
func (c *Conn) markPush() {
	if n := len(c.edges); n > 0 {
		c.edges[n-1].psh = true
	}
	c.pushedSeq = c.writeEnd()
}

// writeBuffers queues a write as tcp_sendmsg_locked builds it into buffers, pushing
// full buffers out as it goes; the caller pushes the rest (tcp_push).
func (c *Conn) writeBuffers(data []byte) {
	goal := c.sizeGoalBytes()
	if !c.pushedSet {
		c.pushedSeq, c.pushedSet = c.writeEnd(), true
	}
	for copied := 0; copied < len(data); {
		room, fresh := 0, true
		if start, ok := c.unsentTail(); ok {
			room, fresh = goal-int(c.writeEnd().Sub(start)), false
		}
		if room <= 0 {
			room, fresh = goal, true
		}
		n := min(room, len(data)-copied)
		if copied == 0 && !fresh {
			c.edges[len(c.edges)-1].psh = false // the write goes on: no PSH in its middle
		}
		c.sendBuf, c.sendMem = appendQueue(c.sendBuf, c.sendMem, data[copied:copied+n])
		if fresh {
			c.edges = append(c.edges, skbEdge{end: c.writeEnd()})
		} else {
			c.edges[len(c.edges)-1].end = c.writeEnd()
		}
		copied += n
		if copied == len(data) {
			return
		}
		start, _ := c.unsentTail()
		if int(c.writeEnd().Sub(start)) < goal {
			continue
		}
		switch {
		case c.forcedPush():
			c.markPush()
			c.pushFrames(false)
		case start == c.sndNxt:
			c.pushFrames(true)
		}
	}
}

// unsentTail returns where the last buffer starts, if none of it has been sent and a
// write may append to it (not after MSG_EOR: tcp_skb_can_collapse_to).
func (c *Conn) unsentTail() (Seq, bool) {
	n := len(c.edges)
	if n == 0 || c.edges[n-1].end != c.writeEnd() {
		return 0, false
	}
	start := c.sendStart
	if n > 1 {
		start = c.edges[n-2].end
	}
	if start.LessThan(c.sndNxt) || start.LessThan(c.sendStart) {
		return 0, false
	}
	for _, e := range c.eorAt {
		if e == c.edges[n-1].end {
			return 0, false
		}
	}
	return start, true
}

// pushFrames sends what may go now, or one transmission (tcp_push_one), in the middle
// of a write.
func (c *Conn) pushFrames(one bool) {
	if c.deleted {
		return
	}
	switch c.state {
	case Established, CloseWait, FinWait1, FinWait2, Closing, LastAck:
	default:
		if !(c.state == SynReceived && c.fastOpen != nil && c.fastOpen.child) {
			return
		}
	}
	c.pushOne = one
	push := c.corkPush
	c.corkPush = true // TCP_NAGLE_PUSH: a full buffer is not held by Nagle or the cork
	c.output()
	c.corkPush, c.pushOne = push, false
}

// planUnit picks the transmission starting at SND.NXT (tcp_write_xmit) and returns how
// much of n, the first segment, it takes.
func (c *Conn) planUnit(n int) int {
	if c.unit.open && !c.sndNxt.LessThan(c.unit.start) && c.sndNxt.LessThan(c.unit.end) {
		return min(n, int(c.unit.end.Sub(c.sndNxt)))
	}
	mss := int(c.mss)
	start := c.sndNxt
	i := 0
	for i < len(c.edges) && c.edges[i].end.LessThanEq(start) {
		i++
	}
	if i == len(c.edges) {
		c.unit = sendUnit{}
		return n
	}
	if c.sndUna == c.sndMax {
		c.idleRestart() // Linux checks at the write (tcp_skb_entail), before sending
		c.lastSendAt = c.h.now
	}
	// tcp_cwnd_test: at most half the window in one transmission, so that two are in
	// flight; then tcp_tso_segs.
	cwnd := int(c.cwndSegs())
	inflight := len(c.outEnds)
	if c.pipeCounts() {
		inflight = c.sb.pipe()
	}
	quota := min(max(cwnd>>1, 1), cwnd-inflight)
	quota = max(min(quota, c.tsoSegs()), 1)
	end := c.edges[i].end
	if want := start.Add(uint32(quota * mss)); end.LessThan(want) && i+1 < len(c.edges) && !c.eorEnds(end) {
		// tcp_grow_skb: the buffer takes from the next what the quota misses.
		end = minSeq(want, c.edges[i+1].end)
	}
	length := int(end.Sub(start))
	tail := end == c.writeEnd()
	// tcp_mss_split_point.
	window := int(c.sndUna.Add(c.sndWnd).Sub(start))
	maxLen := mss * quota
	limit := maxLen
	if maxLen > window || tail {
		needed := min(length, window)
		if maxLen > needed {
			limit = needed
			if partial := needed % mss; partial != 0 && c.splitHoldsPartial() {
				limit = needed - partial
			}
		}
	}
	if limit <= 0 {
		limit = n
	}
	length = min(length, limit)
	end = start.Add(uint32(length))
	c.unit = sendUnit{start: start, end: end, open: true,
		psh: (length+mss-1)/mss > 1 || c.pshIn(start, end)}
	return min(n, length)
}

// splitHoldsPartial is tcp_nagle_check for a transmission's partial last segment: the
// cork or MSG_MORE holds it, or Nagle does while a partial segment is in flight.
func (c *Conn) splitHoldsPartial() bool {
	if c.corkPush {
		return false
	}
	return c.corked || c.moreHeld || c.nagleHolds()
}

// eorEnds reports whether a record ends at seq (MSG_EOR): no transmission grows past it.
func (c *Conn) eorEnds(seq Seq) bool {
	for _, e := range c.eorAt {
		if e == seq {
			return true
		}
	}
	return false
}

// closeUnit ends the transmission in progress where sending stopped.
func (c *Conn) closeUnit() {
	if c.unit.open {
		c.unit.open = false
		if c.unit.start.LessThan(c.sndNxt) {
			c.takeEdges(c.unit.start, minSeq(c.sndNxt, c.unit.end))
		}
	}
}

// segmentPush reports whether the segment [seq, end) carries PSH, and updates the
// buffers as its transmission leaves them.
func (c *Conn) segmentPush(seq, end Seq, retransmit bool) bool {
	if !c.h.Prof.SendBuffers {
		return c.pshAt(end)
	}
	if retransmit == c.unit.rtx && c.unit.open && !seq.LessThan(c.unit.start) && end.LessThanEq(c.unit.end) {
		if end != c.unit.end {
			return false
		}
		c.unit.open = false
		c.takeEdges(c.unit.start, end)
		return c.unit.psh
	}
	psh := c.pshIn(seq, end)
	c.takeEdges(seq, end)
	return psh
}

// tsoSegs is how many segments one transmission may carry (tcp_tso_segs,
// tcp_tso_autosize): what the pacing rate sends in 2^-10 s, plus 64 KB >> (min RTT in
// µs >> 9) on short paths, at most 64 KB, at least tcp_min_tso_segs.
func (c *Conn) tsoSegs() int {
	mss := uint64(max(c.mss, 1))
	bytes := c.pacing() >> pacingShift
	if c.rttValid {
		if r := uint64(c.rack.minRTT.Microseconds()) >> tsoRTTLog; r < 32 {
			bytes += gsoMaxSize >> r
		}
	}
	bytes = min(bytes, gsoMaxSize)
	return max(int(bytes/mss), c.h.Prof.MinTSOSegs, 1)
}

// pacing is sk_pacing_rate: as last computed, or now if it never was.
func (c *Conn) pacing() uint64 {
	if !c.pacingSet {
		return c.pacingNow()
	}
	return c.pacingRate
}

// updatePacingRate is tcp_update_pacing_rate, run on every ACK once the congestion
// window has been updated.
func (c *Conn) updatePacingRate() {
	if c.h.Prof.SendBuffers && c.mss > 0 {
		c.pacingRate, c.pacingSet = c.pacingNow(), true
	}
}

// pacingNow is mss · max(cwnd, packets out) / SRTT, times tcp_pacing_ss_ratio (200 %)
// while cwnd is under half ssthresh, else tcp_pacing_ca_ratio (120 %), in bytes per
// second, with the kernel's integer arithmetic (srtt_us holds 8 × the SRTT in µs).
func (c *Conn) pacingNow() uint64 {
	p := &c.h.Prof
	ratio := uint64(p.PacingCARatio)
	if c.cwndSegs() < c.ssthreshSegs()/2 {
		ratio = uint64(p.PacingSSRatio)
	}
	rate := uint64(c.mss) * (uint64(time.Second/time.Microsecond) / 100 << 3) * ratio
	rate *= uint64(max(c.cwndSegs(), uint32(len(c.outEnds))))
	if srtt8 := uint64(c.srtt.Microseconds()) * 8; srtt8 > 0 {
		rate /= srtt8
	}
	return rate
}

// resendUnit resends the lost segment segs[i] of the scoreboard and those after it that
// the same transmission takes (__tcp_retransmit_skb): lost, neither SACKed nor resent,
// in the same buffer, up to the congestion window's room and tcp_tso_segs. It reports
// whether anything went out.
func (c *Conn) resendUnit(i int) bool {
	segs := c.sb.segs
	quota := min(int(c.cwndSegs())-c.sb.pipe(), c.tsoSegs())
	dataEnd := c.writeEnd()
	if c.finSent && !c.finAcked {
		dataEnd = minSeq(dataEnd, c.finSeq)
	}
	j := i + 1
	for j < len(segs) && j-i < quota {
		s := segs[j]
		if s.start != segs[j-1].end || s.flags&sbLost == 0 || s.flags&(sbSacked|sbRetrans) != 0 ||
			dataEnd.LessThan(s.end) || c.edgeAt(s.start) {
			break
		}
		j++
	}
	start, end := segs[i].start, segs[j-1].end
	if j-i == 1 || dataEnd.LessThan(end) {
		return c.resend(start, segs[i].end)
	}
	if start.LessThan(c.sendStart) {
		start = c.sendStart
	}
	c.unit = sendUnit{start: start, end: end, open: true, rtx: true, psh: true}
	sent := false
	for k := i; k < j; k++ {
		if !c.resend(segs[k].start, segs[k].end) {
			break
		}
		sent = true
	}
	if c.unit.open {
		c.unit = sendUnit{}
	}
	return sent
}

// edgeAt reports whether a buffer ends at seq.
func (c *Conn) edgeAt(seq Seq) bool {
	for _, e := range c.edges {
		if e.end == seq {
			return true
		}
		if seq.LessThan(e.end) {
			return false
		}
	}
	return false
}
