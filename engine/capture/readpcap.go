package capture

import (
	"encoding/binary"
	"io"
)

// pcapState is what the classic libpcap header says about the records after it.
type pcapState struct {
	order    binary.ByteOrder
	nanos    bool // nanosecond timestamps (magic a1b23c4d)
	linkType uint32
}

// pcapHeader reads the 24-byte libpcap file header.
func (rd *Reader) pcapHeader() error {
	h, err := rd.readFull(24, "pcap file header")
	if err != nil {
		return err
	}
	st := &rd.pcap
	switch {
	case h[0] == 0xd4 && h[1] == 0xc3:
		st.order = binary.LittleEndian
	case h[0] == 0x4d && h[1] == 0x3c:
		st.order, st.nanos = binary.LittleEndian, true
	case h[0] == 0xa1 && h[2] == 0xc3:
		st.order = binary.BigEndian
	default:
		st.order, st.nanos = binary.BigEndian, true
	}
	if v := st.order.Uint16(h[4:]); v != 2 {
		return errAt(4, "pcap version %d.%d: only 2.4 exists", v, st.order.Uint16(h[6:]))
	}
	if snap := st.order.Uint32(h[16:]); snap > MaxSnapLen {
		return errAt(16, "snap length %d is larger than any packet (at most %d)", snap, MaxSnapLen)
	}
	// The link type is the low 16 bits; the upper ones carry an FCS length.
	st.linkType = st.order.Uint32(h[20:]) & 0xffff
	if !supportedLink(st.linkType) {
		return errAt(20, "link type %d is not one this reader knows (Ethernet, raw IP, Linux cooked, loopback)", st.linkType)
	}
	return nil
}

// pcapNext reads one record; false means it was not a TCP segment.
func (rd *Reader) pcapNext() (bool, error) {
	st := &rd.pcap
	start := rd.off
	h, err := rd.readFull(16, "record header")
	if err != nil {
		if rd.off == start { // a clean end of file, between records
			return false, io.EOF
		}
		return false, err
	}
	sec, frac := int64(st.order.Uint32(h[0:])), int64(st.order.Uint32(h[4:]))
	incl, orig := st.order.Uint32(h[8:]), st.order.Uint32(h[12:])
	if incl > MaxSnapLen {
		return false, errAt(start+8, "record of %d bytes is larger than the %d-byte limit", incl, MaxSnapLen)
	}
	if orig < incl {
		return false, errAt(start+12, "record's original length %d is less than its captured length %d", orig, incl)
	}
	if st.nanos {
		if frac >= 1e9 {
			return false, errAt(start+4, "nanoseconds field %d is not below 1e9", frac)
		}
	} else if frac >= 1e6 {
		return false, errAt(start+4, "microseconds field %d is not below 1e6", frac)
	} else {
		frac *= 1000
	}
	b, err := rd.readFull(int(incl), "packet")
	if err != nil {
		return false, err
	}
	rd.n++
	if !rd.decode(st.linkType, b) {
		return false, nil
	}
	rd.pkt.N, rd.pkt.Offset, rd.pkt.TimeNs = rd.n, start, sec*1e9+frac
	return true, nil
}
