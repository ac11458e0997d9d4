package tcp

import "sort"

// RFC 9293 §3.10.7.4, SEGMENT ARRIVES in the other states (SYN-RECEIVED and the
// synchronized states): the acceptability test, RST and SYN checks (RFC 5961), the ACK,
// the segment text, the FIN, TIME-WAIT, and the out-of-order queue.

func (c *Conn) input(seg Segment) {
	c.ackNow, c.quickAcked = false, false
	switch c.state {
	case SynSent:
		c.synSentInput(seg)
	case TimeWait:
		c.timeWaitInput(seg)
	case Closed, Listen:
		c.h.resetForNoSocket(seg, "connection closed")
	default:
		c.syncInput(seg)
	}
	if !c.deleted {
		c.flush()
	}
}

// acceptable is RFC 9293 §3.10.7.4's segment acceptability test.
func (c *Conn) acceptable(seg Segment) bool {
	wnd := c.rcvWnd()
	segLen := seg.Len()
	switch {
	case segLen == 0 && wnd == 0:
		return seg.Seq == c.rcvNxt
	case segLen == 0:
		return seg.Seq.InWindow(c.rcvNxt, wnd)
	case wnd == 0:
		return false
	default:
		return seg.Seq.InWindow(c.rcvNxt, wnd) || seg.Seq.Add(segLen-1).InWindow(c.rcvNxt, wnd)
	}
}

// syncInput processes a segment in SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2,
// CLOSE-WAIT, CLOSING and LAST-ACK, in the order of RFC 9293 §3.10.7.4.
func (c *Conn) syncInput(seg Segment) {
	p := &c.h.Prof
	// Simultaneous open: the peer's SYN,ACK reaches us in SYN-RECEIVED. RFC 9293 Figure 7
	// moves to ESTABLISHED on it; its SYN is not new (SEG.SEQ+1 = RCV.NXT), so Linux lets it
	// through (tcp_validate_incoming) and no further ACK is sent.
	if c.state == SynReceived && !c.passive && seg.Flags&(SYN|ACK|RST) == SYN|ACK &&
		seg.Seq.Add(1) == c.rcvNxt && seg.Ack == c.sndNxt {
		c.synReceivedAck(seg)
		c.ackNow = false
		if p.SimOpenACK {
			// Linux sees the SYN as a duplicate and ACKs it, with a D-SACK block for it.
			c.sendAckWithDSACK(seg.Seq, seg.Seq.Add(1))
		}
		return
	}
	// PAWS (RFC 7323 §5.3): a segment whose TSval is older than TS.Recent is a duplicate.
	if c.tsOK && seg.Flags&RST == 0 {
		if ts, ok := seg.Options.Find(OptTimestamps); ok && int32(ts.TSVal-c.tsRecent) < 0 {
			c.h.note(c.peer, "paws-reject", "TSval older than TS.Recent")
			c.sendOOWAck()
			return
		}
	}
	// First, check the sequence number.
	if !c.acceptable(seg) {
		if seg.Flags&RST != 0 {
			c.h.note(c.peer, "rst-out-of-window", "RST outside the receive window ignored")
			return
		}
		if c.state == SynReceived && c.passive && seg.Flags&SYN != 0 && seg.Seq == c.irs && p.SynAckOnDupSYN {
			// Linux tcp_check_req: a retransmitted SYN gets the SYN-ACK again, and the
			// request's timer starts over from now with its current timeout
			// (mod_timer_pending with reqsk_timeout; testdata/packetdrill/
			// synack-on-retransmitted-syn.pkt).
			c.h.note(c.peer, "dup-syn", "retransmitted SYN: SYN,ACK sent again")
			c.sendSynAck(true)
			c.setTimer(TimerRTO, c.rto)
			return
		}
		c.h.note(c.peer, "unacceptable-segment", "outside the receive window: ACK sent")
		c.sendOOWAck()
		return
	}
	c.updateTSRecent(seg)
	// Second, check the RST bit (RFC 5961 §3.2).
	if seg.Flags&RST != 0 {
		if seg.Seq == c.rcvNxt {
			c.resetReceived()
		} else {
			c.challengeACK("RST in the window but not at RCV.NXT")
		}
		return
	}
	// Third, check security: not modelled. The engine has no IP security compartments
	// (RFC 9293 §3.10.7.4 third step; RFC 9293 §3.9.2 leaves it to the implementation).
	// Fourth, check the SYN bit (RFC 5961 §4).
	if seg.Flags&SYN != 0 {
		if c.state == SynReceived && c.passive {
			// "If the connection was initiated with a passive OPEN, then return this
			// connection to the LISTEN state and return."
			c.backToListen("SYN in the window in SYN-RECEIVED")
			return
		}
		c.challengeACK("SYN on a synchronized connection")
		return
	}
	// Fifth, check the ACK field.
	if seg.Flags&ACK == 0 {
		c.h.note(c.peer, "no-ack-dropped", "segment without ACK in a synchronized state dropped")
		return
	}
	if c.state == SynReceived {
		if !c.synReceivedAck(seg) {
			return
		}
	}
	if !c.processAck(seg) {
		return
	}
	if c.dataAfterReadShutdown(seg) {
		return
	}
	// Sixth, check the URG bit: not modelled. The engine sends no urgent data and ignores
	// URG and the urgent pointer on arrival (RFC 6093 advises new applications against it),
	// so RCV.UP is never advanced and the user is never signalled.
	// Seventh, process the segment text; eighth, the FIN bit.
	c.processText(seg)
}

