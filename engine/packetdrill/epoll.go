package packetdrill

import (
	"fmt"
	"strconv"
	"strings"

	"synack/engine/tcp"
)

var epollBits = []namedBit[uint32]{
	{"EPOLLIN", tcp.EpollIn}, {"EPOLLPRI", tcp.EpollPri}, {"EPOLLOUT", tcp.EpollOut},
	{"EPOLLERR", tcp.EpollErr}, {"EPOLLHUP", tcp.EpollHup}, {"EPOLLRDNORM", tcp.EpollRdNorm},
	{"EPOLLRDBAND", tcp.EpollRdBand}, {"EPOLLWRNORM", tcp.EpollWrNorm},
	{"EPOLLWRBAND", tcp.EpollWrBand}, {"EPOLLMSG", tcp.EpollMsg}, {"EPOLLRDHUP", tcp.EpollRdHup},
	{"EPOLLEXCLUSIVE", tcp.EpollExcl}, {"EPOLLWAKEUP", tcp.EpollWakeup},
	{"EPOLLONESHOT", tcp.EpollOneshot}, {"EPOLLET", tcp.EpollET},
}

// ParseEpollBits reads EPOLLIN|EPOLLET (or a number, or 0).
func ParseEpollBits(v string) (uint32, error) { return parseBits(v, epollBits, "epoll") }

// EpollBitsString names epoll bits as a script writes them: EPOLLIN|EPOLLOUT, or 0.
func EpollBitsString(bits uint32) string { return bitsString(bits, epollBits) }

// ParseEpollEvent reads a struct epoll_event as scripts write it: {events=EPOLLIN,
// fd=4}, or {events=0, ptr=0} (no descriptor: fd -1).
func ParseEpollEvent(arg string) (tcp.EpollEvent, error) {
	ev := tcp.EpollEvent{FD: -1}
	s := strings.TrimSpace(arg)
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return ev, fmt.Errorf("epoll: %q is not an {events=..., fd=...} struct", arg)
	}
	seen := map[string]bool{}
	for _, f := range strings.Split(s[1:len(s)-1], ",") {
		k, v, ok := strings.Cut(f, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || seen[k] {
			return ev, fmt.Errorf("epoll: %q: want events= and fd= (or ptr=)", arg)
		}
		seen[k] = true
		var err error
		switch k {
		case "events":
			ev.Events, err = ParseEpollBits(v)
		case "fd":
			ev.FD, err = strconv.Atoi(v)
		case "ptr", "u32", "u64":
			// packetdrill passes the value through as the user data; not a descriptor
		default:
			err = fmt.Errorf("unknown field %q", k)
		}
		if err != nil {
			return ev, fmt.Errorf("epoll: %q: %v", arg, err)
		}
	}
	if !seen["events"] {
		return ev, fmt.Errorf("epoll: %q: no events=", arg)
	}
	return ev, nil
}

// MaxEpollEvents bounds epoll_wait's maxevents.
const MaxEpollEvents = 1024

// decodeEpoll reads epoll_create(size), epoll_create1(flags), epoll_ctl(epfd, op, fd,
// event) and epoll_wait(epfd, events, maxevents, timeout).
func decodeEpoll(c *tcp.Call, sc *Syscall) error {
	arg := func(i int) string {
		if i < len(sc.Args) {
			return strings.TrimSpace(sc.Args[i])
		}
		return ""
	}
	switch sc.Name {
	case "epoll_create", "epoll_create1":
		c.Op = tcp.OpEpollCreate
		if sc.HasRet && sc.Ret >= 3 && sc.Ret < tcp.MaxFD {
			c.WantFD = int(sc.Ret)
		}
		return nil
	case "epoll_ctl":
		if len(sc.Args) != 4 {
			return fmt.Errorf("epoll_ctl takes 4 arguments: epfd, op, fd, event")
		}
		c.Op, c.Opt = tcp.OpEpollCtl, arg(1)
		fd, err := strconv.Atoi(arg(2))
		if err != nil {
			return fmt.Errorf("epoll_ctl: fd %q is not a number", arg(2))
		}
		c.Epoll.FD = fd
		if arg(3) != "NULL" && arg(3) != "..." {
			ev, err := ParseEpollEvent(arg(3))
			if err != nil {
				return err
			}
			c.Epoll.Events = ev.Events
		}
	case "epoll_wait":
		if len(sc.Args) != 4 {
			return fmt.Errorf("epoll_wait takes 4 arguments: epfd, events, maxevents, timeout")
		}
		c.Op = tcp.OpEpollWait
		n, err := strconv.Atoi(arg(2))
		if err != nil || n < 1 || n > MaxEpollEvents {
			return fmt.Errorf("epoll_wait: maxevents %q: want 1 to %d", arg(2), MaxEpollEvents)
		}
		c.Size = n
		if c.Timeout, err = PollTimeout(arg(3)); err != nil {
			return err
		}
	}
	fd, err := strconv.Atoi(arg(0))
	if err != nil {
		return fmt.Errorf("epoll descriptor %q is not a number", arg(0))
	}
	c.FD = fd
	return nil
}

// checkEpollWait compares epoll_wait's events with the one the script wrote (packetdrill
// checks the first event's events and data).
func checkEpollWait(sc *Syscall, res tcp.Result) error {
	if len(sc.Args) < 2 || res.Ret <= 0 || len(res.Ready) == 0 {
		return nil
	}
	want, err := ParseEpollEvent(sc.Args[1])
	if err != nil {
		return err
	}
	got := res.Ready[0]
	if got.Events != want.Events || want.FD >= 0 && got.FD != want.FD {
		return fmt.Errorf("epoll_wait() expected {events=%s, fd=%d}, got {events=%s, fd=%d}", EpollBitsString(want.Events), want.FD, EpollBitsString(got.Events), got.FD)
	}
	return nil
}
