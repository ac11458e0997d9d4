package tcp

import (
	"fmt"
	"net/netip"
)

// Addresses used by the simulation (RFC 5737 documentation ranges, so a capture can never
// be mistaken for real traffic).
var (
	ClientAddr  = netip.MustParseAddr("192.0.2.1")
	ServerAddr  = netip.MustParseAddr("198.51.100.1")
	AttackerNet = netip.MustParsePrefix("203.0.113.0/24")
	ClientPort  = uint16(40000)
	ServerPort  = uint16(80)
)

// Segment is one TCP segment with the IPv4 addresses it travels between. Segments are
// plain values: whoever stores one keeps its own copy (see Clone).
type Segment struct {
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	Seq, Ack         Seq
	Flags            Flags
	Window           uint16 // the raw 16-bit field, before window scaling
	Urgent           uint16
	Options          Options
	Payload          []byte
	// IPID and TTL are IPv4 header fields carried so that encoding is exact.
	IPID uint16
	TTL  uint8
	// TOS is the IPv4 type-of-service byte: DSCP in its upper six bits, the ECN codepoint
	// in the lower two (RFC 3168 §5; ECT0 and the other codepoints in iptos.go).
	TOS uint8
	// NoDF clears IPv4's Don't Fragment bit, set otherwise (path MTU discovery, RFC
	// 1191): a socket whose IP_MTU_DISCOVER is IP_PMTUDISC_DONT sends without it.
	NoDF bool
	// UDP marks a UDP datagram (a QUIC packet) instead of a TCP segment: only the
	// addresses, ports and payload mean anything then.
	UDP bool
}

// Len returns the segment's length in sequence space: payload octets plus one for SYN and
// one for FIN (RFC 9293 §3.4, SEG.LEN).
func (s Segment) Len() uint32 {
	n := uint32(len(s.Payload))
	if s.UDP {
		return n
	}
	if s.Flags&SYN != 0 {
		n++
	}
	if s.Flags&FIN != 0 {
		n++
	}
	return n
}

// End returns the sequence number just past the segment (SEG.SEQ + SEG.LEN).
func (s Segment) End() Seq { return s.Seq.Add(s.Len()) }

// Clone returns a deep copy of the segment.
func (s Segment) Clone() Segment {
	c := s
	c.Options = s.Options.Clone()
	if s.Payload != nil {
		c.Payload = append([]byte(nil), s.Payload...)
	}
	return c
}

// Tuple returns the connection identifier as seen by the receiver of the segment.
func (s Segment) Tuple() Tuple {
	return Tuple{LocalAddr: s.Dst, LocalPort: s.DstPort, RemoteAddr: s.Src, RemotePort: s.SrcPort}
}

// String writes the segment in tcpdump's style with absolute numbers.
func (s Segment) String() string {
	return fmt.Sprintf("%s.%d > %s.%d: Flags [%s], seq %d, ack %d, win %d, length %d",
		s.Src, s.SrcPort, s.Dst, s.DstPort, s.Flags.TcpdumpString(), s.Seq, s.Ack, s.Window, len(s.Payload))
}

// Tuple identifies a connection from one endpoint's point of view.
type Tuple struct {
	LocalAddr  netip.Addr
	LocalPort  uint16
	RemoteAddr netip.Addr
	RemotePort uint16
}

// String writes the tuple as "local:port-remote:port".
func (t Tuple) String() string {
	return fmt.Sprintf("%s:%d-%s:%d", t.LocalAddr, t.LocalPort, t.RemoteAddr, t.RemotePort)
}
