package tcp

import (
	"time"
)

// RFC 9293 §3.10.8, TIMEOUTS: the retransmission timeout (RFC 6298 §5), the user timeout,
// the resource probe, the loss probe, and the SYN retransmission schedule.

func (c *Conn) armRTO() {
	if !c.armed(TimerRTO) {
		c.setTimer(TimerRTO, c.rto)
	}
}

// retransmitHead resends the oldest unacknowledged segment (RFC 6298 §5.4).
func (c *Conn) retransmitHead() {
	off := int(c.sndUna.Sub(c.sendStart))
	if off < 0 {
		off = 0
	}
	avail := len(c.sendBuf) - off
	if avail > 0 {
		seq := c.sendStart.Add(uint32(off))
		c.sendData(seq, off, c.eorLimit(seq, min(avail, int(c.mss))), true)
		return
	}
	if c.finSent && !c.finAcked {
		seg := c.template(c.finSeq, FIN)
		c.finishAndEmit(seg, true)
		c.noteSent(c.finSeq, c.finSeq.Add(1), true)
	}
}

// onTimer runs when one of c's timers fires.
func (c *Conn) onTimer(k TimerKind) {
	p := &c.h.Prof
	c.ackNow = false
	switch k {
	case TimerRTO:
		c.onRTO()
	case TimerDelayedACK:
		if c.ackPending && c.state.Synchronized() && c.state != TimeWait {
			if c.pingpong && p.PingpongThreshold > 0 {
				// The answer did not come in time: not interactive after all, and the
				// ACK timeout estimate starts again from its minimum.
				c.pingpong, c.pingpongCnt = false, 0
				c.ato = p.DelayedACK
			} else {
				// A delayed ACK had to fire: inflate the estimate, up to the RTO
				// (tcp_delack_timer_handler).
				c.ato = min(2*c.ato, c.rto)
			}
			c.sendAck()
		}
	case TimerPersist:
		c.onPersist()
	case TimerKeepalive:
		c.onKeepalive()
	case TimerTimeWait:
		c.closeTCB("TIME-WAIT timer expired")
		return
	case TimerFinWait2:
		c.h.note(c.peer, "fin-wait-2-timeout", "orphaned FIN-WAIT-2 timed out (tcp_fin_timeout)")
		c.closeTCB("FIN-WAIT-2 timer expired")
		return
	}
	if !c.deleted {
		c.flush()
	}
}

