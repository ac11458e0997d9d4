package kernel

import (
	"golang.org/x/sys/unix"

	"synack/engine/packetdrill"
	"synack/engine/tcp"
)

// epoll makes the real epoll calls: the script's descriptors are mapped to live ones,
// and an event's data is the script's descriptor, so epoll_wait reports it.
func (s *stack) epoll(id int, c *tcp.Call) (tcp.Result, bool, error) {
	if c.Op == tcp.OpEpollCreate {
		fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			return errRes(err), true, nil
		}
		s.mu.Lock()
		sfd := tcp.PickFD(c.WantFD, &s.next, func(n int) bool { _, ok := s.fds[n]; return ok })
		s.mapFD(sfd, fd)
		s.mu.Unlock()
		return tcp.Result{Ret: int64(sfd)}, true, nil
	}
	s.mu.Lock()
	epfd, ok := s.fds[c.FD]
	target, tok := s.fds[c.Epoll.FD]
	s.mu.Unlock()
	if !ok {
		return tcp.Result{Ret: -1, Errno: "EBADF"}, true, nil
	}
	if c.Op == tcp.OpEpollCtl {
		op := map[string]int{"EPOLL_CTL_ADD": unix.EPOLL_CTL_ADD, "EPOLL_CTL_MOD": unix.EPOLL_CTL_MOD, "EPOLL_CTL_DEL": unix.EPOLL_CTL_DEL}[c.Opt]
		if !tok {
			return tcp.Result{Ret: -1, Errno: "EBADF"}, true, nil
		}
		ev := &unix.EpollEvent{Events: c.Epoll.Events, Fd: int32(c.Epoll.FD)}
		if err := unix.EpollCtl(epfd, op, target, ev); err != nil {
			return errRes(err), true, nil
		}
		return tcp.Result{}, true, nil
	}
	events := make([]unix.EpollEvent, c.Size)
	do := func(ms int) tcp.Result {
		n, err := unix.EpollWait(epfd, events, ms)
		if err != nil {
			return errRes(err)
		}
		r := tcp.Result{Ret: int64(n)}
		for _, e := range events[:n] {
			r.Ready = append(r.Ready, tcp.EpollEvent{FD: int(e.Fd), Events: e.Events})
		}
		return r
	}
	if r := do(0); r.Ret != 0 || c.Timeout == 0 {
		return r, true, nil
	}
	go func() {
		r := do(c.Timeout)
		s.dones <- packetdrill.Done{ID: id, At: s.now(), Res: r}
	}()
	return tcp.Result{}, false, nil
}
