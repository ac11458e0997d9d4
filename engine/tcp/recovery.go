package tcp

import (
	"fmt"
	"time"
)

// Loss recovery on the sender's side: duplicate ACKs and SACK blocks feed the scoreboard
// (scoreboard.go); a loss is detected by the duplicate-ACK threshold (RFC 5681 §3.2,
// RFC 6675 §5), by RACK (rack.go, RFC 8985) where the profile has it, or by NewReno's
// partial ACKs (RFC 6582) without SACK; the lost segments are resent first, paced by
// Proportional Rate Reduction (RFC 6937) or by the pipe against cwnd = ssthresh (RFC
// 6675); recovery ends when the ACK passes the recovery point. The states are Linux's
// icsk_ca_state, which tcp_info reports. Linux: tcp_ack, tcp_fastretrans_alert,
// tcp_cwnd_reduction, tcp_xmit_retransmit_queue (net/ipv4/tcp_input.c, tcp_output.c).

// CAState is the congestion-avoidance state of a sender (Linux enum tcp_ca_state, the
// values tcp_info's tcpi_ca_state reports).
type CAState uint8

// The states, in Linux's order.
const (
	CAOpen     CAState = iota // nothing odd: no duplicate ACK, no SACK, no loss
	CADisorder                // duplicate ACKs or SACKs seen, no loss deemed yet
	CACWR                     // the window is being reduced for a congestion signal (ECN)
	CARecovery                // fast recovery: lost segments are being resent
	CALoss                    // after a retransmission timeout
)

var caStateNames = [...]string{"Open", "Disorder", "CWR", "Recovery", "Loss"}

// String returns the state's name as Linux spells it after TCP_CA_ ("Recovery").
func (s CAState) String() string {
	if int(s) < len(caStateNames) {
		return caStateNames[s]
	}
	return fmt.Sprintf("CAState(%d)", uint8(s))
}

// recovery is what a connection keeps for loss recovery.
type recovery struct {
	sb      scoreboard
	caState CAState
	// highSeq is the recovery point (RFC 6675 RecoveryPoint, RFC 6582 "recover"; Linux
	// high_seq): SND.MAX when recovery or the loss state began.
	highSeq Seq
	// recover is RFC 6582's "recover" for a sender without SACK: the recovery point of
	// the last fast recovery (recoverSet once there was one).
	recover    Seq
	recoverSet bool
	// reordering is how many segments out of order the path is believed to reorder
	// (Linux tp->reordering, tcpi_reordering), starting at the profile's DupThresh;
	// reordSeen counts reorderings seen (reord_seen).
	reordering int
	reordSeen  int
	// delivered counts segments the peer has received, by cumulative ACK, SACK or
	// duplicate ACK (Linux tp->delivered).
	delivered int
	// PRR (RFC 6937): the window when recovery began, in segments (RecoverFS's stand-in,
	// Linux prior_cwnd), and the segments delivered and sent since.
	priorCwnd, prrDelivered, prrOut int
	rack                            rackState
	// sackRcv are the receiver's SACK blocks, most recent first (sack.go).
	sackRcv []SACKBlock
	// Scratch space reused from ACK to ACK.
	sres sackResult
	ares ackResult
}

// lossRecoveryOn reports whether the profile recovers losses from ACKs (fast retransmit)
// rather than only by the retransmission timeout.
func (c *Conn) lossRecoveryOn() bool { return c.h.Prof.FastRecovery && c.mss > 0 }

// dupThresh is the profile's duplicate-ACK threshold, 3 when unset.
func (c *Conn) dupThresh() int {
	if c.h.Prof.DupThresh > 0 {
		return c.h.Prof.DupThresh
	}
	return 3
}

// setCAState moves the sender to s.
func (c *Conn) setCAState(s CAState) { c.caState = s }

