package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"

	"synack/engine/tcp"
)

// The limits of the capture reader. A file that asks for more is refused at the byte
// that asks, before anything of that size is allocated.
const (
	// MaxSnapLen is the largest packet a record may hold (tcpdump's MAXIMUM_SNAPLEN),
	// and the largest snap length a pcap header or pcapng interface may declare.
	MaxSnapLen = 262144
	// MaxBlockBytes is the largest pcapng block read: a packet at MaxSnapLen with its
	// options, or a Decryption Secrets Block of a long key log.
	MaxBlockBytes = 4 << 20
	// MaxInterfaces is the most pcapng interfaces one section may describe.
	MaxInterfaces = 1024
	// MaxLineBytes is the longest line of tcpdump text read.
	MaxLineBytes = 64 << 10
)

// Format names the kind of file a Reader reads.
type Format uint8

// The formats a Reader recognises.
const (
	_ Format = iota
	FormatPCAP
	FormatPCAPNG
	FormatText // what tcpdump -n prints
)

var formatNames = [...]string{"", "pcap", "pcapng", "tcpdump text"}

// String returns the format's name.
func (f Format) String() string { return formatNames[f] }

// Error says what is wrong with a capture file and where: at a byte offset for a binary
// file, on a line for tcpdump text.
type Error struct {
	Offset int64 // byte offset in the file (binary formats)
	Line   int   // 1-based line number (tcpdump text); 0 for binary formats
	Msg    string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return fmt.Sprintf("byte %d: %s", e.Offset, e.Msg)
}

