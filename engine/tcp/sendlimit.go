package tcp

// sendLimit is what bounds the data a socket queues for sending, and what marks its
// boundaries: Linux's send buffer (sk_sndbuf), TCP_NOTSENT_LOWAT, MSG_EOR.
type sendLimit struct {
	// spaceWakeups counts the times acknowledged data freed room a writer was waiting
	// for (sk_stream_write_space after SOCK_NOSPACE): an epoll wakeup.
	spaceWakeups uint64
	eorMarks
}

// eorMarks is MSG_EOR's record of where a write ended that nothing may be merged
// across (Linux TCP_SKB_CB(skb)->eor, tcp_skb_can_collapse): no later write joins its
// buffer, and no segment, sent or resent, spans the mark.
type eorMarks struct {
	eorAt []Seq
}

// markEOR notes that the data written so far ends a record (MSG_EOR).
func (c *Conn) markEOR() {
	end := c.sendStart.Add(uint32(len(c.sendBuf)))
	if n := len(c.eorAt); n == 0 || c.eorAt[n-1].LessThan(end) {
		c.eorAt = append(c.eorAt, end)
	}
}

// eorLimit cuts a segment of n bytes starting at seq so that it ends at the first
// record end after seq, if that comes sooner.
func (c *Conn) eorLimit(seq Seq, n int) int {
	for len(c.eorAt) > 0 && c.eorAt[0].LessThanEq(c.sndUna) {
		c.eorAt = c.eorAt[1:]
	}
	for _, e := range c.eorAt {
		if seq.LessThan(e) {
			return min(n, int(e.Sub(seq)))
		}
	}
	return n
}