// noteSent records a segment [seq, end) that just left: new ones join the scoreboard, a
// resent one is marked, and PRR counts what it sends (Linux prr_out).
func (c *Conn) noteSent(seq, end Seq, retransmit bool) {
	if !c.lossRecoveryOn() {
		return
	}
	if c.reordering == 0 {
		c.reordering = c.dupThresh()
	}
	if c.caState == CARecovery || c.caState == CACWR {
		c.prrOut++
	}
	if !retransmit {
		c.sb.add(seq, end, c.h.now)
		return
	}
	for i := c.sb.index(seq); i < len(c.sb.segs) && c.sb.segs[i].start.LessThan(end); i++ {
		c.sb.retransmitted(i, c.h.now)
	}
}

// ackInfo is what recovery needs from one ACK across processAck.
type ackInfo struct {
	priorUna      Seq
	priorHighSack Seq
	hadSack       bool
	priorDeliv    int
	priorLost     int
	winUpdate     bool
	dsackTLP      bool
}

// recoveryAckBegin is the start of an ACK's processing: the SACK blocks are applied to the
// scoreboard before the cumulative ACK (Linux tcp_sacktag_write_queue).
func (c *Conn) recoveryAckBegin(seg Segment) ackInfo {
	ai := ackInfo{priorUna: c.sndUna, priorDeliv: c.delivered, priorLost: c.sb.lostOut}
	if !c.lossRecoveryOn() {
		return ai
	}
	ai.priorHighSack, ai.hadSack = c.sb.highSack()
	c.sres = sackResult{marked: c.sres.marked[:0]}
	if !c.sackOK {
		return ai
	}
	opt, ok := seg.Options.Find(OptSACK)
	if !ok || len(opt.Blocks) == 0 {
		return ai
	}
	blocks := opt.Blocks
	var buf [4]SACKBlock
	valid := buf[:0]
	for i, b := range blocks {
		if i == 0 && (b.Right.LessThanEq(seg.Ack) || len(blocks) > 1 && blocks[1].Left.LessThanEq(b.Left) && b.Right.LessThanEq(blocks[1].Right)) {
			// A D-SACK block (RFC 2883 §4): data received twice, nothing new; of the
			// probe's data, it says the probe was not needed (Linux FLAG_DSACK_TLP).
			ai.dsackTLP = c.rack.tlpWatch && b.Right.LessThanEq(c.rack.tlpHigh)
			c.rack.dsackSeen = true
			continue
		}
		if !b.Left.LessThan(b.Right) || b.Left.LessThan(c.sndUna) && b.Right.LessThanEq(c.sndUna) || c.sndMax.LessThan(b.Right) {
			continue // not a block of data in flight (Linux tcp_is_sackblock_valid)
		}
		if len(valid) < len(buf) {
			valid = append(valid, b)
		}
	}
	// In ascending order, as Linux walks them.
	for i := 1; i < len(valid); i++ {
		for j := i; j > 0 && valid[j].Left.LessThan(valid[j-1].Left); j-- {
			valid[j], valid[j-1] = valid[j-1], valid[j]
		}
	}
	for _, b := range valid {
		c.sb.sack(b.Left, b.Right, &c.sres)
	}
	c.delivered += c.sres.newlySacked
	for _, s := range c.sres.marked {
		c.rackAdvance(s)
	}
	if c.sres.haveReord {
		c.checkReordering(c.sres.reord)
	}
	return ai
}

// checkReordering raises the reordering estimate when a segment below the highest SACK
// was newly acknowledged without having been resent (Linux tcp_check_sack_reordering):
// the distance to the highest SACK, in segments.
func (c *Conn) checkReordering(low Seq) {
	high, ok := c.sb.highSack()
	if !ok {
		// tcp_highest_sack_seq: with nothing SACKed (the ACK that filled the holes
		// took the SACKed data too) the highest SACK is SND.UNA.
		high = c.sndUna
	}
	if !low.LessThan(high) {
		return
	}
	metric := int(high.Sub(low))
	if mss := int(c.mss); metric > c.reordering*mss {
		c.reordering = min((metric+mss-1)/mss, maxReordering)
	}
	c.reordSeen++
}

