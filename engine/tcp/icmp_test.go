package tcp

import "testing"

// tcp_v4_err's rules on a connection: an ICMP about a sequence number not in flight is
// ignored; "fragmentation needed" lowers the MSS to the path MTU, never below MinPMTU's;
// "host unreachable" about our SYN ends the open with EHOSTUNREACH.
func TestICMPErrors(t *testing.T) {
	r := newRig(t, plainProfile())
	r.established()
	r.c.Send(make([]byte, 3000))
	r.h.TakeOutput()
	tuple := Tuple{LocalAddr: ServerAddr, LocalPort: ServerPort, RemoteAddr: ClientAddr, RemotePort: ClientPort}
	frag := func(mtu uint16, seq Seq) {
		r.h.InputICMP(r.now, ICMP{Type: ICMPDestUnreach, Code: ICMPFragNeeded, MTU: mtu, Echoed: tuple, Seq: seq})
	}
	mss0 := r.c.mss // 536: the peer's SYN had no MSS option
	frag(MinPMTU, r.c.sndNxt.Add(1))
	if r.c.mss != mss0 || len(r.h.TakeOutput()) != 0 {
		t.Fatalf("ICMP about a sequence number past SND.NXT: MSS %d, want it ignored", r.c.mss)
	}
	frag(MinPMTU, r.c.sndUna)
	out := r.h.TakeOutput()
	if r.c.mss != MinPMTU-40 || len(out) == 0 || len(out[0].Seg.Payload) != MinPMTU-40 || !out[0].Retransmit {
		t.Fatalf("MTU %d: MSS %d, sent %v; want %d-byte retransmissions", MinPMTU, r.c.mss, out, MinPMTU-40)
	}
	frag(MinPMTU-1, r.c.sndUna)
	if r.c.mss != MinPMTU-40 {
		t.Fatalf("MTU %d (below the floor): MSS %d, want %d", MinPMTU-1, r.c.mss, MinPMTU-40)
	}

	r = newRig(t, plainProfile())
	iss := r.active()
	r.h.InputICMP(r.now, ICMP{Type: ICMPDestUnreach, Code: 1, Echoed: r.c.tuple, Seq: iss})
	if r.c.State() != Closed || r.c.Err != EHOSTUNREACH {
		t.Fatalf("host unreachable in SYN-SENT: %s, %v; want CLOSED with EHOSTUNREACH", r.c.State(), r.c.Err)
	}
}

// An epoll instance watches at most MaxEpollWatches descriptors.
func TestEpollWatchLimit(t *testing.T) {
	r := newRig(t, plainProfile())
	s := NewSockets(r.h)
	do := func(c Call) Result {
		res, _, err := s.Do(1, &c)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	ep := int(do(Call{Op: OpEpollCreate}).Ret)
	for i := 0; i <= MaxEpollWatches; i++ {
		fd := int(do(Call{Op: OpSocket}).Ret)
		res := do(Call{Op: OpEpollCtl, FD: ep, Opt: "EPOLL_CTL_ADD", Epoll: EpollEvent{FD: fd, Events: EpollIn}})
		switch {
		case i < MaxEpollWatches && res.Ret != 0:
			t.Fatalf("watch %d: %+v", i+1, res)
		case i == MaxEpollWatches && res.Errno != "ENOSPC":
			t.Fatalf("watch %d, past MaxEpollWatches: %+v, want ENOSPC", i+1, res)
		}
	}
}