func (c *Conn) onRTO() {
	p := &c.h.Prof
	if c.isReoTimeout() {
		c.onReoTimeout()
		return
	}
	if c.tlpArmed {
		c.tlpArmed = false
		c.sendLossProbe()
		return
	}
	if c.probe0 {
		c.probe0 = false
		c.probeTimer()
		return
	}
	if c.corkProbe {
		c.corkProbe = false
		if off := int(c.sndNxt.Sub(c.sendStart)); off < len(c.sendBuf) && c.sndUna == c.sndMax {
			c.h.note(c.peer, "cork-probe", "held partial segment sent by the probe timer")
			n := min(len(c.sendBuf)-off, int(c.mss))
			c.markPushAt(c.sndNxt.Add(uint32(n))) // tcp_write_wakeup sets PSH
			c.sendData(c.sndNxt, off, n, false)
		}
		return
	}
	c.timing = false // Karn: no sample from a retransmitted segment
	switch c.state {
	case SynSent:
		giveUp := p.synGiveUp()
		if c.synRetries > 0 {
			q := *p
			q.SynRetries, q.SynTimeBudget = c.synRetries, 0
			giveUp = q.synGiveUp()
		}
		if c.h.now.Sub(c.firstSynAt) >= giveUp {
			c.fail(c.timeoutErr(), "SYN retransmissions gave up")
			return
		}
		c.rtxCount++
		c.synRetransmitted = true
		c.sendSYN(true)
		c.rto = synBackoff(p, c.rtxCount)
		c.setTimer(TimerRTO, c.rto)
	case SynReceived:
		retries := p.SynAckRetries
		if c.lst != nil && c.lst.synq[c.tuple] == c {
			retries = c.lst.synAckRetries() // a flooded queue prunes its old requests
		}
		if c.rtxCount >= retries {
			c.h.note(c.peer, "syn-ack-gave-up", "SYN-ACK retransmissions exhausted: the half-open connection is dropped")
			if c.passive {
				c.backToListen("SYN-ACK retries exhausted")
			} else {
				c.fail(ETIMEDOUT, "SYN-ACK retries exhausted")
			}
			return
		}
		c.rtxCount++
		c.synRetransmitted = true
		c.sendSynAck(true)
		c.rto = min(c.rto*2, p.MaxRTO)
		c.setTimer(TimerRTO, c.rto)
	default:
		if c.sndUna == c.sndMax {
			return
		}
		if c.rtxCount >= p.DataRetries {
			c.fail(c.timeoutErr(), "retransmissions gave up")
			return
		}
		// TCP_USER_TIMEOUT (RFC 5482; Linux retransmits_timed_out): give up once that long
		// has passed since the first timeout retransmission.
		if c.retransStamp == 0 {
			// Linux retrans_stamp: the time of the first timeout retransmission (the skb's
			// timestamp once __tcp_retransmit_skb has resent it; measured on 6.18).
			c.retransStamp = c.h.now
		}
		sinceHead := c.h.now.Sub(c.retransStamp)
		if c.userTimeout > 0 && c.rtxCount > 0 && sinceHead >= c.userTimeout {
			c.fail(ETIMEDOUT, "TCP_USER_TIMEOUT expired")
			return
		}
		// With loss recovery modelled, enterLoss sets ssthresh by Linux's rule; without
		// it, the first timeout of a loss event does (ccTimeout).
		first := c.rtxCount == 0 && !c.lossRecoveryOn()
		c.enterLoss()
		c.rtxCount++
		c.rtoFired = true
		c.rtxHigh, c.recovering = c.sndMax, true
		c.ccTimeout(first) // ssthresh, and the loss window of one segment (RFC 5681 §3.1)
		c.rto = min(c.rto*2, p.MaxRTO)
		c.retransmitHead()
		next := c.rto
		if c.userTimeout > 0 {
			// tcp_clamp_rto_to_user_timeout: the timer fires when the user timeout ends.
			next = max(min(next, c.userTimeout-sinceHead), time.Millisecond)
		}
		c.setTimer(TimerRTO, next)
	}
}

// resourceProbeInterval is how often a connection retries data its host's queue refused
// (Linux TCP_RESOURCE_PROBE_INTERVAL).
const resourceProbeInterval = 500 * time.Millisecond

// probeTimer is Linux's tcp_probe_timer for data the host's queue refused: give up once
// TCP_USER_TIMEOUT has passed since the first probe (or after tcp_retries2 probes), else
// try again (tcp_send_probe0). A refused try counts a probe and comes back after
// TCP_RESOURCE_PROBE_INTERVAL, clamped to the user timeout, without backoff; one that
// gets out goes as tcp_write_wakeup sends it (with PSH) and the RTO takes over.
func (c *Conn) probeTimer() {
	off := int(c.sndNxt.Sub(c.sendStart))
	if c.sndUna != c.sndMax || off >= len(c.sendBuf) {
		c.probesOut, c.probesStamped = 0, false
		return
	}
	if c.probesGiveUp("TCP_USER_TIMEOUT expired while the host's queue refused the data", "probes gave up") {
		return
	}
	if !c.h.egressDrop {
		// tcp_write_wakeup: as much as the window takes, up to an MSS, with PSH. A zero
		// window is the persist timer's to probe (onPersist).
		n := min(len(c.sendBuf)-off, int(c.mss), int(c.sndWnd))
		if n <= 0 {
			c.probesOut, c.probesStamped = 0, false
			return
		}
		c.markPushAt(c.sndNxt.Add(uint32(n)))
		c.sendData(c.sndNxt, off, n, false)
		c.probesOut, c.probesStamped = 0, false
		return
	}
	c.probesOut++
	c.h.note(c.peer, "local-congestion-probe", "the host's queue refused the data again: retry in 500 ms")
	next := resourceProbeInterval
	if c.userTimeout > 0 {
		// tcp_clamp_probe0_to_user_timeout, at least TCP_TIMEOUT_MIN (2 jiffies).
		next = min(next, max(c.userTimeout-c.h.now.Sub(c.probesAt), 2*time.Millisecond))
	}
	c.probe0 = true
	c.setTimer(TimerRTO, next)
}