// dataAfterReadShutdown resets the connection when new data arrives after the application
// shut down its receiving side and the connection is closing (RFC 1122 §4.2.2.13: a host
// that closes with data still arriving SHOULD reset; Linux tcp_rcv_state_process answers it
// in FIN-WAIT-1/2, and in CLOSE-WAIT/CLOSING/LAST-ACK for data below RCV.NXT, with a reset
// as for a segment to no socket). It reports whether the segment was consumed.
func (c *Conn) dataAfterReadShutdown(seg Segment) bool {
	if !c.h.Prof.ResetOnDataAfterClose || !c.appClosed && !c.rdShut {
		return false
	}
	switch c.state {
	case FinWait1, FinWait2:
	case CloseWait, Closing, LastAck:
		if !seg.Seq.LessThan(c.rcvNxt) {
			return false
		}
	default:
		return false
	}
	dataEnd := seg.Seq.Add(uint32(len(seg.Payload)))
	if len(seg.Payload) == 0 || !c.rcvNxt.LessThan(dataEnd) {
		return false
	}
	c.h.note(c.peer, "data-after-close", "new data after the receiving side was shut: reset")
	c.h.resetForNoSocket(seg, "data after close")
	if c.appClosed {
		c.closeTCB("data after close")
	} else {
		c.fail(ECONNRESET, "data after shutdown")
	}
	return true
}