// maxReordering caps the reordering estimate (Linux tcp_max_reordering, 300).
const maxReordering = 300

// recoveryAckEnd is the rest of an ACK's processing for recovery, after SND.UNA and the
// window moved: the cumulative ACK's release, duplicate-ACK counting, the state machine,
// the congestion window, and the retransmissions it allows. It reports whether the
// congestion window was already handled (the caller must not grow it again).
func (c *Conn) recoveryAckEnd(seg Segment, ai ackInfo) {
	if !c.lossRecoveryOn() {
		return
	}
	advanced := ai.priorUna.LessThan(c.sndUna)
	c.ares = ackResult{rack: c.ares.rack[:0]}
	if advanced {
		c.sb.ackTo(c.sndUna, &c.ares)
		if c.sackOK {
			c.delivered += c.ares.ackedNotSacked
			for _, s := range c.ares.rack {
				c.rackAdvance(s)
			}
			// A segment never resent, acknowledged below the highest SACK, was reordered.
			if ai.hadSack {
				for _, s := range c.ares.rack {
					if s.flags&sbEverRetrans == 0 && s.start.LessThan(ai.priorHighSack) {
						c.checkReordering(s.start)
						break
					}
				}
			}
		} else if c.ares.acked > 0 {
			// tcp_remove_reno_sacks: one ACK fills the hole; the rest were counted
			// already as duplicate ACKs.
			c.delivered += max(c.ares.acked-c.sb.sackedOut, 1)
			c.sb.sackedOut = max(c.sb.sackedOut-(c.ares.acked-1), 0)
		}
	}
	if c.sackOK && c.h.Prof.RACK {
		c.rackUpdateReoWnd(ai.priorDeliv)
	}
	notDup := advanced || ai.winUpdate || len(seg.Payload) > 0 || seg.Flags&FIN != 0
	c.tlpAck(seg.Ack, advanced, notDup, ai.dsackTLP, c.sres.newlySacked)
	dupack := !notDup && c.sb.packetsOut() > 0
	dubious := dupack || c.sres.newlySacked > 0 || c.caState != CAOpen
	rexmit := false
	if dubious {
		rexmit = c.fastRetransAlert(ai, advanced, dupack)
	}
	delivered := c.delivered - ai.priorDeliv
	// The congestion window (Linux tcp_cong_control): reduced by PRR while recovering,
	// grown by the controller otherwise, for the segments this ACK delivered.
	switch {
	case c.caState == CARecovery || c.caState == CACWR:
		c.cwndReduction(delivered, c.sb.lostOut-ai.priorLost, advanced)
	case advanced || c.reordering > c.dupThresh() && delivered > 0:
		c.congestionAcked(delivered)
	}
	if rexmit {
		c.xmitRetransmitQueue()
	}
	if c.tlpArmed && c.caState != CAOpen && c.caState != CACWR {
		// The probe timer was armed for this ACK before it moved the sender out of
		// Open; Linux sets the timer after that decision and probes only in Open or CWR
		// (tcp_set_xmit_timer after tcp_fastretrans_alert): the RTO instead.
		c.tlpArmed = false
		c.rearmRTO()
	}
	c.rackArmTimer()
}

