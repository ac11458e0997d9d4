package tcp

// RFC 9293 §3.10.7.1, SEGMENT ARRIVES in CLOSED: a segment that belongs to no connection.

// resetForNoSocket answers a segment that belongs to no connection, as RFC 9293 §3.10.7.1
// says for the CLOSED state: never a RST for a RST; if the segment has ACK,
// <SEQ=SEG.ACK><CTL=RST>; otherwise <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
func (h *Host) resetForNoSocket(seg Segment, why string) {
	if seg.Flags&RST != 0 {
		return
	}
	r := Segment{Src: seg.Dst, Dst: seg.Src, SrcPort: seg.DstPort, DstPort: seg.SrcPort}
	if seg.Flags&ACK != 0 {
		r.Seq = seg.Ack
		r.Flags = RST
	} else {
		r.Seq = 0
		r.Ack = seg.End()
		r.Flags = RST | ACK
	}
	h.note(h.peerName(seg.Src), "rst-no-socket", why)
	h.emit(r, false, nil)
}