// synReceivedAck handles the ACK that completes a handshake (RFC 9293 §3.10.7.4, fifth,
// SYN-RECEIVED STATE). It reports whether processing continues.
func (c *Conn) synReceivedAck(seg Segment) bool {
	if !(c.sndUna.LessThan(seg.Ack) && seg.Ack.LessThanEq(c.sndNxt)) {
		// "If the segment acknowledgment is not acceptable, form a reset segment
		// <SEQ=SEG.ACK><CTL=RST> and send it."
		c.h.note(c.peer, "bad-ack-in-syn-received", "unacceptable ACK: reset")
		c.sendReset(seg.Ack, 0, false)
		return false
	}
	child := c.fastOpen != nil && c.fastOpen.child
	if c.passive && c.lst != nil && !child && c.lst.acceptQueueFull() {
		if c.h.Prof.AbortOnOverflow {
			// tcp_abort_on_overflow: the request is dropped and the ACK answered with
			// <SEQ=SEG.ACK><CTL=RST> (tcp_check_req → embryonic_reset).
			c.h.note(c.peer, "accept-queue-full", "accept queue full: final ACK answered with RST (tcp_abort_on_overflow)")
			c.sendReset(seg.Ack, 0, false)
			c.backToListen("accept queue full, tcp_abort_on_overflow")
			return false
		}
		// Linux tcp_check_req → listen_overflow: the ACK is dropped and the SYN-ACK timer
		// keeps running, so the handshake is retried later.
		c.h.note(c.peer, "accept-queue-full", "accept queue full: final ACK dropped")
		return false
	}
	c.cancelTimer(TimerRTO)
	c.rtxCount = 0
	c.takeRTTSample(seg.Ack)
	c.sndUna = seg.Ack
	c.sndWnd = uint32(seg.Window) << c.sndShift
	c.maxSndWnd = max(c.maxSndWnd, c.sndWnd)
	if c.h.Prof.HalfWindowMSS && c.passive {
		// Linux builds the connection from the ACK (tcp_create_openreq_child): its
		// max_window is that ACK's window, not the SYN's.
		c.maxSndWnd = c.sndWnd
	}
	c.sndWl1, c.sndWl2 = seg.Seq, seg.Ack
	c.syncMSS()
	c.establish("received ACK of our SYN")
	if c.passive && c.lst != nil && !child {
		c.lst.promote(c) // a Fast Open child is in the accept queue already
	}
	return true
}

// processAck is the fifth step for ESTABLISHED and the states after it. It reports
// whether processing continues to the text and FIN.
func (c *Conn) processAck(seg Segment) bool {
	// RFC 5961 §5.2: an ACK is acceptable only in [SND.UNA - MAX.SND.WND, SND.NXT].
	if c.sndMax.LessThan(seg.Ack) {
		// RFC 9293: "If the ACK acks something not yet sent (SEG.ACK > SND.NXT), then send
		// an ACK, drop the segment, and return."
		c.challengeACK("ACK of data never sent")
		return false
	}
	if seg.Ack.LessThan(c.sndUna - Seq(c.maxSndWnd)) {
		c.challengeACK("ACK older than the send window")
		return false
	}
	c.probesOut = 0 // tcp_ack: an acceptable ACK resets icsk_probes_out
	c.lastAckAt = c.h.now
	ai := c.recoveryAckBegin(seg)
	if c.sndUna.LessThan(seg.Ack) {
		c.ackEcr = 0
		if ts, ok := seg.Options.Find(OptTimestamps); ok && c.tsOK {
			c.ackEcr = ts.TSEcr // tcp_ack_update_rtt's last resort
		}
		c.newlyAcked(seg.Ack)
		c.space.shrunk = true // the acknowledged data left the send buffer
		if len(c.sendBuf) == 0 {
			c.chronoStop(chronoBusy)
		}
		c.moreHeld = false // MSG_MORE held only that write's own push (tcp_push)
	} else {
		c.sackRTTSample() // an ACK that only SACKs is timed too (tcp_clean_rtx_queue)
	}
	// Window update (RFC 9293 §3.10.7.4: SND.WL1 < SEG.SEQ, or equal and SND.WL2 =< SEG.ACK).
	if c.sndWl1.LessThan(seg.Seq) || c.sndWl1 == seg.Seq && c.sndWl2.LessThanEq(seg.Ack) {
		ai.winUpdate = c.sndWnd != uint32(seg.Window)<<c.sndShift
		c.sndWnd = uint32(seg.Window) << c.sndShift
		if c.sndWnd > c.maxSndWnd {
			c.maxSndWnd = c.sndWnd
			c.syncMSS() // tcp_ack_update_window
		}
		c.sndWl1, c.sndWl2 = seg.Seq, seg.Ack
	}
	c.recoveryAckEnd(seg, ai)
	c.updatePacingRate()
	c.ackWhilePersisting()
	switch c.state {
	case FinWait1:
		if c.finAcked {
			c.setState(FinWait2, "our FIN was acknowledged")
			if c.appClosed && c.h.Prof.FinTimeout > 0 && seg.Flags&FIN == 0 {
				// Linux: an orphaned FIN-WAIT-2 lives tcp_fin_timeout, not forever.
				c.setTimer(TimerFinWait2, c.h.Prof.FinTimeout)
			}
		}
	case Closing:
		if c.finAcked {
			c.enterTimeWait("our FIN was acknowledged")
			return false
		}
	case LastAck:
		if c.finAcked {
			c.closeTCB("our FIN was acknowledged")
			return false
		}
	}
	return true
}

