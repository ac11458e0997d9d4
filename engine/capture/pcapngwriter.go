package capture

import (
	"bufio"
	"encoding/binary"
	"io"
)

// PCAPNGWriter writes captured IP packets, with their own nanosecond times, as pcapng:
// what an imported connection is exported as.
type PCAPNGWriter struct {
	bw  *bufio.Writer
	epb []byte
}

// NewPCAPNGWriter writes the section header, one raw-IP interface with nanosecond
// times and, when keyLog is not empty, a Decryption Secrets Block.
func NewPCAPNGWriter(w io.Writer, keyLog []byte) *PCAPNGWriter {
	bw := bufio.NewWriter(w)
	shb := make([]byte, 0, 16)
	shb = binary.LittleEndian.AppendUint32(shb, 0x1A2B3C4D)
	shb = binary.LittleEndian.AppendUint16(shb, 1)
	shb = binary.LittleEndian.AppendUint16(shb, 0)
	shb = binary.LittleEndian.AppendUint64(shb, 0xFFFFFFFFFFFFFFFF)
	writeBlock(bw, blockSHB, shb)
	idb := make([]byte, 0, 20)
	idb = binary.LittleEndian.AppendUint16(idb, LinkTypeRaw)
	idb = binary.LittleEndian.AppendUint16(idb, 0)
	idb = binary.LittleEndian.AppendUint32(idb, MaxSnapLen)
	idb = appendOption(idb, optTSResol, []byte{9})
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
	return &PCAPNGWriter{bw: bw}
}

// WritePacket writes one IP packet seen at timeNs (nanoseconds since the epoch) whose
// length on the wire was origLen.
func (pw *PCAPNGWriter) WritePacket(timeNs int64, ip []byte, origLen int) {
	b := pw.epb[:0]
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, uint32(uint64(timeNs)>>32))
	b = binary.LittleEndian.AppendUint32(b, uint32(timeNs))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(ip)))
	b = binary.LittleEndian.AppendUint32(b, uint32(max(origLen, len(ip))))
	b = append(b, ip...)
	b = pad4(b)
	writeBlock(pw.bw, blockEPB, b)
	pw.epb = b
}

// Flush writes what is buffered.
func (pw *PCAPNGWriter) Flush() error { return pw.bw.Flush() }
