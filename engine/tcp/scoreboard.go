package tcp

import "sort"

// The sender's scoreboard (RFC 6675 §3; Linux keeps it as flags on the retransmission
// queue: TCPCB_SACKED_ACKED, TCPCB_LOST, TCPCB_SACKED_RETRANS, with the counts
// sacked_out, lost_out and retrans_out): every segment sent and not cumulatively
// acknowledged, what the peer's SACK blocks say of it, which are deemed lost and which
// were sent again. Work per ACK is bounded by what changes: segments are found by binary
// search, SACKed runs are skipped through the merged list of SACKed ranges, and each
// segment is marked SACKed, lost or acknowledged once.

// sbFlags is what the scoreboard knows of one segment.
type sbFlags uint8

const (
	sbSacked      sbFlags = 1 << iota // a SACK block covered it (TCPCB_SACKED_ACKED)
	sbLost                            // deemed lost (TCPCB_LOST)
	sbRetrans                         // resent and not since deemed lost again (TCPCB_SACKED_RETRANS)
	sbEverRetrans                     // resent at some time (TCPCB_EVER_RETRANS)
)

// sbSeg is one segment in flight: its sequence range (a FIN counts one), when it was
// last sent, and its flags.
type sbSeg struct {
	start, end Seq
	sentAt     Time
	flags      sbFlags
}

// scoreboard is the sender's record of segments in flight. segs[head:] are in sequence
// order; sacked holds the union of the SACKed segments as sorted, disjoint ranges.
type scoreboard struct {
	segs   []sbSeg
	head   int
	sacked []SACKBlock
	// The counts of RFC 6675's pipe (Linux tcp_packets_in_flight = packets_out −
	// (sacked_out + lost_out) + retrans_out).
	sackedOut, lostOut, retransOut int
	// lostFrom, when lostSet: no segment before it is lost and waiting to be resent.
	lostFrom Seq
	lostSet  bool
}

// packetsOut is the number of segments in flight (Linux packets_out).
func (sb *scoreboard) packetsOut() int { return len(sb.segs) - sb.head }

// pipe is RFC 6675's estimate of the segments still in the network.
func (sb *scoreboard) pipe() int {
	return sb.packetsOut() - sb.sackedOut - sb.lostOut + sb.retransOut
}

// add records a new segment [start, end) sent at now.
func (sb *scoreboard) add(start, end Seq, now Time) {
	if n := len(sb.segs); n > sb.head && start.LessThan(sb.segs[n-1].end) {
		start = sb.segs[n-1].end // only what is new
	}
	if !start.LessThan(end) {
		return
	}
	sb.segs = append(sb.segs, sbSeg{start: start, end: end, sentAt: now})
}

// index returns the position of the first segment whose end is after seq.
func (sb *scoreboard) index(seq Seq) int {
	live := sb.segs[sb.head:]
	return sb.head + sort.Search(len(live), func(i int) bool { return seq.LessThan(live[i].end) })
}

// highSack is the end of the highest SACKed segment (Linux tcp_highest_sack_seq); ok is
// false when nothing is SACKed.
func (sb *scoreboard) highSack() (Seq, bool) {
	if len(sb.sacked) == 0 {
		return 0, false
	}
	return sb.sacked[len(sb.sacked)-1].Right, true
}

// skipSacked returns the position after the SACKed run that holds segs[i].
func (sb *scoreboard) skipSacked(i int) int {
	s := sb.segs[i].start
	k := sort.Search(len(sb.sacked), func(j int) bool { return s.LessThan(sb.sacked[j].Right) })
	if k < len(sb.sacked) && sb.sacked[k].Left.LessThanEq(s) {
		return max(sb.index(sb.sacked[k].Right), i+1)
	}
	return i + 1
}

// sackedRange adds [l, r) to the SACKed ranges, merging neighbours.
func (sb *scoreboard) sackedRange(l, r Seq) {
	k := sort.Search(len(sb.sacked), func(j int) bool { return l.LessThanEq(sb.sacked[j].Right) })
	j := k
	for j < len(sb.sacked) && sb.sacked[j].Left.LessThanEq(r) {
		if sb.sacked[j].Left.LessThan(l) {
			l = sb.sacked[j].Left
		}
		if r.LessThan(sb.sacked[j].Right) {
			r = sb.sacked[j].Right
		}
		j++
	}
	if j == k {
		sb.sacked = append(sb.sacked, SACKBlock{})
		copy(sb.sacked[k+1:], sb.sacked[k:])
		sb.sacked[k] = SACKBlock{Left: l, Right: r}
		return
	}
	sb.sacked[k] = SACKBlock{Left: l, Right: r}
	sb.sacked = append(sb.sacked[:k+1], sb.sacked[j:]...)
}

// sackResult is what one ACK's SACK blocks changed.
type sackResult struct {
	newlySacked int
	// reord is the lowest start of a newly SACKed segment that was never resent and lies
	// below the highest SACK seen before it (Linux's state->reord); haveReord says one was.
	reord     Seq
	haveReord bool
	// marked lists the newly SACKed segments' send times and ends, for RACK.
	marked []sbSeg
}

