package engine

import (
	"testing"
	"time"

	"synack/engine/tcp"
)

func labDo(t *testing.T, l *Lab, a LabAction) []tcp.Event {
	t.Helper()
	ev, err := l.Do(a)
	if err != nil {
		t.Fatalf("Do(%+v): %v", a, err)
	}
	return ev
}

// In the sandbox a user listens, connects, closes from the client and waits: the client
// passes FIN-WAIT-1, FIN-WAIT-2 and TIME-WAIT (RFC 9293 Figure 5), and TIME-WAIT only ends
// when the user lets 60 s (Linux) pass.
func TestLabCloseReachesTimeWaitAndWaitsForTheClock(t *testing.T) {
	l, err := NewLab(DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	labDo(t, l, LabAction{Endpoint: "server", Op: "listen"})
	labDo(t, l, LabAction{Endpoint: "client", Op: "connect"})
	if got := l.ConnState("client"); got != tcp.Established {
		t.Fatalf("client after connect = %s, want ESTABLISHED", got)
	}
	if got := l.ConnState("server"); got != tcp.Established {
		t.Fatalf("server after connect = %s, want ESTABLISHED", got)
	}
	ev := labDo(t, l, LabAction{Endpoint: "client", Op: "close"})
	var seen []tcp.State
	for _, e := range ev {
		if e.Kind == tcp.EventState && e.Endpoint == "client" {
			seen = append(seen, e.To)
		}
	}
	if len(seen) != 2 || seen[0] != tcp.FinWait1 || seen[1] != tcp.FinWait2 {
		t.Fatalf("client states after close = %v, want [FIN-WAIT-1 FIN-WAIT-2]", seen)
	}
	labDo(t, l, LabAction{Endpoint: "server", Op: "close"})
	if got := l.ConnState("client"); got != tcp.TimeWait {
		t.Fatalf("client after server close = %s, want TIME-WAIT", got)
	}
	labDo(t, l, LabAction{Endpoint: "clock", Op: "wait", Delay: 59 * time.Second})
	if got := l.ConnState("client"); got != tcp.TimeWait {
		t.Fatalf("client 59 s into TIME-WAIT = %s, want still TIME-WAIT", got)
	}
	labDo(t, l, LabAction{Endpoint: "clock", Op: "wait", Delay: 2 * time.Second})
	if got := l.ConnState("client"); got != tcp.Closed {
		t.Fatalf("client 61 s into TIME-WAIT = %s, want CLOSED", got)
	}
}

func TestLabRejectsBadActions(t *testing.T) {
	l, _ := NewLab(DefaultParams())
	for _, a := range []LabAction{
		{Endpoint: "mars", Op: "listen"},
		{Endpoint: "client", Op: "dance"},
		{Endpoint: "client", Op: "send", Bytes: 10},
		{Endpoint: "network", Op: "drop-next", Dir: "up"},
		{Endpoint: "clock", Op: "wait", Delay: MaxLabWait + time.Second},
		{Endpoint: "clock", Op: "wait", Delay: 0},
	} {
		if _, err := l.Do(a); err == nil {
			t.Errorf("Do(%+v) succeeded, want an error", a)
		}
	}
	l.Do(LabAction{Endpoint: "server", Op: "listen"})
	l.Do(LabAction{Endpoint: "client", Op: "connect"})
	if _, err := l.Do(LabAction{Endpoint: "client", Op: "send", Bytes: MaxLabBytes}); err != nil {
		t.Errorf("send of MaxLabBytes: %v", err)
	}
	if _, err := l.Do(LabAction{Endpoint: "client", Op: "send", Bytes: MaxLabBytes + 1}); err == nil {
		t.Errorf("send of MaxLabBytes+1 succeeded")
	}
}

// Dropping the client's next segment (its SYN) makes the client retransmit it after the
// initial RTO of 1 s (RFC 6298 §2.1).
func TestLabDropNextSYN(t *testing.T) {
	l, _ := NewLab(DefaultParams())
	labDo(t, l, LabAction{Endpoint: "server", Op: "listen"})
	labDo(t, l, LabAction{Endpoint: "network", Op: "drop-next", Dir: "client->server"})
	ev := labDo(t, l, LabAction{Endpoint: "client", Op: "connect"})
	var syns []*tcp.SegmentEvent
	for _, e := range ev {
		if e.Kind == tcp.EventSegment && e.Segment.Src == "client" && e.Segment.Seg.Flags == tcp.SYN {
			syns = append(syns, e.Segment)
		}
	}
	if len(syns) != 2 || syns[0].Fate != tcp.Dropped || !syns[1].Retransmit {
		t.Fatalf("SYNs = %d (first fate %v), want a dropped SYN and one retransmission", len(syns), syns)
	}
	var sentAt []tcp.Time
	for _, e := range ev {
		if e.Kind == tcp.EventSegment && e.Segment.Seg.Flags == tcp.SYN {
			sentAt = append(sentAt, e.At)
		}
	}
	if d := sentAt[1].Sub(sentAt[0]); d != time.Second {
		t.Fatalf("SYN retransmitted after %s, want 1s", d)
	}
}