func errAt(off int64, format string, args ...any) *Error {
	return &Error{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// Packet is one TCP segment read from a capture. Its byte slices belong to the reader and
// are overwritten by the next call to Next: copy what must be kept.
type Packet struct {
	N      int   // frame number, counted from 1 over every record of the file (as tshark counts)
	Offset int64 // byte offset of the packet's record in the file
	TimeNs int64 // capture time, nanoseconds since the Unix epoch

	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	Seq, Ack         tcp.Seq
	Flags            tcp.Flags
	Window           uint16 // the raw 16-bit field
	Urgent           uint16
	// PayloadLen is the TCP payload length the IP header gives, which is more than
	// len(Payload) when the capture's snap length cut the packet.
	PayloadLen int
	Payload    []byte // the captured part of the payload
	OptBytes   []byte // the TCP options as on the wire
	// Opts are the options already decoded (tcpdump text); nil for binary captures,
	// whose OptBytes Options decodes.
	Opts tcp.Options
	// IP is the packet from its IP header on, as captured; nil for tcpdump text.
	IP  []byte
	TTL uint8
	ID  uint16
	// TOS is the IPv4 TOS byte or the IPv6 traffic class; NoDF is an IPv4 packet
	// without Don't Fragment (IPv6 has no such bit: false).
	TOS  uint8
	NoDF bool
}

// Options decodes the packet's TCP options. Malformed options end the list (tshark
// shows them as malformed; they change nothing the tracker infers).
func (p *Packet) Options() tcp.Options {
	if p.Opts != nil || p.OptBytes == nil {
		return p.Opts
	}
	return decodeOptions(p.OptBytes)
}

// WindowScale returns the shift of the packet's window-scale option, if it has one.
func (p *Packet) WindowScale() (uint8, bool) {
	if p.Opts != nil {
		if o, ok := p.Opts.Find(tcp.OptWindowScale); ok {
			return o.Shift, true
		}
		return 0, false
	}
	b := p.OptBytes
	for i := 0; i < len(b); {
		switch b[i] {
		case 0:
			return 0, false
		case 1:
			i++
			continue
		}
		if i+1 >= len(b) || b[i+1] < 2 || i+int(b[i+1]) > len(b) {
			return 0, false
		}
		if b[i] == 3 && b[i+1] == 3 {
			return b[i+2], true
		}
		i += int(b[i+1])
	}
	return 0, false
}

// Segment returns the packet as an engine segment (its own copy): what the trace views
// draw and what engine/wire encodes.
func (p *Packet) Segment() tcp.Segment {
	s := tcp.Segment{Src: p.Src, Dst: p.Dst, SrcPort: p.SrcPort, DstPort: p.DstPort,
		Seq: p.Seq, Ack: p.Ack, Flags: p.Flags, Window: p.Window, Urgent: p.Urgent,
		Options: p.Options().Clone(), IPID: p.ID, TTL: p.TTL, TOS: p.TOS, NoDF: p.NoDF}
	if p.PayloadLen > 0 {
		// The payload is the captured bytes, padded with zeros to its real length when the
		// snap length cut it, so sequence space and lengths stay true.
		s.Payload = make([]byte, p.PayloadLen)
		copy(s.Payload, p.Payload)
	}
	return s
}

// Reader reads TCP segments from a pcap, pcapng or tcpdump text file, one at a time,
// holding one record in memory. Packets that are not TCP over IPv4 or IPv6 are counted
// and skipped.
type Reader struct {
	format  Format
	r       *bufio.Reader
	off     int64 // bytes consumed so far
	n       int   // records read
	skipped int
	pkt     Packet
	buf     []byte

	pcap   pcapState
	pcapng pcapngState
	text   textState
}

// NewReader recognises the file's format from its first bytes and reads its header.
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	rd := &Reader{r: br}
	head, err := br.Peek(4)
	if len(head) < 4 {
		if err == nil || err == io.EOF {
			return nil, errAt(int64(len(head)), "the file is %d bytes long: too short for any capture format", len(head))
		}
		return nil, err
	}
	switch {
	case bytes.Equal(head, []byte{0xd4, 0xc3, 0xb2, 0xa1}), bytes.Equal(head, []byte{0xa1, 0xb2, 0xc3, 0xd4}),
		bytes.Equal(head, []byte{0x4d, 0x3c, 0xb2, 0xa1}), bytes.Equal(head, []byte{0xa1, 0xb2, 0x3c, 0x4d}):
		rd.format = FormatPCAP
		err = rd.pcapHeader()
	case binary.LittleEndian.Uint32(head) == blockSHB:
		rd.format = FormatPCAPNG
		err = rd.pcapngStart()
	case looksLikeText(br):
		rd.format = FormatText
	default:
		return nil, errAt(0, "not a pcap, pcapng or tcpdump -n text file (it starts with %#x)", head)
	}
	if err != nil {
		return nil, err
	}
	return rd, nil
}

// Format returns the format of the file being read.
func (rd *Reader) Format() Format { return rd.format }

// Skipped returns how many records so far were not TCP segments (other protocols,
// fragments, other link types).
func (rd *Reader) Skipped() int { return rd.skipped }

// KeyLog returns the TLS key log of the Decryption Secrets Blocks read so far (pcapng).
func (rd *Reader) KeyLog() []byte { return rd.pcapng.keyLog }

// Next returns the next TCP segment, or io.EOF after the last. The packet and its
// slices are valid until the next call.
func (rd *Reader) Next() (*Packet, error) {
	for {
		var ok bool
		var err error
		switch rd.format {
		case FormatPCAP:
			ok, err = rd.pcapNext()
		case FormatPCAPNG:
			ok, err = rd.pcapngNext()
		case FormatText:
			ok, err = rd.textNext()
		}
		if err != nil {
			return nil, err
		}
		if ok {
			return &rd.pkt, nil
		}
		rd.skipped++
	}
}

// readFull reads n bytes at the current offset into the reader's buffer, growing it only
// as bytes really arrive, so a length field cannot make it allocate more than the file
// holds. what names the record for the error of a short file.
func (rd *Reader) readFull(n int, what string) ([]byte, error) {
	start := rd.off
	if cap(rd.buf) >= n {
		rd.buf = rd.buf[:n]
		k, err := io.ReadFull(rd.r, rd.buf)
		rd.off += int64(k)
		if err != nil {
			return nil, truncated(start, what, n, k, err)
		}
		return rd.buf, nil
	}
	rd.buf = rd.buf[:0]
	for len(rd.buf) < n {
		chunk := min(n-len(rd.buf), 64<<10)
		l := len(rd.buf)
		rd.buf = append(rd.buf, make([]byte, chunk)...)
		k, err := io.ReadFull(rd.r, rd.buf[l:])
		rd.off += int64(k)
		if err != nil {
			return nil, truncated(start, what, n, l+k, err)
		}
	}
	return rd.buf, nil
}

func truncated(start int64, what string, want, got int, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return errAt(start, "%s: the file ends after %d of its %d bytes (truncated)", what, got, want)
	}
	return err
}