// fastRetransAlert is the state machine of Linux's tcp_fastretrans_alert for an ACK that
// is a duplicate, brings SACK information, or arrives outside the Open state. It reports
// whether lost segments should be resent now.
func (c *Conn) fastRetransAlert(ai ackInfo, advanced, dupack bool) bool {
	reno := !c.sackOK
	// Exit conditions: the recovery point is acknowledged.
	if c.caState != CAOpen && !c.sndUna.LessThan(c.highSeq) {
		switch c.caState {
		case CACWR:
			if c.sndUna != c.highSeq {
				c.endCwndReduction()
				c.setCAState(CAOpen)
			}
		case CARecovery:
			if reno {
				c.sb.sackedOut = 0
				if c.sndUna == c.highSeq && c.h.Prof.RenoHold {
					// Linux tcp_try_undo_recovery (after RFC 2582): without SACK, hold
					// the state until something above the recovery point is
					// acknowledged, so that duplicate ACKs of it cannot start another.
					return false
				}
			}
			c.setCAState(CAOpen)
			c.endCwndReduction()
			if c.rack.reoPersist > 0 {
				c.rack.reoPersist-- // tcp_try_undo_recovery
			}
		}
	}
	switch c.caState {
	case CARecovery:
		if !advanced && reno && dupack {
			c.addRenoSack()
		}
		c.identifyLoss(advanced)
		if reno && advanced && !c.h.Prof.PRR {
			// RFC 6582 §3.2 step 4: a partial ACK retransmits the first unacknowledged
			// segment at once.
			c.resend(c.sb.segs[c.sb.head].start, c.sb.segs[c.sb.head].end)
		}
		return true
	case CALoss:
		if !c.sndUna.LessThan(c.highSeq) {
			// Everything outstanding at the timeout is acknowledged (tcp_process_loss).
			if reno && c.sndUna == c.highSeq && c.h.Prof.RenoHold {
				return false
			}
			c.setCAState(CAOpen)
			return false
		}
		if reno && advanced {
			c.sb.sackedOut = 0
		}
		c.identifyLoss(advanced)
		return true
	}
	if reno {
		if advanced {
			c.sb.sackedOut = 0
		}
		if dupack {
			c.addRenoSack()
		}
	}
	if !(reno && c.renoGuard()) {
		c.identifyLoss(advanced)
	}
	if c.sb.lostOut == 0 {
		// tcp_try_to_open: Disorder while SACKed or resent segments are out.
		if c.sb.sackedOut+c.sb.lostOut > 0 || c.sb.retransOut > 0 {
			if c.caState != CADisorder {
				c.setCAState(CADisorder)
				c.highSeq = c.sndMax
			}
		} else if c.caState != CAOpen {
			c.setCAState(CAOpen)
			c.highSeq = c.sndMax
		}
		return false
	}
	c.enterRecovery()
	if !c.h.Prof.PRR {
		// RFC 5681 §3.2 step 2 / RFC 6675 §5 step 4.3: the first lost segment is
		// retransmitted whatever the window says (PRR's first quota does it otherwise).
		if i := c.sb.nextLost(); i >= 0 {
			c.resend(c.sb.segs[i].start, c.sb.segs[i].end)
		}
	}
	return true
}

// renoGuard is RFC 6582 §3.2 step 1 for the rfc profile: duplicate ACKs whose
// cumulative ACK does not cover more than the last recovery's recovery point start no
// new fast retransmit (they may come from segments sent during that recovery). Linux
// holds the Recovery state at that point instead (RenoHold).
func (c *Conn) renoGuard() bool {
	return !c.h.Prof.RenoHold && c.recoverSet && !c.recover.LessThan(c.sndUna)
}

// addRenoSack counts a duplicate ACK as one segment that left the network (Linux
// tcp_add_reno_sack; RFC 5681 §3.2 step 4's window inflation in another form): at most
// all but one of the segments in flight, else the path reorders.
func (c *Conn) addRenoSack() {
	prior := c.sb.sackedOut
	c.sb.sackedOut++
	holes := min(max(c.sb.lostOut, 1), c.sb.packetsOut())
	if c.sb.sackedOut+holes > c.sb.packetsOut() {
		c.sb.sackedOut = c.sb.packetsOut() - holes
		c.reordering = min(c.sb.packetsOut(), maxReordering)
		c.reordSeen++
	}
	c.delivered += max(c.sb.sackedOut-prior, 0)
}

