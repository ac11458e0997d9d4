package tcp

// CCSample is the sender's view of its window when a segment left: what a time-sequence
// graph and a congestion-window plot draw (the numbers of Linux's tcp_info and of
// tcptrace's graphs). All values are bytes. A zero Cwnd means no sample: the segment was
// not sent by a synchronized connection's output (a SYN, a listener's SYN-ACK, a RST to
// no socket, a spoofed segment).
type CCSample struct {
	Cwnd     uint32 // congestion window (RFC 5681 cwnd; Linux snd_cwnd × MSS)
	Ssthresh uint32 // slow-start threshold; SsthreshInfinite before the first loss
	InFlight uint32 // bytes sent and not yet acknowledged, this segment's too (SND.MAX − SND.UNA, RFC 5681's FlightSize)
	PeerWnd  uint32 // the peer's receive window, scaled (SND.WND)
	Sacked   uint32 // bytes of that flight the peer has reported with SACK blocks (the scoreboard's)
}

// SsthreshInfinite is the slow-start threshold a connection starts with (Linux
// TCP_INFINITE_SSTHRESH): no loss has set one yet.
const SsthreshInfinite = ssthreshInfinite

// ccSample is the connection's CCSample now.
func (c *Conn) ccSample() CCSample {
	var sacked uint32
	for _, b := range c.sb.sacked {
		sacked += b.Right.Sub(b.Left)
	}
	return CCSample{Cwnd: max(c.cwnd, 1), Ssthresh: c.ssthresh, InFlight: uint32(c.sndMax.Sub(c.sndUna)),
		PeerWnd: c.sndWnd, Sacked: sacked}
}

// emitCC sends seg as emit does and keeps the sender's sample with it.
func (h *Host) emitCC(seg Segment, retransmit bool, cc CCSample) {
	n := len(h.out)
	h.emit(seg, retransmit, nil)
	if len(h.out) > n {
		h.out[n].CC = cc
	}
}
