package tcp

// RFC 9293 §3.10.7.2, SEGMENT ARRIVES in LISTEN, with Linux's queue limits and SYN cookies.

// input is RFC 9293 §3.10.7.2, LISTEN STATE, with Linux's queue limits and SYN cookies.
func (l *Listener) input(seg Segment) {
	h := l.h
	p := &h.Prof
	peer := h.peerName(seg.Src)
	// First, check for a RST: "An incoming RST segment could not be valid ... ignore it."
	if seg.Flags&RST != 0 {
		return
	}
	// Second, check for an ACK: bad in LISTEN, unless it returns a SYN cookie.
	if seg.Flags&ACK != 0 {
		if seg.Flags&SYN == 0 && l.cookiesActive() && l.acceptCookie(seg) {
			return
		}
		h.resetForNoSocket(seg, "ACK to a listening socket")
		return
	}
	// Third, check for a SYN. Its security check is not modelled (no IP security
	// compartments). Data or a FIN riding on the SYN is not queued for later processing as
	// RFC 9293 §3.10.7.2 allows: like Linux, the engine drops it and acknowledges only the
	// SYN, so the peer sends it again, unless the SYN brings a valid TCP Fast Open cookie
	// (RFC 7413; tryFastOpen).
	// Fourth, other text or control without SYN, ACK or RST: drop it.
	if seg.Flags&SYN == 0 {
		h.note(peer, "segment-dropped", "neither SYN, ACK nor RST in LISTEN")
		return
	}
	if l.acceptQueueFull() {
		// Linux tcp_conn_request: LISTENOVERFLOWS, the SYN is dropped.
		h.stats.SYNsDropped++
		h.note(peer, "accept-queue-full", "accept queue full: SYN dropped")
		return
	}
	full := l.synqFull()
	if full {
		l.overflowed, l.overflowAt = true, h.now
	}
	if p.Syncookies == 2 || full {
		if p.Syncookies == 0 {
			h.stats.SYNsDropped++
			h.note(peer, "syn-queue-full", "SYN queue full and SYN cookies off: SYN dropped")
			return
		}
		l.sendCookie(seg)
		return
	}
	if p.Syncookies == 0 && p.MaxSynBacklog-len(l.synq) < p.MaxSynBacklog>>2 {
		// Linux tcp_conn_request without cookies keeps a quarter of tcp_max_syn_backlog free.
		h.stats.SYNsDropped++
		h.note(peer, "syn-queue-full", "tcp_max_syn_backlog nearly reached: SYN dropped")
		return
	}
	c := h.newConn(seg.Tuple(), Listen)
	c.passive = true
	c.lst = l
	c.userMSS = l.MaxSeg
	l.IP.applyIP(c)
	c.rcvSpace = l.RecvSpace
	c.keepalive = l.Keepalive
	c.ccName = l.Congestion
	c.irs = seg.Seq
	c.rcvNxt = seg.Seq.Add(1)
	c.iss = h.isn(c.tuple)
	if l.twISN != 0 {
		c.iss = l.twISN // the SYN ended a TIME-WAIT: start above the old connection
	}
	c.sndUna = c.iss
	c.sndNxt = c.iss.Add(1)
	c.sndMax = c.sndNxt
	c.sendStart = c.sndNxt
	c.tsOff = h.tsOffset(c.tuple)
	c.negotiate(seg)
	winMSS := c.advMSS()
	if c.tsOK {
		winMSS -= 12 // the timestamp option's room in every segment
	}
	c.initialWindow(winMSS)
	c.sndWnd = uint32(seg.Window)
	c.maxSndWnd = c.sndWnd
	c.sndWl1 = seg.Seq
	c.setState(SynReceived, "received SYN")
	if l.tryFastOpen(c, seg) {
		// RFC 7413 §3: the application may accept the connection and read the SYN's
		// data now; the SYN-ACK acknowledges the data. Linux's tcp_conn_request adds a
		// Fast Open child straight to the accept queue: it never counts in the SYN queue.
		l.promote(c)
		if c.Buffered() > 0 {
			// After ConnAcceptable: an application accepts the connection first and
			// then reads what the SYN brought.
			c.notify(ConnReadable)
		}
	} else {
		l.synq[c.tuple] = c
		l.synqOrder = append(l.synqOrder, c)
		l.queueEvent()
	}
	c.sendSynAck(false)
	c.startTiming(c.sndNxt)
	c.setTimer(TimerRTO, c.rto)
}
