package tcp

// RFC 9293 §3.10.1, OPEN call: the active open (SYN, SYN retransmission) and the passive
// side's SYN-ACK, with the options a SYN negotiates (RFC 9293 §3.7.1, RFC 7323, RFC 2018).

// activeOpen sends the SYN (RFC 9293 §3.10.1, active OPEN).
func (c *Conn) activeOpen() { c.activeOpenAs("active OPEN (connect)") }

// activeOpenAs sends the SYN and enters SYN-SENT, naming why.
func (c *Conn) activeOpenAs(cause string) {
	c.iss = c.h.isn(c.tuple)
	c.sndUna = c.iss
	c.sndNxt = c.iss.Add(1)
	c.sndMax = c.sndNxt
	c.sendStart = c.iss.Add(1)
	c.tsOff = c.h.tsOffset(c.tuple)
	c.firstSynAt = c.h.now
	c.initialWindow(c.advMSS())
	if fo := c.fastOpen; fo != nil && fo.synData > 0 {
		// Fast Open: the data rides on the SYN and stays queued until acknowledged.
		c.sendBuf = append(c.sendBuf, fo.payload...)
		c.markPushAt(c.sendStart.Add(uint32(fo.synData))) // the SYN data's own buffer, with PSH
		c.addEdge(false)
		fo.payload = nil
	}
	c.setState(SynSent, cause)
	c.sendSYN(false)
	// The SYN is timed on its own: Linux queues SYN data as a separate buffer, so a
	// SYN-ACK that acknowledges only the SYN still gives an RTT sample.
	c.startTiming(c.sndNxt)
	if fo := c.fastOpen; fo != nil && fo.synData > 0 {
		c.sndNxt = c.sndNxt.Add(uint32(fo.synData))
		c.sndMax = c.sndNxt
	}
	c.setTimer(TimerRTO, c.rto)
}

func (c *Conn) sendSYN(retransmit bool) {
	p := &c.h.Prof
	seg := c.template(c.iss, SYN)
	seg.Window = uint16(min(c.rcvBufSize, 65535))
	if p.ECN == 1 && !retransmit {
		// RFC 3168 §6.1.1: an ECN-setup SYN. If it draws no answer, the retransmission is
		// a plain SYN, in case ECN-setup SYNs are what gets dropped (§6.1.1.1; Linux
		// tcp_ecn_clear_syn, tcp_ecn_fallback on by default).
		seg.Flags |= ECE | CWR
	}
	c.ecnAsked = seg.Flags.Has(ECE | CWR)
	seg.Options = buildSynOptions(p, synInfo{mss: c.advMSS(), ws: p.WindowScaling, shift: c.offerShift(),
		sack: p.SACK, ts: p.Timestamps, tsVal: c.tsVal()}, p.Layout)
	if !retransmit {
		// RFC 7413 §3: the first SYN carries the cookie (or asks for one) and the data;
		// Linux's retries are plain SYNs (tcp_send_syn_data sets cookie.len to -1).
		if o, ok := c.fastOpenSynOption(); ok {
			seg.Options = appendFastOpen(seg.Options, o)
		}
		if c.fastOpen != nil && c.fastOpen.synData > 0 {
			seg.Payload = append([]byte(nil), c.sendBuf[:c.fastOpen.synData]...)
		}
	}
	c.h.emit(seg, retransmit, nil)
}

func (c *Conn) sendSynAck(retransmit bool) {
	p := &c.h.Prof
	seg := c.template(c.iss, SYN|ACK)
	seg.Ack = c.rcvNxt
	seg.Window = uint16(min(c.rcvBufSize, 65535))
	if c.ecnOK {
		seg.Flags |= ECE // RFC 3168 §6.1.1: ECN-setup SYN-ACK
	}
	// A SYN-ACK echoes only what the SYN offered (RFC 7323 §2.2, §3.2; RFC 2018 §2).
	seg.Options = buildSynOptions(p, synInfo{
		mss:   c.advMSS(),
		ws:    c.wsOK,
		shift: c.rcvShift,
		sack:  c.sackOK,
		ts:    c.tsOK,
		tsVal: c.tsVal(), tsEcr: c.tsRecent,
	}, p.Layout)
	if c.synAckCookie != nil && !retransmit {
		// RFC 7413 §4.1.2: the cookie the client asked for, or the right one in place of
		// an invalid one; only the first SYN-ACK carries it (Linux tcp_rtx_synack has none).
		seg.Options = appendFastOpen(seg.Options, *c.synAckCookie)
	}
	c.synAckCookie = nil
	c.h.emit(seg, retransmit, nil)
}

// negotiate records what the peer's SYN (or SYN-ACK) offered and settles the options.
func (c *Conn) negotiate(seg Segment) {
	p := &c.h.Prof
	si := parseSynOptions(seg.Options)
	c.mss = p.DefaultMSS // RFC 9293 §3.7.1: 536 when the peer sends no MSS option
	if si.mss != 0 {
		c.mss = min(si.mss, c.advMSS())
	} else if c.userMSS != 0 {
		c.mss = min(c.mss, c.userMSS)
	}
	// RFC 7323 §2.2: window scaling only if both sides offered it.
	c.wsOK = p.WindowScaling && si.ws
	if c.wsOK {
		c.sndShift = min(si.shift, 14) // §2.3: shifts above 14 are taken as 14
		c.rcvShift = c.offerShift()
	} else {
		c.sndShift, c.rcvShift = 0, 0
	}
	c.sackOK = p.SACK && si.sack
	c.tsOK = p.Timestamps && si.ts
	if c.tsOK {
		c.tsRecent = si.tsVal
		// RFC 9293 §3.7.1: the effective send MSS leaves room for the options every
		// segment carries; the timestamp option takes 12 bytes (Linux: 1460 → 1448).
		c.mss -= 12
	}
	c.mssFull = c.mss
	// A SYN-ACK turns ECN on only with ECE alone and only if our SYN asked for it
	// (RFC 3168 §6.1.1; Linux tcp_ecn_rcv_synack).
	c.ecnOK = p.ECN >= 1 && seg.Flags.Has(ECE|CWR) && seg.Flags&ACK == 0 ||
		c.ecnAsked && seg.Flags.Has(SYN|ACK) && seg.Flags&(ECE|CWR) == ECE
}
