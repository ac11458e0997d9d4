package packetdrill

import (
	"errors"
	"fmt"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"synack/engine"
	"synack/engine/tcp"
)

// EngineStack runs scripts against synack's engine, in virtual time: a script that
// waits 60 s of TIME-WAIT runs in microseconds.
type EngineStack struct {
	h      *tcp.Host
	tr     engine.Trace
	now    time.Duration
	out    []Sent
	fds    map[int]*fdState
	nextFD int
	waits  []*wait
	done   []Done
	segID  int
	// rmemMax is net.core.rmem_max; with tcp_rmem[2] it sets the window scale we offer.
	rmemMax int
	rmem2   int
	wmemMax int    // net.core.wmem_max: the most SO_SNDBUF may ask for
	note    string // what the current call did not model, for its result
	// remote is the script's peer (RemoteAddr unless the script says otherwise).
	remote netip.Addr
}

type fdState struct {
	l        *tcp.Listener
	c        *tcp.Conn
	nonblock bool
	bound    bool
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
	keepalive      tcp.Keepalive // SO_KEEPALIVE and TCP_KEEP*, passed on like userTimeout
}

// Limits on what one script may make the engine hold.
const (
	// MaxCallBytes is the most a single write() or read() may move: a larger (or negative)
	// size is a script error at its line, not an allocation.
	MaxCallBytes = 1 << 20
	// MaxUnsentBytes bounds the data a socket holds unacknowledged (Linux tcp_wmem[2]
	// in packetdrill's defaults: 4 MiB); a write past it is a script error.
	MaxUnsentBytes = 4 << 20
)

type wait struct {
	sc   *Syscall
	id   int
	fd   int
	kind string
	n    int
	// A blocking Fast Open send: its size, and whether the buffer faults.
	total int
	fault bool
	// A poll() waits for any of its entries, until deadline when hasDeadline.
	poll        []PollFD
	deadline    time.Duration
	hasDeadline bool
}

// NewEngineStack returns the engine with the given profile as the stack under test.
func NewEngineStack(prof tcp.Profile) *EngineStack {
	s := &EngineStack{fds: map[int]*fdState{}, nextFD: 3, rmemMax: 212992, wmemMax: 212992, remote: RemoteAddr}
	s.h = tcp.NewHost("stack", LocalAddr, prof, tcp.NewRand(1), s)
	s.h.Names = func(netip.Addr) string { return "peer" }
	s.tr.Meta = engine.Meta{Scenario: "packetdrill", Profile: prof.Name, Seed: 1,
		Endpoints: []engine.EndpointInfo{{Name: "peer", Addr: RemoteAddr.String(), Role: "client"}, {Name: "stack", Addr: LocalAddr.String(), Role: "server"}}}
	return s
}

// SetAddrs gives the stack under test the script's addresses (--local_ip, --remote_ip)
// before it runs.
func (s *EngineStack) SetAddrs(local, remote netip.Addr) {
	s.h.Addr, s.remote = local, remote
	s.tr.Meta.Endpoints = []engine.EndpointInfo{{Name: "peer", Addr: remote.String(), Role: "client"}, {Name: "stack", Addr: local.String(), Role: "server"}}
}

// Record keeps the host's events for the trace.
func (s *EngineStack) Record(e tcp.Event) { s.tr.Append(e) }

// Trace returns what happened, for drawing and export.
func (s *EngineStack) Trace() *engine.Trace { return &s.tr }

func vt(d time.Duration) tcp.Time { return tcp.Time(d / time.Microsecond) }

// Tune maps a Linux sysctl onto the profile.
func (s *EngineStack) Tune(name, value string) (bool, error) {
	switch name {
	case "tcp_rmem", "rmem_max":
		f := strings.Fields(value)
		if name == "tcp_rmem" && len(f) != 3 || name == "rmem_max" && len(f) != 1 {
			return false, fmt.Errorf("%q: want %s", value, map[string]string{"tcp_rmem": "min default max", "rmem_max": "a size"}[name])
		}
		n, err := strconv.Atoi(f[len(f)-1])
		if err != nil || n < 0 {
			return false, fmt.Errorf("%q is not a size", f[len(f)-1])
		}
		if name == "tcp_rmem" {
			s.rmem2 = n
		} else {
			s.rmemMax = n
		}
		if s.rmem2 > 0 {
			s.h.Prof.WindowShift = windowShift(max(s.rmem2, s.rmemMax))
		}
		return true, nil
	}
	if name == "tcp_slow_start_after_idle" {
		// RFC 5681 §4.1's restart window (Linux tcp_cwnd_restart), on or off.
		switch strings.TrimSpace(value) {
		case "0":
			s.h.Prof.IdleRestart = false
		case "1":
			s.h.Prof.IdleRestart = true
		default:
			return false, fmt.Errorf("%q is not 0 or 1", value)
		}
		return true, nil
	}
	if name == "wmem_max" {
		n, err := strconv.Atoi(strings.TrimSpace(value))
		if err != nil || n < 0 {
			return false, fmt.Errorf("%q is not a size", value)
		}
		s.wmemMax = n
		return true, nil
	}
	switch name {
	case "tcp_fastopen":
		n, err := strconv.ParseInt(strings.TrimSpace(value), 0, 32)
		if err != nil || n < 0 {
			return false, fmt.Errorf("%q is not a number", value)
		}
		s.h.Prof.FastOpen = int(n)
		return true, nil
	case "tcp_fastopen_blackhole_timeout_sec":
		// The engine has no Fast Open blackhole detection: what 0 (Linux's default
		// since 5.14) means.
		return value == "0", nil
	case "tcp_fastopen_key":
		k, err := tcp.ParseFastOpenKey(value)
		if err != nil {
			return false, err
		}
		s.h.SetFastOpenKey(k)
		return true, nil
	}
	tune, ok := sysctlNames[name]
	if !ok {
		return false, nil
	}
	if tune == "fin_timeout" {
		value += "s"
	}
	return true, s.h.Prof.ApplyTune(tune, value)
}