// probesGiveUp is what every probe round checks first: it stamps the first probe, and
// fails the connection with ETIMEDOUT (saying why) once TCP_USER_TIMEOUT has passed since
// then or tcp_retries2 probes went unanswered. It reports whether it gave up.
func (c *Conn) probesGiveUp(timedOut, exhausted string) bool {
	if !c.probesStamped {
		c.probesAt, c.probesStamped = c.h.now, true
	} else if c.userTimeout > 0 && c.h.now.Sub(c.probesAt) >= c.userTimeout {
		c.fail(ETIMEDOUT, timedOut)
		return true
	}
	if c.probesOut >= c.h.Prof.DataRetries {
		c.fail(ETIMEDOUT, exhausted)
		return true
	}
	return false
}

// onPersist is the persist timer (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17; Linux
// tcp_probe_timer and tcp_send_probe0): data waits, nothing is in flight and the peer's
// window is zero, so no ACK will come to open it unless we ask. The probe is a segment
// with SEQ = SND.UNA − 1 and no data (tcp_xmit_probe_skb): old sequence space, which
// the receiver must answer with an ACK carrying its current window (RFC 9293
// §3.10.7.4). Each probe doubles the next interval from max(RTO, 200 ms), up to the
// largest RTO; the probes go on for as long as the peer answers them (each answer resets
// the count, tcp_ack), and the connection gives up after tcp_retries2 unanswered ones
// or once TCP_USER_TIMEOUT has passed since the first.
func (c *Conn) onPersist() {
	off := int(c.sndNxt.Sub(c.sendStart))
	if c.sndUna != c.sndMax || off >= len(c.sendBuf) {
		c.probesOut, c.probesStamped, c.persistBackoff = 0, false, 0
		return
	}
	if c.sndWnd > 0 {
		// The window opened a little meanwhile: send what it takes (tcp_write_wakeup).
		c.probeTimer()
		return
	}
	if c.probesGiveUp("TCP_USER_TIMEOUT expired while probing a zero window", "zero-window probes gave up") {
		return
	}
	c.h.note(c.peer, "zero-window-probe", "the peer's window is zero: window probe (SEQ = SND.UNA - 1)")
	c.finishAndEmit(c.template(c.sndUna-1, 0), false)
	c.probesOut++
	if c.persistBackoff < c.h.Prof.DataRetries {
		c.persistBackoff++
	}
	c.setTimer(TimerPersist, c.persistWhen())
}

// persistWhen is the next zero-window probe's delay (tcp_probe0_when): max(RTO,
// TCP_RTO_MIN) doubled once per probe sent, at most the largest RTO, and no later than
// TCP_USER_TIMEOUT allows (tcp_clamp_probe0_to_user_timeout).
func (c *Conn) persistWhen() time.Duration {
	p := &c.h.Prof
	d := max(c.rto, p.MinRTO)
	for i := 0; i < c.persistBackoff && d < p.MaxRTO; i++ {
		d *= 2
	}
	d = min(d, p.MaxRTO)
	if c.userTimeout > 0 && c.probesStamped {
		d = min(d, max(c.userTimeout-c.h.now.Sub(c.probesAt), 2*time.Millisecond))
	}
	return d
}

// ackWhilePersisting is Linux's tcp_ack_probe: an ACK came while the persist timer
// runs. If the window now takes the waiting segment, probing is over (the data goes
// out); if not, the next probe is timed from this answer.
func (c *Conn) ackWhilePersisting() {
	off := int(c.sndNxt.Sub(c.sendStart))
	if !c.armed(TimerPersist) || c.sndUna != c.sndMax || off >= len(c.sendBuf) {
		return
	}
	if uint32(min(len(c.sendBuf)-off, int(c.mss))) <= c.sndWnd {
		c.persistBackoff, c.probesStamped = 0, false
		c.cancelTimer(TimerPersist)
		return
	}
	c.setTimer(TimerPersist, c.persistWhen())
}

