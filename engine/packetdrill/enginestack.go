package packetdrill

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"synack/engine"
)

// EngineStack runs scripts against synack's engine, in virtual time: a script that
// waits 60 s of TIME-WAIT runs in microseconds.
type EngineStack struct {
	h      *engine.Host
	tr     engine.Trace
	now    time.Duration
	out    []Sent
	fds    map[int]*fdState
	nextFD int
	waits  []*wait
	done   []Done
	segID  int
}

type fdState struct {
	l        *engine.Listener
	c        *engine.Conn
	nonblock bool
	bound    bool
	linger0  bool
}

type wait struct {
	id   int
	fd   int
	kind string
	n    int
}

// NewEngineStack returns the engine with the given profile as the stack under test.
func NewEngineStack(prof engine.Profile) *EngineStack {
	s := &EngineStack{fds: map[int]*fdState{}, nextFD: 3}
	s.h = engine.NewHost("stack", LocalAddr, prof, engine.NewRand(1), s)
	s.h.Names = func(netip.Addr) string { return "peer" }
	s.tr.Meta = engine.Meta{Scenario: "packetdrill", Profile: prof.Name, Seed: 1,
		Endpoints: []engine.EndpointInfo{{Name: "peer", Addr: RemoteAddr.String(), Role: "client"}, {Name: "stack", Addr: LocalAddr.String(), Role: "server"}}}
	return s
}

// Record keeps the host's events for the trace.
func (s *EngineStack) Record(e engine.Event) { s.tr.Events = append(s.tr.Events, e) }

// Trace returns what happened, for drawing and export.
func (s *EngineStack) Trace() *engine.Trace { return &s.tr }

func vt(d time.Duration) engine.Time { return engine.Time(d / time.Microsecond) }

// Tune maps a Linux sysctl onto the profile.
func (s *EngineStack) Tune(name, value string) (bool, error) {
	tune, ok := sysctlNames[name]
	if !ok {
		return false, nil
	}
	if tune == "fin_timeout" {
		value += "s"
	}
	return true, s.h.Prof.ApplyTune(tune, value)
}

func (s *EngineStack) collect(at time.Duration) {
	for _, o := range s.h.TakeOutput() {
		s.out = append(s.out, Sent{At: at, Seg: o.Seg})
		s.segID++
		ev := &engine.SegmentEvent{ID: s.segID, Src: "stack", Dst: "peer", Seg: o.Seg, Retransmit: o.Retransmit, Cookie: o.Cookie, Arrive: vt(at)}
		s.tr.Events = append(s.tr.Events, engine.Event{Kind: engine.EventSegment, At: vt(at), Segment: ev})
	}
	s.checkWaits(at)
}

