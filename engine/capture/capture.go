// Package capture writes a trace as a packet capture that Wireshark and tshark open:
// classic libpcap or pcapng, one packet per segment, bytes from engine/wire, timestamps
// from virtual time. The capture point is "as each segment leaves its sender": segments
// the simulated link dropped are in the capture too (pcapng marks them with a comment),
// since they were sent. A pcapng file can carry a TLS key log in a Decryption Secrets
// Block, so the TLS handshakes it contains decrypt with no extra file.
package capture

import (
	"bufio"
	"encoding/binary"
	"io"

	"synack/engine"
	"synack/engine/tcp"
	"synack/engine/wire"
)

// LinkTypeRaw is LINKTYPE_RAW: each packet starts with its IPv4 header.
const LinkTypeRaw = 101

// Epoch is the wall-clock second that virtual time 0 is written as (2026-01-01T00:00:00Z),
// so captures show sensible dates and stay byte-identical run to run.
const Epoch = 1767225600

// WritePCAP writes the trace's segments as a classic libpcap file with microsecond
// timestamps.
func WritePCAP(w io.Writer, tr *engine.Trace) error {
	bw := bufio.NewWriter(w)
	var h [24]byte
	binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], 65535)
	binary.LittleEndian.PutUint32(h[20:], LinkTypeRaw)
	bw.Write(h[:])
	for _, e := range tr.Scan() {
		if e.Kind != tcp.EventSegment {
			continue
		}
		b := wire.Encode(e.Segment.Seg)
		var r [16]byte
		us := int64(e.At)
		binary.LittleEndian.PutUint32(r[0:], uint32(Epoch+us/1e6))
		binary.LittleEndian.PutUint32(r[4:], uint32(us%1e6))
		binary.LittleEndian.PutUint32(r[8:], uint32(len(b)))
		binary.LittleEndian.PutUint32(r[12:], uint32(len(b)))
		bw.Write(r[:])
		bw.Write(b)
	}
	return bw.Flush()
}

// pcapng block types and option codes (draft-ietf-opsawg-pcapng).
const (
	blockSHB      = 0x0A0D0D0A
	blockIDB      = 0x00000001
	blockEPB      = 0x00000006
	blockDSB      = 0x0000000A
	secretsTLSKey = 0x544c534b // "TLSK": NSS key log format
	optComment    = 1
	optTSResol    = 9
)

// WritePCAPNG writes the trace as pcapng. When keyLog is non-empty it goes into a
// Decryption Secrets Block before the first packet.
func WritePCAPNG(w io.Writer, tr *engine.Trace, keyLog []byte) error {
	bw := bufio.NewWriter(w)
	// Section Header Block: byte-order magic, version 1.0, unknown section length.
	shb := make([]byte, 0, 16)
	shb = binary.LittleEndian.AppendUint32(shb, 0x1A2B3C4D)
	shb = binary.LittleEndian.AppendUint16(shb, 1)
	shb = binary.LittleEndian.AppendUint16(shb, 0)
	shb = binary.LittleEndian.AppendUint64(shb, 0xFFFFFFFFFFFFFFFF)
	writeBlock(bw, blockSHB, shb)
	// Interface Description Block: raw IP, microsecond resolution.
	idb := make([]byte, 0, 20)
	idb = binary.LittleEndian.AppendUint16(idb, LinkTypeRaw)
	idb = binary.LittleEndian.AppendUint16(idb, 0)
	idb = binary.LittleEndian.AppendUint32(idb, 0)
	idb = appendOption(idb, optTSResol, []byte{6})
	idb = appendOption(idb, 0, nil)
	writeBlock(bw, blockIDB, idb)
	if len(keyLog) > 0 {
		dsb := make([]byte, 0, 8+len(keyLog)+3)
		dsb = binary.LittleEndian.AppendUint32(dsb, secretsTLSKey)
		dsb = binary.LittleEndian.AppendUint32(dsb, uint32(len(keyLog)))
		dsb = append(dsb, keyLog...)
		dsb = pad4(dsb)
		writeBlock(bw, blockDSB, dsb)
	}
	var epb []byte
	for _, e := range tr.Scan() {
		if e.Kind != tcp.EventSegment {
			continue
		}
		b := wire.Encode(e.Segment.Seg)
		us := uint64(Epoch)*1e6 + uint64(e.At)
		epb = epb[:0]
		epb = binary.LittleEndian.AppendUint32(epb, 0)
		epb = binary.LittleEndian.AppendUint32(epb, uint32(us>>32))
		epb = binary.LittleEndian.AppendUint32(epb, uint32(us))
		epb = binary.LittleEndian.AppendUint32(epb, uint32(len(b)))
		epb = binary.LittleEndian.AppendUint32(epb, uint32(len(b)))
		epb = append(epb, b...)
		epb = pad4(epb)
		if c := comment(e.Segment); c != "" {
			epb = appendOption(epb, optComment, []byte(c))
			epb = appendOption(epb, 0, nil)
		}
		writeBlock(bw, blockEPB, epb)
	}
	return bw.Flush()
}

// comment says, in a packet comment, what the simulation did with the segment.
func comment(s *tcp.SegmentEvent) string {
	var c string
	switch s.Fate {
	case tcp.Dropped:
		c = "dropped by the simulated link"
	case tcp.Unrouted:
		c = "sent to a spoofed address: nobody receives it"
	}
	if s.Label != "" {
		if c != "" {
			c += "; "
		}
		c += s.Label
	}
	return c
}

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func appendOption(b []byte, code uint16, v []byte) []byte {
	b = binary.LittleEndian.AppendUint16(b, code)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(v)))
	b = append(b, v...)
	return pad4(b)
}

func writeBlock(w io.Writer, typ uint32, body []byte) {
	total := uint32(12 + len(body))
	var h [8]byte
	binary.LittleEndian.PutUint32(h[0:], typ)
	binary.LittleEndian.PutUint32(h[4:], total)
	w.Write(h[:])
	w.Write(body)
	var t [4]byte
	binary.LittleEndian.PutUint32(t[:], total)
	w.Write(t[:])
}
