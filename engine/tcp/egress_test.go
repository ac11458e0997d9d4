package tcp

import (
	"testing"
	"time"
)

// A host whose egress drops everything keeps a write unsent and retries it from the probe
// timer every 500 ms without backoff; ACKs it makes meanwhile are lost and counted; once
// the egress works again the next round sends the data.
func TestEgressDropProbesAndRecovers(t *testing.T) {
	r := newRig(t, LinuxProfile())
	iss := r.established()
	r.h.SetEgressDrop(true)
	if _, err := r.c.Send(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	r.expectNothing()
	r.in(r.from(ACK|PSH, r.their+1, iss+1, 1, 2, 3)) // data to acknowledge: the ACK is lost
	r.advance(time.Second)                           // rounds at 0.2 s (the RTO) and 0.7 s
	r.expectNothing()
	if got := r.c.Info()["probes"]; got != 2 {
		t.Fatalf("probes after 1 s: %d, want 2", got)
	}
	if r.h.Stats().EgressDropped == 0 {
		t.Fatal("no segment counted as dropped")
	}
	r.h.SetEgressDrop(false)
	r.advance(250 * time.Millisecond) // the next round is at 1.2 s
	segs := r.h.TakeOutput()
	if len(segs) != 1 || len(segs[0].Seg.Payload) != 10 || segs[0].Seg.Flags&PSH == 0 || segs[0].Seg.Seq != iss+1 {
		t.Fatalf("after the egress works again: %v, want the 10 bytes with PSH", segs)
	}
	if got := r.c.Info()["probes"]; got != 0 {
		t.Fatalf("probes after the data left: %d, want 0", got)
	}
}

// With TCP_USER_TIMEOUT the refused data kills the connection once that long has passed
// since the first probe round.
func TestEgressDropUserTimeout(t *testing.T) {
	r := newRig(t, LinuxProfile())
	r.established()
	r.c.SetUserTimeout(2 * time.Second)
	r.h.SetEgressDrop(true)
	r.c.Send(make([]byte, 10))
	r.advance(2 * time.Second)
	if r.c.Err != nil {
		t.Fatalf("dead before the user timeout ran out: %v", r.c.Err)
	}
	r.advance(time.Second)
	if r.c.Err != ETIMEDOUT {
		t.Fatalf("error %v, want ETIMEDOUT", r.c.Err)
	}
}
