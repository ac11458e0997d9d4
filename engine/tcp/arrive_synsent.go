package tcp

// RFC 9293 §3.10.7.3, SEGMENT ARRIVES in SYN-SENT: the SYN-ACK that establishes an
// active open, a simultaneous open, and the resets a SYN-SENT connection answers or takes.

// synSentInput is RFC 9293 §3.10.7.3, SYN-SENT STATE.
func (c *Conn) synSentInput(seg Segment) {
	ackOK := false
	// First, check the ACK bit.
	if seg.Flags&ACK != 0 {
		// If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless the RST bit is set)
		// and discard the segment.
		if seg.Ack.LessThanEq(c.iss) || c.sndNxt.LessThan(seg.Ack) {
			if seg.Flags&RST == 0 {
				c.h.note(c.peer, "bad-ack-in-syn-sent", "SEG.ACK outside (ISS, SND.NXT]: reset")
				c.sendReset(seg.Ack, 0, false)
			}
			return
		}
		ackOK = c.sndUna.LessThan(seg.Ack) && seg.Ack.LessThanEq(c.sndNxt)
		if ackOK && seg.Flags&(SYN|RST) == SYN && c.pawsActiveReject(seg) {
			return
		}
	}
	// Second, check the RST bit.
	if seg.Flags&RST != 0 {
		if ackOK {
			// "error: connection reset": connect() fails with ECONNREFUSED.
			c.fail(ECONNREFUSED, "RST in answer to our SYN")
		} else {
			c.h.note(c.peer, "rst-ignored", "RST without an acceptable ACK in SYN-SENT")
		}
		return
	}
	// Third, check security: not modelled (no IP security compartments in the engine).
	// Fourth, check the SYN bit.
	if seg.Flags&SYN == 0 {
		c.h.note(c.peer, "segment-dropped", "neither SYN nor RST in SYN-SENT")
		return
	}
	c.irs = seg.Seq
	c.rcvNxt = seg.Seq.Add(1)
	c.negotiate(seg)
	if seg.Flags&ACK != 0 {
		c.sndUna = seg.Ack
		c.takeRTTSample(seg.Ack)
		if c.fastOpen != nil {
			c.releaseAcked(seg.Ack)
			c.fastOpenSynAck(seg)
		}
	}
	c.sndWnd = uint32(seg.Window) // never scaled in a SYN (RFC 7323 §2.2)
	c.maxSndWnd = c.sndWnd
	c.sndWl1, c.sndWl2 = seg.Seq, seg.Ack
	c.syncMSS()
	if c.iss.LessThan(c.sndUna) {
		// Our SYN has been ACKed: ESTABLISHED, and ACK the peer's SYN. Data queued while in
		// SYN-SENT rides on that ACK (RFC 9293 §3.10.7.3 allows it; Linux does it when a
		// writer is already waiting: the sk_write_pending case of tcp_rcv_synsent_state_process).
		c.cancelTimer(TimerRTO)
		c.rtxCount = 0
		c.establish("received SYN,ACK")
		c.ackNow = true
		if fo := c.fastOpen; fo != nil {
			// RFC 7413 §4.2.2: SYN data the SYN-ACK did not acknowledge is sent again, in
			// segments of the MSS now known.
			for off := 0; off < fo.resend; {
				n := min(fo.resend-off, int(c.mss))
				c.synDataLost(c.sndUna.Add(uint32(off)), c.sndUna.Add(uint32(off+n)))
				c.sendData(c.sndUna.Add(uint32(off)), int(c.sndUna.Sub(c.sendStart))+off, n, true)
				off += n
			}
			fo.resend = 0
			if w := fo.pendingWrite; len(w) > 0 {
				fo.pendingWrite = nil
				c.SendMore(w, false)
			}
		}
		if len(seg.Payload) > 0 || seg.Flags&FIN != 0 {
			// The text starts after the SYN's sequence number.
			text := seg
			text.Seq, text.Flags = seg.Seq.Add(1), seg.Flags&^SYN
			c.processText(text)
		}
		return
	}
	// Simultaneous open (RFC 9293 §3.5 Figure 7): SYN-RECEIVED, answer with SYN,ACK
	// carrying our original ISS.
	c.setState(SynReceived, "received SYN (simultaneous open)")
	c.rtxCount = 0
	c.rto = c.h.Prof.InitialRTO
	c.sendSynAck(false)
	c.setTimer(TimerRTO, c.rto)
}

// establish enters ESTABLISHED and tells the application.
func (c *Conn) establish(cause string) {
	p := &c.h.Prof
	c.setState(Established, cause)
	c.lastDataRecv = c.h.now // Linux sets icsk_ack.lrcvtime when the connection is set up
	c.lastSendAt = c.h.now   // and lsndtime (tcp_init_transfer)
	c.lastAckAt = c.h.now    // and rcv_tstamp
	c.quickAcks = p.QuickACKs
	c.cwnd = uint32(p.initialCwnd()) * uint32(c.mss)
	c.ssthresh = ssthreshInfinite
	c.ccInit()
	c.initRcvMSS()
	if c.synRetransmitted && !c.rttValid && p.RTOFallback > 0 {
		c.rto = p.RTOFallback // Linux TCP_TIMEOUT_FALLBACK after a handshake retransmission
	} else if !c.rttValid {
		c.rto = p.InitialRTO
	}
	if c.keepaliveRuns() {
		// tcp_finish_connect, tcp_create_openreq_child: keep-alives set before the
		// handshake start with the connection.
		c.setTimer(TimerKeepalive, c.Keepalive().Idle)
	}
	if c.connectPending {
		c.connectPending = false
		c.h.app(c.peer, "connect", nil, 0, "")
		c.notify(ConnEstablished)
	}
}

// pawsActiveReject is Linux's check of a SYN-ACK's timestamp echo
// (tcp_rcv_synsent_state_process, PAWSActiveRejected): an echo that is not a TS val of
// ours since the first SYN is answered with a reset (SEQ = SEG.ACK) and the segment
// dropped, the connection staying in SYN-SENT.
func (c *Conn) pawsActiveReject(seg Segment) bool {
	if !c.h.Prof.SynAckEcrCheck || !c.h.Prof.Timestamps {
		return false
	}
	ts, ok := seg.Options.Find(OptTimestamps)
	if !ok || ts.TSEcr == 0 {
		return false
	}
	first := uint32(c.firstSynAt/1000) + c.tsOff
	if int32(ts.TSEcr-first) >= 0 && int32(c.tsVal()-ts.TSEcr) >= 0 {
		return false
	}
	c.h.note(c.peer, "paws-active-rejected", "SYN-ACK echoes a timestamp we never sent: reset")
	c.sendReset(seg.Ack, 0, false)
	return true
}