// Until runs timers up to t.
func (s *EngineStack) Until(t time.Duration, stopOnSend bool) ([]Sent, []Done, error) {
	for {
		d := s.h.NextDeadline()
		if d == engine.Never || d > vt(t) {
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
func (s *EngineStack) Inject(t time.Duration, seg engine.Segment) error {
	s.segID++
	ev := &engine.SegmentEvent{ID: s.segID, Src: "peer", Dst: "stack", Seg: seg.Clone(), Arrive: vt(t)}
	s.tr.Events = append(s.tr.Events, engine.Event{Kind: engine.EventSegment, At: vt(t), Segment: ev})
	s.h.Input(vt(t), seg)
	s.now = t
	s.collect(t)
	return nil
}

// Now returns the virtual time.
func (s *EngineStack) Now() time.Duration { return s.now }

// State returns the state behind fd.
func (s *EngineStack) State(fd int) (engine.State, bool) {
	f := s.fds[fd]
	switch {
	case f == nil:
		return 0, false
	case f.c != nil:
		if f.c.State() == engine.TimeWait {
			// Linux moves a connection in TIME-WAIT to a separate timewait socket
			// (tcp_time_wait); the application's socket then reads TCP_CLOSE.
			return engine.Closed, true
		}
		return f.c.State(), true
	case f.l != nil:
		return engine.Listen, true
	}
	return engine.Closed, true
}

// Close ends the run.
func (s *EngineStack) Close() error { return nil }

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
	s.h.At(vt(t))
	s.now = t
	defer s.collect(t)
	ebadf := CallResult{Ret: -1, Errno: "EBADF"}
	if sc.Name == "socket" {
		fd := s.nextFD
		s.nextFD++
		s.fds[fd] = &fdState{}
		return CallResult{Ret: int64(fd)}, true, nil
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
			s.waits = append(s.waits, &wait{id: id, fd: n, kind: "accept"})
			return CallResult{}, false, nil
		}
		return s.accept(f), true, nil
	case "connect":
		var port uint16
		if f.bound {
			port = LocalPort
		}
		c, err := s.h.Connect(port, RemoteAddr, PeerPort)
		if err != nil {
			return CallResult{Ret: -1, Errno: errnoName(err)}, true, nil
		}
		f.c = c
		if f.linger0 {
			c.SetLinger(true)
		}
		if f.nonblock {
			return CallResult{Ret: -1, Errno: "EINPROGRESS"}, true, nil
		}
		s.waits = append(s.waits, &wait{id: id, fd: n, kind: "connect"})
		return CallResult{}, false, nil
	case "write", "send":
		if f.c == nil {
			return CallResult{Ret: -1, Errno: "ENOTCONN"}, true, nil
		}
		size, _ := strconv.Atoi(arg(2))
		m, err := f.c.Send(make([]byte, size))
		if err != nil {
			return CallResult{Ret: -1, Errno: errnoName(err)}, true, nil
		}
		return CallResult{Ret: int64(m)}, true, nil
	case "read", "recv":
		if f.c == nil {
			return CallResult{Ret: -1, Errno: "ENOTCONN"}, true, nil
		}
		size, _ := strconv.Atoi(arg(2))
		if f.c.Buffered() == 0 && !f.c.EOF() && f.c.Err == nil {
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
		return CallResult{Ret: int64(len(b))}, true, nil
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
		if how := arg(1); how == "SHUT_WR" || how == "SHUT_RDWR" || how == "1" || how == "2" {
			f.c.Shutdown()
		}
		return CallResult{}, true, nil
	case "setsockopt":
		if arg(2) == "SO_LINGER" && strings.Contains(arg(3), "onoff=1") && strings.Contains(strings.ReplaceAll(arg(3), " ", ""), "linger=0") {
			f.linger0 = true
			if f.c != nil {
				f.c.SetLinger(true)
			}
		}
		return CallResult{}, true, nil
	case "getsockopt":
		out := "0"
		if arg(2) == "SO_ERROR" && f.c != nil && f.c.Err != nil {
			out = f.c.Err.Error()
			f.c.Err = nil
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

func (s *EngineStack) accept(f *fdState) CallResult {
	c, err := f.l.Accept()
	if err != nil {
		return CallResult{Ret: -1, Errno: errnoName(err)}
	}
	fd := s.nextFD
	s.nextFD++
	s.fds[fd] = &fdState{c: c}
	return CallResult{Ret: int64(fd)}
}

// checkWaits completes blocking calls whose condition now holds.
func (s *EngineStack) checkWaits(at time.Duration) {
	keep := s.waits[:0]
	for _, w := range s.waits {
		f := s.fds[w.fd]
		var res CallResult
		ok := false
		switch {
		case f == nil:
			res, ok = CallResult{Ret: -1, Errno: "EBADF"}, true
		case w.kind == "accept" && f.l != nil && f.l.AcceptQueueLen() > 0:
			res, ok = s.accept(f), true
		case w.kind == "connect" && f.c.State() == engine.Established:
			res, ok = CallResult{}, true
		case w.kind == "connect" && f.c.Err != nil:
			res, ok = CallResult{Ret: -1, Errno: f.c.Err.Error()}, true
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