// identifyLoss marks the segments deemed lost (Linux tcp_identify_packet_loss): without
// SACK the first unacknowledged segment once the duplicate ACKs reach the threshold or a
// partial ACK arrives in recovery (RFC 6582 §3.2 step 4); with SACK by RACK where the
// profile has it, else by RFC 6675's IsLost.
func (c *Conn) identifyLoss(advanced bool) {
	if c.sb.packetsOut() == 0 {
		return
	}
	switch {
	case !c.sackOK:
		if c.caState < CARecovery && c.sb.sackedOut >= c.reordering || c.caState == CARecovery && advanced {
			c.sb.markLost(c.sb.head)
		}
	case c.h.Prof.RACK:
		if c.rack.advanced {
			c.rack.pending = c.rackDetectLoss()
		}
	default:
		c.markLostRFC6675()
	}
}

// markLostRFC6675 marks every segment below which more than (DupThresh − 1) · SMSS bytes
// are SACKed (RFC 6675 §4, IsLost), counting SACKed segments as whole SMSS.
func (c *Conn) markLostRFC6675() {
	sb := &c.sb
	above := sb.sackedOut
	for i := sb.head; i < len(sb.segs) && above >= c.reordering; {
		s := &sb.segs[i]
		if s.flags&sbSacked != 0 {
			next := sb.skipSacked(i)
			above -= next - i
			i = next
			continue
		}
		// IsLost marks a segment once; its one retransmission (HighRxt moves past it) is
		// not undone by later ACKs. Only RACK can deem a retransmission lost again.
		if s.flags&sbLost == 0 {
			sb.markLost(i)
		}
		i++
	}
}

// enterRecovery starts fast recovery (RFC 5681 §3.2 step 2, RFC 6675 §5 step 4; Linux
// tcp_enter_recovery and tcp_init_cwnd_reduction): the recovery point is SND.MAX, the
// congestion controller sets ssthresh, and PRR starts counting. Without PRR the window
// is ssthresh at once (RFC 6675 §5 step 4.2).
func (c *Conn) enterRecovery() {
	c.h.note(c.peer, "fast-recovery", fmt.Sprintf("a segment is deemed lost (%d SACKed or duplicate-ACKed): fast recovery", c.sb.sackedOut))
	c.recover, c.recoverSet = c.sndMax, true
	c.rack.tlpWatch = false
	if c.caState != CACWR {
		c.queueCWR()
		c.highSeq = c.sndMax
		c.priorCwnd = int(c.cwnd / uint32(c.mss))
		c.prrDelivered, c.prrOut = 0, 0
		c.ssthresh = c.recoverySsthresh()
		c.cwndLost = true
		if !c.h.Prof.PRR {
			c.cwnd = c.ssthresh
		}
	}
	c.setCAState(CARecovery)
}

// endCwndReduction sets the window to ssthresh when recovery ends (Linux
// tcp_end_cwnd_reduction; RFC 6937 §3: "cwnd = ssthresh" on exit).
func (c *Conn) endCwndReduction() {
	if c.ssthresh < ssthreshInfinite {
		c.cwnd = c.ssthresh
	}
}

// cwndReduction is Proportional Rate Reduction (RFC 6937 §3.1, as Linux's
// tcp_cwnd_reduction computes it): while the pipe is above ssthresh, send in proportion
// to what was delivered (ssthresh / RecoverFS); once below, catch up towards ssthresh no
// faster than slow start (PRR-SSRB: at most one more than delivered, when the ACK
// advanced and found no new loss). Windows here are in segments.
func (c *Conn) cwndReduction(delivered, newlyLost int, advanced bool) {
	if !c.h.Prof.PRR || delivered <= 0 || c.priorCwnd <= 0 {
		return
	}
	c.prrDelivered += delivered
	ssthresh := int(c.ssthresh / uint32(c.mss))
	sndcnt := prrSndcnt(ssthresh, c.priorCwnd, c.sb.pipe(), c.prrDelivered, c.prrOut, delivered, advanced && newlyLost <= 0)
	c.cwnd = uint32(c.sb.pipe()+sndcnt) * uint32(c.mss)
}

