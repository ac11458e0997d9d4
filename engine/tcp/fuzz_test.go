package tcp

import (
	"testing"
	"time"
)

// legal lists the transitions of RFC 9293 Figure 5 and §3.10 (ABORT and RST lead to
// CLOSED from any synchronized state; a passive SYN-RECEIVED returns to LISTEN; a
// connection rebuilt from a SYN cookie passes LISTEN → SYN-RECEIVED → ESTABLISHED).
// It is written from the RFC, not from the engine's code.
var legal = map[[2]State]bool{}

func init() {
	for _, p := range [][2]State{
		{Closed, Listen}, {Closed, SynSent}, {Listen, SynReceived}, {Listen, SynSent}, {Listen, Closed},
		{SynSent, SynReceived}, {SynSent, Established}, {SynSent, Closed},
		{SynReceived, Established}, {SynReceived, FinWait1}, {SynReceived, Listen}, {SynReceived, Closed},
		{SynReceived, CloseWait},
		{Established, FinWait1}, {Established, CloseWait}, {Established, Closed},
		{FinWait1, FinWait2}, {FinWait1, Closing}, {FinWait1, TimeWait}, {FinWait1, Closed},
		{FinWait2, TimeWait}, {FinWait2, Closed},
		{CloseWait, LastAck}, {CloseWait, Closed},
		{Closing, TimeWait}, {Closing, Closed},
		{LastAck, Closed}, {TimeWait, Closed},
	} {
		legal[p] = true
	}
}

// FuzzSegmentSequence feeds random segments, time steps and application calls to a
// connection and checks invariants after every step: only RFC transitions, SND.UNA ≤
// SND.NXT, never a RST answering a RST, ACK set on everything but a SYN and a bare RST.
func FuzzSegmentSequence(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19})
	f.Add([]byte{2, 0x12, 0, 0, 1, 0x11, 5, 5, 3, 0x04, 1, 1, 9, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := newRig(t, LinuxProfile())
		if len(data) > 0 && data[0]&1 == 0 {
			r.active()
		} else {
			r.h.Listen(ServerPort, 4)
		}
		var lastIn Flags
		check := func() {
			for _, e := range r.ev {
				if e.Kind == EventState && !legal[[2]State{e.From, e.To}] {
					t.Fatalf("illegal transition %s → %s (%s)", e.From, e.To, e.Cause)
				}
			}
			r.ev = r.ev[:0]
			for _, c := range r.h.Conns() {
				if c.SndNxt().LessThan(c.SndUna()) {
					t.Fatalf("SND.NXT %d before SND.UNA %d in %s", c.SndNxt(), c.SndUna(), c.State())
				}
				if err := c.sb.verify(c.sackOK); err != nil {
					t.Fatalf("scoreboard: %v", err)
				}
			}
			for _, o := range r.h.TakeOutput() {
				if o.Seg.Flags&RST != 0 && lastIn&RST != 0 {
					t.Fatalf("a RST answered a RST")
				}
				if o.Seg.Flags&ACK == 0 && o.Seg.Flags&(SYN|RST) == 0 {
					t.Fatalf("segment without ACK: %v", o.Seg)
				}
			}
		}
		base := func() (Seq, Seq) {
			for _, c := range r.h.Conns() {
				return c.RcvNxt(), c.SndNxt()
			}
			return r.their, 0
		}
		for i := 0; i+3 < len(data) && i < 400; i += 4 {
			op, a, b, c := data[i], data[i+1], data[i+2], data[i+3]
			switch op % 6 {
			case 0, 1, 2: // a segment near (or far from) the connection's numbers
				rcv, snd := base()
				seq := rcv + Seq(int8(b))
				ack := snd + Seq(int8(c))
				if b == 0x7f {
					seq += 1 << 30
				}
				n := int(c % 4)
				s := r.from(Flags(a), seq, ack, make([]byte, n)...)
				if Flags(a)&SYN != 0 {
					s.Options = Options{{Kind: OptMSS, MSS: 100}, {Kind: OptSACKPermitted}}
				} else if c&0x80 != 0 {
					// SACK blocks around what we sent, sane or not.
					left := snd - Seq(int(b)*25)
					s.Options = Options{{Kind: OptSACK, Blocks: []SACKBlock{{Left: left, Right: left + Seq(int(c&0x7f)*10)}, {Left: ack, Right: ack + 100}}}}
				}
				lastIn = s.Flags
				r.in(s)
			case 3:
				r.advance(time.Duration(a) * 37 * time.Millisecond * time.Duration(1+int(b)%50))
			case 4:
				for _, conn := range r.h.Conns() {
					switch a % 5 {
					case 0:
						conn.Send(make([]byte, int(b)*20))
					case 1:
						conn.Close()
					case 2:
						conn.Shutdown()
					case 3:
						conn.Abort()
					case 4:
						conn.Read(int(b))
					}
					break
				}
			case 5:
				if l := r.h.Listener(ServerPort); l != nil {
					l.Accept()
				}
			}
			check()
			lastIn = 0
		}
	})
}
