package tcp

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// rig is one host under test ("us", at ServerAddr port 80) and a scripted peer
// ("them", ClientAddr port 40000) whose segments the test writes by hand.
type rig struct {
	t     *testing.T
	h     *Host
	ev    []Event
	now   Time
	c     *Conn
	l     *Listener
	their Seq // the peer's ISS
}

func (r *rig) Record(e Event) { r.ev = append(r.ev, e) }

func newRig(t *testing.T, prof Profile) *rig {
	r := &rig{t: t, their: 5000}
	r.h = NewHost("us", ServerAddr, prof, NewRand(42), r)
	r.h.Names = func(netip.Addr) string { return "them" }
	return r
}

// from returns a segment from the peer with the given flags, sequence and ack numbers.
func (r *rig) from(flags Flags, seq, ack Seq, payload ...byte) Segment {
	return Segment{Src: ClientAddr, Dst: ServerAddr, SrcPort: ClientPort, DstPort: ServerPort,
		Seq: seq, Ack: ack, Flags: flags, Window: 65535, Payload: payload}
}

func (r *rig) in(s Segment) {
	r.t.Helper()
	r.h.Input(r.now, s)
}

func (r *rig) advance(d time.Duration) {
	r.now = r.now.Add(d)
	r.h.Advance(r.now)
}

// want describes an expected outgoing segment; zero Seq/Ack fields are still checked.
type want struct {
	flags    Flags
	seq, ack Seq
	len      int
}

func (w want) String() string {
	return fmt.Sprintf("%s seq %d ack %d len %d", w.flags, w.seq, w.ack, w.len)
}

// expect takes the host's output and compares it, segment by segment, exactly.
func (r *rig) expect(ws ...want) []Segment {
	r.t.Helper()
	out := r.h.TakeOutput()
	var got []string
	var segs []Segment
	for _, o := range out {
		s := o.Seg
		segs = append(segs, s)
		ack := s.Ack
		if s.Flags&ACK == 0 {
			ack = 0
		}
		got = append(got, want{s.Flags, s.Seq, ack, len(s.Payload)}.String())
	}
	var exp []string
	for _, w := range ws {
		exp = append(exp, w.String())
	}
	if strings.Join(got, "\n") != strings.Join(exp, "\n") {
		r.t.Fatalf("host sent:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(exp, "\n  "))
	}
	return segs
}

func (r *rig) expectNothing() {
	r.t.Helper()
	r.expect()
}

func (r *rig) state(want State) {
	r.t.Helper()
	if r.c == nil {
		r.t.Fatal("no connection")
	}
	if got := r.c.State(); got != want {
		r.t.Fatalf("state %s, want %s", got, want)
	}
}

// appResult returns the result of the last app event for call.
func (r *rig) appResult(call string) string {
	for i := len(r.ev) - 1; i >= 0; i-- {
		if r.ev[i].Kind == EventApp && r.ev[i].Call == call {
			return r.ev[i].Result
		}
	}
	return ""
}

func (r *rig) noted(key string) bool {
	for _, e := range r.ev {
		if e.Kind == EventNote && e.Note == key {
			return true
		}
	}
	return false
}

// listen opens the listener and lets the peer's SYN in; returns our ISS.
func (r *rig) passiveToSynReceived() Seq {
	r.t.Helper()
	l, err := r.h.Listen(ServerPort, 16)
	if err != nil {
		r.t.Fatal(err)
	}
	r.l = l
	r.in(r.from(SYN, r.their, 0))
	segs := r.h.TakeOutput()
	if len(segs) != 1 || segs[0].Seg.Flags != SYN|ACK || segs[0].Seg.Ack != r.their+1 {
		r.t.Fatalf("LISTEN + SYN: sent %v, want SYN,ACK ack %d", segs, r.their+1)
	}
	r.c = r.h.Conn(Tuple{LocalAddr: ServerAddr, LocalPort: ServerPort, RemoteAddr: ClientAddr, RemotePort: ClientPort})
	return segs[0].Seg.Seq
}

// established brings a passive connection to ESTABLISHED; returns our ISS.
func (r *rig) established() Seq {
	r.t.Helper()
	iss := r.passiveToSynReceived()
	r.in(r.from(ACK, r.their+1, iss+1))
	r.expectNothing()
	r.state(Established)
	return iss
}

// active opens a connection from us to the peer and returns our ISS.
func (r *rig) active() Seq {
	r.t.Helper()
	c, err := r.h.Connect(ServerPort, ClientAddr, ClientPort)
	if err != nil {
		r.t.Fatal(err)
	}
	r.c = c
	segs := r.h.TakeOutput()
	if len(segs) != 1 || segs[0].Seg.Flags != SYN {
		r.t.Fatalf("connect sent %v, want one SYN", segs)
	}
	return segs[0].Seg.Seq
}

// A plain profile for transition tests: RFC behaviour with immediate ACKs, so each test
// sees exactly the segments its rule produces.
func plainProfile() Profile {
	p := RFCProfile()
	p.DelayedACK = 0
	return p
}

func (r *rig) transitioned(from, to State) bool {
	for _, e := range r.ev {
		if e.Kind == EventState && e.From == from && e.To == to {
			return true
		}
	}
	return false
}