// sack applies one SACK block [l, r) (RFC 6675 §5 "update the scoreboard"). Only whole
// segments inside the block are marked, as Linux marks whole packets
// (tcp_match_skb_to_sack): a block covering part of a segment marks nothing.
func (sb *scoreboard) sack(l, r Seq, res *sackResult) {
	i := sb.index(l)
	for i < len(sb.segs) {
		s := &sb.segs[i]
		if !s.start.LessThan(r) || r.LessThan(s.end) {
			break
		}
		if s.flags&sbSacked != 0 {
			i = sb.skipSacked(i)
			continue
		}
		if s.start.LessThan(l) {
			i++
			continue
		}
		if s.flags&sbEverRetrans == 0 {
			if high, ok := sb.highSack(); ok && s.start.LessThan(high) && (!res.haveReord || s.start.LessThan(res.reord)) {
				res.reord, res.haveReord = s.start, true
			}
		}
		switch {
		case s.flags&sbLost != 0 && s.flags&sbRetrans != 0:
			sb.lostOut--
			sb.retransOut--
		case s.flags&sbLost != 0:
			sb.lostOut--
		}
		if s.flags&sbRetrans != 0 && s.flags&sbLost == 0 {
			// A probe's resent copy may still be in flight: it stays counted
			// (tcp_sacktag_one keeps TCPCB_SACKED_RETRANS when the segment is not lost).
			s.flags = s.flags&^sbLost | sbSacked
		} else {
			s.flags = s.flags&^(sbLost|sbRetrans) | sbSacked
		}
		sb.sackedOut++
		res.newlySacked++
		res.marked = append(res.marked, *s)
		sb.sackedRange(s.start, s.end)
		i++
	}
}

// ackResult is what a cumulative ACK released.
type ackResult struct {
	acked          int // segments wholly acknowledged
	ackedNotSacked int // of them, the ones no SACK block had covered
	// rack lists the released segments that had not been SACKed, for RACK.
	rack []sbSeg
}

// ackTo releases every segment that ack covers wholly and trims one it covers in part
// (Linux tcp_clean_rtx_queue).
func (sb *scoreboard) ackTo(ack Seq, res *ackResult) {
	for sb.head < len(sb.segs) {
		s := &sb.segs[sb.head]
		if !s.start.LessThan(ack) {
			break
		}
		if ack.LessThan(s.end) {
			s.start = ack // partly acknowledged: the rest stays in flight
			break
		}
		res.acked++
		if s.flags&sbSacked != 0 {
			sb.sackedOut--
		} else {
			res.ackedNotSacked++
			res.rack = append(res.rack, *s)
		}
		if s.flags&sbLost != 0 {
			sb.lostOut--
		}
		if s.flags&sbRetrans != 0 {
			sb.retransOut--
		}
		sb.head++
	}
	for len(sb.sacked) > 0 && sb.sacked[0].Right.LessThanEq(ack) {
		sb.sacked = sb.sacked[1:]
	}
	if len(sb.sacked) > 0 && sb.sacked[0].Left.LessThan(ack) {
		sb.sacked[0].Left = ack
	}
	if sb.head == len(sb.segs) {
		sb.segs, sb.head = sb.segs[:0], 0
	} else if sb.head > 1024 && sb.head > len(sb.segs)/2 {
		n := copy(sb.segs, sb.segs[sb.head:])
		sb.segs, sb.head = sb.segs[:n], 0
	}
}

// markLost deems segs[i] lost (Linux tcp_mark_skb_lost): a SACKed one is not; a resent
// one that is lost again needs resending again.
func (sb *scoreboard) markLost(i int) bool {
	s := &sb.segs[i]
	switch {
	case s.flags&sbSacked != 0:
		return false
	case s.flags&sbLost != 0:
		if s.flags&sbRetrans == 0 {
			return false
		}
		s.flags &^= sbRetrans
		sb.retransOut--
	default:
		s.flags |= sbLost
		sb.lostOut++
	}
	if !sb.lostSet || s.start.LessThan(sb.lostFrom) {
		sb.lostFrom, sb.lostSet = s.start, true
	}
	return true
}

// markAllLost deems every segment not SACKed lost, forgetting what was resent (Linux
// tcp_timeout_mark_lost, on a retransmission timeout).
func (sb *scoreboard) markAllLost() {
	for i := sb.head; i < len(sb.segs); i++ {
		s := &sb.segs[i]
		if s.flags&sbSacked != 0 {
			i = sb.skipSacked(i) - 1
			continue
		}
		if s.flags&sbRetrans != 0 {
			s.flags &^= sbRetrans
			sb.retransOut--
		}
		if s.flags&sbLost == 0 {
			s.flags |= sbLost
			sb.lostOut++
		}
	}
	sb.lostSet = false
}

// nextLost returns the position of the first segment deemed lost and not yet resent,
// or -1 (RFC 6675 NextSeg rule 1; Linux tcp_xmit_retransmit_queue).
func (sb *scoreboard) nextLost() int {
	if sb.retransOut >= sb.lostOut || sb.head == len(sb.segs) {
		return -1
	}
	i := sb.head
	if sb.lostSet {
		i = sb.index(sb.lostFrom)
	}
	for i < len(sb.segs) {
		s := &sb.segs[i]
		switch {
		case s.flags&sbSacked != 0:
			i = sb.skipSacked(i)
			continue
		case s.flags&sbLost != 0 && s.flags&sbRetrans == 0:
			sb.lostFrom = s.start
			return i
		}
		i++
	}
	sb.lostSet = false
	return -1
}

// retransmitted notes that segs[i] was resent at now.
func (sb *scoreboard) retransmitted(i int, now Time) {
	s := &sb.segs[i]
	if s.flags&sbRetrans == 0 {
		sb.retransOut++
	}
	s.flags |= sbRetrans | sbEverRetrans
	s.sentAt = now
}

// reset forgets everything (the connection is gone or starts over).
func (sb *scoreboard) reset() {
	*sb = scoreboard{segs: sb.segs[:0], sacked: sb.sacked[:0]}
}
