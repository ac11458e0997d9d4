package engine

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
	c.setState(SynSent, cause)
	c.sendSYN(false)
	c.startTiming(c.sndNxt)
	c.setTimer(TimerRTO, c.rto)
}

func (c *Conn) sendSYN(retransmit bool) {
	p := &c.h.Prof
	seg := c.template(c.iss, SYN)
	seg.Window = uint16(min(c.rcvBufSize, 65535))
	if p.ECN == 1 {
		seg.Flags |= ECE | CWR // RFC 3168 §6.1.1: an ECN-setup SYN
	}
	seg.Options = buildSynOptions(p, synInfo{mss: c.advMSS(), ws: p.WindowScaling, shift: c.offerShift(),
		sack: p.SACK, ts: p.Timestamps, tsVal: c.tsVal()}, p.Layout)
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
	c.ecnOK = p.ECN >= 1 && seg.Flags.Has(ECE|CWR) && seg.Flags&ACK == 0 ||
		p.ECN >= 1 && seg.Flags.Has(SYN|ACK|ECE)
}
