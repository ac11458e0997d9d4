package tcp

// windowUpdateAfterRead sends a window update when a read has at least doubled a small
// receive window, as Linux's tcp_cleanup_rbuf does (net/ipv4/tcp.c: when twice the
// window the peer knows is within the clamp and the new window is at least twice it,
// ACK now). Without it a reader that drained a full buffer would leave the sender
// waiting for its next zero-window probe (RFC 9293 §3.8.6.2.2: the receiver's side of
// silly window avoidance, which opens the window once it has grown by enough). before is
// the free space before the read: the engine advertises its free space, so that is the
// window the peer knows.
func (c *Conn) windowUpdateAfterRead(before uint32) {
	switch c.state {
	case Established, FinWait1, FinWait2:
	default:
		return
	}
	if c.gotFin || c.rdShut || c.deleted {
		return
	}
	after := c.rcvWnd()
	if 2*before <= c.rcvBufSize && after > 0 && after >= 2*before {
		c.sendAck()
	}
}
