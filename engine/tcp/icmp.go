package tcp

// ICMP errors about segments we sent (RFC 1122 §4.2.3.9, RFC 5927; Linux tcp_v4_err):
// destination unreachable, with "fragmentation needed" carrying the next hop's MTU for
// path MTU discovery (RFC 1191).

// ICMP is an ICMP error message reaching the host about one of its segments: its type
// and code, the MTU of a "fragmentation needed" message, and the echoed segment's
// addresses and sequence number (the first 8 bytes of its TCP header).
type ICMP struct {
	Type, Code uint8
	MTU        uint16
	// Echoed is the segment's tuple as the host sent it: local is ours.
	Echoed Tuple
	Seq    Seq
}

// The ICMP types and the unreachable codes the host acts on (RFC 792, RFC 1122).
const (
	ICMPDestUnreach  = 3
	ICMPTimeExceeded = 11
	ICMPParamProblem = 12

	ICMPFragNeeded = 4 // code of ICMPDestUnreach: fragmentation needed and DF set
)

// icmpErrno is Linux's icmp_err_convert: the errno each unreachable code gives, and
// whether it is a hard error (fatal).
var icmpErrno = [16]struct {
	err   Errno
	fatal bool
}{
	{ENETUNREACH, true}, {EHOSTUNREACH, true}, {ENOPROTOOPT, true}, {ECONNREFUSED, true},
	{EMSGSIZE, false}, {EOPNOTSUPP, false}, {ENETUNREACH, true}, {EHOSTDOWN, true},
	{ENONET, true}, {ENETUNREACH, true}, {EHOSTUNREACH, true}, {ENETUNREACH, false},
	{EHOSTUNREACH, false}, {EHOSTUNREACH, true}, {EHOSTUNREACH, true}, {EHOSTUNREACH, true},
}

// MinPMTU is the smallest path MTU the host takes from a "fragmentation needed"
// message (Linux ip_rt_min_pmtu: 512 + 20 + 20).
const MinPMTU = 552

// pathMTU is what ICMP errors left on a connection: the MSS the path MTU allows, and a
// soft error (Linux sk_err_soft) reported if the connection later times out.
type pathMTU struct {
	pmtuMSS uint16
	softErr Errno
}

// InputICMP hands the host an ICMP error at time now.
func (h *Host) InputICMP(now Time, m ICMP) {
	h.At(now)
	c := h.conns[m.Echoed]
	if c == nil || c.deleted {
		h.note("", "icmp-no-socket", "ICMP error about no connection: ignored")
		return
	}
	// tcp_v4_err: the echoed sequence number must lie in what is unacknowledged
	// (from the ISN for a Fast Open child still in SYN-RECEIVED).
	una := c.sndUna
	if c.state == SynReceived || c.state == SynSent {
		una = c.iss
	}
	if m.Seq.LessThan(una) || c.sndNxt.LessThan(m.Seq) {
		h.stats.OutOfWindowICMPs++
		h.note(c.peer, "icmp-out-of-window", "ICMP error about a sequence number not in flight: ignored")
		return
	}
	var err Errno
	fatal := false
	switch m.Type {
	case ICMPDestUnreach:
		if m.Code == ICMPFragNeeded {
			if c.pmtuDisc.acceptsPMTU() { // tcp_v4_mtu_reduced
				c.pmtuReduced(m.MTU)
			}
			return
		}
		if int(m.Code) >= len(icmpErrno) {
			return
		}
		err, fatal = icmpErrno[m.Code].err, icmpErrno[m.Code].fatal
	case ICMPTimeExceeded:
		err = EHOSTUNREACH
	case ICMPParamProblem:
		err, fatal = EPROTO, true
	default:
		return
	}
	switch c.state {
	case SynSent, SynReceived:
		// Before the handshake completes (an active open, or a Fast Open child not
		// yet accepted) the error ends the connection (tcp_v4_err: sk_err, tcp_done).
		if c.state == SynReceived && c.passive && (c.fastOpen == nil || !c.fastOpen.child) {
			// A request still in the SYN queue (tcp_req_err): a hard error about its
			// SYN-ACK removes it silently; accept() is not to see network errors.
			if fatal && m.Seq == c.iss {
				c.backToListen("ICMP " + string(err))
			}
			return
		}
		c.fail(err, "ICMP "+string(err))
		return
	}
	// A connection keeps trying until it times out; the error, hard or not, is what it
	// then reports (sk_err_soft: the socket did not ask for IP_RECVERR).
	c.softErr = err
}

// pmtuReduced lowers the connection's MSS to what a path MTU of mtu allows and resends
// what no longer fits (tcp_v4_mtu_reduced, tcp_simple_retransmit): a SYN that carried
// data goes again at once without it.
func (c *Conn) pmtuReduced(mtu uint16) {
	if c.state == Listen || c.state == Closed {
		return
	}
	mtu = max(mtu, MinPMTU)
	mss := mtu - 40 // the IPv4 and TCP headers
	if c.pmtuMSS != 0 && mss >= c.pmtuMSS || mss >= c.advMSS() && c.state == SynSent {
		return
	}
	c.pmtuMSS = mss
	c.h.note(c.peer, "pmtu-reduced", "ICMP fragmentation needed: MSS lowered to the path MTU")
	switch c.state {
	case SynSent:
		if fo := c.fastOpen; fo != nil && fo.synData > 0 {
			// tcp_simple_retransmit: the SYN with data is marked lost and sent again,
			// plain (no cookie, no data); the data follows the handshake.
			c.sendSYN(true)
		}
	default:
		if c.state.Synchronized() {
			opt := uint16(0)
			if c.tsOK {
				opt = 12
			}
			if mss-opt < c.mssFull {
				c.mssFull = mss - opt
				c.syncMSS()
				// What was sent in larger segments is lost: send it again now, in
				// segments of the new size, as far as the congestion window goes.
				budget := int(c.cwnd)
				for seq := c.sndUna; seq.LessThan(c.sndNxt) && budget > 0; {
					off := int(seq.Sub(c.sendStart))
					if off < 0 || off >= len(c.sendBuf) {
						break
					}
					n := c.eorLimit(seq, min(int(c.sndNxt.Sub(seq)), int(c.mss), len(c.sendBuf)-off))
					c.sendData(seq, off, n, true)
					seq = seq.Add(uint32(n))
					budget -= n
				}
			}
		}
	}
}

// timeoutErr is what a connection that timed out reports: the soft error an ICMP
// message left, or ETIMEDOUT (Linux tcp_write_err).
func (c *Conn) timeoutErr() Errno {
	if c.softErr != "" {
		return c.softErr
	}
	return ETIMEDOUT
}
