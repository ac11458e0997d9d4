package tcp

import (
	"fmt"
	"strconv"
	"time"
)

// Sockets is the socket layer over one Host: a descriptor table and the one place a
// Call is performed against the engine, with Linux's answers (errno, blocking, what
// each socket option does). A call that would block is kept and completes later, when
// Completed finds its condition holds. Like the Host, it reads no clock: the caller
// moves the host's time before a call.
type Sockets struct {
	h      *Host
	fds    map[int]*socket
	nextFD int
	waits  []*wait
	done   []Completion
	note   string // what the current call did not model, for its result
	// user says the calls are RFC 9293's user calls rather than Linux's system calls
	// (NewUserSockets).
	user bool
	// RmemMax and WmemMax are net.core.rmem_max and wmem_max: the most SO_RCVBUF and
	// SO_SNDBUF may ask for.
	RmemMax, WmemMax int
	// WmemDefault is tcp_wmem[1], a new socket's sk_sndbuf, and NotsentLowat
	// net.ipv4.tcp_notsent_lowat, once a caller sets them (sendbuf.go); 0: not modelled.
	WmemDefault  int
	NotsentLowat int64
}

// Completion is a blocking call that returned.
type Completion struct {
	ID  int
	Res Result
}

type socket struct {
	l        *Listener
	c        *Conn
	nonblock bool
	bound    uint16 // the port bind() gave it; 0: none
	linger0  bool
	maxSeg   uint16 // TCP_MAXSEG set before connect() or listen()
	inq      bool   // TCP_INQ: recvmsg reports what is left to read
	// userTimeout is TCP_USER_TIMEOUT, passed on to connections made or accepted later.
	userTimeout time.Duration
	noDelay     bool // TCP_NODELAY, passed on likewise
	// Fast Open: TCP_FASTOPEN_CONNECT, TCP_FASTOPEN's queue length (for listen()), and a
	// connect() deferred to the first write because a cookie is cached.
	fastOpenConnect bool
	synCnt          int        // TCP_SYNCNT (0: the sysctl)
	fastOpenKey     *[2]uint64 // TCP_FASTOPEN_KEY, for listen()
	fastOpenQueue   int
	deferred        bool
	// rcvBuf and sndBuf are sk_rcvbuf and sk_sndbuf once SO_RCVBUF or SO_SNDBUF set them
	// (what getsockopt returns); 0: not set.
	rcvBuf, sndBuf int
	keepalive      Keepalive // SO_KEEPALIVE and TCP_KEEP*, passed on like userTimeout
	ep             *epollSet // an epoll descriptor's watches (epoll.go)
	notsentLowat   int       // TCP_NOTSENT_LOWAT (0: the sysctl's)
	nospace        bool      // a write found no room (SOCK_NOSPACE): room freed wakes it
	congestion     string    // TCP_CONGESTION, passed on like userTimeout; "": the profile's
	ip             SockOpts  // IP_TOS and IP_MTU_DISCOVER, for connect() and listen()
	file           *fileDesc // a regular file, not a socket (files.go)
}

// MaxUnsentBytes bounds the data a socket holds unacknowledged (Linux tcp_wmem[2] in
// packetdrill's defaults: 4 MiB); a send past it is an error of the caller's, not an
// allocation.
const MaxUnsentBytes = 4 << 20

// MaxFD bounds the descriptor numbers a caller may ask for.
const MaxFD = 1 << 16

type wait struct {
	call *Call
	id   int
	fd   int
	kind string
	n    int
	// A blocking Fast Open send: its size, and whether the buffer faults.
	total int
	fault bool
	// A write waiting for room: what it copied (n) and what is left.
	rest []byte
	// A poll() waits for any of its entries, until deadline when hasDeadline.
	poll        []PollFD
	deadline    Time
	hasDeadline bool
}

// NewSockets returns an empty descriptor table over h; descriptors start at 3.
func NewSockets(h *Host) *Sockets {
	return &Sockets{h: h, fds: map[int]*socket{}, nextFD: 3, RmemMax: h.Prof.RmemMax, WmemMax: h.Prof.WmemMax}
}

// NewUserSockets returns a descriptor table over h whose calls are RFC 9293's user calls
// (§3.10: OPEN, SEND, RECEIVE, CLOSE, ABORT), as the stories and the lab make them,
// rather than Linux's system calls: no call blocks or waits for the connection, SEND
// queues data in SYN-SENT, RECEIVE and accept on nothing answer EAGAIN from the
// endpoint (which records the call), a send has no MaxUnsentBytes (the caller bounds
// what it writes), and CLOSE leaves the descriptor valid, since it only ends the
// sending side and RECEIVE may go on (§3.10.4).
func NewUserSockets(h *Host) *Sockets {
	s := NewSockets(h)
	s.user = true
	return s
}

