package passive

import (
	"synack/engine/capture"
	"synack/engine/tcp"
)

// flow is what TCP analysis remembers about one direction of a connection. Like
// Wireshark's, a sequence or acknowledgement number of zero means "not seen yet".
type flow struct {
	baseSet bool
	base    tcp.Seq // the first sequence number seen (the ISN, or one before a mid-stream start)

	nextSeq     tcp.Seq // highest SEG.SEQ+SEG.LEN seen: the next expected sequence number
	nextSeqTime int64
	lastAck     tcp.Seq // last acknowledgement number sent
	lastAckTime int64
	window      uint32 // last window advertised, scaled when the scale is known
	winScale    int8   // -1 not known, -2 no scaling (a SYN without the option), else the shift
	dupAcks     int
	lastFlags   analysisFlags
}

// analysisFlags are the anomalies plus the flags analysis keeps for itself.
type analysisFlags struct {
	a                Anomalies
	keepAliveAck     bool
	zeroWindowProbe  bool
	zeroWindowPrbAck bool
}

// Wireshark's thresholds (packet-tcp.c defaults).
const (
	// fastRetransmitWindow: a fast retransmission follows the third duplicate ACK by
	// less than this.
	fastRetransmitWindow = 20e6 // ns
	// outOfOrderDefault is how soon after the highest segment a lower one must come to
	// be out of order rather than retransmitted, when the handshake's RTT is not known.
	outOfOrderDefault = 3e6 // ns
)

// analyse applies TCP analysis to a segment sent in direction fwd. The rules are those
// the Wireshark User's Guide (§7.5 "TCP Analysis") gives for each flag, checked in the
// same order, so the same capture gets the same flags tshark gives it.
func analyse(fwd, rev *flow, p *capture.Packet, firstRTT int64) Anomalies {
	const synFinRst = tcp.SYN | tcp.FIN | tcp.RST
	seq, ack := p.Seq, p.Ack
	seglen := uint32(p.PayloadLen)
	window := uint32(p.Window)
	if p.Flags&tcp.SYN == 0 && fwd.winScale >= 0 {
		window <<= uint(fwd.winScale) // a SYN's window is never scaled (RFC 7323 §2.2)
	}
	if p.Flags&tcp.SYN != 0 {
		fwd.noteWindowScale(rev, p)
	}
	var f analysisFlags
	// Zero window: the receive window is zero, and this is not a SYN, FIN or RST.
	if window == 0 && p.Flags&synFinRst == 0 {
		f.a = f.a.With(ZeroWindow)
	}
	// Previous segment not captured: the segment starts past the next expected one.
	if fwd.nextSeq != 0 && fwd.nextSeq.LessThan(seq) && p.Flags&tcp.RST == 0 {
		f.a = f.a.With(LostSegment)
	}
	// Keep-alive: zero or one byte, one before the next expected sequence number.
	if seglen <= 1 && seq == fwd.nextSeq-1 && p.Flags&synFinRst == 0 {
		f.a = f.a.With(KeepAlive)
	}
	// Window full: the segment fills the receiver's advertised window exactly.
	if seglen > 0 && rev.winScale != -1 && seq.Add(seglen) == rev.lastAck.Add(rev.window) && p.Flags&synFinRst == 0 {
		f.a = f.a.With(WindowFull)
	}
	// Window update: nothing new but the window. tshark does not count it as breaking a
	// run of duplicate ACKs (a fast retransmission after one is still fast).
	windowUpdate := seglen == 0 && window != fwd.window && seq == fwd.nextSeq && ack == fwd.lastAck && p.Flags&synFinRst == 0
	switch {
	case windowUpdate:
	case seglen == 0 && window != 0 && window == fwd.window && seq == fwd.nextSeq && ack == fwd.lastAck &&
		rev.lastFlags.a.Has(KeepAlive) && p.Flags&synFinRst == 0:
		f.keepAliveAck = true
	case seglen == 1 && seq == fwd.nextSeq && rev.window == 0:
		f.zeroWindowProbe = true
	case seglen == 0 && window == 0 && window == fwd.window && seq == fwd.nextSeq &&
		(ack == fwd.lastAck || ack == fwd.lastAck+1) && rev.lastFlags.zeroWindowProbe && p.Flags&synFinRst == 0:
		f.zeroWindowPrbAck = true
	case seglen == 0 && window != 0 && window == fwd.window && seq == fwd.nextSeq && ack == fwd.lastAck &&
		p.Flags&synFinRst == 0:
		// Duplicate ACK: nothing new, the same acknowledgement and window again.
		fwd.dupAcks++
		f.a = f.a.With(DuplicateACK)
	}
	if !f.a.Has(DuplicateACK) && !windowUpdate {
		fwd.dupAcks = 0
	}
	// A segment that occupies sequence space below the next expected number is a
	// retransmission of some kind; a keep-alive is not.
	if (seglen > 0 || p.Flags&(tcp.SYN|tcp.FIN) != 0) && fwd.nextSeq != 0 &&
		seq.LessThan(fwd.nextSeq) && !f.a.Has(KeepAlive) {
		oooWindow := int64(outOfOrderDefault)
		if firstRTT > 0 {
			oooWindow = firstRTT
		}
		switch {
		case rev.dupAcks >= 2 && rev.lastAck == seq && p.TimeNs-rev.lastAckTime < fastRetransmitWindow:
			// tshark marks a fast retransmission as a retransmission too.
			f.a = f.a.With(FastRetransmission).With(Retransmission)
		case p.TimeNs-fwd.nextSeqTime < oooWindow && fwd.nextSeq != seq.Add(seglen):
			f.a = f.a.With(OutOfOrder)
		case seglen > 0 && rev.lastAck != 0 && seq.Add(seglen).LessThanEq(rev.lastAck):
			f.a = f.a.With(SpuriousRetransmission)
		default:
			f.a = f.a.With(Retransmission)
		}
	}
	next := seq.Add(seglen)
	if p.Flags&(tcp.SYN|tcp.FIN) != 0 {
		next = next.Add(1)
	}
	if (fwd.nextSeq.LessThan(next) || fwd.nextSeq == 0) && !f.zeroWindowProbe {
		fwd.nextSeq, fwd.nextSeqTime = next, p.TimeNs
	}
	fwd.window = window
	fwd.lastAck, fwd.lastAckTime = ack, p.TimeNs
	fwd.lastFlags = f
	return f.a
}

// noteWindowScale records what a SYN says about window scaling. Scaling is in use only
// when both SYNs carry the option (RFC 7323 §1.3); once one is seen without it, both
// directions' windows are taken as they are.
func (fwd *flow) noteWindowScale(rev *flow, p *capture.Packet) {
	if s, ok := p.WindowScale(); ok {
		fwd.winScale = int8(min(s, 14)) // RFC 7323 §2.3: a shift over 14 is taken as 14
	}
	if fwd.winScale == -1 {
		fwd.winScale, rev.winScale = -2, -2
	} else if p.Flags&tcp.ACK != 0 && rev.winScale == -2 {
		fwd.winScale = -2
	}
}
