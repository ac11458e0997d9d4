package passive

import (
	"encoding/binary"
	"io"

	"synack/engine/capture"
	"synack/engine/wire"
)

// WritePCAPNG writes the connection's kept frames as a pcapng file of raw IP packets,
// with the capture's own bytes and times (and the key log, when there is one), so
// Wireshark opens what was captured of this one connection. Frames read from tcpdump
// text have no bytes: they are encoded from their headers (IPv4 only).
func WritePCAPNG(w io.Writer, c *Conn, keyLog []byte) error {
	pw := capture.NewPCAPNGWriter(w, keyLog)
	for _, f := range c.Frames {
		ip := f.IP
		if ip == nil {
			if !f.Seg.Src.Is4() {
				continue
			}
			ip = wire.Encode(f.Seg)
		}
		orig := len(ip)
		if len(ip) >= 4 && ip[0]>>4 == 4 {
			orig = int(binary.BigEndian.Uint16(ip[2:]))
		} else if len(ip) >= 6 && ip[0]>>4 == 6 {
			orig = 40 + int(binary.BigEndian.Uint16(ip[4:]))
		}
		pw.WritePacket(f.TimeNs, ip, orig)
	}
	return pw.Flush()
}
