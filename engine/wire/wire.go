// Package wire turns engine segments into real IPv4 packets and back: a 20-byte IPv4
// header, a TCP header with options (or a UDP header), the payload, and correct RFC 1071
// checksums. Captures, the byte inspector and the kernel runner all use these bytes, so
// what a reader sees is what would cross a wire.
//
// Options are written in the order given and padded to a multiple of four bytes with EOL
// (zero) bytes, as Linux does. Decode drops that trailing padding, so Decode(Encode(s))
// equals s whenever s's option list does not itself end in EOL.
package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"synack/engine/tcp"
)

// Header sizes and limits.
const (
	IPv4HeaderLen = 20
	TCPHeaderLen  = 20
	UDPHeaderLen  = 8
	// MaxOptionsLen is the most option bytes a TCP header can carry (data offset 15).
	MaxOptionsLen = 40
	protoTCP      = 6
	protoUDP      = 17
	flagDF        = 0x4000
)

// Encode serializes seg as an IPv4 packet. Options beyond MaxOptionsLen are cut.
func Encode(seg tcp.Segment) []byte {
	if seg.UDP {
		return encodeUDP(seg)
	}
	opts := encodeOptions(seg.Options)
	tcpLen := TCPHeaderLen + len(opts) + len(seg.Payload)
	b := make([]byte, IPv4HeaderLen+tcpLen)
	putIPv4(b, seg, protoTCP, len(b))
	t := b[IPv4HeaderLen:]
	binary.BigEndian.PutUint16(t[0:], seg.SrcPort)
	binary.BigEndian.PutUint16(t[2:], seg.DstPort)
	binary.BigEndian.PutUint32(t[4:], uint32(seg.Seq))
	binary.BigEndian.PutUint32(t[8:], uint32(seg.Ack))
	t[12] = byte((TCPHeaderLen+len(opts))/4) << 4
	t[13] = byte(seg.Flags)
	binary.BigEndian.PutUint16(t[14:], seg.Window)
	binary.BigEndian.PutUint16(t[18:], seg.Urgent)
	copy(t[TCPHeaderLen:], opts)
	copy(t[TCPHeaderLen+len(opts):], seg.Payload)
	binary.BigEndian.PutUint16(t[16:], transportChecksum(seg.Src, seg.Dst, protoTCP, t))
	return b
}

func encodeUDP(seg tcp.Segment) []byte {
	b := make([]byte, IPv4HeaderLen+UDPHeaderLen+len(seg.Payload))
	putIPv4(b, seg, protoUDP, len(b))
	u := b[IPv4HeaderLen:]
	binary.BigEndian.PutUint16(u[0:], seg.SrcPort)
	binary.BigEndian.PutUint16(u[2:], seg.DstPort)
	binary.BigEndian.PutUint16(u[4:], uint16(len(u)))
	copy(u[UDPHeaderLen:], seg.Payload)
	cs := transportChecksum(seg.Src, seg.Dst, protoUDP, u)
	if cs == 0 {
		cs = 0xffff // RFC 768: a computed zero is sent as all ones
	}
	binary.BigEndian.PutUint16(u[6:], cs)
	return b
}

func putIPv4(b []byte, seg tcp.Segment, proto byte, total int) {
	b[0] = 0x45
	b[1] = seg.TOS
	binary.BigEndian.PutUint16(b[2:], uint16(total))
	binary.BigEndian.PutUint16(b[4:], seg.IPID)
	if !seg.NoDF {
		binary.BigEndian.PutUint16(b[6:], flagDF)
	}
	b[8] = seg.TTL
	b[9] = proto
	src, dst := seg.Src.As4(), seg.Dst.As4()
	copy(b[12:16], src[:])
	copy(b[16:20], dst[:])
	binary.BigEndian.PutUint16(b[10:], checksum(b[:IPv4HeaderLen], 0))
}

