package wire

import (
	"encoding/binary"
	"fmt"
	"strings"

	"synack/engine/tcp"
)

// Field is one header field of a packet, located in its bytes, for the byte inspector.
type Field struct {
	Layer     string `json:"layer"` // "ip", "tcp", "udp", "option", "payload"
	Name      string `json:"name"`  // stable key: "tcp.seq", "tcp.flags.syn", "option.mss", ...
	Offset    int    `json:"offset"`
	Len       int    `json:"len"`                  // bytes covered
	BitOffset int    `json:"bit_offset,omitempty"` // for sub-byte fields: first bit within Offset (0 = most significant)
	BitLen    int    `json:"bit_len,omitempty"`
	Value     string `json:"value"`
}

// Fields lists every field of an encoded packet, in byte order.
func Fields(b []byte) ([]Field, error) {
	seg, err := Decode(b)
	if err != nil {
		return nil, err
	}
	ihl := int(b[0]&0x0f) * 4
	u16 := func(o int) uint16 { return binary.BigEndian.Uint16(b[o:]) }
	f := []Field{
		{Layer: "ip", Name: "ip.version", Offset: 0, Len: 1, BitOffset: 0, BitLen: 4, Value: "4"},
		{Layer: "ip", Name: "ip.ihl", Offset: 0, Len: 1, BitOffset: 4, BitLen: 4, Value: fmt.Sprintf("%d (%d bytes)", ihl/4, ihl)},
		{Layer: "ip", Name: "ip.dscp_ecn", Offset: 1, Len: 1, Value: fmt.Sprintf("%#02x", b[1])},
		{Layer: "ip", Name: "ip.total_length", Offset: 2, Len: 2, Value: fmt.Sprint(u16(2))},
		{Layer: "ip", Name: "ip.id", Offset: 4, Len: 2, Value: fmt.Sprintf("%#04x", u16(4))},
		{Layer: "ip", Name: "ip.flags", Offset: 6, Len: 1, BitOffset: 0, BitLen: 3, Value: ipFlags(u16(6))},
		{Layer: "ip", Name: "ip.fragment_offset", Offset: 6, Len: 2, BitOffset: 3, BitLen: 13, Value: fmt.Sprint(u16(6) & 0x1fff)},
		{Layer: "ip", Name: "ip.ttl", Offset: 8, Len: 1, Value: fmt.Sprint(b[8])},
		{Layer: "ip", Name: "ip.protocol", Offset: 9, Len: 1, Value: protoName(b[9])},
		{Layer: "ip", Name: "ip.checksum", Offset: 10, Len: 2, Value: fmt.Sprintf("%#04x (correct)", u16(10))},
		{Layer: "ip", Name: "ip.src", Offset: 12, Len: 4, Value: seg.Src.String()},
		{Layer: "ip", Name: "ip.dst", Offset: 16, Len: 4, Value: seg.Dst.String()},
	}
	t := ihl
	if seg.UDP {
		f = append(f,
			Field{Layer: "udp", Name: "udp.sport", Offset: t, Len: 2, Value: fmt.Sprint(seg.SrcPort)},
			Field{Layer: "udp", Name: "udp.dport", Offset: t + 2, Len: 2, Value: fmt.Sprint(seg.DstPort)},
			Field{Layer: "udp", Name: "udp.length", Offset: t + 4, Len: 2, Value: fmt.Sprint(u16(t + 4))},
			Field{Layer: "udp", Name: "udp.checksum", Offset: t + 6, Len: 2, Value: fmt.Sprintf("%#04x (correct)", u16(t+6))},
		)
		if n := len(seg.Payload); n > 0 {
			f = append(f, Field{Layer: "payload", Name: "payload", Offset: t + UDPHeaderLen, Len: n, Value: fmt.Sprintf("%d bytes", n)})
		}
		return f, nil
	}
	doff := int(b[t+12]>>4) * 4
	f = append(f,
		Field{Layer: "tcp", Name: "tcp.sport", Offset: t, Len: 2, Value: fmt.Sprint(seg.SrcPort)},
		Field{Layer: "tcp", Name: "tcp.dport", Offset: t + 2, Len: 2, Value: fmt.Sprint(seg.DstPort)},
		Field{Layer: "tcp", Name: "tcp.seq", Offset: t + 4, Len: 4, Value: fmt.Sprint(uint32(seg.Seq))},
		Field{Layer: "tcp", Name: "tcp.ack", Offset: t + 8, Len: 4, Value: fmt.Sprint(uint32(seg.Ack))},
		Field{Layer: "tcp", Name: "tcp.data_offset", Offset: t + 12, Len: 1, BitOffset: 0, BitLen: 4, Value: fmt.Sprintf("%d (%d bytes)", doff/4, doff)},
		Field{Layer: "tcp", Name: "tcp.reserved", Offset: t + 12, Len: 1, BitOffset: 4, BitLen: 4, Value: fmt.Sprint(b[t+12] & 0x0f)},
	)
	// Byte 13, most significant bit first: CWR ECE URG ACK PSH RST SYN FIN.
	for i, fl := range []struct {
		name string
		bit  tcp.Flags
	}{{"cwr", tcp.CWR}, {"ece", tcp.ECE}, {"urg", tcp.URG}, {"ack", tcp.ACK},
		{"psh", tcp.PSH}, {"rst", tcp.RST}, {"syn", tcp.SYN}, {"fin", tcp.FIN}} {
		v := "0"
		if seg.Flags&fl.bit != 0 {
			v = "1"
		}
		f = append(f, Field{Layer: "tcp", Name: "tcp.flags." + fl.name, Offset: t + 13, Len: 1, BitOffset: i, BitLen: 1, Value: v})
	}
	f = append(f,
		Field{Layer: "tcp", Name: "tcp.window", Offset: t + 14, Len: 2, Value: fmt.Sprint(seg.Window)},
		Field{Layer: "tcp", Name: "tcp.checksum", Offset: t + 16, Len: 2, Value: fmt.Sprintf("%#04x (correct)", u16(t+16))},
		Field{Layer: "tcp", Name: "tcp.urgent", Offset: t + 18, Len: 2, Value: fmt.Sprint(seg.Urgent)},
	)
	o := t + TCPHeaderLen
	for o < t+doff {
		kind := tcp.OptionKind(b[o])
		l := 1
		if kind != tcp.OptEOL && kind != tcp.OptNOP {
			l = int(b[o+1])
		}
		if kind == tcp.OptEOL {
			f = append(f, Field{Layer: "option", Name: "option.padding", Offset: o, Len: t + doff - o, Value: "end of options"})
			break
		}
		name := optionName(kind)
		opt := decodeOne(b[o : o+l])
		f = append(f, Field{Layer: "option", Name: "option." + name, Offset: o, Len: l, Value: opt.String()})
		o += l
	}
	if n := len(seg.Payload); n > 0 {
		f = append(f, Field{Layer: "payload", Name: "payload", Offset: t + doff, Len: n, Value: fmt.Sprintf("%d bytes", n)})
	}
	return f, nil
}

func decodeOne(b []byte) tcp.Option {
	os, _ := decodeOptions(b, 0)
	if len(os) == 0 {
		return tcp.Option{Kind: tcp.OptionKind(b[0])}
	}
	return os[0]
}

func optionName(k tcp.OptionKind) string {
	switch k {
	case tcp.OptNOP:
		return "nop"
	case tcp.OptMSS:
		return "mss"
	case tcp.OptWindowScale:
		return "wscale"
	case tcp.OptSACKPermitted:
		return "sack_permitted"
	case tcp.OptSACK:
		return "sack"
	case tcp.OptTimestamps:
		return "timestamps"
	case tcp.OptFastOpen:
		return "fast_open"
	case tcp.OptExperimental:
		return "experimental"
	}
	return fmt.Sprintf("kind%d", k)
}

func ipFlags(v uint16) string {
	var s []string
	if v&0x4000 != 0 {
		s = append(s, "DF")
	}
	if v&0x2000 != 0 {
		s = append(s, "MF")
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ",")
}

func protoName(p byte) string {
	switch p {
	case protoTCP:
		return "6 (TCP)"
	case protoUDP:
		return "17 (UDP)"
	}
	return fmt.Sprint(p)
}
