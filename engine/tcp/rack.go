package tcp

import "time"

// RACK (RFC 8985; Linux net/ipv4/tcp_recovery.c, tcp_recovery=1, its default): a segment
// is lost when a segment sent after it has been delivered and more than the round trip
// plus a reordering window has passed since it was sent. The reordering window is a
// quarter of the minimum RTT, or zero while no reordering has been seen and either
// recovery is under way or the duplicate-ACK threshold is met (so the third SACKed
// segment still triggers a fast retransmit at once). A segment not yet due arms the
// reorder timer, which shares the retransmission timer's slot as Linux's
// ICSK_TIME_REO_TIMEOUT does.

// rackState is RFC 8985's RACK.xmit_ts, RACK.end_seq and RACK.rtt, with the minimum RTT
// and the reorder timer.
type rackState struct {
	xmitAt   Time // the latest send time of a delivered segment
	endSeq   Seq  // its end, to order segments sent at the same time
	rtt      time.Duration
	set      bool
	advanced bool // a delivery moved it since the last detection
	minRTT   time.Duration
	// reoArmed says the RTO slot holds the reorder timer, due at reoAt; pending is how
	// long the last detection found a segment still has to wait.
	reoArmed bool
	reoAt    Time
	pending  time.Duration
	// The last tail loss probe (RFC 8985 §7.4, Linux tlp_high_seq and tlp_retrans): SND.NXT
	// after it went, whether it resent data, and whether one is being watched.
	tlpHigh    Seq
	tlpRetrans bool
	tlpWatch   bool
	// The reordering window's multiplier (RFC 8985 §6.2 step 4; Linux reo_wnd_steps):
	// a D-SACK shows a retransmission was spurious, so the window grows by min_rtt/4, at
	// most once a round trip (lastDelivered), and falls back to one step after
	// reoPersist recoveries without another.
	reoSteps      int
	dsackSeen     bool
	lastDelivered int
	reoPersist    int
}

// rackRecoveryRounds is how many recoveries a grown reordering window outlives (Linux
// TCP_RACK_RECOVERY_THRESH).
const rackRecoveryRounds = 16

// rackUpdateReoWnd adapts the reordering window after an ACK (Linux
// tcp_rack_update_reo_wnd); priorDelivered is the delivered count before it.
func (c *Conn) rackUpdateReoWnd(priorDelivered int) {
	if priorDelivered == 0 {
		return
	}
	if priorDelivered < c.rack.lastDelivered {
		c.rack.dsackSeen = false // less than a round trip since the last step
	}
	switch {
	case c.rack.dsackSeen:
		c.rack.reoSteps = min(max(c.rack.reoSteps, 1)+1, 255)
		c.rack.dsackSeen = false
		c.rack.lastDelivered = c.delivered
		c.rack.reoPersist = rackRecoveryRounds
	case c.rack.reoPersist == 0:
		c.rack.reoSteps = 1
	}
}

// noteProbe starts watching the probe just sent: resent says it repeated data already
// sent (RFC 8985 §7.3; Linux tcp_send_loss_probe sets tlp_high_seq).
func (c *Conn) noteProbe(resent bool) {
	c.rack.tlpHigh, c.rack.tlpRetrans, c.rack.tlpWatch = c.sndNxt, resent, true
}

// tlpAck is RFC 8985 §7.4's TLP loss detection (Linux tcp_process_tlp_ack): once the
// ACK reaches the probe's SND.NXT, a probe of new data, a D-SACK of the probe or a plain
// duplicate ACK says nothing was lost; an ACK beyond it says the probe repaired a loss,
// which is a congestion signal: ssthresh from the controller and cwnd down to it, as a
// brief CWR (tcp_init_cwnd_reduction, tcp_end_cwnd_reduction).
func (c *Conn) tlpAck(ack Seq, advanced, notDup, dsackTLP bool, newlySacked int) {
	if !c.rack.tlpWatch || ack.LessThan(c.rack.tlpHigh) {
		return
	}
	switch {
	case !c.rack.tlpRetrans, dsackTLP:
		c.rack.tlpWatch = false
	case c.rack.tlpHigh.LessThan(ack):
		c.rack.tlpWatch = false
		c.ssthresh = c.lossSsthresh()
		c.cwnd = c.ssthresh
		c.cwndLost = true
		c.highSeq = c.sndMax
	case !advanced && !notDup && newlySacked == 0:
		c.rack.tlpWatch = false
	}
}

// rackTimeoutSlack is added to the reorder timeout (Linux TCP_TIMEOUT_MIN_US, 2 ms).
const rackTimeoutSlack = 2 * time.Millisecond

// sentAfter reports whether a segment sent at t1 ending at e1 left after one sent at t2
// ending at e2 (RFC 8985 §6.2, RACK_sent_after; Linux tcp_skb_sent_after).
func sentAfter(t1, t2 Time, e1, e2 Seq) bool {
	return t1 > t2 || t1 == t2 && e2.LessThan(e1)
}