// prrSndcnt is PRR's send quota for one ACK, in segments (RFC 6937 §3.1; Linux
// tcp_cwnd_reduction): pipe, prrDelivered and prrOut as RFC 6937 names them, delivered
// what this ACK delivered, ssrbBonus PRR-SSRB's extra segment. The first call in a
// recovery always allows one (the fast retransmit).
func prrSndcnt(ssthresh, recoverFS, pipe, prrDelivered, prrOut, delivered int, ssrbBonus bool) int {
	var sndcnt int
	if delta := ssthresh - pipe; delta < 0 {
		// sndcnt = CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out
		sndcnt = (ssthresh*prrDelivered+recoverFS-1)/recoverFS - prrOut
	} else {
		sndcnt = max(prrDelivered-prrOut, delivered)
		if ssrbBonus {
			sndcnt++
		}
		sndcnt = min(delta, sndcnt)
	}
	if prrOut == 0 {
		sndcnt = max(sndcnt, 1)
	}
	return max(sndcnt, 0)
}

// xmitRetransmitQueue resends lost segments, oldest first, while the window allows
// (RFC 6675 §5 NextSeg rule 1; Linux tcp_xmit_retransmit_queue). Resending the oldest
// restarts the retransmission timer.
func (c *Conn) xmitRetransmitQueue() {
	for c.sb.pipe() < int(c.cwnd/uint32(c.mss)) {
		i := c.sb.nextLost()
		if i < 0 {
			return
		}
		s := c.sb.segs[i]
		head := i == c.sb.head
		if c.h.egressDrop && c.state.Synchronized() {
			// The host's queue refuses it (tcp_transmit_skb fails): the segment stays
			// lost and not resent, and resending stops (tcp_retransmit_skb's error).
			return
		}
		if c.h.Prof.SendBuffers {
			if !c.resendUnit(i) {
				return
			}
		} else if !c.resend(s.start, s.end) {
			return
		}
		if head && !c.rack.reoArmed {
			c.tlpArmed = false
			c.setTimer(TimerRTO, c.rto)
		}
	}
}

// resend sends [start, end) again: data, and the FIN if it is in the range. It reports
// whether anything went out.
func (c *Conn) resend(start, end Seq) bool {
	dataEnd := end
	if c.finSent && !c.finAcked && c.finSeq.LessThan(end) {
		dataEnd = c.finSeq
	}
	if start.LessThan(c.sendStart) {
		start = c.sendStart
	}
	if start.LessThan(dataEnd) {
		off := int(start.Sub(c.sendStart))
		n := min(int(dataEnd.Sub(start)), len(c.sendBuf)-off)
		if n <= 0 {
			return false
		}
		c.sendData(start, off, n, true)
		return true
	}
	if c.finSent && !c.finAcked && c.finSeq.LessThan(end) {
		c.finishAndEmit(c.template(c.finSeq, FIN), true)
		c.noteSent(c.finSeq, c.finSeq.Add(1), true)
		return true
	}
	return false
}

// enterLoss is the retransmission timeout's part in recovery (Linux tcp_enter_loss, RFC
// 5681 §3.1, RFC 6675 §5.1): every segment not SACKed is deemed lost, ssthresh is set
// unless a recovery already set it for this window, and resending goes in order under
// the scoreboard (SACKed segments are skipped) as the window reopens.
func (c *Conn) enterLoss() {
	c.queueCWR()
	if !c.lossRecoveryOn() {
		return
	}
	if c.caState <= CADisorder || !c.sndUna.LessThan(c.highSeq) || c.caState == CALoss && c.rtxCount == 0 {
		c.ssthresh = c.lossSsthresh()
	}
	if c.caState <= CADisorder && c.sb.sackedOut >= c.dupThresh() {
		c.reordering = min(c.reordering, c.dupThresh())
	}
	if !c.sackOK {
		c.sb.sackedOut = 0
	}
	c.sb.markAllLost()
	c.highSeq = c.sndMax
	c.rack.tlpWatch = false
	c.rack.reoArmed = false
	c.setCAState(CALoss)
}