// Adopt returns the descriptor of a connection the application holds (one accepted, or
// opened, outside the table), giving it one if it has none: the lowest, if several
// name it.
func (s *Sockets) Adopt(c *Conn) int {
	found := 0
	for fd, f := range s.fds {
		if f.c == c && (found == 0 || fd < found) {
			found = fd
		}
	}
	if found != 0 {
		return found
	}
	fd := PickFD(0, &s.nextFD, func(n int) bool { return s.fds[n] != nil })
	s.fds[fd] = &socket{c: c}
	return fd
}

// Reboot is the host crashing and coming back up (Host.Reboot): its connections are
// forgotten, and so are their descriptors; its listeners stay, as the host's do.
func (s *Sockets) Reboot() {
	s.h.Reboot()
	for fd, f := range s.fds {
		if f.c != nil {
			delete(s.fds, fd)
		}
	}
}

// Conn returns the connection behind fd, or nil.
func (s *Sockets) Conn(fd int) *Conn {
	if f := s.fds[fd]; f != nil {
		return f.c
	}
	return nil
}

// PickFD picks the descriptor a socket() or accept() returns: want when it is not 0 (a
// caller such as packetdrill maps its own descriptors to live ones, so a script may
// start at 4, and a number still open names the newest socket given it, as
// packetdrill's find_by_script_fd finds the newest), else the next free one.
func PickFD(want int, next *int, taken func(int) bool) int {
	if want != 0 {
		return want
	}
	for taken(*next) {
		*next++
	}
	fd := *next
	*next++
	return fd
}

