package tcp

import "testing"

// The host queues what an application would notice and hands it out when asked; it never
// calls back. A passive open yields one ConnAcceptable, data one ConnReadable, a FIN one
// ConnEOF, each exactly once and in order.
func TestHostEventsArePulled(t *testing.T) {
	r := newRig(t, plainProfile())
	if _, err := r.h.Listen(ServerPort, 16); err != nil {
		t.Fatal(err)
	}
	next := func() []ConnEventKind {
		var ks []ConnEventKind
		for {
			e, ok := r.h.NextEvent()
			if !ok {
				return ks
			}
			if e.Conn == nil {
				t.Fatalf("event %d without a connection", e.Kind)
			}
			ks = append(ks, e.Kind)
		}
	}
	r.in(r.from(SYN, r.their, 0))
	if got := next(); len(got) != 0 {
		t.Fatalf("after the SYN: events %v, want none", got)
	}
	sa := r.h.TakeOutput()[0].Seg
	r.in(r.from(ACK, r.their+1, sa.Seq+1))
	if got := next(); len(got) != 1 || got[0] != ConnAcceptable {
		t.Fatalf("after the ACK: events %v, want [ConnAcceptable]", got)
	}
	r.in(r.from(ACK|PSH, r.their+1, sa.Seq+1, 'h', 'i'))
	r.in(r.from(ACK|FIN, r.their+3, sa.Seq+1))
	if got := next(); len(got) != 2 || got[0] != ConnReadable || got[1] != ConnEOF {
		t.Fatalf("after data and FIN: events %v, want [ConnReadable ConnEOF]", got)
	}
	if got := next(); len(got) != 0 {
		t.Fatalf("pulled twice: events %v, want none", got)
	}
}