func looksLikeText(br *bufio.Reader) bool {
	b, _ := br.Peek(512)
	for _, c := range b {
		if c == 0 || c < 0x09 || c == 0x7f {
			return false
		}
	}
	return len(b) > 0
}

// Link types whose packets the reader can find IP in (tcpdump's LINKTYPE_ numbers).
const (
	linkNull     = 0   // BSD loopback: 4-byte address family in host order
	linkEthernet = 1   // Ethernet II, with 802.1Q tags
	linkRaw      = 101 // raw IP
	linkLoop     = 108 // OpenBSD loopback: 4-byte address family, network order
	linkSLL      = 113 // Linux cooked capture v1
	linkIPv4     = 228
	linkIPv6     = 229
	linkSLL2     = 276 // Linux cooked capture v2
)

// supportedLink reports whether the reader knows where IP starts in the link type.
func supportedLink(lt uint32) bool {
	switch lt {
	case linkNull, linkEthernet, linkRaw, linkLoop, linkSLL, linkIPv4, linkIPv6, linkSLL2:
		return true
	}
	return false
}

// decode fills rd.pkt from one captured frame of link type lt. It reports false for
// anything that is not a TCP segment (another protocol, a later IPv4 fragment, an IPv6
// packet with extension headers before TCP).
func (rd *Reader) decode(lt uint32, b []byte) bool {
	ip := linkPayload(lt, b)
	if ip == nil {
		return false
	}
	p := &rd.pkt
	p.IP = ip
	p.Opts = nil
	var t []byte
	var ipPayload int
	switch ip[0] >> 4 {
	case 4:
		if len(ip) < 20 {
			return false
		}
		ihl := int(ip[0]&0x0f) * 4
		total := int(binary.BigEndian.Uint16(ip[2:]))
		if ihl < 20 || len(ip) < ihl || ip[9] != 6 || total < ihl {
			return false
		}
		if binary.BigEndian.Uint16(ip[6:])&0x1fff != 0 { // a later fragment: no TCP header
			return false
		}
		if total == 0 { // TCP segmentation offload: the length is left for the NIC
			total = len(ip)
		}
		p.Src = netip.AddrFrom4([4]byte(ip[12:16]))
		p.Dst = netip.AddrFrom4([4]byte(ip[16:20]))
		p.TTL = ip[8]
		p.ID = binary.BigEndian.Uint16(ip[4:])
		p.TOS = ip[1]
		p.NoDF = binary.BigEndian.Uint16(ip[6:])&0x4000 == 0
		t = ip[ihl:]
		ipPayload = total - ihl
	case 6:
		if len(ip) < 40 || ip[6] != 6 { // only TCP straight after the fixed header
			return false
		}
		p.Src = netip.AddrFrom16([16]byte(ip[8:24]))
		p.Dst = netip.AddrFrom16([16]byte(ip[24:40]))
		p.TTL = ip[7]
		p.ID = 0
		p.TOS, p.NoDF = ip[0]<<4|ip[1]>>4, false
		t = ip[40:]
		ipPayload = int(binary.BigEndian.Uint16(ip[4:]))
		if ipPayload == 0 {
			ipPayload = len(t)
		}
	default:
		return false
	}
	if len(t) < 20 {
		return false
	}
	doff := int(t[12]>>4) * 4
	if doff < 20 || doff > len(t) || ipPayload < doff {
		return false
	}
	p.SrcPort = binary.BigEndian.Uint16(t[0:])
	p.DstPort = binary.BigEndian.Uint16(t[2:])
	p.Seq = tcp.Seq(binary.BigEndian.Uint32(t[4:]))
	p.Ack = tcp.Seq(binary.BigEndian.Uint32(t[8:]))
	p.Flags = tcp.Flags(t[13])
	p.Window = binary.BigEndian.Uint16(t[14:])
	p.Urgent = binary.BigEndian.Uint16(t[18:])
	p.OptBytes = t[20:doff]
	p.PayloadLen = ipPayload - doff
	p.Payload = t[doff:min(len(t), ipPayload)]
	return true
}

