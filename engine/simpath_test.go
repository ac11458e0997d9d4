package engine

import (
	"net/netip"
	"testing"
	"time"

	"synack/engine/tcp"
)

// A link's queue is a ring: arrivals come out in the order they went in across growth
// past minQueue, wrap-around and shrinking back.
func TestLinkQueueKeepsOrder(t *testing.T) {
	var q linkQueue
	next, want := 0, 0
	push := func(n int) {
		for range n {
			q.push(arrival{seq: uint64(next)})
			next++
		}
	}
	pop := func(n int) {
		for range n {
			if e := q.peek(); e == nil || e.seq != uint64(want) {
				t.Fatalf("head = %v, want %d", e, want)
			}
			q.pop()
			want++
		}
	}
	push(minQueue) // exactly full
	if len(q.items) != minQueue {
		t.Fatalf("ring of %d for %d items, want %d", len(q.items), minQueue, minQueue)
	}
	pop(3)
	push(4) // wraps around
	if l := q.last(); l == nil || l.seq != uint64(next-1) {
		t.Fatalf("last = %v, want %d", l, next-1)
	}
	push(1000) // grows
	pop(990)   // shrinks, down to the ring the 19 left fill at least an eighth of
	if len(q.items) > 128 {
		t.Fatalf("ring of %d for %d items: it did not shrink", len(q.items), q.n)
	}
	pop(q.n)
	if q.peek() != nil || q.last() != nil {
		t.Fatal("an empty queue has a head")
	}
}

// Names come from the route cache, past manyRoutes addresses and with addresses that
// share a last byte, and stay right when a host or lane is added later.
func TestRouteCache(t *testing.T) {
	s := NewSim(1)
	s.AddHost("server", tcp.ServerAddr, "server", tcp.LinuxProfile())
	var addrs []netip.Addr
	for i := range 3 * manyRoutes {
		addrs = append(addrs, netip.AddrFrom4([4]byte{203, 0, byte(113 + i%2), byte(i / 2)}))
	}
	for range 2 {
		for _, a := range addrs {
			if got, want := s.NameOf(a), a.String(); got != want {
				t.Fatalf("NameOf(%s) = %q, want %q", a, got, want)
			}
		}
	}
	if s.routeSlots == nil {
		t.Fatalf("no slot cache after %d addresses", len(addrs))
	}
	s.AddLane("attacker-1", tcp.AttackerNet, "attacker")
	for _, a := range addrs {
		want := a.String()
		if tcp.AttackerNet.Contains(a) {
			want = "attacker-1"
		}
		if got := s.NameOf(a); got != want {
			t.Fatalf("after AddLane, NameOf(%s) = %q, want %q", a, got, want)
		}
	}
	if got := s.NameOf(tcp.ServerAddr); got != "server" || s.route(tcp.ServerAddr).host == nil {
		t.Fatalf("NameOf(server) = %q", got)
	}
}

// A link set after segments have used the direction applies to the next segment.
func TestSetLinkAfterUse(t *testing.T) {
	s := NewSim(1)
	s.AddHost("server", tcp.ServerAddr, "server", tcp.LinuxProfile())
	s.AddHost("client", tcp.ClientAddr, "client", tcp.LinuxProfile())
	seg := tcp.Segment{Src: tcp.ClientAddr, Dst: tcp.ServerAddr, SrcPort: 1, DstPort: 2, Flags: tcp.RST}
	s.Inject(0, "client", seg, "")
	s.RunUntil(tcp.Time(0).Add(time.Second))
	s.SetLink("client", "server", Link{Delay: 7 * time.Millisecond})
	s.Inject(tcp.Time(0).Add(time.Second), "client", seg, "")
	s.Run()
	tr := s.Trace()
	if got := tr.Event(tr.Len() - 1).Segment.Arrive; got != tcp.Time(0).Add(time.Second+7*time.Millisecond) {
		t.Fatalf("second segment arrives at %s, want 1.007s", got)
	}
}