// rackAdvance notes that s was delivered (RFC 8985 §6.2 step 2, Linux tcp_rack_advance).
// A resent segment delivered sooner than the minimum RTT after its resending is taken
// for its original's delivery, which says nothing of the resent copy.
func (c *Conn) rackAdvance(s sbSeg) {
	if !c.h.Prof.RACK {
		return
	}
	rtt := c.h.now.Sub(s.sentAt)
	if s.flags&sbEverRetrans != 0 && rtt < c.rack.minRTT {
		return
	}
	c.rack.advanced = true
	c.rack.rtt = rtt
	if !c.rack.set || sentAfter(s.sentAt, c.rack.xmitAt, s.end, c.rack.endSeq) {
		c.rack.xmitAt, c.rack.endSeq, c.rack.set = s.sentAt, s.end, true
	}
}

// rackReoWnd is the reordering window (RFC 8985 §6.2 step 4; Linux tcp_rack_reo_wnd).
func (c *Conn) rackReoWnd() time.Duration {
	if c.reordSeen == 0 {
		if c.caState >= CARecovery || c.sb.sackedOut >= c.reordering {
			return 0
		}
	}
	return min(c.rack.minRTT/4*time.Duration(max(c.rack.reoSteps, 1)), c.srtt)
}

// rackDetectLoss marks lost every segment sent before the latest delivered one whose
// time is up, and returns how long until the next one is due (0: none waits) (RFC 8985
// §6.2 step 5, Linux tcp_rack_detect_loss). Segments are walked in sequence order: a
// segment never resent that left after RACK's one ends the walk, since every later one
// left later still.
func (c *Conn) rackDetectLoss() time.Duration {
	if !c.rack.set {
		return 0
	}
	c.rack.advanced = false
	reoWnd := c.rackReoWnd()
	var wait time.Duration
	sb := &c.sb
	for i := sb.head; i < len(sb.segs); {
		s := &sb.segs[i]
		switch {
		case s.flags&sbSacked != 0:
			i = sb.skipSacked(i)
			continue
		case s.flags&sbLost != 0 && s.flags&sbRetrans == 0:
			i++ // lost already, waiting to be resent
			continue
		}
		if !sentAfter(c.rack.xmitAt, s.sentAt, c.rack.endSeq, s.end) {
			if s.flags&sbEverRetrans == 0 {
				break
			}
			i++
			continue
		}
		remaining := c.rack.rtt + reoWnd - c.h.now.Sub(s.sentAt)
		if remaining <= 0 {
			sb.markLost(i)
		} else {
			wait = max(wait, remaining)
		}
		i++
	}
	return wait
}

// rackArmTimer arms the reorder timer after an ACK when a segment waits for its
// reordering window to pass (Linux tcp_rack_mark_lost).
func (c *Conn) rackArmTimer() {
	if !c.h.Prof.RACK || !c.sackOK || !c.lossRecoveryOn() || c.sb.packetsOut() == 0 {
		return
	}
	wait := c.rack.pending
	c.rack.pending = 0
	if wait <= 0 {
		return
	}
	d := wait + rackTimeoutSlack
	if ms := time.Millisecond; d%ms != 0 {
		d += ms - d%ms // jiffies, rounded up
	}
	c.tlpArmed = false
	c.setTimer(TimerRTO, d)
	c.rack.reoArmed, c.rack.reoAt = true, c.timers[TimerRTO].deadline
}

// onReoTimeout is the reorder timer (RFC 8985 §6.3, Linux tcp_rack_reo_timeout): the
// segments whose window has passed are lost; the first such loss starts recovery.
func (c *Conn) onReoTimeout() {
	prior := c.sb.pipe()
	priorLost := c.sb.lostOut
	c.rack.pending = c.rackDetectLoss()
	if c.sb.pipe() != prior {
		if c.caState != CARecovery {
			c.enterRecovery()
			c.cwndReduction(1, c.sb.lostOut-priorLost, false)
		}
		c.xmitRetransmitQueue()
	}
	if c.rack.pending > 0 {
		c.rackArmTimer()
		return
	}
	c.rearmRTO()
}

// isReoTimeout reports whether the RTO slot firing now is the reorder timer.
func (c *Conn) isReoTimeout() bool {
	if !c.rack.reoArmed {
		return false
	}
	c.rack.reoArmed = false
	return c.rack.reoAt == c.h.now
}

// rearmRTO restarts the retransmission timer for the oldest segment in flight: due one
// RTO after it was sent (Linux tcp_rearm_rto after a reorder or probe timer).
func (c *Conn) rearmRTO() {
	if c.sb.packetsOut() == 0 {
		c.cancelTimer(TimerRTO)
		return
	}
	d := c.rto - c.h.now.Sub(c.sb.segs[c.sb.head].sentAt)
	c.setTimer(TimerRTO, max(d, time.Microsecond))
}
