package tcp

import "testing"

// One socket layer, two kinds of caller. A program's read() on a non-blocking socket
// with nothing to read gets EAGAIN from the socket layer (Linux's tcp_recvmsg returns
// before the socket is touched); RFC 9293's RECEIVE, the stories' and the lab's call, is
// the endpoint's to answer, and the endpoint records it. A close()d descriptor is gone
// (EBADF); after CLOSE, RECEIVE may go on (RFC 9293 §3.10.4).
func TestSocketsSystemAndUserCalls(t *testing.T) {
	reads := func(r *rig) int {
		n := 0
		for _, e := range r.ev {
			if e.Kind == EventApp && e.Call == "read" {
				n++
			}
		}
		return n
	}
	do := func(s *Sockets, c Call) Result {
		t.Helper()
		res, ok, err := s.Do(1, &c)
		if !ok || err != nil {
			t.Fatalf("%+v: done %v, %v", c, ok, err)
		}
		return res
	}

	r := newRig(t, plainProfile())
	r.established()
	s := NewSockets(r.h)
	fd := s.Adopt(r.c)
	do(s, Call{Op: OpFcntl, FD: fd, Opt: "F_SETFL", Val: OptVal{NonBlock: true}})
	if res := do(s, Call{Op: OpRecv, FD: fd, Size: 10}); res.Errno != "EAGAIN" || reads(r) != 0 {
		t.Errorf("system read on nothing: %+v, %d reads recorded; want EAGAIN and none", res, reads(r))
	}
	do(s, Call{Op: OpClose, FD: fd})
	if res := do(s, Call{Op: OpRecv, FD: fd, Size: 10}); res.Errno != "EBADF" {
		t.Errorf("system read after close: %+v, want EBADF", res)
	}

	r = newRig(t, plainProfile())
	r.established()
	u := NewUserSockets(r.h)
	fd = u.Adopt(r.c)
	if u.Adopt(r.c) != fd {
		t.Errorf("a connection adopted twice got two descriptors")
	}
	if res := do(u, Call{Op: OpRecv, FD: fd, Size: 10}); res.Errno != "EAGAIN" || reads(r) != 1 {
		t.Errorf("RECEIVE on nothing: %+v, %d reads recorded; want EAGAIN and one", res, reads(r))
	}
	do(u, Call{Op: OpClose, FD: fd})
	r.in(r.from(ACK|PSH, r.their+1, r.c.SndNxt(), 'h', 'i'))
	if res := do(u, Call{Op: OpRecv, FD: fd, Size: 10}); res.Errno != "" || res.Ret != 2 {
		t.Errorf("RECEIVE after CLOSE: %+v, want the 2 bytes", res)
	}
}

// A blocking accept() waits for the handshake and completes with the next descriptor.
func TestSocketsBlockingAccept(t *testing.T) {
	r := newRig(t, plainProfile())
	s := NewSockets(r.h)
	do := func(c Call) (Result, bool) {
		res, ok, err := s.Do(7, &c)
		if err != nil {
			t.Fatal(err)
		}
		return res, ok
	}
	l, _ := do(Call{Op: OpSocket})
	do(Call{Op: OpListen, FD: int(l.Ret), Port: ServerPort, Backlog: 4})
	if _, ok := do(Call{Op: OpAccept, FD: int(l.Ret)}); ok {
		t.Fatal("accept() on an empty queue returned")
	}
	if got := s.Completed(); len(got) != 0 {
		t.Fatalf("completed before the handshake: %+v", got)
	}
	r.in(r.from(SYN, r.their, 0))
	synAck := r.h.TakeOutput()[0].Seg
	r.in(r.from(ACK, r.their+1, synAck.Seq+1))
	got := s.Completed()
	if len(got) != 1 || got[0].ID != 7 || got[0].Res.Ret != l.Ret+1 {
		t.Fatalf("completed %+v, want call 7 returning descriptor %d", got, l.Ret+1)
	}
}
