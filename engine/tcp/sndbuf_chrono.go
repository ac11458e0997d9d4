package tcp

// tcp_info's send-buffer chronograph (tcpi_sndbuf_limited), as Linux keeps it: it runs
// from a send that left nothing unsent while the flow did not fill its congestion window
// and a write was waiting for room in the send buffer (tcp_cwnd_validate's "network
// starves" branch with SOCK_NOSPACE), until an ACK frees enough room for the socket to
// be writable again (tcp_check_space, sk_stream_write_space).

// sndSpace is the socket's SOCK_NOSPACE and SOCK_QUEUE_SHRUNK, and the limit the write
// found full.
type sndSpace struct {
	nospace bool
	budget  sendBudget
	shrunk  bool
}

// setNoSpace notes that a write stopped for room under b (sk_stream_wait_memory, or a
// non-blocking write cut short, set SOCK_NOSPACE): before it pushes what it copied.
func (c *Conn) setNoSpace(b sendBudget) {
	c.space.nospace, c.space.budget = true, b
}

// cwndLimitedNow is tcp_is_cwnd_limited: the last flight filled the window or, in slow
// start, the window is under twice the largest flight of the current window.
func (c *Conn) cwndLimitedNow() bool {
	u := &c.cwndUse
	return u.limited || c.inSlowStart() && int(c.cwndSegs()) < 2*u.maxPacketsOut
}

// sndbufStarved starts the send-buffer chronograph after a send when the flow is not
// cwnd-limited, nothing is left unsent and a write waits for room, in ESTABLISHED or
// CLOSE-WAIT (tcp_cwnd_validate).
func (c *Conn) sndbufStarved() {
	if !c.space.nospace || c.state != Established && c.state != CloseWait || c.cwndLimitedNow() {
		return
	}
	if len(c.sendBuf) > int(c.sndNxt.Sub(c.sendStart)) {
		return // data still unsent (tcp_write_queue_empty is false)
	}
	c.chronoStart(chronoSndbuf)
}

// checkSpace is tcp_check_space after an ACK released data: once the socket is writable
// again SOCK_NOSPACE is cleared and the send-buffer chronograph stops.
func (c *Conn) checkSpace() {
	if !c.space.shrunk {
		return
	}
	c.space.shrunk = false
	if c.space.nospace && c.writable(c.space.budget) {
		c.space.nospace = false
		c.chronoStop(chronoSndbuf)
	}
}
