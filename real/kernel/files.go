//go:build linux

package kernel

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"synack/engine/packetdrill"
	"synack/engine/tcp"
)

// The calls on files and pipes a script may make (open, pipe, sendfile, splice): the
// engine does not model them, the kernel runs them as packetdrill does, on real files
// and pipes whose descriptors take the numbers the script gives them.

// openFlags are the open() flags a script may name.
var openFlags = map[string]int{
	"O_RDONLY": unix.O_RDONLY, "O_WRONLY": unix.O_WRONLY, "O_RDWR": unix.O_RDWR,
	"O_CREAT": unix.O_CREAT, "O_TRUNC": unix.O_TRUNC, "O_APPEND": unix.O_APPEND,
	"O_NONBLOCK": unix.O_NONBLOCK, "O_CLOEXEC": unix.O_CLOEXEC,
}

// spliceFlags are splice()'s flags.
var spliceFlags = map[string]int{
	"SPLICE_F_MOVE": unix.SPLICE_F_MOVE, "SPLICE_F_NONBLOCK": unix.SPLICE_F_NONBLOCK,
	"SPLICE_F_MORE": unix.SPLICE_F_MORE, "SPLICE_F_GIFT": unix.SPLICE_F_GIFT,
}

// flagsOf reads flags written as names joined by | or as a number.
func flagsOf(v string, names map[string]int) (int, error) {
	n := 0
	for _, f := range strings.Split(v, "|") {
		f = strings.TrimSpace(f)
		if x, err := strconv.ParseInt(f, 0, 32); err == nil {
			n |= int(x)
			continue
		}
		x, ok := names[f]
		if !ok {
			return 0, fmt.Errorf("flag %q is not one the runner knows", f)
		}
		n |= x
	}
	return n, nil
}

// FileCall makes open(), pipe(), sendfile() or splice() at time t.
func (s *stack) FileCall(t time.Duration, id int, sc *packetdrill.Syscall, mayBlock bool) (tcp.Result, bool, error) {
	s.sleepUntil(t)
	background := s.asyncGrace // a call that may block, as a write (see Call)
	if mayBlock {
		background = s.async
	}
	arg := func(i int) string {
		if i < len(sc.Args) {
			return strings.TrimSpace(sc.Args[i])
		}
		return ""
	}
	script := func(i int) (int, error) { // a descriptor argument, mapped to the live one
		n, err := strconv.Atoi(arg(i))
		if err != nil {
			return 0, fmt.Errorf("descriptor %q is not a number", arg(i))
		}
		s.mu.Lock()
		fd, ok := s.fds[n]
		s.mu.Unlock()
		if !ok {
			return -1, nil // EBADF from the kernel
		}
		return fd, nil
	}
	switch sc.Name {
	case "open":
		path, err := strconv.Unquote(arg(0))
		if err != nil {
			return tcp.Result{}, false, fmt.Errorf("the path %s is not a quoted string", arg(0))
		}
		flags, err := flagsOf(arg(1), openFlags)
		if err != nil {
			return tcp.Result{}, false, err
		}
		mode := uint64(0o644)
		if m := arg(2); m != "" {
			if mode, err = strconv.ParseUint(m, 0, 32); err != nil {
				return tcp.Result{}, false, fmt.Errorf("mode %q is not a number", m)
			}
		}
		fd, err := unix.Open(path, flags|unix.O_CLOEXEC, uint32(mode))
		if err != nil {
			return errRes(err), true, nil
		}
		return tcp.Result{Ret: int64(s.adopt(sc, fd))}, true, nil
	case "pipe":
		want := strings.Split(strings.Trim(arg(0), "[]"), ",")
		if len(want) != 2 {
			return tcp.Result{}, false, fmt.Errorf("pipe() takes [read, write], got %s", arg(0))
		}
		var p [2]int
		if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
			return errRes(err), true, nil
		}
		s.mu.Lock()
		for i, w := range want {
			n, err := strconv.Atoi(strings.TrimSpace(w))
			if err != nil {
				n = tcp.PickFD(0, &s.next, func(n int) bool { _, ok := s.fds[n]; return ok })
			}
			s.mapFD(n, p[i])
		}
		s.mu.Unlock()
		return tcp.Result{}, true, nil
	case "sendfile":
		out, err := script(0)
		if err != nil {
			return tcp.Result{}, false, err
		}
		in, err := script(1)
		if err != nil {
			return tcp.Result{}, false, err
		}
		count, err := strconv.Atoi(arg(3))
		if err != nil {
			return tcp.Result{}, false, fmt.Errorf("count %q is not a number", arg(3))
		}
		var off *int64
		if o := strings.Trim(arg(2), "[]"); arg(2) != "NULL" {
			v, err := strconv.ParseInt(o, 0, 64)
			if err != nil {
				return tcp.Result{}, false, fmt.Errorf("offset %q is not [N] or NULL", arg(2))
			}
			off = &v
		}
		return background(id, func() tcp.Result {
			n, err := unix.Sendfile(out, in, off, count)
			if err != nil {
				return errRes(err)
			}
			return tcp.Result{Ret: int64(n)}
		})
	case "splice":
		in, err := script(0)
		if err != nil {
			return tcp.Result{}, false, err
		}
		out, err := script(2)
		if err != nil {
			return tcp.Result{}, false, err
		}
		if arg(1) != "NULL" || arg(3) != "NULL" {
			return tcp.Result{}, false, fmt.Errorf("splice() with offsets: the runner passes NULL only")
		}
		n, err := strconv.Atoi(arg(4))
		if err != nil {
			return tcp.Result{}, false, fmt.Errorf("length %q is not a number", arg(4))
		}
		flags, err := flagsOf(arg(5), spliceFlags)
		if err != nil {
			return tcp.Result{}, false, err
		}
		return background(id, func() tcp.Result {
			m, err := unix.Splice(in, nil, out, nil, n, flags)
			if err != nil {
				return errRes(err)
			}
			return tcp.Result{Ret: m}
		})
	}
	return tcp.Result{}, false, fmt.Errorf("%s() is not a call on files or pipes", sc.Name)
}

// adopt gives a live descriptor the script's number: the one the call is written to
// return, or the next free one.
func (s *stack) adopt(sc *packetdrill.Syscall, fd int) int {
	want := 0
	if sc.HasRet && sc.Ret >= 3 && sc.Ret < tcp.MaxFD {
		want = int(sc.Ret)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := tcp.PickFD(want, &s.next, func(n int) bool { _, ok := s.fds[n]; return ok })
	s.mapFD(n, fd)
	return n
}
