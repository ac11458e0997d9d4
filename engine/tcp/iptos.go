package tcp

// The IP header fields a TCP socket sets: the TOS byte (IP_TOS, and the ECN codepoint,
// RFC 3168 §5) and the Don't Fragment bit (IP_MTU_DISCOVER, RFC 1191).

// The ECN codepoints, the low two bits of the TOS byte (RFC 3168 §5).
const (
	NotECT  uint8 = 0 // not ECN-capable transport
	ECT1    uint8 = 1
	ECT0    uint8 = 2
	CE      uint8 = 3 // congestion experienced
	ECNMask uint8 = 3
)

// PMTUDisc is a socket's IP_MTU_DISCOVER mode (Linux's IP_PMTUDISC_* values).
type PMTUDisc uint8

// The IP_MTU_DISCOVER modes, numbered as Linux numbers them (include/uapi/linux/in.h).
// A TCP socket starts in PMTUDiscWant (net.ipv4.ip_no_pmtu_disc 0).
const (
	PMTUDiscDont      PMTUDisc = iota // never set DF, ignore "fragmentation needed"
	PMTUDiscWant                      // set DF unless the route's MTU is locked
	PMTUDiscDo                        // always set DF
	PMTUDiscProbe                     // send without DF, ignore path MTU messages
	PMTUDiscInterface                 // the interface's MTU only, no DF
	PMTUDiscOmit                      // like Interface, for the socket's own packets
)

// ipOpts are the IP-level options of a connection.
type ipOpts struct {
	// tos is IP_TOS's DSCP bits (the ECN bits are the stack's: see Conn.SetTOS).
	tos uint8
	// pmtuDisc is IP_MTU_DISCOVER (newConn starts it at PMTUDiscWant).
	pmtuDisc PMTUDisc
	// ecnAsked is set while the SYN we sent asked for ECN (RFC 3168 §6.1.1): only then
	// does a SYN-ACK with ECE make the connection ECN-capable.
	ecnAsked bool
	// cwrQueued is a window reduction the peer has not yet been told of: the next new
	// data segment carries CWR (RFC 3168 §6.1.2).
	cwrQueued bool
}

// dontFragment reports whether the socket's packets carry DF (Linux ip_dont_fragment:
// IP_PMTUDISC_DO, or IP_PMTUDISC_WANT on a route whose MTU is not locked, which the
// engine's never are).
func (m PMTUDisc) dontFragment() bool { return m == PMTUDiscDo || m == PMTUDiscWant }

// acceptsPMTU reports whether a "fragmentation needed" message lowers the MSS (Linux
// tcp_v4_mtu_reduced: not under IP_PMTUDISC_DONT, and ip_sk_accept_pmtu refuses it
// under IP_PMTUDISC_INTERFACE and IP_PMTUDISC_OMIT).
func (m PMTUDisc) acceptsPMTU() bool {
	return m != PMTUDiscDont && m != PMTUDiscInterface && m != PMTUDiscOmit
}

// SetTOS is setsockopt(IP_TOS): the DSCP bits of every segment the connection sends
// from now on. On a stream socket the ECN bits stay the stack's (Linux
// __ip_sock_set_tos), which marks new data ECT(0) on an ECN-capable connection and
// nothing else (RFC 3168 §6.1.2, §6.1.5: not pure ACKs, not retransmissions; Linux
// tcp_ecn_send).
func (c *Conn) SetTOS(tos uint8) { c.tos = tos &^ ECNMask }

// TOS returns the DSCP bits IP_TOS set.
func (c *Conn) TOS() uint8 { return c.tos }

// SetPMTUDisc is setsockopt(IP_MTU_DISCOVER).
func (c *Conn) SetPMTUDisc(m PMTUDisc) { c.pmtuDisc = m }

// PMTUDisc returns the socket's IP_MTU_DISCOVER mode.
func (c *Conn) PMTUDisc() PMTUDisc { return c.pmtuDisc }

// queueCWR notes a congestion window reduction, for a timeout or a fast retransmit, on an
// ECN-capable connection (RFC 3168 §6.1.2: "the TCP sender sets the CWR flag in the TCP
// header of the first new data packet sent after the window reduction"; Linux
// tcp_ecn_queue_cwr from tcp_enter_loss and tcp_init_cwnd_reduction).
func (c *Conn) queueCWR() {
	if c.ecnOK {
		c.cwrQueued = true
	}
}

// markECN gives a data segment its ECN codepoint and, once, the CWR flag: new data on an
// ECN-capable connection is ECT(0); a retransmission is not ECN-capable (RFC 3168
// §6.1.5; Linux tcp_ecn_send).
func (c *Conn) markECN(seg *Segment, newData bool) {
	if !c.ecnOK || !newData {
		return
	}
	seg.TOS |= ECT0
	if c.cwrQueued {
		seg.Flags |= CWR
		c.cwrQueued = false
	}
}

// applyIP gives c the IP options o holds.
func (o SockOpts) applyIP(c *Conn) {
	c.SetTOS(o.TOS)
	if o.HasPMTUDisc {
		c.SetPMTUDisc(o.PMTUDisc)
	}
}