// linkPayload returns the IP packet inside a frame of link type lt, or nil.
func linkPayload(lt uint32, b []byte) []byte {
	switch lt {
	case linkRaw, linkIPv4, linkIPv6:
	case linkNull, linkLoop:
		if len(b) < 4 {
			return nil
		}
		b = b[4:]
	case linkEthernet:
		if len(b) < 14 {
			return nil
		}
		et := binary.BigEndian.Uint16(b[12:])
		b = b[14:]
		for (et == 0x8100 || et == 0x88a8) && len(b) >= 4 { // VLAN tags
			et = binary.BigEndian.Uint16(b[2:])
			b = b[4:]
		}
		if et != 0x0800 && et != 0x86dd {
			return nil
		}
	case linkSLL:
		if len(b) < 16 {
			return nil
		}
		if et := binary.BigEndian.Uint16(b[14:]); et != 0x0800 && et != 0x86dd {
			return nil
		}
		b = b[16:]
	case linkSLL2:
		if len(b) < 20 {
			return nil
		}
		if et := binary.BigEndian.Uint16(b[0:]); et != 0x0800 && et != 0x86dd {
			return nil
		}
		b = b[20:]
	default:
		return nil
	}
	if len(b) == 0 {
		return nil
	}
	return b
}

// decodeOptions parses TCP option bytes leniently: a malformed option ends the list.
func decodeOptions(b []byte) tcp.Options {
	os := tcp.Options{}
	for i := 0; i < len(b); {
		kind := tcp.OptionKind(b[i])
		if kind == tcp.OptEOL {
			return os
		}
		if kind == tcp.OptNOP {
			os = append(os, tcp.Option{Kind: tcp.OptNOP})
			i++
			continue
		}
		if i+1 >= len(b) || b[i+1] < 2 || i+int(b[i+1]) > len(b) {
			return os
		}
		l := int(b[i+1])
		v := b[i+2 : i+l]
		o := tcp.Option{Kind: kind}
		switch {
		case kind == tcp.OptMSS && l == 4:
			o.MSS = binary.BigEndian.Uint16(v)
		case kind == tcp.OptWindowScale && l == 3:
			o.Shift = v[0]
		case kind == tcp.OptSACKPermitted && l == 2:
		case kind == tcp.OptTimestamps && l == 10:
			o.TSVal = binary.BigEndian.Uint32(v)
			o.TSEcr = binary.BigEndian.Uint32(v[4:])
		case kind == tcp.OptSACK && l > 2 && (l-2)%8 == 0:
			for j := 0; j < len(v); j += 8 {
				o.Blocks = append(o.Blocks, tcp.SACKBlock{
					Left: tcp.Seq(binary.BigEndian.Uint32(v[j:])), Right: tcp.Seq(binary.BigEndian.Uint32(v[j+4:]))})
			}
		case kind == tcp.OptFastOpen:
			o.Cookie = append([]byte{}, v...)
		case kind == tcp.OptExperimental && len(v) >= 2 && binary.BigEndian.Uint16(v) == tcp.FastOpenMagic:
			o.Cookie = append([]byte{}, v[2:]...)
		default:
			if kind == tcp.OptMSS || kind == tcp.OptWindowScale || kind == tcp.OptSACKPermitted ||
				kind == tcp.OptTimestamps || kind == tcp.OptSACK {
				return os // a known kind with the wrong length: malformed
			}
			o.Data = append([]byte{}, v...)
		}
		os = append(os, o)
		i += l
	}
	return os
}
