package tcp

// cwndUse records how fully the flow has used its congestion window in the current
// window of data (Linux tcp_sock's is_cwnd_limited, max_packets_out, cwnd_usage_seq).
type cwndUse struct {
	limited       bool // the last send found the flight at or over the window
	maxPacketsOut int  // the largest flight, in segments, of the current window
	usageSeq      Seq  // the window's end: past it, the record starts anew
}

// cwndValidate is tcp_cwnd_validate's bookkeeping, called after a send attempt: sent
// says new data or a FIN left. The flight fills the window when the segments in flight
// reach the window in segments (tcp_write_xmit: packets_in_flight >= snd_cwnd).
func (c *Conn) cwndValidate(sent bool) {
	if c.mss == 0 {
		return
	}
	out := len(c.outEnds)
	limited := out >= int(c.cwnd/uint32(c.mss))
	if !sent && !limited {
		return
	}
	u := &c.cwndUse
	if !c.sndUna.LessThan(u.usageSeq) || limited || (!u.limited && out > u.maxPacketsOut) {
		u.limited = limited
		u.maxPacketsOut = out
		u.usageSeq = c.sndNxt
	}
	c.sndbufStarved()
}

// cwndMayGrow reports whether an ACK may grow the congestion window. Under the profile's
// CwndLimitedGrowth only a flow that uses its window grows it (Linux tcp_is_cwnd_limited):
// the last flight filled it, or, in slow start, the window is less than twice the
// largest flight of the current window, so that it can still double what was in use.
// Slow start is cwnd < ssthresh (tcp_in_slow_start).
func (c *Conn) cwndMayGrow() bool {
	if !c.h.Prof.CwndLimitedGrowth {
		return true
	}
	if c.cwndUse.limited {
		return true
	}
	return c.inSlowStart() && c.mss > 0 && int(c.cwndSegs()) < 2*c.cwndUse.maxPacketsOut
}