// recoveryInfo adds the recovery fields of tcp_info.
func (c *Conn) recoveryInfo(info map[string]int64) {
	if !c.lossRecoveryOn() {
		return
	}
	info["ca_state"] = int64(c.caState)
	info["reord_seen"] = int64(c.reordSeen) // tcpi_reord_seen: reorderings detected
	info["sacked"] = int64(c.sb.sackedOut)
	info["lost"] = int64(c.sb.lostOut)
	info["retrans"] = int64(c.sb.retransOut)
	info["reordering"] = int64(max(c.reordering, c.dupThresh()))
	// tcpi_delivered is tp->delivered: the segments delivered, plus one for our SYN or
	// SYN-ACK once acknowledged (tcp_ack counts the SYN as one packet, its data with
	// it; the ACK that completes a passive open adds one in tcp_rcv_state_process).
	d := c.delivered
	if c.state != SynReceived { // synchronized: past SYN-RECEIVED our SYN was acknowledged
		d++
	}
	info["delivered"] = int64(d)
}

// minRTTSample keeps the smallest round trip measured (Linux tcp_min_rtt, whose window
// of ten minutes outlasts every story and script).
func (c *Conn) minRTTSample(r time.Duration) {
	if r > 0 && (c.rack.minRTT == 0 || r < c.rack.minRTT) {
		c.rack.minRTT = r
	}
}

// sendRoom is how many bytes of new data the peer's window and the congestion window
// let go now, with inflight the bytes sent and not acknowledged. Once the scoreboard
// knows of SACKed, lost or resent segments, the congestion window is weighed against
// RFC 6675's pipe in segments (Linux tcp_cwnd_test against tcp_packets_in_flight): a
// SACKed or duplicate-ACKed segment has left the network, which is limited transmit
// (RFC 3042) before recovery and the fast recovery's sending rule after.
func (c *Conn) sendRoom(inflight uint32) uint32 {
	if inflight >= c.sndWnd {
		return 0
	}
	rwnd := c.sndWnd - inflight
	if c.pipeCounts() {
		segs := int(c.cwnd/uint32(c.mss)) - c.sb.pipe()
		if segs <= 0 {
			return 0
		}
		return min(rwnd, uint32(segs)*uint32(c.mss))
	}
	if inflight >= c.cwnd {
		return 0
	}
	return min(rwnd, c.cwnd-inflight)
}

// pipeCounts reports whether sending is judged by the pipe rather than by the bytes in
// flight.
func (c *Conn) pipeCounts() bool {
	if !c.lossRecoveryOn() {
		return false
	}
	switch c.caState {
	case CAOpen:
		return c.sb.sackedOut+c.sb.lostOut+c.sb.retransOut > 0 && c.h.Prof.LimitedTransmit
	case CADisorder:
		return c.h.Prof.LimitedTransmit
	}
	return true
}

// synDataLost puts SYN data the SYN-ACK did not acknowledge, [start, end), on the
// scoreboard as a segment in flight and lost, about to be resent (Linux
// tcp_rcv_fastopen_synack marks it lost and tcp_xmit_retransmit_queue resends it), so
// that its loss, if the resent copy is lost too, is recovered from SACKs like any other.
func (c *Conn) synDataLost(start, end Seq) {
	if !c.lossRecoveryOn() {
		return
	}
	if c.reordering == 0 {
		c.reordering = c.dupThresh()
	}
	c.outEnds = append(c.outEnds, end)
	c.sb.add(start, end, c.h.now)
	c.sb.markLost(len(c.sb.segs) - 1)
}