func errnoName(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Do performs a call at the host's current time; id names it if it blocks. It returns
// the result and true, or false when the call blocks (Completed reports it later); an
// error is the caller's mistake (a send past MaxUnsentBytes), not the call's errno.
func (s *Sockets) Do(id int, call *Call) (Result, bool, error) {
	s.note = ""
	res, ok, err := s.do(id, call)
	if s.note != "" && res.Unmodelled == "" {
		res.Unmodelled = s.note
	}
	return res, ok, err
}

func (s *Sockets) do(id int, call *Call) (Result, bool, error) {
	ebadf := Result{Ret: -1, Errno: "EBADF"}
	if call.Op == OpSocket {
		fd := PickFD(call.WantFD, &s.nextFD, func(n int) bool { return s.fds[n] != nil })
		s.fds[fd] = &socket{}
		return Result{Ret: int64(fd)}, true, nil
	}
	if call.Op == OpPoll {
		return s.pollCall(id, call)
	}
	if call.Op == OpEpollCreate {
		return s.epollCreate(call.WantFD), true, nil
	}
	n := call.FD
	f := s.fds[n]
	if f == nil {
		return ebadf, true, nil
	}
	if f.file != nil && call.Op != OpClose && call.Op != OpFcntl {
		return Result{Ret: -1, Errno: "ENOTSOCK"}, true, nil // a socket call on a file
	}
	switch call.Op {
	case OpBind:
		f.bound = call.Port
		return Result{}, true, nil
	case OpListen:
		l, err := s.h.Listen(call.Port, call.Backlog)
		if err != nil {
			return Result{Ret: -1, Errno: errnoName(err)}, true, nil
		}
		l.MaxSeg = f.maxSeg
		l.FastOpenQueue = f.fastOpenQueue
		l.FastOpenKey = f.fastOpenKey
		l.RecvSpace = bufSpace(f.rcvBuf)
		l.Keepalive = f.keepalive
		l.Congestion = f.congestion
		l.IP = f.ip
		f.l = l
		return Result{}, true, nil
	case OpAccept:
		if f.l == nil {
			return Result{Ret: -1, Errno: "EINVAL"}, true, nil
		}
		if f.l.AcceptQueueLen() == 0 && !s.user {
			if f.nonblock {
				return Result{Ret: -1, Errno: "EAGAIN"}, true, nil
			}
			s.waits = append(s.waits, &wait{id: id, fd: n, kind: "accept", call: call})
			return Result{}, false, nil
		}
		return s.accept(f, call), true, nil
	case OpConnect:
		if f.c != nil && f.c.State() == SynSent {
			return Result{Ret: -1, Errno: "EALREADY"}, true, nil // __inet_stream_connect, SS_CONNECTING
		}
		if f.deferred || f.c != nil && f.c.State() != Closed {
			return Result{Ret: -1, Errno: "EISCONN"}, true, nil
		}
		opts := f.ip
		opts.MaxSeg, opts.RecvSpace = f.maxSeg, bufSpace(f.rcvBuf)
		connect := func() (*Conn, error) { return s.h.ConnectOpts(f.bound, call.Addr, call.Port, opts) }
		if f.fastOpenConnect && s.h.Prof.FastOpen&FastOpenClient != 0 {
			if s.h.FastOpenReady(call.Addr) {
				// tcp_fastopen_defer_connect: a cookie is cached, so connect() returns at
				// once and the SYN waits to carry the first write.
				f.deferred = true
				return Result{}, true, nil
			}
			connect = func() (*Conn, error) {
				c, _, err := s.h.ConnectFastOpen(f.bound, call.Addr, call.Port, opts, FastOpenSend{})
				return c, err
			}
		}
		c, err := connect()
		if err != nil {
			return Result{Ret: -1, Errno: errnoName(err)}, true, nil
		}
		f.c = c
		f.passOn(c)
		if s.user {
			return Result{}, true, nil
		}
		if f.nonblock {
			return Result{Ret: -1, Errno: "EINPROGRESS"}, true, nil
		}
		s.waits = append(s.waits, &wait{id: id, fd: n, kind: "connect"})
		return Result{}, false, nil
	case OpSend:
		size := call.Size
		data := call.Data
		if data == nil {
			data = make([]byte, size)
		}
		if s.user {
			if f.c == nil && call.Flags&MsgFastOpen != 0 {
				return s.fastOpenSend(id, n, f, call, false)
			}
			if f.c == nil {
				return Result{Ret: -1, Errno: "ENOTCONN"}, true, nil
			}
			m, err := f.c.SendMore(data, call.Flags&MsgMore != 0)
			if err != nil {
				return Result{Ret: -1, Errno: errnoName(err)}, true, nil
			}
			return Result{Ret: int64(m)}, true, nil
		}
		if call.OddFlag != "" {
			defer func() { s.note = "send flag " + call.OddFlag + " not modelled" }()
		}
		if f.deferred || f.c == nil && call.Flags&MsgFastOpen != 0 {
			return s.fastOpenSend(id, n, f, call, call.NullBuf && size > 0)
		}
		if f.c != nil && f.c.State() == SynSent && s.h.Prof.FastOpen != 0 {
			// Linux: a Fast Open is already under way (__inet_stream_connect in
			// SS_CONNECTING), and a write waits for the connection (sk_stream_wait_connect).
			if call.Flags&MsgFastOpen != 0 {
				return Result{Ret: -1, Errno: "EALREADY"}, true, nil
			}
			if f.nonblock || call.Flags&MsgDontWait != 0 {
				return Result{Ret: -1, Errno: "EAGAIN"}, true, nil
			}
		}
		if call.NullBuf && size > 0 {
			return Result{Ret: -1, Errno: "EFAULT"}, true, nil
		}
		if f.c == nil {
			// Linux: a socket that never connected, or a listener, is neither
			// ESTABLISHED nor on its way there, so sk_stream_wait_connect says EPIPE.
			return Result{Ret: -1, Errno: "EPIPE"}, true, nil
		}
		if f.c.Unacked()+size > MaxUnsentBytes {
			return Result{}, false, fmt.Errorf("%d bytes would be queued, more than the %d a script may keep unacknowledged", f.c.Unacked()+size, MaxUnsentBytes)
		}
		if b, ok := s.sendLimitOf(f); ok && f.c.State().CanSend() && !f.c.finQueued {
			return s.limitedSend(id, n, f, call, data, b)
		}
		m, err := f.c.SendMore(data, call.Flags&MsgMore != 0)
		if err != nil {
			return Result{Ret: -1, Errno: errnoName(err)}, true, nil
		}
		if call.Flags&MsgEOR != 0 {
			f.c.markEOR()
		}
		return Result{Ret: int64(m)}, true, nil
	case OpRecv:
		size := call.Size
		if call.Flags&MsgErrQueue != 0 && !s.user {
			// tcp_recvmsg reads the error queue before anything else, in any state, and
			// never waits: empty, it is EAGAIN. The engine queues nothing there (zerocopy
			// completions and timestamps are not modelled), so say so.
			s.note = "the socket error queue (MSG_ERRQUEUE) is not modelled"
			return Result{Ret: -1, Errno: "EAGAIN"}, true, nil
		}
		if call.Cmsg && !(f.inq && call.CmsgInq) {
			defer func() { s.note = "recvmsg control messages not modelled" }()
		}
		if call.NullBuf && size > 0 && f.c != nil && f.c.Buffered() > 0 {
			return Result{Ret: -1, Errno: "EFAULT"}, true, nil
		}
		if f.deferred {
			return Result{Ret: -1, Errno: "EAGAIN"}, true, nil // no data before the SYN is even sent
		}
		if f.c == nil {
			return Result{Ret: -1, Errno: "ENOTCONN"}, true, nil
		}
		if !s.user && f.c.Buffered() == 0 && !f.c.EOF() && !f.c.ReadShut() && f.c.Err == nil {
			if f.nonblock {
				return Result{Ret: -1, Errno: "EAGAIN"}, true, nil
			}
			s.waits = append(s.waits, &wait{id: id, fd: n, kind: "read", n: size})
			return Result{}, false, nil
		}
		b, err := f.c.Read(size)
		if err != nil {
			return Result{Ret: -1, Errno: errnoName(err)}, true, nil
		}
		res := Result{Ret: int64(len(b))}
		if call.Iov != nil && f.inq {
			// TCP_CM_INQ (tcp_inq_hint): what is left to read, or 1 once the FIN is in
			// and nothing is, so the reader goes on to see the end of stream.
			hint := f.c.Buffered()
			if hint == 0 && f.c.EOF() {
				hint = 1
			}
			res.Out = strconv.Itoa(hint)
		}
		return res, true, nil
	case OpClose:
		switch {
		case f.c != nil:
			f.c.Close()
			if s.user {
				return Result{}, true, nil // the descriptor stays: RECEIVE may go on
			}
		case f.l != nil:
			f.l.Close()
		}
		delete(s.fds, n)
		return Result{}, true, nil
	case OpAbort:
		if f.c == nil {
			return Result{Ret: -1, Errno: "ENOTCONN"}, true, nil
		}
		f.c.Abort()
		return Result{}, true, nil
	case OpShutdown:
		if f.c == nil {
			return Result{Ret: -1, Errno: "ENOTCONN"}, true, nil
		}
		if call.How == ShutRead || call.How == ShutReadWrite {
			f.c.ShutdownRead()
		}
		if call.How == ShutWrite || call.How == ShutReadWrite {
			f.c.Shutdown()
		}
		return Result{}, true, nil
	case OpEpollCtl:
		return s.epollCtl(f, call), true, nil
	case OpEpollWait:
		res, ok := s.epollWait(id, f, call)
		return res, ok, nil
	case OpSetsockopt:
		return s.setsockopt(f, call.Opt, call.Val), true, nil
	case OpGetsockopt:
		out := ""
		switch call.Opt {
		case "SO_ERROR":
			out = "0"
			if err := f.c.TakeErr(); err != nil {
				out = err.Error()
			}
		case "SO_KEEPALIVE", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT":
			k := f.keepalive.WithDefaults(&s.h.Prof)
			if f.c != nil {
				k = f.c.Keepalive()
			}
			out = strconv.Itoa(keepaliveOpt(k, call.Opt))
		case "SO_RCVBUF", "SO_SNDBUF":
			v := f.rcvBuf
			if call.Opt == "SO_SNDBUF" {
				v = f.sndBuf
			}
			if v != 0 {
				// Unset, the kernel's value comes from tcp_rmem/tcp_wmem and grows with
				// autotuning, which the engine does not model: reported as not evaluated.
				out = strconv.Itoa(v)
			}
		case "TCP_NOTSENT_LOWAT":
			out = strconv.Itoa(f.notsentLowat)
		case "TCP_MAXSEG":
			switch {
			case f.c != nil:
				out = strconv.Itoa(int(f.c.MaxSeg()))
			case f.maxSeg != 0:
				out = strconv.Itoa(int(f.maxSeg))
			default:
				out = strconv.Itoa(int(s.h.Prof.DefaultMSS))
			}
		}
		return Result{Out: out}, true, nil
	case OpIoctl:
		out := ""
		switch call.Opt {
		case "SIOCINQ", "FIONREAD":
			if f.c != nil {
				out = strconv.Itoa(f.c.Buffered())
			}
		case "SIOCOUTQ", "TIOCOUTQ":
			if f.c != nil {
				out = strconv.Itoa(f.c.Unacked())
			}
		default:
			return Result{Ret: -1, Errno: "EINVAL", Unmodelled: "ioctl " + call.Opt + " not modelled"}, true, nil
		}
		if out == "" {
			out = "0"
		}
		return Result{Out: out}, true, nil
	case OpFcntl:
		const oRDWR, oNONBLOCK = 0x2, 0x800
		switch call.Opt {
		case "F_GETFL":
			fl := int64(oRDWR)
			if f.nonblock {
				fl |= oNONBLOCK
			}
			return Result{Ret: fl}, true, nil
		case "F_SETFL":
			f.nonblock = call.Val.NonBlock
			return Result{}, true, nil
		}
		return Result{Ret: -1, Errno: "EINVAL"}, true, nil
	}
	return Result{Ret: -1, Errno: "ENOSYS"}, true, nil
}

// passOn gives a new connection of the socket's the options set on the socket before.
func (f *socket) passOn(c *Conn) {
	c.SetSynRetries(f.synCnt)
	c.SetUserTimeout(f.userTimeout)
	c.SetNoDelay(f.noDelay)
	c.SetKeepalive(f.keepalive)
	if f.congestion != "" {
		c.SetCongestion(f.congestion)
	}
	if f.linger0 {
		c.SetLinger(true)
	}
}

func (s *Sockets) accept(f *socket, want *Call) Result {
	c, err := f.l.Accept()
	if err != nil {
		return Result{Ret: -1, Errno: errnoName(err)}
	}
	fd := PickFD(want.WantFD, &s.nextFD, func(n int) bool { return s.fds[n] != nil })
	c.SetUserTimeout(f.userTimeout) // accept() inherits the listener's options
	c.SetNoDelay(f.noDelay)
	s.fds[fd] = &socket{c: c, userTimeout: f.userTimeout, noDelay: f.noDelay, rcvBuf: f.rcvBuf, sndBuf: f.sndBuf,
		keepalive: f.keepalive, congestion: f.congestion}
	return Result{Ret: int64(fd)}
}

// Completed finishes the blocking calls whose condition now holds and returns them,
// oldest call first.
func (s *Sockets) Completed() []Completion {
	keep := s.waits[:0]
	for _, w := range s.waits {
		f := s.fds[w.fd]
		var res Result
		ok := false
		switch {
		case f == nil && w.kind != "poll":
			res, ok = Result{Ret: -1, Errno: "EBADF"}, true
		case w.kind == "accept" && f.l != nil && f.l.AcceptQueueLen() > 0:
			res, ok = s.accept(f, w.call), true
		case w.kind == "connect" && f.c.State() == Established:
			res, ok = Result{}, true
		case w.kind == "fastopen" && f.c.Err != nil:
			res, ok = Result{Ret: -1, Errno: f.c.Err.Error()}, true
		case w.kind == "fastopen" && f.c.State() != SynSent:
			// The connection is set up: a blocking sendto() goes on with what the SYN
			// did not carry (tcp_sendmsg_locked after tcp_sendmsg_fastopen).
			// The rest was queued to leave with the ACK of the SYN-ACK.
			res, ok = Result{Ret: int64(w.total)}, true
			if w.fault {
				res = Result{Ret: -1, Errno: "EFAULT"}
			}
		case w.kind == "connect" && f.c.Err != nil:
			res, ok = Result{Ret: -1, Errno: f.c.Err.Error()}, true
		case w.kind == "write":
			res, ok = s.resumeWrite(w, f)
		case w.kind == "epoll":
			if ev := s.epollReady(f.ep, w.call.Size); len(ev) > 0 {
				res, ok = Result{Ret: int64(len(ev)), Ready: ev}, true
			} else if w.hasDeadline && s.h.now >= w.deadline {
				res, ok = Result{}, true
			}
		case w.kind == "poll":
			if n := s.pollReady(w.poll); n > 0 {
				res, ok = Result{Ret: int64(n), Revents: revents(w.poll)}, true
			} else if w.hasDeadline && s.h.now >= w.deadline {
				res, ok = Result{Ret: 0, Revents: revents(w.poll)}, true
			}
		case w.kind == "read" && (f.c.Buffered() > 0 || f.c.EOF() || f.c.Err != nil):
			b, err := f.c.Read(w.n)
			if err != nil {
				res = Result{Ret: -1, Errno: errnoName(err)}
			} else {
				res = Result{Ret: int64(len(b))}
			}
			ok = true
		}
		if ok {
			s.done = append(s.done, Completion{ID: w.id, Res: res})
		} else {
			keep = append(keep, w)
		}
	}
	s.waits = keep
	done := s.done
	s.done = nil
	return done
}

// setsockopt applies the options the engine models; the others succeed and are reported
// as not evaluated.
func (s *Sockets) setsockopt(f *socket, name string, val OptVal) Result {
	switch name {
	case "SO_LINGER":
		if val.LingerOn && val.IsLinger && val.LingerSecs == 0 {
			f.linger0 = true
			if f.c != nil {
				f.c.SetLinger(true)
			}
			return Result{}
		}
		return Result{Unmodelled: "SO_LINGER with a timeout not modelled"}
	case "TCP_INQ":
		if !val.IsInt {
			return Result{Ret: -1, Errno: "EINVAL"}
		}
		f.inq = val.Int != 0
		return Result{}
	case "SO_REUSEADDR", "SO_REUSEPORT":
		// One socket per port in a script's namespace: nothing to reuse.
		return Result{}
	case "TCP_CONGESTION":
		// CUBIC and Reno are the algorithms the engine has: naming one selects it for the
		// socket's connection (and a listener's future ones); any other is not modelled
		// (which names a kernel knows depends on its modules).
		name := val.Text
		if name != CongestionCubic && name != CongestionReno {
			return Result{Unmodelled: "TCP_CONGESTION " + name + " not modelled (cubic and reno are)"}
		}
		f.congestion = name
		if f.c != nil {
			f.c.SetCongestion(name)
		}
		if f.l != nil {
			f.l.Congestion = name
		}
		return Result{}
	case "TCP_NODELAY":
		// On, Nagle's rule stops holding partial segments, and setting it pushes data
		// held by Nagle, TCP_CORK or MSG_MORE (tcp_push_pending_frames).
		if !val.IsInt {
			return Result{Ret: -1, Errno: "EINVAL"}
		}
		f.noDelay = val.Int != 0
		if f.c != nil {
			f.c.SetNoDelay(f.noDelay)
		}
		return Result{}
	case "TCP_USER_TIMEOUT":
		if !val.IsInt || val.Int < 0 {
			return Result{Ret: -1, Errno: "EINVAL"}
		}
		f.userTimeout = time.Duration(val.Int) * time.Millisecond
		if f.c != nil {
			f.c.SetUserTimeout(f.userTimeout)
		}
		return Result{}
	case "TCP_CORK":
		if !val.IsInt {
			return Result{Ret: -1, Errno: "EINVAL"}
		}
		if f.c == nil {
			return Result{Unmodelled: "TCP_CORK before connect() not modelled"}
		}
		f.c.SetCork(val.Int != 0)
		return Result{}
	case "TCP_FASTOPEN":
		// The listener's Fast Open queue (tcp_fastopen's qlen): set before or after listen().
		if !val.IsInt || val.Int < 0 {
			return Result{Ret: -1, Errno: "EINVAL"}
		}
		f.fastOpenQueue = val.Int
		if f.l != nil {
			f.l.FastOpenQueue = val.Int
		}
		return Result{}
	case "TCP_FASTOPEN_KEY":
		// The listener's own key, 16 bytes.
		k, err := FastOpenKeyBytes(val.Bytes)
		if val.BytesErr != "" || err != nil {
			return Result{Ret: -1, Errno: "EINVAL"}
		}
		f.fastOpenKey = &k
		if f.l != nil {
			f.l.FastOpenKey = f.fastOpenKey
		}
		return Result{}
	case "TCP_SYNCNT":
		// The socket's own SYN retries (tcp_sock_set_syncnt: 1 to 127).
		if !val.IsInt || val.Int < 1 || val.Int > 127 {
			return Result{Ret: -1, Errno: "EINVAL"}
		}
		f.synCnt = val.Int
		if f.c != nil {
			f.c.SetSynRetries(val.Int)
		}
		return Result{}
	case "TCP_FASTOPEN_CONNECT":
		if !val.IsInt {
			return Result{Ret: -1, Errno: "EINVAL"}
		}
		if s.h.Prof.FastOpen&FastOpenClient == 0 {
			// do_tcp_setsockopt: Fast Open's client side is off.
			return Result{Ret: -1, Errno: "EOPNOTSUPP"}
		}
		if f.c != nil || f.l != nil {
			return Result{Ret: -1, Errno: "EINVAL"} // only on a socket in CLOSE
		}
		f.fastOpenConnect = val.Int != 0
		return Result{}
	case "SO_KEEPALIVE", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT":
		if name == "SO_KEEPALIVE" && val.Keepalive != nil {
			f.keepalive = *val.Keepalive
			if f.c != nil {
				f.c.SetKeepalive(f.keepalive)
			}
			if f.l != nil {
				f.l.Keepalive = f.keepalive
			}
			return Result{}
		}
		n := val.Int
		// do_tcp_setsockopt: idle and interval 1 to 32767 s (MAX_TCP_KEEPIDLE,
		// MAX_TCP_KEEPINTVL), count 1 to 127 (MAX_TCP_KEEPCNT).
		limit := map[string]int{"TCP_KEEPIDLE": 32767, "TCP_KEEPINTVL": 32767, "TCP_KEEPCNT": 127}[name]
		if !val.IsInt || limit > 0 && (n < 1 || n > limit) {
			return Result{Ret: -1, Errno: "EINVAL"}
		}
		k := &f.keepalive
		switch name {
		case "SO_KEEPALIVE":
			k.On = n != 0
		case "TCP_KEEPIDLE":
			k.Idle = time.Duration(n) * time.Second
		case "TCP_KEEPINTVL":
			k.Interval = time.Duration(n) * time.Second
		default:
			k.Count = n
		}
		if f.c != nil {
			f.c.SetKeepalive(*k)
		}
		if f.l != nil {
			f.l.Keepalive = *k
		}
		return Result{}
	case "SO_RCVBUF":
		// sock_setsockopt: the value, at most net.core.rmem_max, is doubled for the
		// kernel's bookkeeping, and at least SOCK_MIN_RCVBUF (2304 on 6.18, measured).
		// Before connect() or listen() it sets the handshake's window and window scale;
		// later it would only change how far the window may open.
		if !val.IsInt {
			return Result{Ret: -1, Errno: "EINVAL"}
		}
		f.rcvBuf = sockBuf(val.Int, s.RmemMax, sockMinRcvBuf)
		if f.l != nil {
			// A listener's buffer shapes the SYN-ACKs of connections still to come
			// (tcp_openreq_init_rwin reads it from the listener).
			f.l.RecvSpace = bufSpace(f.rcvBuf)
		}
		if f.c != nil {
			return Result{Unmodelled: "SO_RCVBUF after connect() not modelled"}
		}
		return Result{}
	case "SO_SNDBUF":
		// The same arithmetic with net.core.wmem_max and SOCK_MIN_SNDBUF (4608). The
		// engine keeps no send-buffer limit (writes never block on it), so what the
		// buffer would change (write() returning early, POLLOUT) is not evaluated.
		if !val.IsInt {
			return Result{Ret: -1, Errno: "EINVAL"}
		}
		f.sndBuf = sockBuf(val.Int, s.WmemMax, sockMinSndBuf)
		return Result{}
	case "TCP_NOTSENT_LOWAT":
		if !val.IsInt {
			return Result{Ret: -1, Errno: "EINVAL"}
		}
		f.notsentLowat = val.Int
		return Result{}
	case "IP_TOS":
		// do_ip_setsockopt: any int, kept as a byte; a stream socket's ECN bits stay
		// the stack's (__ip_sock_set_tos).
		if !val.IsInt {
			return Result{Ret: -1, Errno: "EINVAL"}
		}
		f.ip.TOS = uint8(val.Int) &^ ECNMask
		if f.c != nil {
			f.c.SetTOS(f.ip.TOS)
		}
		if f.l != nil {
			f.l.IP.TOS = f.ip.TOS
		}
		return Result{}
	case "IP_MTU_DISCOVER":
		// do_ip_setsockopt: IP_PMTUDISC_DONT (0) to IP_PMTUDISC_OMIT (5).
		if !val.IsInt || val.Int < int(PMTUDiscDont) || val.Int > int(PMTUDiscOmit) {
			return Result{Ret: -1, Errno: "EINVAL"}
		}
		f.ip.PMTUDisc, f.ip.HasPMTUDisc = PMTUDisc(val.Int), true
		if f.c != nil {
			f.c.SetPMTUDisc(f.ip.PMTUDisc)
		}
		if f.l != nil {
			f.l.IP.PMTUDisc, f.l.IP.HasPMTUDisc = f.ip.PMTUDisc, true
		}
		return Result{}
	case "TCP_MAXSEG":
		n := val.Int
		if !val.IsInt || n < 88 || n > 65535 {
			// Linux do_tcp_setsockopt: TCP_MIN_MSS (88) to MAX_TCP_WINDOW.
			return Result{Ret: -1, Errno: "EINVAL"}
		}
		if f.c != nil && f.c.State() != Closed {
			return Result{Unmodelled: "TCP_MAXSEG after connect() not modelled"}
		}
		f.maxSeg = uint16(n)
		if f.l != nil {
			f.l.MaxSeg = f.maxSeg // a listener passes it on to the connections it creates
		}
		return Result{}
	}
	return Result{Unmodelled: "setsockopt " + name + " not modelled"}
}

// keepaliveOpt is what getsockopt reads for one of the keep-alive options: 0 or 1, or
// seconds, or a count.
func keepaliveOpt(k Keepalive, name string) int {
	switch name {
	case "SO_KEEPALIVE":
		if k.On {
			return 1
		}
		return 0
	case "TCP_KEEPIDLE":
		return int(k.Idle / time.Second)
	case "TCP_KEEPINTVL":
		return int(k.Interval / time.Second)
	}
	return k.Count
}

// The smallest socket buffers Linux keeps (SOCK_MIN_RCVBUF, SOCK_MIN_SNDBUF: 2 KiB plus
// the size of an sk_buff, once or twice; measured on 6.18).
const (
	sockMinRcvBuf = 2304
	sockMinSndBuf = 4608
)

// sockBuf is the buffer size SO_RCVBUF or SO_SNDBUF of n gives (sock_setsockopt): n as an
// unsigned value capped at limit, doubled, at least floor.
func sockBuf(n, limit, floor int) int {
	v := limit
	if n >= 0 && (n < limit || limit <= 0) { // limit 0: the profile has no cap
		v = n
	}
	return max(2*v, floor)
}

// bufSpace is the part of a receive buffer of rcvBuf bytes that TCP may advertise:
// half of it while a connection starts (tcp_win_from_space with the initial
// scaling_ratio of 50 %, TCP_DEFAULT_SCALING_RATIO); 0 when SO_RCVBUF was not set.
func bufSpace(rcvBuf int) uint32 { return uint32(rcvBuf / 2) }

// pollCall is poll(): the revents Linux's tcp_poll reports for each entry; when none is
// ready and the timeout is not 0 the call blocks until one is or the timeout ends.
func (s *Sockets) pollCall(id int, call *Call) (Result, bool, error) {
	fds := call.Poll
	ms := call.Timeout
	if n := s.pollReady(fds); n > 0 || ms == 0 {
		return Result{Ret: int64(n), Revents: revents(fds)}, true, nil
	}
	w := &wait{id: id, kind: "poll", poll: fds, call: call}
	if ms > 0 {
		w.deadline, w.hasDeadline = s.h.now.Add(time.Duration(ms)*time.Millisecond), true
	}
	s.waits = append(s.waits, w)
	return Result{}, false, nil
}

func revents(fds []PollFD) []int16 {
	out := make([]int16, len(fds))
	for i, p := range fds {
		out[i] = p.Revents
	}
	return out
}

// PollDeadline returns the earliest timeout of a blocked poll().
func (s *Sockets) PollDeadline() (Time, bool) {
	var best Time
	found := false
	for _, w := range s.waits {
		if (w.kind == "poll" || w.kind == "epoll") && w.hasDeadline && (!found || w.deadline < best) {
			best, found = w.deadline, true
		}
	}
	return best, found
}

// pollReady fills in each entry's revents and returns how many have some.
func (s *Sockets) pollReady(fds []PollFD) int {
	n := 0
	for i := range fds {
		p := &fds[i]
		f := s.fds[p.FD]
		if f == nil {
			p.Revents = PollNval
		} else {
			// POLLERR and POLLHUP are reported whether asked for or not.
			p.Revents = s.pollMask(f) & (p.Events | PollErr | PollHup)
		}
		if p.Revents != 0 {
			n++
		}
	}
	return n
}

// pollMask is what Linux's tcp_poll reports for a socket (net/ipv4/tcp.c): a listener
// is readable when a connection waits in its accept queue; a socket in CLOSE (never
// connected, reset, timed out, or in TIME-WAIT) hangs up; a received FIN or
// shutdown(SHUT_RD) makes it readable with POLLRDHUP; once past the handshake it is
// readable with data queued and writable (the engine has no send-buffer limit short of
// MaxUnsentBytes); a pending error is POLLERR.
func (s *Sockets) pollMask(f *socket) int16 {
	if f.ep != nil {
		return s.epollMask(f.ep)
	}
	if f.l != nil {
		if f.l.AcceptQueueLen() > 0 {
			return PollIn | PollRdNorm
		}
		return 0
	}
	if f.deferred {
		return PollOut | PollWrNorm // SYN-SENT with the SYN deferred: writable (tcp_poll)
	}
	if f.c == nil {
		return PollOut | PollWrNorm | PollHup // a new socket is in CLOSE
	}
	c := f.c
	st := c.State()
	closed := st == Closed || st == TimeWait
	rdShut := closed || c.FinReceived() || c.ReadShut()
	wrShut := closed || c.WriteShut()
	var m int16
	if closed || rdShut && wrShut {
		m |= PollHup
	}
	if rdShut {
		m |= PollIn | PollRdNorm | PollRdHup
	}
	if st != SynSent && st != SynReceived {
		if c.Buffered() > 0 {
			m |= PollIn | PollRdNorm
		}
		if wrShut || s.pollOut(f) {
			m |= PollOut | PollWrNorm
		}
	}
	if c.Err != nil {
		m |= PollErr
	}
	return m
}

// fastOpenSend is a write that opens the connection with TCP Fast Open: sendto() with
// MSG_FASTOPEN on a new socket, or the first write after a deferred connect()
// (tcp_sendmsg_fastopen). A non-blocking call returns what the SYN carried, or
// EINPROGRESS when it carried nothing (no cookie yet, or a buffer that faults); a
// blocking one waits for the handshake and sends the rest. A user SEND (NewUserSockets)
// queues what the SYN does not carry and returns the whole size at once.
func (s *Sockets) fastOpenSend(id, fd int, f *socket, call *Call, fault bool) (Result, bool, error) {
	if s.h.Prof.FastOpen&FastOpenClient == 0 {
		return Result{Ret: -1, Errno: "EOPNOTSUPP"}, true, nil
	}
	if !call.Addr.IsValid() {
		// tcp_sendmsg_fastopen: an AF_UNSPEC address is not a peer to open to.
		return Result{Ret: -1, Errno: "EOPNOTSUPP"}, true, nil
	}
	data := call.Data
	if data == nil {
		data = make([]byte, call.Size)
	}
	size := len(data)
	// A user SEND never blocks; what the SYN does not carry is queued all the same.
	block := !s.user && !f.nonblock && call.Flags&MsgDontWait == 0
	opts := f.ip
	opts.MaxSeg, opts.RecvSpace = f.maxSeg, bufSpace(f.rcvBuf)
	c, n, err := s.h.ConnectFastOpen(f.bound, call.Addr, call.Port, opts, FastOpenSend{Data: data, Fault: fault, Queue: block || s.user})
	if err != nil {
		return Result{Ret: -1, Errno: errnoName(err)}, true, nil
	}
	f.c, f.deferred = c, false
	f.passOn(c)
	if s.user {
		return Result{Ret: int64(size)}, true, nil
	}
	if !block {
		if n > 0 {
			return Result{Ret: int64(n)}, true, nil
		}
		return Result{Ret: -1, Errno: "EINPROGRESS"}, true, nil
	}
	s.waits = append(s.waits, &wait{id: id, fd: fd, kind: "fastopen", total: size, fault: fault})
	return Result{}, false, nil
}

// Info returns the tcp_info fields the engine knows for the socket behind fd, named
// without the tcpi_ prefix (state holds a State); false when fd is no socket.
func (s *Sockets) Info(fd int) (map[string]int64, bool) {
	f := s.fds[fd]
	if f == nil {
		return nil, false
	}
	info := map[string]int64{"state": int64(Closed)}
	switch {
	case f.c != nil:
		st := f.c.State()
		if st == TimeWait {
			// Linux moves a connection in TIME-WAIT to a separate timewait socket
			// (tcp_time_wait); the application's socket then reads TCP_CLOSE.
			st = Closed
		}
		info["state"] = int64(st)
		for k, v := range f.c.Info() {
			info[k] = v
		}
		f.c.infoRTT(info)
	case f.l != nil:
		info["state"] = int64(Listen)
	case f.deferred:
		info["state"] = int64(SynSent) // Linux sets SYN_SENT before deferring
		info["options"] = 0            // nothing negotiated yet
	}
	return info, true
}
