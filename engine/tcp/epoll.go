package tcp

import "time"

// epoll as Linux implements it (fs/eventpoll.c) over the engine's sockets: an epoll
// descriptor watches sockets for events; epoll_wait returns each ready one's current
// poll mask (tcp_poll, the same as poll() reports) masked by the events asked for. A
// level-triggered watch is reported while the mask holds; an edge-triggered one
// (EPOLLET) only after a wakeup since it was last reported: the socket's callbacks
// (sk_data_ready when data or a FIN arrives, sk_state_change, sk_write_space when
// acknowledged data frees room, sk_error_report) put it on the ready list, and
// epoll_wait takes it off. EPOLLONESHOT disarms a watch once reported, until
// EPOLL_CTL_MOD.

// The epoll event bits (include/uapi/linux/eventpoll.h); the low ones are poll's.
const (
	EpollIn      = 0x1
	EpollPri     = 0x2
	EpollOut     = 0x4
	EpollErr     = 0x8
	EpollHup     = 0x10
	EpollRdNorm  = 0x40
	EpollRdBand  = 0x80
	EpollWrNorm  = 0x100
	EpollWrBand  = 0x200
	EpollMsg     = 0x400
	EpollRdHup   = 0x2000
	EpollExcl    = 1 << 28
	EpollWakeup  = 1 << 29
	EpollOneshot = 1 << 30
	EpollET      = 1 << 31
)

// MaxEpollWatches bounds the descriptors one epoll instance watches.
const MaxEpollWatches = 1024

// epollSet is an epoll instance.
type epollSet struct {
	watches map[int]*epollWatch
	order   []int // descriptors in the order they were added (the ready list's order)
}

type epollWatch struct {
	events uint32
	// seen is the socket's wakeup count when it was last reported (or added); ready
	// says the watch is on the ready list.
	seen   uint64
	ready  bool
	disarm bool // EPOLLONESHOT fired
}

// wakeups counts the callbacks that would wake a socket's waiters: data or a FIN
// arriving, a state change, room freed in the send queue, an error. It is derived from
// the connection, so it needs no hook in the segment path.
func (s *Sockets) wakeups(f *socket) uint64 {
	switch {
	case f.l != nil:
		return uint64(f.l.AcceptQueueLen())
	case f.c == nil:
		return 0
	}
	c := f.c
	n := uint64(c.rcvNxt-c.irs) + uint64(c.state)<<40 + c.spaceWakeups<<20
	if c.Err != nil {
		n += 1 << 48
	}
	return n
}

func (s *Sockets) epollCreate(want int) Result {
	fd := PickFD(want, &s.nextFD, func(n int) bool { return s.fds[n] != nil })
	s.fds[fd] = &socket{ep: &epollSet{watches: map[int]*epollWatch{}}}
	return Result{Ret: int64(fd)}
}

func (s *Sockets) epollCtl(f *socket, call *Call) Result {
	if f.ep == nil {
		return Result{Ret: -1, Errno: "EINVAL"}
	}
	ep := f.ep
	t := s.fds[call.Epoll.FD]
	if t == nil {
		return Result{Ret: -1, Errno: "EBADF"}
	}
	if t.ep != nil && t.ep == ep {
		return Result{Ret: -1, Errno: "EINVAL"}
	}
	w := ep.watches[call.Epoll.FD]
	switch call.Opt {
	case "EPOLL_CTL_ADD":
		if w != nil {
			return Result{Ret: -1, Errno: "EEXIST"}
		}
		if len(ep.watches) >= MaxEpollWatches {
			return Result{Ret: -1, Errno: "ENOSPC"}
		}
		w = &epollWatch{events: call.Epoll.Events, seen: s.wakeups(t)}
		// ep_insert: a descriptor ready now goes on the ready list at once.
		w.ready = uint32(s.pollMask(t))&(w.events|EpollErr|EpollHup) != 0
		ep.watches[call.Epoll.FD] = w
		ep.order = append(ep.order, call.Epoll.FD)
	case "EPOLL_CTL_MOD":
		if w == nil {
			return Result{Ret: -1, Errno: "ENOENT"}
		}
		w.events, w.disarm = call.Epoll.Events, false
		w.ready = uint32(s.pollMask(t))&(w.events|EpollErr|EpollHup) != 0
		w.seen = s.wakeups(t)
	case "EPOLL_CTL_DEL":
		if w == nil {
			return Result{Ret: -1, Errno: "ENOENT"}
		}
		delete(ep.watches, call.Epoll.FD)
		for i, fd := range ep.order {
			if fd == call.Epoll.FD {
				ep.order = append(ep.order[:i], ep.order[i+1:]...)
				break
			}
		}
	default:
		return Result{Ret: -1, Errno: "EINVAL"}
	}
	return Result{}
}

// epollReady returns the events epoll_wait would return now, at most max, taking
// edge-triggered and one-shot watches off the ready list as it reports them.
func (s *Sockets) epollReady(ep *epollSet, max int) []EpollEvent {
	var out []EpollEvent
	for _, fd := range ep.order {
		w := ep.watches[fd]
		t := s.fds[fd]
		if w == nil || t == nil || w.disarm {
			continue
		}
		if n := s.wakeups(t); n != w.seen {
			w.seen, w.ready = n, true
		}
		if !w.ready || len(out) >= max {
			continue
		}
		m := uint32(s.pollMask(t)) & (w.events | EpollErr | EpollHup)
		if m == 0 {
			w.ready = false
			continue
		}
		out = append(out, EpollEvent{FD: fd, Events: m})
		if w.events&EpollET != 0 {
			w.ready = false
		}
		if w.events&EpollOneshot != 0 {
			w.disarm = true
		}
	}
	return out
}

func (s *Sockets) epollWait(id int, f *socket, call *Call) (Result, bool) {
	if f.ep == nil || call.Size <= 0 {
		return Result{Ret: -1, Errno: "EINVAL"}, true
	}
	if ev := s.epollReady(f.ep, call.Size); len(ev) > 0 || call.Timeout == 0 {
		return Result{Ret: int64(len(ev)), Ready: ev}, true
	}
	w := &wait{id: id, fd: call.FD, kind: "epoll", call: call}
	if call.Timeout > 0 {
		w.deadline, w.hasDeadline = s.h.now.Add(time.Duration(call.Timeout)*time.Millisecond), true
	}
	s.waits = append(s.waits, w)
	return Result{}, false
}

// epollMask is what poll() reports for an epoll descriptor: readable when an event is
// waiting (ep_eventpoll_poll).
func (s *Sockets) epollMask(ep *epollSet) int16 {
	for _, fd := range ep.order {
		w, t := ep.watches[fd], s.fds[fd]
		if w != nil && t != nil && !w.disarm && t.ep == nil && uint32(s.pollMask(t))&(w.events|EpollErr|EpollHup) != 0 {
			return PollIn | PollRdNorm
		}
	}
	return 0
}
