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

// seen is what inference needs of a segment, to apply it when it arrives.
type seen struct {
	at       int64 // when the effect happens: sent, or arrived
	frame    int
	flags    engine.Flags
	seq, ack engine.Seq
	len      int
	recv     bool // the effect is the receiver's
}

func (s *Side) set(to engine.State, g *seen, cause string) {
	if s.State == to {
		return
	}
	s.Path = append(s.Path, Transition{At: g.at, Frame: g.frame, From: s.State, To: to, Cause: cause, Received: g.recv})
	s.State = to
}

// oneWay is how long after a segment is seen its receiver is taken to get it: half the
// handshake's round trip, once the capture has shown one. A capture taken between the
// ends sees both sides' segments before they arrive; without the delay, two FINs that
// crossed (a simultaneous close) would read as one end answering the other.
func (c *Conn) oneWay() int64 { return c.firstRTT / 2 }

// arrive applies, in order, the segments due at the receiving side by now.
func (c *Conn) arrive(now int64, all bool) {
	for _, s := range []*Side{&c.A, &c.B} {
		peer := &c.B
		if s == &c.B {
			peer = &c.A
		}
		k := 0
		for k < len(s.pending) && (all || s.pending[k].at <= now) {
			c.receive(s, peer, &s.pending[k])
			k++
		}
		s.pending = append(s.pending[:0], s.pending[k:]...)
	}
}

// infer moves the sender by one segment now, and its receiver when it arrives.
func (c *Conn) infer(p *capture.Packet, fromA bool, fwd, rev *Side) {
	c.arrive(p.TimeNs, false)
	g := seen{at: p.TimeNs, frame: p.N, flags: p.Flags, seq: p.Seq, ack: p.Ack, len: p.PayloadLen}
	c.send(fwd, rev, &g)
	g.recv = true
	if d := c.oneWay(); d > 0 {
		g.at += d
		rev.pending = append(rev.pending, g)
		return
	}
	c.receive(rev, fwd, &g)
}

// send moves fwd by a segment it sends.
func (c *Conn) send(fwd, rev *Side, p *seen) {
	f := p.flags
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
		fwd.iss, fwd.synSent = p.seq, true
	case f&(engine.SYN|engine.ACK) == engine.SYN|engine.ACK:
		switch fwd.State {
		case Unknown:
			fwd.State = engine.Listen
			fwd.set(engine.SynReceived, p, "received SYN")
		case engine.SynSent: // simultaneous open
			fwd.set(engine.SynReceived, p, "received SYN")
		}
		fwd.iss, fwd.synSent = p.seq, true
	}
	if f&engine.FIN != 0 && f&engine.RST == 0 && !fwd.finSent {
		fwd.finSent = true
		fwd.finEnd = p.seq.Add(uint32(p.len) + 1)
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
}

// receive moves rev by a segment that reaches it.
func (c *Conn) receive(rev, fwd *Side, p *seen) {
	f := p.flags
	if f&engine.RST != 0 {
		if rev.State != engine.Closed && rev.State != engine.TimeWait {
			rev.set(engine.Closed, p, "received RST")
		}
		c.Closed = true
		return
	}
	if f&engine.ACK != 0 {
		switch {
		case rev.State == engine.SynSent && f&engine.SYN != 0 && p.ack == rev.iss+1:
			rev.set(engine.Established, p, "received SYN,ACK")
		case rev.State == engine.SynReceived && rev.synSent && rev.iss.LessThan(p.ack):
			rev.set(engine.Established, p, "received ACK of our SYN")
		}
		if rev.finSent && !p.ack.LessThan(rev.finEnd) {
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