// schedulePTO arms the tail loss probe instead of the RTO where the profile has it
// (Linux tcp_schedule_loss_probe): on a SACK connection with data or a FIN out, not in
// recovery, no probe already out. advanced says an ACK just moved SND.UNA, so the RTO
// would run a whole RTO from now. It reports whether it armed the probe.
func (c *Conn) schedulePTO(advanced bool) bool {
	p := &c.h.Prof
	if !p.TailLossProbe || !c.sackOK || c.recovering || c.tlpOut || c.sndUna == c.sndMax {
		return false
	}
	if c.lossRecoveryOn() && c.caState != CAOpen && c.caState != CACWR {
		return false // tcp_schedule_loss_probe: only in Open or CWR
	}
	switch c.state {
	case Established, CloseWait, FinWait1, Closing, LastAck:
	default:
		return false
	}
	out := c.sndMax.Sub(c.sndUna)
	if c.finSent && !c.finAcked {
		out-- // the FIN's sequence number is no byte of a segment
	}
	several := out > uint32(c.mss)
	if several && !(p.RACK && c.lossRecoveryOn()) {
		// Several segments out: Linux probes with the last one and lets the SACK it brings
		// back drive RACK recovery of the earlier ones. Without RACK a probe would only
		// delay the RTO: the RTO stays.
		return false
	}
	pto := p.InitialRTO
	switch {
	case c.rttValid && several:
		// Several segments out: 2·SRTT plus two ticks (TCP_TIMEOUT_MIN).
		pto = 2*c.srtt + tlpSlack
	case c.rttValid:
		// One segment out: 2·SRTT plus TCP_RTO_MIN, time for the peer's delayed ACK.
		pto = 2*c.srtt + p.MinRTO
	}
	rtoIn := c.rto
	if !advanced && c.armed(TimerRTO) && !c.tlpArmed {
		rtoIn = c.timers[TimerRTO].deadline.Sub(c.h.now)
	}
	if rtoIn > 0 {
		pto = min(pto, rtoIn)
	}
	if !c.armed(TimerRTO) || c.timers[TimerRTO].deadline != c.h.now.Add(pto) {
		c.setTimer(TimerRTO, pto)
	}
	c.tlpArmed = true
	return true
}

// tlpSlack is what a probe timeout adds to 2·SRTT with several segments out (Linux
// TCP_TIMEOUT_MIN, two jiffies at HZ=1000).
const tlpSlack = 2 * time.Millisecond

// sendLossProbe is the probe (Linux tcp_send_loss_probe): one new segment if the window
// allows, else the last segment again; then the RTO runs from now, not backed off.
func (c *Conn) sendLossProbe() {
	c.h.note(c.peer, "tail-loss-probe", "no ACK within the probe timeout: tail loss probe")
	c.tlpOut = true
	off := int(c.sndNxt.Sub(c.sendStart))
	avail := len(c.sendBuf) - off
	if avail > 0 && c.sndNxt.Sub(c.sndUna) < c.sndWnd {
		c.sendData(c.sndNxt, off, min(avail, int(c.mss)), false)
		c.sentNew = false
		c.noteProbe(false)
	} else {
		data := int(c.sndMax.Sub(c.sendStart))
		if c.finSent {
			data = int(c.finSeq.Sub(c.sendStart))
		}
		data = min(data, len(c.sendBuf))
		if data > 0 {
			n := min(data, int(c.mss))
			c.sendData(c.sendStart.Add(uint32(data-n)), data-n, n, true)
		} else if c.finSent && !c.finAcked {
			c.finishAndEmit(c.template(c.finSeq, FIN), true)
			c.noteSent(c.finSeq, c.finSeq.Add(1), true)
		}
		c.noteProbe(true)
	}
	c.setTimer(TimerRTO, c.rto)
}

// synBackoff returns the RTO after the n-th SYN retransmission: Linux keeps the initial
// RTO for tcp_syn_linear_timeouts retransmissions, then doubles (RFC 6298 §5.5).
func synBackoff(p *Profile, n int) time.Duration {
	if n <= p.SynLinearTimeouts {
		return p.InitialRTO
	}
	d := p.InitialRTO
	for i := 0; i < n-p.SynLinearTimeouts && d < p.MaxRTO; i++ {
		d *= 2
	}
	return min(d, p.MaxRTO)
}
