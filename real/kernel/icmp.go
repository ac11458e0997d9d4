package kernel

import (
	"encoding/binary"
	"time"

	"synack/engine/tcp"
)

// InjectICMP writes an ICMP error to the tun at time t, from the script's peer, about a
// segment the kernel sent: it echoes that segment's IPv4 header and the first 8 bytes
// of its TCP header (ports and sequence number), as a router does (RFC 792).
func (s *stack) InjectICMP(t time.Duration, m tcp.ICMP) error {
	s.sleepUntil(t)
	_, err := s.tun.Write(append(make([]byte, vnetHdrLen), encodeICMP(m)...))
	return err
}

// encodeICMP builds the IPv4 packet carrying m.
func encodeICMP(m tcp.ICMP) []byte {
	const ipLen, icmpHdr, echoedTCP = 20, 8, 8
	b := make([]byte, ipLen+icmpHdr+ipLen+echoedTCP)
	ipv4(b[:ipLen], len(b), 1, m.Echoed.RemoteAddr.As4(), m.Echoed.LocalAddr.As4())
	ic := b[ipLen:]
	ic[0], ic[1] = m.Type, m.Code
	if m.Type == tcp.ICMPDestUnreach && m.Code == tcp.ICMPFragNeeded {
		binary.BigEndian.PutUint16(ic[6:], m.MTU) // the next hop's MTU (RFC 1191)
	}
	e := ic[icmpHdr:]
	// The echoed segment: ours, from the stack to the peer, with DF set.
	ipv4(e[:ipLen], ipLen+20, 6, m.Echoed.LocalAddr.As4(), m.Echoed.RemoteAddr.As4())
	binary.BigEndian.PutUint16(e[ipLen:], m.Echoed.LocalPort)
	binary.BigEndian.PutUint16(e[ipLen+2:], m.Echoed.RemotePort)
	binary.BigEndian.PutUint32(e[ipLen+4:], uint32(m.Seq))
	binary.BigEndian.PutUint16(ic[2:], checksum(ic))
	return b
}

// ipv4 writes a 20-byte IPv4 header with DF set.
func ipv4(h []byte, total int, proto byte, src, dst [4]byte) {
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:], uint16(total))
	h[6] = 0x40 // DF
	h[8] = 64
	h[9] = proto
	copy(h[12:], src[:])
	copy(h[16:], dst[:])
	binary.BigEndian.PutUint16(h[10:], checksum(h))
}

// checksum is the Internet checksum (RFC 1071).
func checksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