// newlyAcked advances SND.UNA to ack and releases what it covers.
func (c *Conn) newlyAcked(ack Seq) {
	c.takeRTTSample(ack)
	c.sndUna = ack
	c.releaseAcked(ack)
	if c.finSent && c.finSeq.LessThan(ack) {
		c.finAcked = true
	}
	c.rtxCount = 0
	if c.recovering && !ack.LessThan(c.rtxHigh) {
		c.recovering = false
	}
	if c.rttValid {
		c.rto = c.computeRTO()
	}
	acked := 0
	for len(c.outEnds) > 0 && c.outEnds[0].LessThanEq(ack) {
		c.outEnds = c.outEnds[1:]
		acked++
	}
	c.ccPktsAcked()
	if !c.lossRecoveryOn() {
		c.congestionAcked(acked) // else recoveryAckEnd grows it, by the segments delivered
	}
	c.tlpOut = false
	c.retransStamp = 0
	if c.sndUna == c.sndMax {
		c.cancelTimer(TimerRTO)
		c.tlpArmed = false
	} else if !c.schedulePTO(true) {
		c.tlpArmed = false
		c.setTimer(TimerRTO, c.rto)
		if c.recovering && c.sndUna.LessThan(c.rtxHigh) && !c.lossRecoveryOn() {
			c.retransmitHead() // go on retransmitting what the timeout lost
		}
	}
}

// processText is RFC 9293 §3.10.7.4's seventh (text) and eighth (FIN) steps.
func (c *Conn) processText(seg Segment) {
	data := seg.Payload
	seq := seg.Seq
	fin := seg.Flags&FIN != 0
	if len(data) > 0 || fin {
		if !c.state.CanReceive() && c.state != SynReceived {
			// CLOSE-WAIT, CLOSING, LAST-ACK: "This should not occur, since a FIN has been
			// received from the remote side. Ignore the segment text."
			return
		}
		// Trim what we already have (RFC 9293 §3.10.7.4: segments are trimmed to the window).
		if seq.LessThan(c.rcvNxt) {
			skip := c.rcvNxt.Sub(seq)
			if int(skip) >= len(data) {
				if fin && seq.Add(uint32(len(data))) == c.rcvNxt {
					data = nil
				} else {
					c.ackNow = true
					return
				}
			} else {
				data = data[skip:]
			}
			seq = c.rcvNxt
		}
		if seq != c.rcvNxt {
			// Out of order: keep it for later and send a duplicate ACK at once (RFC 5681 §4.2).
			c.queueOutOfOrder(Segment{Seq: seq, Payload: append([]byte(nil), data...), Flags: seg.Flags & FIN})
			c.ackNow = true
			return
		}
		room := int(c.rcvWnd())
		if len(data) > room {
			data = data[:room]
			fin = false
		}
		if len(data) > 0 {
			c.dataEvent(seg, len(data))
			c.gotData = true
			c.lastDataRecv = c.h.now
			c.recvBuf, c.recvMem = appendQueue(c.recvBuf, c.recvMem, data)
			c.rcvNxt = c.rcvNxt.Add(uint32(len(data)))
			c.dataArrived(len(data), len(data) >= int(c.mss))
			c.notify(ConnReadable)
		}
		for {
			moved, queuedFin := c.drainOutOfOrder()
			if !moved {
				break
			}
			fin = fin || queuedFin
		}
		c.sackRemoveCovered()
		if fin {
			c.finArrived()
		}
	}
}

