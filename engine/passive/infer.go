package passive

import (
	"synack/engine"
	"synack/engine/capture"
)

// The passive side of each end's state, inferred from the segments seen both ways
// (RFC 9293 §3.10). A capture point sees a segment about when it is sent and when it
// arrives, so each segment moves its sender as sending it would and its receiver as
// receiving it would.

// sideState is what inference keeps about an end beyond its state.
type sideState struct {
	iss     engine.Seq
	synSent bool
	finSent bool
	finEnd  engine.Seq // SEG.SEQ+SEG.LEN of its FIN: what acknowledges it
}

func (s *Side) set(to engine.State, p *capture.Packet, cause string) {
	if s.State == to {
		return
	}
	s.Path = append(s.Path, Transition{At: p.TimeNs, Frame: p.N, From: s.State, To: to, Cause: cause})
	s.State = to
}

// infer moves both ends by one segment sent by fwd.
func (c *Conn) infer(p *capture.Packet, fromA bool, fwd, rev *Side) {
	f := p.Flags
	// The sender, by what it sends.
	switch {
	case f&engine.RST != 0:
		fwd.set(engine.Closed, p, "sent RST")
	case f&(engine.SYN|engine.ACK) == engine.SYN:
		if fwd.State == Unknown || fwd.State == engine.Closed {
			if fwd.State == Unknown {
				fwd.State = engine.Closed
			}
			fwd.set(engine.SynSent, p, "active OPEN (connect)")
		}
		fwd.iss, fwd.synSent = p.Seq, true
	case f&(engine.SYN|engine.ACK) == engine.SYN|engine.ACK:
		switch fwd.State {
		case Unknown:
			fwd.State = engine.Listen
			fwd.set(engine.SynReceived, p, "received SYN")
		case engine.SynSent: // simultaneous open
			fwd.set(engine.SynReceived, p, "received SYN")
		}
		fwd.iss, fwd.synSent = p.Seq, true
	}
	if f&engine.FIN != 0 && f&engine.RST == 0 && !fwd.finSent {
		fwd.finSent = true
		fwd.finEnd = p.Seq.Add(uint32(p.PayloadLen) + 1)
		switch fwd.State {
		case engine.Established, engine.SynReceived:
			fwd.set(engine.FinWait1, p, "CLOSE")
		case engine.CloseWait:
			fwd.set(engine.LastAck, p, "CLOSE")
		case Unknown:
			if rev.finSent {
				fwd.set(engine.LastAck, p, "CLOSE")
			} else {
				fwd.set(engine.FinWait1, p, "CLOSE")
			}
		}
	}
	// The receiver, by what arrives.
	if f&engine.RST != 0 {
		if rev.State != engine.Closed && rev.State != engine.TimeWait {
			rev.set(engine.Closed, p, "received RST")
		}
		c.Closed = true
		return
	}
	if f&engine.ACK != 0 {
		switch {
		case rev.State == engine.SynSent && f&engine.SYN != 0 && p.Ack == rev.iss+1:
			rev.set(engine.Established, p, "received SYN,ACK")
		case rev.State == engine.SynReceived && rev.synSent && rev.iss.LessThan(p.Ack):
			rev.set(engine.Established, p, "received ACK of our SYN")
		}
		if rev.finSent && !p.Ack.LessThan(rev.finEnd) {
			switch rev.State {
			case engine.FinWait1:
				rev.set(engine.FinWait2, p, "our FIN was acknowledged")
			case engine.Closing:
				rev.set(engine.TimeWait, p, "our FIN was acknowledged")
			case engine.LastAck:
				rev.set(engine.Closed, p, "our FIN was acknowledged")
				c.Closed = true
			}
		}
	} else if f&engine.SYN != 0 && rev.State == engine.SynSent {
		rev.set(engine.SynReceived, p, "received SYN (simultaneous open)")
	}
	if f&engine.FIN != 0 {
		switch rev.State {
		case engine.Established, engine.SynReceived:
			rev.set(engine.CloseWait, p, "received FIN")
		case engine.FinWait1:
			rev.set(engine.Closing, p, "received FIN")
		case engine.FinWait2:
			rev.set(engine.TimeWait, p, "received FIN")
		case Unknown:
			if !rev.finSent {
				rev.set(engine.CloseWait, p, "received FIN")
			}
		}
	}
}