// windowShift is the window scale Linux offers for a receive buffer that may grow to
// space bytes: tcp_select_initial_window takes ilog2(space) - 15, at most 14 (RFC 7323).
func windowShift(space int) uint8 {
	if space <= 0 {
		return 0
	}
	return uint8(min(max(bits.Len(uint(space))-1-15, 0), 14))
}

// Command applies the queueing discipline commands whose effect the engine models, on
// the egress of the stack under test: `tc qdisc add|replace dev DEV root pfifo limit 0`
// (a queue with no room: everything the stack sends is dropped before it leaves) and
// `tc qdisc del|delete dev DEV root` (back to the default queue). Any other command (a
// fair-queue qdisc, which paces, or a pfifo that has room) is not modelled.
func (s *EngineStack) Command(cmd string) error {
	f := strings.Fields(cmd)
	if strings.Join(f, " ") == "ip tcp_metrics flush all" {
		s.h.FlushFastOpenCache() // the cached Fast Open cookies are tcp_metrics entries
		return nil
	}
	if len(f) >= 6 && f[0] == "tc" && f[1] == "qdisc" && f[3] == "dev" && f[5] == "root" {
		switch {
		case (f[2] == "del" || f[2] == "delete") && len(f) == 6:
			if !s.h.EgressDrop() {
				// Like Linux: the default root qdisc (handle 0) cannot be deleted.
				return errors.New("no qdisc of the script's to delete")
			}
			s.h.SetEgressDrop(false)
			return nil
		case (f[2] == "add" || f[2] == "replace") && len(f) == 9 && f[6] == "pfifo" && f[7] == "limit" && f[8] == "0":
			s.h.SetEgressDrop(true)
			return nil
		}
	}
	return ErrNotModelled
}

func (s *EngineStack) collect(at time.Duration) {
	for _, o := range s.h.TakeOutput() {
		s.out = append(s.out, Sent{At: at, Seg: o.Seg})
		s.segID++
		ev := &tcp.SegmentEvent{ID: s.segID, Src: "stack", Dst: "peer", Seg: o.Seg, Retransmit: o.Retransmit, Cookie: o.Cookie, Arrive: vt(at)}
		s.tr.Append(tcp.Event{Kind: tcp.EventSegment, At: vt(at), Segment: ev})
	}
	s.checkWaits(at)
}

// Until runs timers up to t.
func (s *EngineStack) Until(t time.Duration, stopOnSend bool) ([]Sent, []Done, error) {
	for {
		d := s.h.NextDeadline()
		if pd, ok := s.pollDeadline(); ok && pd <= t && (d == tcp.Never || vt(pd) < d) {
			// A poll() times out before the engine's next timer.
			s.h.At(vt(pd))
			s.now = max(s.now, pd)
			s.checkWaits(pd)
			continue
		}
		if d == tcp.Never || d > vt(t) {
			break
		}
		s.h.Advance(d)
		at := time.Duration(d) * time.Microsecond
		s.now = at
		s.collect(at)
		if stopOnSend && len(s.out) > 0 {
			break
		}
	}
	if !stopOnSend || len(s.out) == 0 {
		s.h.At(vt(t))
		s.now = max(s.now, t)
	}
	out, done := s.out, s.done
	s.out, s.done = nil, nil
	return out, done, nil
}

// Inject hands the engine a segment from the peer.
func (s *EngineStack) Inject(t time.Duration, seg tcp.Segment) error {
	s.segID++
	ev := &tcp.SegmentEvent{ID: s.segID, Src: "peer", Dst: "stack", Seg: seg.Clone(), Arrive: vt(t)}
	s.tr.Append(tcp.Event{Kind: tcp.EventSegment, At: vt(t), Segment: ev})
	s.h.Input(vt(t), seg)
	s.now = t
	s.collect(t)
	return nil
}

// Now returns the virtual time.
func (s *EngineStack) Now() time.Duration { return s.now }

// Info returns the tcp_info fields the engine knows for the socket behind fd.
func (s *EngineStack) Info(fd int) (map[string]int64, bool) {
	f := s.fds[fd]
	if f == nil {
		return nil, false
	}
	info := map[string]int64{"state": int64(tcp.Closed)}
	switch {
	case f.c != nil:
		st := f.c.State()
		if st == tcp.TimeWait {
			// Linux moves a connection in TIME-WAIT to a separate timewait socket
			// (tcp_time_wait); the application's socket then reads TCP_CLOSE.
			st = tcp.Closed
		}
		info["state"] = int64(st)
		for k, v := range f.c.Info() {
			info[k] = v
		}
	case f.l != nil:
		info["state"] = int64(tcp.Listen)
	case f.deferred:
		info["state"] = int64(tcp.SynSent) // Linux sets SYN_SENT before deferring
		info["options"] = 0                // nothing negotiated yet
	}
	return info, true
}