// dataArrived decides when to acknowledge newly received data (RFC 9293 §3.8.6.3,
// RFC 1122 §4.2.3.2; Linux quick-ACK mode at the start of a connection).
func (c *Conn) dataArrived(n int, fullSized bool) {
	p := &c.h.Prof
	c.ackPending = true
	if fullSized {
		c.segsSinceAck++
	}
	c.bytesSinceAck += n
	switch {
	case p.ACKEverySecond && (c.segsSinceAck >= 2 || c.bytesSinceAck > int(c.mss)):
		// More than one full segment not yet acknowledged: ACK now, in any mode (RFC 9293
		// §3.8.6.3; Linux __tcp_ack_snd_check: rcv_nxt - rcv_wup > rcv_mss).
		c.ackNow = true
		if c.quickAcks > 0 && !c.pingpong {
			c.quickAcks--
		}
	case c.quickAcks > 0 && !c.pingpong:
		c.quickAcks--
		c.ackNow = true
		c.quickAcked = true
	case p.DelayedACK == 0:
		c.ackNow = true
	}
}

// finArrived is the eighth step: the peer's FIN is in sequence.
func (c *Conn) finArrived() {
	p := &c.h.Prof
	c.rcvNxt = c.rcvNxt.Add(1)
	c.gotFin = true
	c.ackPending = true
	switch c.state {
	case SynReceived, Established:
		c.setState(CloseWait, "received FIN")
		if p.DelayFINACK {
			// Linux tcp_fin: enter pingpong mode, so the ACK of the FIN is delayed and can
			// ride on our own FIN if the application closes quickly. Linux decides on the
			// ACK after the whole segment (__tcp_ack_snd_check), so data that came with the
			// FIN loses its quick ACK too.
			c.pingpong = true
			if c.quickAcked {
				c.ackNow, c.quickAcked = false, false
				c.quickAcks++
			}
		} else {
			c.ackNow = true
		}
	case FinWait1:
		c.ackNow = true
		if c.finAcked {
			c.enterTimeWait("received FIN that acknowledges ours")
		} else {
			c.setState(Closing, "received FIN (simultaneous close)")
		}
	case FinWait2:
		c.ackNow = true
		c.cancelTimer(TimerFinWait2)
		c.enterTimeWait("received FIN")
	}
	c.notify(ConnEOF)
}

func (c *Conn) enterTimeWait(cause string) {
	c.cancelTimer(TimerRTO)
	c.cancelTimer(TimerFinWait2)
	c.cancelTimer(TimerKeepalive)
	c.cancelTimer(TimerPersist)
	c.setState(TimeWait, cause)
	if c.ackNow || c.ackPending {
		c.sendAck()
	}
	c.cancelTimer(TimerDelayedACK)
	c.setTimer(TimerTimeWait, c.h.Prof.TimeWait)
}

