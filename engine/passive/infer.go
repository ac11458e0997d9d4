package passive

import (
	"synack/engine/capture"
	"synack/engine/tcp"
)

// The passive side of each end's state, inferred from the segments seen both ways
// (RFC 9293 §3.10). A capture point sees a segment about when it is sent and when it
// arrives, so each segment moves its sender as sending it would and its receiver as
// receiving it would.

// sideState is what inference keeps about an end beyond its state.
type sideState struct {
	iss     tcp.Seq
	synSent bool
	finSent bool
	finEnd  tcp.Seq // SEG.SEQ+SEG.LEN of its FIN: what acknowledges it
}

// seen is what inference needs of a segment, to apply it when it arrives.
type seen struct {
	at       int64 // when the effect happens: sent, or arrived
	frame    int
	flags    tcp.Flags
	seq, ack tcp.Seq
	len      int
	recv     bool // the effect is the receiver's
}

func (s *Side) set(to tcp.State, g *seen, cause string) {
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
		if all {
			s.pending = nil // nothing more will come: give the room back
		}
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
	case f&tcp.RST != 0:
		fwd.set(tcp.Closed, p, "sent RST")
	case f&(tcp.SYN|tcp.ACK) == tcp.SYN:
		if fwd.State == Unknown || fwd.State == tcp.Closed {
			if fwd.State == Unknown {
				fwd.State = tcp.Closed
			}
			fwd.set(tcp.SynSent, p, "active OPEN (connect)")
		}
		fwd.iss, fwd.synSent = p.seq, true
	case f&(tcp.SYN|tcp.ACK) == tcp.SYN|tcp.ACK:
		switch fwd.State {
		case Unknown:
			fwd.State = tcp.Listen
			fwd.set(tcp.SynReceived, p, "received SYN")
		case tcp.SynSent: // simultaneous open
			fwd.set(tcp.SynReceived, p, "received SYN")
		}
		fwd.iss, fwd.synSent = p.seq, true
	}
	if f&tcp.FIN != 0 && f&tcp.RST == 0 && !fwd.finSent {
		fwd.finSent = true
		fwd.finEnd = p.seq.Add(uint32(p.len) + 1)
		switch fwd.State {
		case tcp.Established, tcp.SynReceived:
			fwd.set(tcp.FinWait1, p, "CLOSE")
		case tcp.CloseWait:
			fwd.set(tcp.LastAck, p, "CLOSE")
		case Unknown:
			if rev.finSent {
				fwd.set(tcp.LastAck, p, "CLOSE")
			} else {
				fwd.set(tcp.FinWait1, p, "CLOSE")
			}
		}
	}
}

// receive moves rev by a segment that reaches it.
func (c *Conn) receive(rev, fwd *Side, p *seen) {
	f := p.flags
	if f&tcp.RST != 0 {
		if rev.State != tcp.Closed && rev.State != tcp.TimeWait {
			rev.set(tcp.Closed, p, "received RST")
		}
		c.Closed = true
		return
	}
	if f&tcp.ACK != 0 {
		switch {
		case rev.State == tcp.SynSent && f&tcp.SYN != 0 && p.ack == rev.iss+1:
			rev.set(tcp.Established, p, "received SYN,ACK")
		case rev.State == tcp.SynReceived && rev.synSent && rev.iss.LessThan(p.ack):
			rev.set(tcp.Established, p, "received ACK of our SYN")
		}
		if rev.finSent && !p.ack.LessThan(rev.finEnd) {
			switch rev.State {
			case tcp.FinWait1:
				rev.set(tcp.FinWait2, p, "our FIN was acknowledged")
			case tcp.Closing:
				rev.set(tcp.TimeWait, p, "our FIN was acknowledged")
			case tcp.LastAck:
				rev.set(tcp.Closed, p, "our FIN was acknowledged")
				c.Closed = true
			}
		}
	} else if f&tcp.SYN != 0 && rev.State == tcp.SynSent {
		rev.set(tcp.SynReceived, p, "received SYN (simultaneous open)")
	}
	if f&tcp.FIN != 0 {
		switch rev.State {
		case tcp.Established, tcp.SynReceived:
			rev.set(tcp.CloseWait, p, "received FIN")
		case tcp.FinWait1:
			rev.set(tcp.Closing, p, "received FIN")
		case tcp.FinWait2:
			rev.set(tcp.TimeWait, p, "received FIN")
		case Unknown:
			if !rev.finSent {
				rev.set(tcp.CloseWait, p, "received FIN")
			}
		}
	}
}
