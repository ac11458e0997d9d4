package tcp

// What a receiver estimates from the data it gets, as Linux keeps it in icsk_ack and
// tcp_info reports it: the delayed-ACK timeout (ato) and the peer's segment size
// (rcv_mss). RFC 1122 §4.2.3.2 leaves the delay to the implementation ("less than
// 0.5 seconds"); these follow net/ipv4/tcp_input.c.

// initRcvMSS is the first estimate of the peer's segment size (tcp_initialize_rcv_mss):
// at most our MSS, half the window and 536 bytes, at least 88.
func (c *Conn) initRcvMSS() {
	hint := min(int(c.advMSS()), int(c.mss), int(c.rcvBufSize/2), 536)
	if c.tsOK {
		hint = min(hint, int(c.advMSS())-12)
	}
	c.rcvMSS = max(hint, 88)
}

// dataEvent updates both estimates for n bytes of in-sequence data in seg
// (tcp_event_data_recv, tcp_measure_rcv_mss), before lastDataRecv moves to now.
func (c *Conn) dataEvent(seg Segment, n int) {

	// rcv_mss: a segment at least as large as the estimate sets it (up to our MSS); a
	// smaller one sets it when two such segments in a row had the same size and were
	// not remnants (PSH, FIN, URG, SYN), or were at least 536 bytes.
	lss := c.lastSegSize
	c.lastSegSize = 0
	if n >= c.rcvMSS {
		adv := int(c.advMSS())
		if c.tsOK {
			adv -= 12
		}
		c.rcvMSS = min(n, adv)
	} else if l := n + 20 + (seg.Options.Len()+3)&^3; l >= 536+20 || l >= 88+20 && seg.Flags&(PSH|FIN|URG|SYN) == 0 {
		hdr := 20 // tp->tcp_header_len: the header every segment carries
		if c.tsOK {
			hdr += 12
		}
		c.lastSegSize = l - hdr
		if c.lastSegSize == lss {
			c.rcvMSS = lss
		}
	}
	// ato: the first data sets it to the minimum; after that a gap of at most half the
	// minimum pulls it towards the minimum, a gap shorter than the estimate towards the
	// gap (at most the RTO).
	// The minimum is the profile's delayed-ACK timeout (Linux TCP_ATO_MIN, 40 ms).
	atoMin := c.h.Prof.DelayedACK
	if c.ato == 0 {
		c.ato = atoMin
		return
	}
	gap := c.h.now.Sub(c.lastDataRecv)
	switch {
	case gap <= atoMin/2:
		c.ato = c.ato/2 + atoMin/2
	case gap < c.ato:
		c.ato = c.ato/2 + gap
		if c.ato > c.rto {
			c.ato = c.rto
		}
	case gap > c.rto && c.h.Prof.QuickACKAfterIdle:
		// "Too long gap. Apparently sender failed to restart window, so that we send
		// ACKs quickly": quick-ACK mode again (tcp_incr_quickack with TCP_MAX_QUICKACKS).
		c.incrQuickAcks()
	}
}

// incrQuickAcks is tcp_incr_quickack: enough quick ACKs for the window, half a window
// of the peer's segments (at least 2), at most the profile's count; never fewer than
// are left.
func (c *Conn) incrQuickAcks() {
	n := 2
	if c.rcvMSS > 0 {
		n = max(int(c.rcvWnd())/(2*c.rcvMSS), 2)
	}
	n = min(n, c.h.Prof.QuickACKs)
	c.quickAcks = max(c.quickAcks, n)
}
