package capture

import (
	"encoding/binary"
	"io"
)

// pcapngState is what the current pcapng section has said so far.
type pcapngState struct {
	order  binary.ByteOrder
	ifaces []pcapngIface
	keyLog []byte
}

type pcapngIface struct {
	linkType uint32
	// tsUnit is the number of nanoseconds per timestamp unit, or tsDiv the number of
	// units per nanosecond's worth of division for resolutions finer than 1 ns.
	tsMul, tsDiv int64
}

// pcapngStart reads the first Section Header Block.
func (rd *Reader) pcapngStart() error {
	_, err := rd.pcapngBlock()
	return err
}

// pcapngNext reads blocks until a packet; false means the packet was not a TCP segment.
func (rd *Reader) pcapngNext() (bool, error) {
	for {
		rd.pkt.N = 0
		ok, err := rd.pcapngBlock()
		if err != nil || ok {
			return ok, err
		}
		if rd.pkt.N == -1 { // a packet block that was not TCP
			return false, nil
		}
	}
}

// pcapngBlock reads one block. It reports true when the block was a packet that decoded
// to a TCP segment; a packet that did not sets rd.pkt.N to -1.
func (rd *Reader) pcapngBlock() (bool, error) {
	st := &rd.pcapng
	start := rd.off
	h, err := rd.readFull(8, "block header")
	if err != nil {
		if rd.off == start {
			return false, io.EOF
		}
		return false, err
	}
	typ := binary.LittleEndian.Uint32(h)
	if typ == blockSHB {
		// A new section: its byte order comes from the magic after the length.
		m, err := rd.r.Peek(4)
		if len(m) < 4 {
			return false, truncated(rd.off, "section header", 4, len(m), io.ErrUnexpectedEOF)
		}
		_ = err
		switch binary.LittleEndian.Uint32(m) {
		case 0x1A2B3C4D:
			st.order = binary.LittleEndian
		case 0x4D3C2B1A:
			st.order = binary.BigEndian
		default:
			return false, errAt(rd.off, "section header's byte-order magic %#x is neither 0x1a2b3c4d nor its reverse", m)
		}
		st.ifaces = st.ifaces[:0]
	} else if st.order == nil {
		return false, errAt(start, "the file does not start with a section header block")
	} else {
		typ = st.order.Uint32(h)
	}
	total := st.order.Uint32(h[4:])
	if total < 12 || total%4 != 0 {
		return false, errAt(start+4, "block length %d is not a multiple of 4 of at least 12", total)
	}
	if total > MaxBlockBytes {
		return false, errAt(start+4, "block length %d is larger than the %d-byte limit", total, MaxBlockBytes)
	}
	b, err := rd.readFull(int(total)-8, "block")
	if err != nil {
		return false, err
	}
	body := b[:len(b)-4]
	if tail := st.order.Uint32(b[len(b)-4:]); tail != total {
		return false, errAt(start+int64(total)-4, "block's trailing length %d differs from its leading length %d", tail, total)
	}
	bodyOff := start + 8
	switch typ {
	case blockSHB:
		if len(body) < 16 {
			return false, errAt(start+4, "section header of %d bytes is shorter than 28", total)
		}
		if major := st.order.Uint16(body[4:]); major != 1 {
			return false, errAt(bodyOff+4, "pcapng major version %d: only 1 exists", major)
		}
		return false, checkOptions(st.order, body[16:], bodyOff+16)
	case blockIDB:
		if len(body) < 8 {
			return false, errAt(start+4, "interface description of %d bytes is shorter than 20", total)
		}
		if len(st.ifaces) >= MaxInterfaces {
			return false, errAt(start, "more than %d interfaces in one section", MaxInterfaces)
		}
		lt := uint32(st.order.Uint16(body[0:]))
		if snap := st.order.Uint32(body[4:]); snap > MaxSnapLen {
			return false, errAt(bodyOff+4, "snap length %d is larger than any packet (at most %d)", snap, MaxSnapLen)
		}
		ifc := pcapngIface{linkType: lt, tsMul: 1000} // microseconds unless if_tsresol says otherwise
		err := walkOptions(st.order, body[8:], bodyOff+8, func(code uint16, v []byte, off int64) error {
			if code != optTSResol {
				return nil
			}
			if len(v) != 1 {
				return errAt(off, "if_tsresol option of %d bytes, want 1", len(v))
			}
			r := v[0]
			if r&0x80 != 0 {
				return errAt(off+4, "binary timestamp resolution 2^-%d is not supported", r&0x7f)
			}
			if r > 18 {
				return errAt(off+4, "timestamp resolution 10^-%d is finer than any clock (at most 10^-18)", r)
			}
			ifc.tsMul, ifc.tsDiv = 1, 1
			for i := r; i < 9; i++ {
				ifc.tsMul *= 10
			}
			for i := uint8(9); i < r; i++ {
				ifc.tsDiv *= 10
			}
			return nil
		})
		if err != nil {
			return false, err
		}
		st.ifaces = append(st.ifaces, ifc)
		return false, nil
	case blockEPB, blockSPB:
		return rd.pcapngPacket(typ, body, start)
	case blockDSB:
		if len(body) < 8 {
			return false, errAt(start+4, "decryption secrets block of %d bytes is shorter than 20", total)
		}
		n := st.order.Uint32(body[4:])
		if uint64(n) > uint64(len(body)-8) {
			return false, errAt(bodyOff+4, "secrets length %d runs past the block's %d bytes", n, len(body)-8)
		}
		if err := checkOptions(st.order, body[8+pad4len(int(n)):], bodyOff+8+int64(pad4len(int(n)))); err != nil {
			return false, err
		}
		if st.order.Uint32(body) == secretsTLSKey {
			st.keyLog = append(st.keyLog, body[8:8+n]...)
		}
		return false, nil
	}
	return false, nil // other blocks (statistics, name resolution, custom) say nothing about TCP
}