// timeWaitInput handles a segment in TIME-WAIT: RFC 9293 §3.10.7.4 and, where the
// profile says so, Linux's tcp_timewait_state_process.
func (c *Conn) timeWaitInput(seg Segment) {
	p := &c.h.Prof
	// A retransmission of the peer's FIN: "Acknowledge it, and restart the 2 MSL timeout"
	// (RFC 9293 §3.10.7.4, eighth step, TIME-WAIT STATE).
	if seg.Flags&FIN != 0 && seg.Flags&RST == 0 && seg.End() == c.rcvNxt {
		c.h.note(c.peer, "fin-retransmitted", "retransmitted FIN in TIME-WAIT: ACK again, restart the timer")
		c.sendAck()
		c.setTimer(TimerTimeWait, p.TimeWait)
		return
	}
	// A new SYN with a higher sequence number may reopen the connection (RFC 9293 §3.6.1,
	// MAY-2; RFC 6191 with timestamps; Linux TCP_TW_SYN).
	if seg.Flags&(SYN|ACK|RST) == SYN && c.rcvNxt.LessThan(seg.Seq) {
		c.h.note(c.peer, "time-wait-reopen", "new SYN with a higher sequence number ends TIME-WAIT")
		c.closeTCB("new SYN for the same connection")
		if l := c.h.listeners[c.tuple.LocalPort]; l != nil {
			// RFC 9293 §3.6.1, condition (1) for reopening from TIME-WAIT: the new ISN
			// must be greater than the largest sequence number the old connection used.
			// Linux takes tw_snd_nxt + 65535 + 2 (tcp_timewait_state_process, TCP_TW_SYN),
			// above anything the old window could have covered; 0 is not an ISN.
			isn := c.sndNxt.Add(65537)
			if isn == 0 {
				isn++
			}
			l.twISN = isn
			l.input(seg)
			l.twISN = 0
		} else {
			c.h.resetForNoSocket(seg, "no listener")
		}
		return
	}
	if seg.Flags&RST != 0 {
		if seg.Seq == c.rcvNxt {
			c.closeTCB("received RST in TIME-WAIT")
		} else if !p.TimeWaitAbsorbsACK {
			c.challengeACK("RST in TIME-WAIT not at RCV.NXT")
		}
		return
	}
	if seg.Seq == c.rcvNxt && seg.Len() == 0 && seg.Flags&ACK != 0 && p.TimeWaitAbsorbsACK {
		// A bare in-window ACK is absorbed without reply (Linux).
		if p.TimeWaitRestartOnACK {
			c.setTimer(TimerTimeWait, p.TimeWait)
		}
		return
	}
	if seg.Flags&SYN != 0 {
		c.challengeACK("SYN in TIME-WAIT")
		return
	}
	if !c.acceptable(seg) || seg.Len() > 0 {
		c.sendOOWAck()
		if p.TimeWaitRestartOnACK && seg.Flags&ACK != 0 {
			c.setTimer(TimerTimeWait, p.TimeWait)
		}
	}
}

// resetReceived is RFC 9293 §3.10.7.4's second step for an exact RST.
func (c *Conn) resetReceived() {
	switch c.state {
	case SynReceived:
		if c.fastOpen != nil && c.fastOpen.child {
			// A Fast Open child is a full socket the application may hold already: it is
			// reset like an established one (tcp_reset: ECONNRESET) and stays in the
			// accept queue, its data still readable.
			c.Err = ECONNRESET
			c.h.app(c.peer, "error", ECONNRESET, 0, "received RST")
			c.setState(Closed, "received RST")
			c.h.removeConn(c)
			c.notify(ConnFailed)
			return
		}
		if c.passive {
			c.backToListen("received RST")
			return
		}
		c.fail(ECONNREFUSED, "received RST")
	case Established, FinWait1, FinWait2, CloseWait:
		c.fail(ECONNRESET, "received RST")
	default: // CLOSING, LAST-ACK, TIME-WAIT
		c.closeTCB("received RST")
	}
}

// backToListen returns a passively opened connection to LISTEN: its TCB goes away and
// the listener stays (RFC 9293 §3.10.7.4).
func (c *Conn) backToListen(cause string) {
	c.setState(Listen, cause)
	if c.lst != nil {
		c.lst.forget(c)
	}
	c.h.removeConn(c)
}

// fail ends the connection with an error the application will see.
func (c *Conn) fail(err Errno, cause string) {
	c.Err = err
	if c.connectPending {
		c.connectPending = false
		c.h.app(c.peer, "connect", err, 0, cause)
	} else if !c.appClosed {
		c.h.app(c.peer, "error", err, 0, cause)
	}
	c.closeTCB(cause)
	c.notify(ConnFailed)
}

// closeTCB enters CLOSED and deletes the TCB.
func (c *Conn) closeTCB(cause string) {
	if c.deleted {
		return
	}
	c.setState(Closed, cause)
	if c.lst != nil && !(c.Err != nil && c.lst.queued(c)) {
		// A connection that failed while waiting in the accept queue stays there: Linux
		// hands it to accept() in CLOSE, with its data and its error (tcp_done does not
		// unlink a child the listener still owns).
		c.lst.forget(c)
	}
	c.h.removeConn(c)
	c.notify(ConnClosed)
}