// Close ends the run.
func (s *EngineStack) Close() error { return nil }

// FastOpenCookie returns the cookie the engine's listeners give the script's peer.
func (s *EngineStack) FastOpenCookie() ([]byte, error) {
	return s.h.FastOpenCookieFor(s.remote), nil
}

func errnoName(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (s *EngineStack) fd(sc *Syscall) (int, *fdState, error) {
	if len(sc.Args) == 0 {
		return 0, nil, fmt.Errorf("no file descriptor")
	}
	n, err := strconv.Atoi(strings.TrimSpace(sc.Args[0]))
	if err != nil {
		return 0, nil, fmt.Errorf("file descriptor %q is not a number", sc.Args[0])
	}
	f := s.fds[n]
	if f == nil {
		return n, nil, nil
	}
	return n, f, nil
}

// Call makes a socket call against the engine.
func (s *EngineStack) Call(t time.Duration, id int, sc *Syscall, mayBlock bool) (CallResult, bool, error) {
	s.note = ""
	res, ok, err := s.call(t, id, sc, mayBlock)
	if s.note != "" && res.Unmodelled == "" {
		res.Unmodelled = s.note
	}
	return res, ok, err
}

func (s *EngineStack) call(t time.Duration, id int, sc *Syscall, mayBlock bool) (CallResult, bool, error) {
	s.h.At(vt(t))
	s.now = t
	defer s.collect(t)
	ebadf := CallResult{Ret: -1, Errno: "EBADF"}
	if sc.Name == "socket" {
		fd := ScriptFD(sc, &s.nextFD, func(n int) bool { return s.fds[n] != nil })
		s.fds[fd] = &fdState{}
		return CallResult{Ret: int64(fd)}, true, nil
	}
	if sc.Name == "poll" {
		return s.pollCall(t, id, sc, mayBlock)
	}
	n, f, err := s.fd(sc)
	if err != nil {
		return CallResult{}, false, err
	}
	if f == nil {
		return ebadf, true, nil
	}
	arg := func(i int) string {
		if i < len(sc.Args) {
			return strings.TrimSpace(sc.Args[i])
		}
		return ""
	}
	switch sc.Name {
	case "bind":
		f.bound = true
		return CallResult{}, true, nil
	case "listen":
		backlog, _ := strconv.Atoi(arg(1))
		l, err := s.h.Listen(LocalPort, backlog)
		if err != nil {
			return CallResult{Ret: -1, Errno: errnoName(err)}, true, nil
		}
		l.MaxSeg = f.maxSeg
		l.FastOpenQueue = f.fastOpenQueue
		l.FastOpenKey = f.fastOpenKey
		l.RecvSpace = recvSpace(f.rcvBuf)
		l.Keepalive = f.keepalive
		f.l = l
		return CallResult{}, true, nil
	case "accept":
		if f.l == nil {
			return CallResult{Ret: -1, Errno: "EINVAL"}, true, nil
		}
		if f.l.AcceptQueueLen() == 0 {
			if f.nonblock {
				return CallResult{Ret: -1, Errno: "EAGAIN"}, true, nil
			}
			s.waits = append(s.waits, &wait{id: id, fd: n, kind: "accept", sc: sc})
			return CallResult{}, false, nil
		}
		return s.accept(f, sc), true, nil
	case "connect":
		var port uint16
		if f.bound {
			port = LocalPort
		}
		if f.c != nil && f.c.State() == tcp.SynSent {
			return CallResult{Ret: -1, Errno: "EALREADY"}, true, nil // __inet_stream_connect, SS_CONNECTING
		}
		if f.deferred || f.c != nil && f.c.State() != tcp.Closed {
			return CallResult{Ret: -1, Errno: "EISCONN"}, true, nil
		}
		opts := tcp.SockOpts{MaxSeg: f.maxSeg, RecvSpace: recvSpace(f.rcvBuf)}
		connect := func() (*tcp.Conn, error) { return s.h.ConnectOpts(port, s.remote, PeerPort, opts) }
		if f.fastOpenConnect && s.h.Prof.FastOpen&tcp.FastOpenClient != 0 {
			if s.h.FastOpenReady(s.remote) {
				// tcp_fastopen_defer_connect: a cookie is cached, so connect() returns at
				// once and the SYN waits to carry the first write.
				f.deferred = true
				return CallResult{}, true, nil
			}
			connect = func() (*tcp.Conn, error) {
				c, _, err := s.h.ConnectFastOpen(port, s.remote, PeerPort, opts, tcp.FastOpenSend{})
				return c, err
			}
		}
		c, err := connect()
		if err != nil {
			return CallResult{Ret: -1, Errno: errnoName(err)}, true, nil
		}
		f.c = c
		c.SetSynRetries(f.synCnt)
		c.SetUserTimeout(f.userTimeout)
		c.SetNoDelay(f.noDelay)
		c.SetKeepalive(f.keepalive)
		if f.linger0 {
			c.SetLinger(true)
		}
		if f.nonblock {
			return CallResult{Ret: -1, Errno: "EINPROGRESS"}, true, nil
		}
		s.waits = append(s.waits, &wait{id: id, fd: n, kind: "connect"})
		return CallResult{}, false, nil
	case "write", "send", "sendto", "sendmsg":
		var size int
		var err error
		if sc.Name == "sendmsg" {
			size, err = msgSize(sc.Name, arg(1))
		} else {
			size, err = CallSize(sc.Name, arg(2))
		}
		if err != nil {
			return CallResult{}, false, err
		}
		more := hasFlag(sc, "MSG_MORE")
		if note := unmodelledFlags(sc); note != "" {
			defer func() { s.note = note }()
		}
		if f.deferred || f.c == nil && hasFlag(sc, "MSG_FASTOPEN") {
			return s.fastOpenSend(t, id, n, f, sc, size, arg(1) == "NULL" && size > 0)
		}
		if f.c != nil && f.c.State() == tcp.SynSent && s.h.Prof.FastOpen != 0 {
			// Linux: a Fast Open is already under way (__inet_stream_connect in
			// SS_CONNECTING), and a write waits for the connection (sk_stream_wait_connect).
			if hasFlag(sc, "MSG_FASTOPEN") {
				return CallResult{Ret: -1, Errno: "EALREADY"}, true, nil
			}
			if f.nonblock || hasFlag(sc, "MSG_DONTWAIT") {
				return CallResult{Ret: -1, Errno: "EAGAIN"}, true, nil
			}
		}
		if arg(1) == "NULL" && size > 0 {
			return CallResult{Ret: -1, Errno: "EFAULT"}, true, nil
		}
		if f.c == nil {
			return CallResult{Ret: -1, Errno: "ENOTCONN"}, true, nil
		}
		if f.c.Unacked()+size > MaxUnsentBytes {
			return CallResult{}, false, fmt.Errorf("%d bytes would be queued, more than the %d a script may keep unacknowledged", f.c.Unacked()+size, MaxUnsentBytes)
		}
		m, err := f.c.SendMore(make([]byte, size), more)
		if err != nil {
			return CallResult{Ret: -1, Errno: errnoName(err)}, true, nil
		}
		return CallResult{Ret: int64(m)}, true, nil
	case "read", "recv", "recvfrom", "recvmsg":
		var size int
		var err error
		if sc.Name == "recvmsg" {
			size, err = msgSize(sc.Name, arg(1))
			if strings.Contains(arg(1), "cmsg") && !(f != nil && f.inq && strings.Contains(arg(1), "TCP_CM_INQ")) {
				defer func() { s.note = "recvmsg control messages not modelled" }()
			}
		} else {
			size, err = CallSize(sc.Name, arg(2))
		}
		if err != nil {
			return CallResult{}, false, err
		}
		if arg(1) == "NULL" && size > 0 && f.c != nil && f.c.Buffered() > 0 {
			return CallResult{Ret: -1, Errno: "EFAULT"}, true, nil
		}
		if f.deferred {
			return CallResult{Ret: -1, Errno: "EAGAIN"}, true, nil // no data before the SYN is even sent
		}
		if f.c == nil {
			return CallResult{Ret: -1, Errno: "ENOTCONN"}, true, nil
		}
		if f.c.Buffered() == 0 && !f.c.EOF() && !f.c.ReadShut() && f.c.Err == nil {
			if f.nonblock {
				return CallResult{Ret: -1, Errno: "EAGAIN"}, true, nil
			}
			s.waits = append(s.waits, &wait{id: id, fd: n, kind: "read", n: size})
			return CallResult{}, false, nil
		}
		b, err := f.c.Read(size)
		if err != nil {
			return CallResult{Ret: -1, Errno: errnoName(err)}, true, nil
		}
		res := CallResult{Ret: int64(len(b))}
		if sc.Name == "recvmsg" && f.inq {
			// TCP_CM_INQ (tcp_inq_hint): what is left to read, or 1 once the FIN is in
			// and nothing is, so the reader goes on to see the end of stream.
			hint := f.c.Buffered()
			if hint == 0 && f.c.EOF() {
				hint = 1
			}
			res.Out = strconv.Itoa(hint)
		}
		return res, true, nil
	case "close":
		switch {
		case f.c != nil:
			f.c.Close()
		case f.l != nil:
			f.l.Close()
		}
		delete(s.fds, n)
		return CallResult{}, true, nil
	case "shutdown":
		if f.c == nil {
			return CallResult{Ret: -1, Errno: "ENOTCONN"}, true, nil
		}
		how := arg(1)
		if how == "SHUT_RD" || how == "SHUT_RDWR" || how == "0" || how == "2" {
			f.c.ShutdownRead()
		}
		if how == "SHUT_WR" || how == "SHUT_RDWR" || how == "1" || how == "2" {
			f.c.Shutdown()
		}
		return CallResult{}, true, nil
	case "setsockopt":
		return s.setsockopt(f, arg(2), arg(3)), true, nil
	case "getsockopt":
		out := ""
		switch arg(2) {
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
			out = strconv.Itoa(keepaliveOpt(k, arg(2)))
		case "SO_RCVBUF", "SO_SNDBUF":
			v := f.rcvBuf
			if arg(2) == "SO_SNDBUF" {
				v = f.sndBuf
			}
			if v != 0 {
				// Unset, the kernel's value comes from tcp_rmem/tcp_wmem and grows with
				// autotuning, which the engine does not model: reported as not evaluated.
				out = strconv.Itoa(v)
			}
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
		return CallResult{Out: out}, true, nil
	case "ioctl":
		out := ""
		switch arg(1) {
		case "SIOCINQ", "FIONREAD":
			if f.c != nil {
				out = strconv.Itoa(f.c.Buffered())
			}
		case "SIOCOUTQ", "TIOCOUTQ":
			if f.c != nil {
				out = strconv.Itoa(f.c.Unacked())
			}
		default:
			return CallResult{Ret: -1, Errno: "EINVAL", Unmodelled: "ioctl " + arg(1) + " not modelled"}, true, nil
		}
		if out == "" {
			out = "0"
		}
		return CallResult{Out: out}, true, nil
	case "fcntl":
		const oRDWR, oNONBLOCK = 0x2, 0x800
		switch arg(1) {
		case "F_GETFL":
			fl := int64(oRDWR)
			if f.nonblock {
				fl |= oNONBLOCK
			}
			return CallResult{Ret: fl}, true, nil
		case "F_SETFL":
			f.nonblock = strings.Contains(arg(2), "O_NONBLOCK")
			return CallResult{}, true, nil
		}
		return CallResult{Ret: -1, Errno: "EINVAL"}, true, nil
	}
	return CallResult{Ret: -1, Errno: "ENOSYS"}, true, nil
}

func (s *EngineStack) accept(f *fdState, want *Syscall) CallResult {
	c, err := f.l.Accept()
	if err != nil {
		return CallResult{Ret: -1, Errno: errnoName(err)}
	}
	fd := ScriptFD(want, &s.nextFD, func(n int) bool { return s.fds[n] != nil })
	c.SetUserTimeout(f.userTimeout) // accept() inherits the listener's options
	c.SetNoDelay(f.noDelay)
	s.fds[fd] = &fdState{c: c, userTimeout: f.userTimeout, noDelay: f.noDelay, rcvBuf: f.rcvBuf, sndBuf: f.sndBuf,
		keepalive: f.keepalive}
	return CallResult{Ret: int64(fd)}
}

// MaxFD bounds the descriptor numbers a script may name.
const MaxFD = 1 << 16

// ScriptFD picks the descriptor a socket() or accept() returns: the number the script
// expects (packetdrill maps script descriptors to live ones, so a script may start at
// 4, and a number still open names the newest socket given it, as packetdrill's
// find_by_script_fd finds the newest), else the next free one.
func ScriptFD(sc *Syscall, next *int, taken func(int) bool) int {
	if sc != nil && sc.HasRet && sc.Ret >= 3 && sc.Ret < MaxFD {
		return int(sc.Ret)
	}
	for taken(*next) {
		*next++
	}
	fd := *next
	*next++
	return fd
}

// checkWaits completes blocking calls whose condition now holds.
func (s *EngineStack) checkWaits(at time.Duration) {
	keep := s.waits[:0]
	for _, w := range s.waits {
		f := s.fds[w.fd]
		var res CallResult
		ok := false
		switch {
		case f == nil && w.kind != "poll":
			res, ok = CallResult{Ret: -1, Errno: "EBADF"}, true
		case w.kind == "accept" && f.l != nil && f.l.AcceptQueueLen() > 0:
			res, ok = s.accept(f, w.sc), true
		case w.kind == "connect" && f.c.State() == tcp.Established:
			res, ok = CallResult{}, true
		case w.kind == "fastopen" && f.c.Err != nil:
			res, ok = CallResult{Ret: -1, Errno: f.c.Err.Error()}, true
		case w.kind == "fastopen" && f.c.State() != tcp.SynSent:
			// The connection is set up: a blocking sendto() goes on with what the SYN
			// did not carry (tcp_sendmsg_locked after tcp_sendmsg_fastopen).
			// The rest was queued to leave with the ACK of the SYN-ACK.
			res, ok = CallResult{Ret: int64(w.total)}, true
			if w.fault {
				res = CallResult{Ret: -1, Errno: "EFAULT"}
			}
		case w.kind == "connect" && f.c.Err != nil:
			res, ok = CallResult{Ret: -1, Errno: f.c.Err.Error()}, true
		case w.kind == "poll":
			if n := s.pollReady(w.poll); n > 0 {
				res, ok = CallResult{Ret: int64(n), Out: FormatRevents(w.poll)}, true
			} else if w.hasDeadline && at >= w.deadline {
				res, ok = CallResult{Ret: 0, Out: FormatRevents(w.poll)}, true
			}
		case w.kind == "read" && (f.c.Buffered() > 0 || f.c.EOF() || f.c.Err != nil):
			b, err := f.c.Read(w.n)
			if err != nil {
				res = CallResult{Ret: -1, Errno: errnoName(err)}
			} else {
				res = CallResult{Ret: int64(len(b))}
			}
			ok = true
		}
		if ok {
			s.done = append(s.done, Done{ID: w.id, At: at, Res: res})
		} else {
			keep = append(keep, w)
		}
	}
	s.waits = keep
}

// CallSize reads the byte count of a write() or read(): a number from 0 to MaxCallBytes.
func CallSize(call, arg string) (int, error) {
	n, err := strconv.ParseInt(arg, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("the size %q is not a number", arg)
	}
	if n < 0 || n > MaxCallBytes {
		return 0, fmt.Errorf("%s of %d bytes: a script may move 0 to %d bytes in one call", call, n, MaxCallBytes)
	}
	return int(n), nil
}

// optInt reads an option value written [N] or N.
func optInt(v string) (int, bool) {
	n, err := strconv.Atoi(strings.Trim(strings.TrimSpace(v), "[]"))
	return n, err == nil
}

// setsockopt applies the options the engine models; the others succeed and are reported
// as not evaluated.
func (s *EngineStack) setsockopt(f *fdState, name, val string) CallResult {
	switch name {
	case "SO_LINGER":
		v := strings.ReplaceAll(val, " ", "")
		if strings.Contains(v, "onoff=1") && strings.Contains(v, "linger=0") {
			f.linger0 = true
			if f.c != nil {
				f.c.SetLinger(true)
			}
			return CallResult{}
		}
		return CallResult{Unmodelled: "SO_LINGER with a timeout not modelled"}
	case "TCP_INQ":
		n, ok := optInt(val)
		if !ok {
			return CallResult{Ret: -1, Errno: "EINVAL"}
		}
		f.inq = n != 0
		return CallResult{}
	case "SO_REUSEADDR", "SO_REUSEPORT":
		// One socket per port in a script's namespace: nothing to reuse.
		return CallResult{}
	case "TCP_CONGESTION":
		// The profile's own algorithm is the only one the engine has: naming it succeeds,
		// any other is not modelled (Linux 6.18's default is CUBIC; tcp_set_congestion_control
		// answers ENOENT for a name it does not know).
		name := strings.Trim(strings.TrimSpace(val), `"`)
		if name == s.h.Prof.CongestionControl {
			return CallResult{}
		}
		if name != "reno" && name != "cubic" && name != "bbr" && name != "dctcp" && name != "vegas" && name != "westwood" {
			return CallResult{Ret: -1, Errno: "ENOENT"}
		}
		return CallResult{Unmodelled: "TCP_CONGESTION " + name + " not modelled (the profile's is " + s.h.Prof.CongestionControl + ")"}
	case "TCP_NODELAY":
		// On, Nagle's rule stops holding partial segments, and setting it pushes data
		// held by Nagle, TCP_CORK or MSG_MORE (tcp_push_pending_frames).
		n, ok := optInt(val)
		if !ok {
			return CallResult{Ret: -1, Errno: "EINVAL"}
		}
		f.noDelay = n != 0
		if f.c != nil {
			f.c.SetNoDelay(f.noDelay)
		}
		return CallResult{}
	case "TCP_USER_TIMEOUT":
		n, ok := optInt(val)
		if !ok || n < 0 {
			return CallResult{Ret: -1, Errno: "EINVAL"}
		}
		f.userTimeout = time.Duration(n) * time.Millisecond
		if f.c != nil {
			f.c.SetUserTimeout(f.userTimeout)
		}
		return CallResult{}
	case "TCP_CORK":
		n, ok := optInt(val)
		if !ok {
			return CallResult{Ret: -1, Errno: "EINVAL"}
		}
		if f.c == nil {
			return CallResult{Unmodelled: "TCP_CORK before connect() not modelled"}
		}
		f.c.SetCork(n != 0)
		return CallResult{}
	case "TCP_FASTOPEN":
		// The listener's Fast Open queue (tcp_fastopen's qlen): set before or after listen().
		n, ok := optInt(val)
		if !ok || n < 0 {
			return CallResult{Ret: -1, Errno: "EINVAL"}
		}
		f.fastOpenQueue = n
		if f.l != nil {
			f.l.FastOpenQueue = n
		}
		return CallResult{}
	case "TCP_FASTOPEN_KEY":
		// The listener's own key, 16 bytes written as a C string ("\xf7\x63...").
		b, err := CString(val)
		k, err2 := tcp.FastOpenKeyBytes(b)
		if err != nil || err2 != nil {
			return CallResult{Ret: -1, Errno: "EINVAL"}
		}
		f.fastOpenKey = &k
		if f.l != nil {
			f.l.FastOpenKey = f.fastOpenKey
		}
		return CallResult{}
	case "TCP_SYNCNT":
		// The socket's own SYN retries (tcp_sock_set_syncnt: 1 to 127).
		n, ok := optInt(val)
		if !ok || n < 1 || n > 127 {
			return CallResult{Ret: -1, Errno: "EINVAL"}
		}
		f.synCnt = n
		if f.c != nil {
			f.c.SetSynRetries(n)
		}
		return CallResult{}
	case "TCP_FASTOPEN_CONNECT":
		n, ok := optInt(val)
		if !ok {
			return CallResult{Ret: -1, Errno: "EINVAL"}
		}
		if s.h.Prof.FastOpen&tcp.FastOpenClient == 0 {
			// do_tcp_setsockopt: Fast Open's client side is off.
			return CallResult{Ret: -1, Errno: "EOPNOTSUPP"}
		}
		if f.c != nil || f.l != nil {
			return CallResult{Ret: -1, Errno: "EINVAL"} // only on a socket in CLOSE
		}
		f.fastOpenConnect = n != 0
		return CallResult{}
	case "SO_KEEPALIVE", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT":
		n, ok := optInt(val)
		// do_tcp_setsockopt: idle and interval 1 to 32767 s (MAX_TCP_KEEPIDLE,
		// MAX_TCP_KEEPINTVL), count 1 to 127 (MAX_TCP_KEEPCNT).
		limit := map[string]int{"TCP_KEEPIDLE": 32767, "TCP_KEEPINTVL": 32767, "TCP_KEEPCNT": 127}[name]
		if !ok || limit > 0 && (n < 1 || n > limit) {
			return CallResult{Ret: -1, Errno: "EINVAL"}
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
		return CallResult{}
	case "SO_RCVBUF":
		// sock_setsockopt: the value, at most net.core.rmem_max, is doubled for the
		// kernel's bookkeeping, and at least SOCK_MIN_RCVBUF (2304 on 6.18, measured).
		// Before connect() or listen() it sets the handshake's window and window scale;
		// later it would only change how far the window may open.
		n, ok := optInt(val)
		if !ok {
			return CallResult{Ret: -1, Errno: "EINVAL"}
		}
		f.rcvBuf = sockBuf(n, s.rmemMax, sockMinRcvBuf)
		if f.l != nil {
			// A listener's buffer shapes the SYN-ACKs of connections still to come
			// (tcp_openreq_init_rwin reads it from the listener).
			f.l.RecvSpace = recvSpace(f.rcvBuf)
		}
		if f.c != nil {
			return CallResult{Unmodelled: "SO_RCVBUF after connect() not modelled"}
		}
		return CallResult{}
	case "SO_SNDBUF":
		// The same arithmetic with net.core.wmem_max and SOCK_MIN_SNDBUF (4608). The
		// engine keeps no send-buffer limit (writes never block on it), so what the
		// buffer would change (write() returning early, POLLOUT) is not evaluated.
		n, ok := optInt(val)
		if !ok {
			return CallResult{Ret: -1, Errno: "EINVAL"}
		}
		f.sndBuf = sockBuf(n, s.wmemMax, sockMinSndBuf)
		return CallResult{Unmodelled: "SO_SNDBUF: the send buffer limit is not modelled"}
	case "TCP_MAXSEG":
		n, ok := optInt(val)
		if !ok || n < 88 || n > 65535 {
			// Linux do_tcp_setsockopt: TCP_MIN_MSS (88) to MAX_TCP_WINDOW.
			return CallResult{Ret: -1, Errno: "EINVAL"}
		}
		if f.c != nil && f.c.State() != tcp.Closed {
			return CallResult{Unmodelled: "TCP_MAXSEG after connect() not modelled"}
		}
		f.maxSeg = uint16(n)
		if f.l != nil {
			f.l.MaxSeg = f.maxSeg // a listener passes it on to the connections it creates
		}
		return CallResult{}
	}
	return CallResult{Unmodelled: "setsockopt " + name + " not modelled"}
}

var _ Stack = (*EngineStack)(nil)

// keepaliveOpt is what getsockopt reads for one of the keep-alive options: 0 or 1, or
// seconds, or a count.
func keepaliveOpt(k tcp.Keepalive, name string) int {
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
	if n >= 0 && n < limit {
		v = n
	}
	return max(2*v, floor)
}

// recvSpace is the part of a receive buffer of rcvBuf bytes that TCP may advertise:
// half of it while a connection starts (tcp_win_from_space with the initial
// scaling_ratio of 50 %, TCP_DEFAULT_SCALING_RATIO); 0 when SO_RCVBUF was not set.
func recvSpace(rcvBuf int) uint32 { return uint32(rcvBuf / 2) }

// msgSize is the byte count of a sendmsg()/recvmsg() message: the sum of its iovec
// lengths.
func msgSize(call, msg string) (int, error) {
	sizes, err := IovSizes(call, msg)
	total := 0
	for _, n := range sizes {
		total += n
	}
	return total, err
}

// IovSizes reads the iovec lengths of a message written msg_iov(n)=[{..., len}, ...];
// together they may hold at most MaxCallBytes.
func IovSizes(call, msg string) ([]int, error) {
	_, iov, ok := strings.Cut(msg, "msg_iov")
	if !ok {
		return nil, fmt.Errorf("%s: no msg_iov in the message", call)
	}
	if i := strings.Index(iov, "]"); i >= 0 {
		iov = iov[:i]
	}
	var out []int
	total := 0
	for _, part := range strings.Split(iov, "{")[1:] {
		part, _, _ = strings.Cut(part, "}")
		f := strings.Split(part, ",")
		n, err := CallSize(call, strings.TrimSpace(f[len(f)-1]))
		if err != nil {
			return nil, err
		}
		total += n
		if total > MaxCallBytes {
			return nil, fmt.Errorf("%s of more than %d bytes", call, MaxCallBytes)
		}
		out = append(out, n)
	}
	return out, nil
}

// unmodelledFlags names send flags the engine does not model (MSG_MORE corks, MSG_ZEROCOPY
// notifies), or "".
func unmodelledFlags(sc *Syscall) string {
	i := map[string]int{"send": 3, "sendto": 3, "sendmsg": 2}[sc.Name]
	if i == 0 || i >= len(sc.Args) {
		return ""
	}
	for _, f := range strings.Split(sc.Args[i], "|") {
		f = strings.TrimSpace(f)
		if n, err := strconv.ParseInt(f, 0, 64); err == nil {
			known := int64(0)
			for _, b := range msgFlagBits {
				known |= b
			}
			if n&^known == 0 {
				continue
			}
		}
		switch f {
		case "", "0", "MSG_DONTWAIT", "MSG_NOSIGNAL", "MSG_MORE", "MSG_FASTOPEN":
		default:
			return "send flag " + f + " not modelled"
		}
	}
	return ""
}

// msgFlagBits are the send flags a script may also write as numbers (Linux values).
var msgFlagBits = map[string]int64{"MSG_DONTWAIT": 0x40, "MSG_NOSIGNAL": 0x4000, "MSG_MORE": 0x8000,
	"MSG_FASTOPEN": 0x20000000}

// hasFlag reports whether a send call's flags include name, written by name or in a
// number (sendto(7, ..., 1000, 0x20000000, ...) is MSG_FASTOPEN).
func hasFlag(sc *Syscall, name string) bool {
	i := map[string]int{"send": 3, "sendto": 3, "sendmsg": 2}[sc.Name]
	if i == 0 || i >= len(sc.Args) {
		return false
	}
	for _, f := range strings.Split(sc.Args[i], "|") {
		f = strings.TrimSpace(f)
		if f == name {
			return true
		}
		if n, err := strconv.ParseInt(f, 0, 64); err == nil && msgFlagBits[name] != 0 && n&msgFlagBits[name] != 0 {
			return true
		}
	}
	return false
}

// pollCall is poll(): the revents Linux's tcp_poll reports for each entry; when none is
// ready and the timeout is not 0 the call blocks until one is or the timeout ends.
func (s *EngineStack) pollCall(t time.Duration, id int, sc *Syscall, mayBlock bool) (CallResult, bool, error) {
	if len(sc.Args) != 3 {
		return CallResult{}, false, fmt.Errorf("poll takes 3 arguments: fds, nfds, timeout")
	}
	fds, err := ParsePoll(sc.Args[0])
	if err != nil {
		return CallResult{}, false, err
	}
	nfds, err := strconv.Atoi(strings.TrimSpace(sc.Args[1]))
	if err != nil || nfds != len(fds) {
		return CallResult{}, false, fmt.Errorf("poll: nfds %q is not the %d entries given", sc.Args[1], len(fds))
	}
	ms, err := PollTimeout(sc.Args[2])
	if err != nil {
		return CallResult{}, false, err
	}
	if n := s.pollReady(fds); n > 0 || ms == 0 {
		return CallResult{Ret: int64(n), Out: FormatRevents(fds)}, true, nil
	}
	w := &wait{id: id, kind: "poll", poll: fds, sc: sc}
	if ms > 0 {
		w.deadline, w.hasDeadline = t+time.Duration(ms)*time.Millisecond, true
	}
	s.waits = append(s.waits, w)
	return CallResult{}, false, nil
}

// pollDeadline returns the earliest timeout of a blocked poll().
func (s *EngineStack) pollDeadline() (time.Duration, bool) {
	var best time.Duration
	found := false
	for _, w := range s.waits {
		if w.kind == "poll" && w.hasDeadline && (!found || w.deadline < best) {
			best, found = w.deadline, true
		}
	}
	return best, found
}

// pollReady fills in each entry's revents and returns how many have some.
func (s *EngineStack) pollReady(fds []PollFD) int {
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
// the runner's); a pending error is POLLERR.
func (s *EngineStack) pollMask(f *fdState) int16 {
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
	closed := st == tcp.Closed || st == tcp.TimeWait
	rdShut := closed || c.FinReceived() || c.ReadShut()
	wrShut := closed || c.WriteShut()
	var m int16
	if closed || rdShut && wrShut {
		m |= PollHup
	}
	if rdShut {
		m |= PollIn | PollRdNorm | PollRdHup
	}
	if st != tcp.SynSent && st != tcp.SynReceived {
		if c.Buffered() > 0 {
			m |= PollIn | PollRdNorm
		}
		m |= PollOut | PollWrNorm
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
// blocking one waits for the handshake and sends the rest.
func (s *EngineStack) fastOpenSend(t time.Duration, id, fd int, f *fdState, sc *Syscall, size int, fault bool) (CallResult, bool, error) {
	if s.h.Prof.FastOpen&tcp.FastOpenClient == 0 {
		return CallResult{Ret: -1, Errno: "EOPNOTSUPP"}, true, nil
	}
	var port uint16
	if f.bound {
		port = LocalPort
	}
	if i := 4; i < len(sc.Args) && strings.Contains(sc.Args[i], "AF_UNSPEC") {
		// tcp_sendmsg_fastopen: an AF_UNSPEC address is not a peer to open to.
		return CallResult{Ret: -1, Errno: "EOPNOTSUPP"}, true, nil
	}
	block := !f.nonblock && !hasFlag(sc, "MSG_DONTWAIT")
	data := make([]byte, size)
	c, n, err := s.h.ConnectFastOpen(port, s.remote, PeerPort, tcp.SockOpts{MaxSeg: f.maxSeg, RecvSpace: recvSpace(f.rcvBuf)}, tcp.FastOpenSend{Data: data, Fault: fault, Queue: block})
	if err != nil {
		return CallResult{Ret: -1, Errno: errnoName(err)}, true, nil
	}
	f.c, f.deferred = c, false
	c.SetSynRetries(f.synCnt)
	c.SetUserTimeout(f.userTimeout)
	c.SetNoDelay(f.noDelay)
	c.SetKeepalive(f.keepalive)
	if f.linger0 {
		c.SetLinger(true)
	}
	if !block {
		if n > 0 {
			return CallResult{Ret: int64(n)}, true, nil
		}
		return CallResult{Ret: -1, Errno: "EINPROGRESS"}, true, nil
	}
	s.waits = append(s.waits, &wait{id: id, fd: fd, kind: "fastopen", total: size, fault: fault})
	return CallResult{}, false, nil
}

// CString reads a C string literal as scripts write one ("\xf7\x63abc\n"): the bytes
// between the quotes, with \x hex, octal and the common escapes.
func CString(v string) ([]byte, error) {
	v = strings.TrimSpace(v)
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return nil, fmt.Errorf("%q is not a quoted string", v)
	}
	s, err := strconv.Unquote(v)
	if err != nil {
		return nil, fmt.Errorf("%q: %v", v, err)
	}
	return []byte(s), nil
}