const blockSPB = 0x00000003 // Simple Packet Block

func pad4len(n int) int { return (n + 3) &^ 3 }

// pcapngPacket decodes an Enhanced or Simple Packet Block.
func (rd *Reader) pcapngPacket(typ uint32, body []byte, start int64) (bool, error) {
	st := &rd.pcapng
	bodyOff := start + 8
	var ifc pcapngIface
	var ts int64
	var data []byte
	if typ == blockSPB {
		if len(st.ifaces) == 0 {
			return false, errAt(start, "simple packet block before any interface description")
		}
		if len(body) < 4 {
			return false, errAt(start+4, "simple packet block of %d bytes is shorter than 16", len(body)+12)
		}
		ifc = st.ifaces[0]
		orig := st.order.Uint32(body)
		data = body[4:]
		if uint64(orig) < uint64(len(data)) {
			data = data[:orig]
		}
	} else {
		if len(body) < 20 {
			return false, errAt(start+4, "enhanced packet block of %d bytes is shorter than 32", len(body)+12)
		}
		id := st.order.Uint32(body)
		if uint64(id) >= uint64(len(st.ifaces)) {
			return false, errAt(bodyOff, "packet on interface %d, but only %d are described", id, len(st.ifaces))
		}
		ifc = st.ifaces[id]
		raw := uint64(st.order.Uint32(body[4:]))<<32 | uint64(st.order.Uint32(body[8:]))
		if raw > 1<<62 {
			return false, errAt(bodyOff+4, "timestamp %d is out of range", raw)
		}
		ts = int64(raw)
		incl := st.order.Uint32(body[12:])
		if uint64(incl) > uint64(len(body)-20) {
			return false, errAt(bodyOff+12, "captured length %d runs past the block's %d bytes of packet data", incl, len(body)-20)
		}
		if orig := st.order.Uint32(body[16:]); orig < incl {
			return false, errAt(bodyOff+16, "original length %d is less than the captured length %d", orig, incl)
		}
		data = body[20 : 20+incl]
		if err := checkOptions(st.order, body[20+pad4len(int(incl)):], bodyOff+20+int64(pad4len(int(incl)))); err != nil {
			return false, err
		}
	}
	rd.n++
	if !rd.decode(ifc.linkType, data) {
		rd.pkt.N = -1
		return false, nil
	}
	if ifc.tsDiv > 1 {
		ts /= ifc.tsDiv
	} else if ts > (1<<62)/ifc.tsMul {
		return false, errAt(bodyOff+4, "timestamp %d overflows at this interface's resolution", ts)
	} else {
		ts *= ifc.tsMul
	}
	rd.pkt.N, rd.pkt.Offset, rd.pkt.TimeNs = rd.n, start, ts
	return true, nil
}

// checkOptions checks that a block's options are well formed.
func checkOptions(order binary.ByteOrder, b []byte, off int64) error {
	return walkOptions(order, b, off, func(uint16, []byte, int64) error { return nil })
}

// walkOptions calls f for each option of a block: code, value and the option's offset.
// Every option's length is checked against the bytes that are really there.
func walkOptions(order binary.ByteOrder, b []byte, off int64, f func(code uint16, v []byte, off int64) error) error {
	for i := 0; i < len(b); {
		if len(b)-i < 4 {
			return errAt(off+int64(i), "option header cut short: %d bytes left in the block", len(b)-i)
		}
		code, l := order.Uint16(b[i:]), int(order.Uint16(b[i+2:]))
		if code == 0 { // opt_endofopt
			return nil
		}
		if 4+pad4len(l) > len(b)-i {
			return errAt(off+int64(i)+2, "option %d of length %d runs past the end of its block", code, l)
		}
		if err := f(code, b[i+4:i+4+l], off+int64(i)); err != nil {
			return err
		}
		i += 4 + pad4len(l)
	}
	return nil
}