// sendReset sends <SEQ=seq><CTL=RST>, or <SEQ=seq><ACK=ack><CTL=RST,ACK> when withACK.
func (c *Conn) sendReset(seq, ack Seq, withACK bool) {
	seg := c.template(seq, RST)
	if withACK {
		seg.Flags |= ACK
		seg.Ack = ack
		if c.h.Prof.RSTTimestamps && c.state.Synchronized() {
			// Linux tcp_send_active_reset goes through tcp_transmit_skb, which fills in
			// the window and the options of an established connection (the timestamps),
			// as measured on 6.18: R. 1:1(0) ack 101 win 64 <nop,nop,TS val ... ecr 120>.
			seg.Window = c.windowField()
			seg.Options = c.tsOptions()
		}
	}
	c.h.emit(seg, false, nil)
}

// challengeACK sends <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (RFC 5961 §3.2, §4.2), rate
// limited per connection as Linux's tcp_invalid_ratelimit does.
func (c *Conn) challengeACK(why string) {
	iv := c.h.Prof.ChallengeACKInterval
	if iv > 0 && c.challenged && c.h.now.Sub(c.lastChallenge) < iv {
		c.h.note(c.peer, "challenge-ack-limited", why+": challenge ACK suppressed by the rate limit")
		return
	}
	c.challenged = true
	c.lastChallenge = c.h.now
	c.h.note(c.peer, "challenge-ack", why)
	c.sendAck()
}

// sendOOWAck answers an unacceptable segment with an ACK, rate limited like a challenge ACK.
func (c *Conn) sendOOWAck() {
	iv := c.h.Prof.ChallengeACKInterval
	if iv > 0 && c.challenged && c.h.now.Sub(c.lastChallenge) < iv {
		return
	}
	c.challenged = true
	c.lastChallenge = c.h.now
	c.sendAck()
}

// updateTSRecent keeps TS.Recent (RFC 7323 §4.3).
func (c *Conn) updateTSRecent(seg Segment) {
	if !c.tsOK {
		return
	}
	if ts, ok := seg.Options.Find(OptTimestamps); ok && seg.Seq.LessThanEq(c.rcvNxt) && int32(ts.TSVal-c.tsRecent) >= 0 {
		c.tsRecent = ts.TSVal
	}
}

// queueOutOfOrder keeps a segment that arrived beyond RCV.NXT, in sequence order (Linux
// keeps its out_of_order_queue as a tree by sequence number), so that filling a hole
// drains the queue from its front; an exact duplicate is kept once.
func (c *Conn) queueOutOfOrder(s Segment) {
	c.sackNoteArrival(s.Seq, s.End())
	i := sort.Search(len(c.ooo), func(i int) bool { return !c.ooo[i].Seq.LessThan(s.Seq) })
	for j := i; j < len(c.ooo) && c.ooo[j].Seq == s.Seq; j++ {
		if len(c.ooo[j].Payload) == len(s.Payload) {
			return
		}
	}
	c.ooo = append(c.ooo, Segment{})
	copy(c.ooo[i+1:], c.ooo[i:])
	c.ooo[i] = s
}

// drainOutOfOrder moves the first queued segment that now fits into the receive buffer;
// it reports whether it moved one, and whether that segment carried the FIN. Segments
// that RCV.NXT has passed wholly are dropped on the way.
func (c *Conn) drainOutOfOrder() (moved, fin bool) {
	for len(c.ooo) > 0 && c.ooo[0].Seq.LessThanEq(c.rcvNxt) {
		o := c.ooo[0]
		c.ooo = c.ooo[1:]
		end := o.Seq.Add(uint32(len(o.Payload)))
		if end.LessThan(c.rcvNxt) {
			continue
		}
		data := o.Payload[c.rcvNxt.Sub(o.Seq):]
		c.recvBuf, c.recvMem = appendQueue(c.recvBuf, c.recvMem, data)
		c.rcvNxt = c.rcvNxt.Add(uint32(len(data)))
		c.ackNow = true
		return true, o.Flags&FIN != 0
	}
	if len(c.ooo) == 0 {
		c.ooo = nil
	}
	return false, false
}