// encodeOptions lays out options and pads them with EOL to a multiple of four.
func encodeOptions(os tcp.Options) []byte {
	var b []byte
	for _, o := range os {
		if len(b)+o.Len() > MaxOptionsLen {
			break
		}
		switch o.Kind {
		case tcp.OptEOL, tcp.OptNOP:
			b = append(b, byte(o.Kind))
		case tcp.OptMSS:
			b = append(b, 2, 4, byte(o.MSS>>8), byte(o.MSS))
		case tcp.OptWindowScale:
			b = append(b, 3, 3, o.Shift)
		case tcp.OptSACKPermitted:
			b = append(b, 4, 2)
		case tcp.OptSACK:
			b = append(b, 5, byte(2+8*len(o.Blocks)))
			for _, blk := range o.Blocks {
				b = binary.BigEndian.AppendUint32(b, uint32(blk.Left))
				b = binary.BigEndian.AppendUint32(b, uint32(blk.Right))
			}
		case tcp.OptTimestamps:
			b = append(b, 8, 10)
			b = binary.BigEndian.AppendUint32(b, o.TSVal)
			b = binary.BigEndian.AppendUint32(b, o.TSEcr)
		case tcp.OptFastOpen:
			b = append(b, byte(o.Kind), byte(o.Len()))
			b = append(b, o.Cookie...)
		case tcp.OptExperimental:
			if o.Data != nil {
				b = append(b, byte(o.Kind), byte(2+len(o.Data)))
				b = append(b, o.Data...)
				break
			}
			b = append(b, byte(o.Kind), byte(o.Len()))
			b = binary.BigEndian.AppendUint16(b, tcp.FastOpenMagic)
			b = append(b, o.Cookie...)
		default:
			b = append(b, byte(o.Kind), byte(2+len(o.Data)))
			b = append(b, o.Data...)
		}
	}
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// checksum is the RFC 1071 Internet checksum of b, starting from the partial sum.
func checksum(b []byte, sum uint32) uint16 {
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// pseudoSum is the partial sum of the IPv4 pseudo-header (RFC 9293 §3.1).
func pseudoSum(src, dst netip.Addr, proto byte, length int) uint32 {
	s, d := src.As4(), dst.As4()
	var sum uint32
	sum += uint32(s[0])<<8 | uint32(s[1])
	sum += uint32(s[2])<<8 | uint32(s[3])
	sum += uint32(d[0])<<8 | uint32(d[1])
	sum += uint32(d[2])<<8 | uint32(d[3])
	sum += uint32(proto)
	sum += uint32(length)
	return sum
}

// transportChecksum computes the TCP or UDP checksum of t (with its checksum field zero).
func transportChecksum(src, dst netip.Addr, proto byte, t []byte) uint16 {
	return checksum(t, pseudoSum(src, dst, proto, len(t)))
}

// DecodeError says what is wrong with a packet and at which byte.
type DecodeError struct {
	Offset int
	Msg    string
}

func (e *DecodeError) Error() string { return fmt.Sprintf("byte %d: %s", e.Offset, e.Msg) }

func errAt(off int, format string, args ...any) error {
	return &DecodeError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// Decode parses an IPv4 packet carrying TCP or UDP, checking lengths and both checksums.
func Decode(b []byte) (tcp.Segment, error) {
	var seg tcp.Segment
	if len(b) < IPv4HeaderLen {
		return seg, errAt(0, "packet of %d bytes is shorter than an IPv4 header", len(b))
	}
	if v := b[0] >> 4; v != 4 {
		return seg, errAt(0, "IP version %d, want 4", v)
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < IPv4HeaderLen || ihl > len(b) {
		return seg, errAt(0, "IPv4 header length %d is invalid", ihl)
	}
	total := int(binary.BigEndian.Uint16(b[2:]))
	if total < ihl || total > len(b) {
		return seg, errAt(2, "IPv4 total length %d does not fit the %d bytes given", total, len(b))
	}
	b = b[:total]
	if checksum(b[:ihl], 0) != 0 {
		return seg, errAt(10, "bad IPv4 header checksum %#04x", binary.BigEndian.Uint16(b[10:]))
	}
	seg.IPID = binary.BigEndian.Uint16(b[4:])
	seg.TTL = b[8]
	seg.TOS = b[1]
	seg.NoDF = binary.BigEndian.Uint16(b[6:])&flagDF == 0
	seg.Src = netip.AddrFrom4([4]byte(b[12:16]))
	seg.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	t := b[ihl:]
	switch b[9] {
	case protoUDP:
		return decodeUDP(seg, t, ihl)
	case protoTCP:
	default:
		return seg, errAt(9, "IP protocol %d is neither TCP (6) nor UDP (17)", b[9])
	}
	if len(t) < TCPHeaderLen {
		return seg, errAt(ihl, "TCP header truncated: %d bytes", len(t))
	}
	doff := int(t[12]>>4) * 4
	if doff < TCPHeaderLen || doff > len(t) {
		return seg, errAt(ihl+12, "TCP data offset %d is invalid for a %d-byte segment", doff, len(t))
	}
	if transportChecksum(seg.Src, seg.Dst, protoTCP, t) != 0 {
		return seg, errAt(ihl+16, "bad TCP checksum %#04x", binary.BigEndian.Uint16(t[16:]))
	}
	seg.SrcPort = binary.BigEndian.Uint16(t[0:])
	seg.DstPort = binary.BigEndian.Uint16(t[2:])
	seg.Seq = tcp.Seq(binary.BigEndian.Uint32(t[4:]))
	seg.Ack = tcp.Seq(binary.BigEndian.Uint32(t[8:]))
	seg.Flags = tcp.Flags(t[13])
	seg.Window = binary.BigEndian.Uint16(t[14:])
	seg.Urgent = binary.BigEndian.Uint16(t[18:])
	opts, err := decodeOptions(t[TCPHeaderLen:doff], ihl+TCPHeaderLen)
	if err != nil {
		return seg, err
	}
	seg.Options = opts
	if len(t) > doff {
		seg.Payload = append([]byte(nil), t[doff:]...)
	}
	return seg, nil
}

func decodeUDP(seg tcp.Segment, u []byte, ihl int) (tcp.Segment, error) {
	if len(u) < UDPHeaderLen {
		return seg, errAt(ihl, "UDP header truncated: %d bytes", len(u))
	}
	if l := int(binary.BigEndian.Uint16(u[4:])); l != len(u) {
		return seg, errAt(ihl+4, "UDP length %d, but %d bytes follow the IP header", l, len(u))
	}
	if binary.BigEndian.Uint16(u[6:]) != 0 && transportChecksum(seg.Src, seg.Dst, protoUDP, u) != 0 {
		return seg, errAt(ihl+6, "bad UDP checksum %#04x", binary.BigEndian.Uint16(u[6:]))
	}
	seg.UDP = true
	seg.SrcPort = binary.BigEndian.Uint16(u[0:])
	seg.DstPort = binary.BigEndian.Uint16(u[2:])
	if len(u) > UDPHeaderLen {
		seg.Payload = append([]byte(nil), u[UDPHeaderLen:]...)
	}
	return seg, nil
}

// decodeOptions parses the TCP option bytes; base is their offset in the packet.
func decodeOptions(b []byte, base int) (tcp.Options, error) {
	var os tcp.Options
	for i := 0; i < len(b); {
		kind := tcp.OptionKind(b[i])
		switch kind {
		case tcp.OptEOL:
			// The rest is padding; keep an EOL only if something non-zero follows.
			for _, c := range b[i:] {
				if c != 0 {
					return os, errAt(base+i, "option bytes after the end-of-options marker")
				}
			}
			return os, nil
		case tcp.OptNOP:
			os = append(os, tcp.Option{Kind: tcp.OptNOP})
			i++
			continue
		}
		if i+1 >= len(b) {
			return os, errAt(base+i, "tcp option kind %d has no length byte", kind)
		}
		l := int(b[i+1])
		if l < 2 {
			return os, errAt(base+i+1, "tcp option kind %d: length %d is too short", kind, l)
		}
		if i+l > len(b) {
			return os, errAt(base+i+1, "tcp option kind %d: length %d runs past the header", kind, l)
		}
		v := b[i+2 : i+l]
		o := tcp.Option{Kind: kind}
		want := -1
		switch kind {
		case tcp.OptMSS:
			want = 4
		case tcp.OptWindowScale:
			want = 3
		case tcp.OptSACKPermitted:
			want = 2
		case tcp.OptTimestamps:
			want = 10
		case tcp.OptSACK:
			if (l-2)%8 != 0 || l == 2 {
				return os, errAt(base+i+1, "sack option: length %d is not 2 plus a multiple of 8", l)
			}
		}
		if want >= 0 && l != want {
			return os, errAt(base+i+1, "tcp option kind %d: length %d, want %d", kind, l, want)
		}
		switch kind {
		case tcp.OptMSS:
			o.MSS = binary.BigEndian.Uint16(v)
		case tcp.OptWindowScale:
			o.Shift = v[0]
		case tcp.OptTimestamps:
			o.TSVal = binary.BigEndian.Uint32(v)
			o.TSEcr = binary.BigEndian.Uint32(v[4:])
		case tcp.OptSACK:
			for j := 0; j < len(v); j += 8 {
				o.Blocks = append(o.Blocks, tcp.SACKBlock{
					Left:  tcp.Seq(binary.BigEndian.Uint32(v[j:])),
					Right: tcp.Seq(binary.BigEndian.Uint32(v[j+4:]))})
			}
		case tcp.OptSACKPermitted:
		case tcp.OptFastOpen:
			o.Cookie = append([]byte{}, v...)
		case tcp.OptExperimental:
			if len(v) >= 2 && binary.BigEndian.Uint16(v) == tcp.FastOpenMagic {
				o.Cookie = append([]byte{}, v[2:]...)
				break
			}
			o.Data = append([]byte{}, v...)
		default:
			o.Data = append([]byte{}, v...)
		}
		os = append(os, o)
		i += l
	}
	return os, nil
}
