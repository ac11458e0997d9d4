package tcp

// The congestion controller's entry points. The endpoint calls these and nothing else
// when the congestion window must grow or shrink, so loss recovery (which decides when a
// loss happened) and the algorithm (which decides by how much) stay apart: RFC 5681 for
// the rfc profile, CUBIC for linux (Linux tcp_congestion_ops: ssthresh, cong_avoid).

// ssthreshInfinite is the slow-start threshold before any loss (Linux
// TCP_INFINITE_SSTHRESH).
const ssthreshInfinite = 0x7fffffff

// congestionAcked grows the congestion window for an ACK that acknowledged acked
// segments (Linux tcp_cong_avoid).
func (c *Conn) congestionAcked(acked int) {
	if c.cwnd < 1<<30 && c.cwndMayGrow() {
		if c.h.Prof.CwndPerPacket {
			c.cwnd += uint32(acked) * uint32(c.mss) // slow start by segments acked (Linux tcp_slow_start)
		} else {
			c.cwnd += uint32(c.mss) // slow start (RFC 5681 §3.1)
		}
	}
}

// lossSsthresh is the slow-start threshold after a loss: half the data in flight, at
// least two segments (RFC 5681 §3.1, equation 4).
func (c *Conn) lossSsthresh() uint32 {
	flight := uint32(c.sndMax - c.sndUna)
	return max(flight/2, 2*uint32(c.mss))
}
