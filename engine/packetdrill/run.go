package packetdrill

import (
	"fmt"
	"strings"
	"time"

	"synack/engine"
)

// Result is the outcome of one script.
type Result struct {
	File     string
	Pass     bool
	Line     int
	Msg      string
	Warnings []string
}

func (r Result) String() string {
	if r.Pass {
		return "PASS " + r.File
	}
	return fmt.Sprintf("FAIL %s:%d: %s", r.File, r.Line, r.Msg)
}

// DefaultTolerance is packetdrill's timing slack: 4 ms, or 12.5 % of the gap since the
// previous event, whichever is larger.
const DefaultTolerance = 4 * time.Millisecond

// MaxAnyWait bounds how long a "*" line waits for its packet.
const MaxAnyWait = 10 * time.Minute

type runner struct {
	s    *Script
	st   Stack
	prev time.Duration
	pend []Sent
	// sequence mapping, per flow (remote port)
	flows      map[uint16]*flow
	localPort  uint16
	remotePort uint16
	lastOut    time.Duration // when the last expected outbound packet was really sent
	// blocking calls in flight
	blocking map[int]*blocked
	nextID   int
	lastFD   int
}

// flow is what the runner learns about one peer's connection: the stack's ISN (to map
// sequence numbers) and its last TSval (to map TS ecr).
type flow struct {
	localISN  uint32
	haveISN   bool
	lastTSVal uint32
}

// flow returns the state of the flow with the peer at port (0: the script's main peer).
func (r *runner) flow(port uint16) *flow {
	if port == 0 {
		port = r.remotePort
	}
	f := r.flows[port]
	if f == nil {
		f = &flow{}
		r.flows[port] = f
	}
	return f
}

type blocked struct {
	ev  *Event
	end time.Duration
	tol time.Duration
}

type failure struct {
	line int
	msg  string
}

func (f *failure) Error() string { return f.msg }

func fail(line int, format string, args ...any) error {
	return &failure{line: line, msg: fmt.Sprintf(format, args...)}
}

// Run plays a script against a stack.
func Run(s *Script, st Stack) Result {
	r := &runner{s: s, st: st, blocking: map[int]*blocked{}, localPort: LocalPort, remotePort: RemotePort, flows: map[uint16]*flow{}}
	res := Result{File: s.File, Warnings: append([]string(nil), s.Warnings...)}
	err := r.run(&res)
	if err != nil {
		if f, ok := err.(*failure); ok {
			res.Line, res.Msg = f.line, f.msg
		} else {
			res.Msg = err.Error()
		}
		return res
	}
	res.Pass = true
	return res
}

func (r *runner) tolerance(gap time.Duration) time.Duration {
	t := r.s.Tolerance
	if t == 0 {
		t = DefaultTolerance
	}
	return max(t, gap/8)
}

func (r *runner) run(res *Result) error {
	for _, ev := range r.s.Events {
		t := ev.Time.At
		if ev.Time.Relative {
			t += r.prev
		}
		if t > MaxScriptTime || ev.Time.BlockEnd > MaxScriptTime {
			return fail(ev.Line, "event at %s is later than the %s a script may run", fmtDur(t), MaxScriptTime)
		}
		gap := t - r.prev
		tol := r.tolerance(gap)
		switch ev.Kind {
		case ShellEvent:
			for _, sc := range ev.Shell.Sysctls {
				ok, err := r.st.Tune(sc.Name, sc.Value)
				if err != nil {
					return fail(ev.Line, "sysctl %s=%s: %v", sc.Name, sc.Value, err)
				}
				if !ok {
					res.Warnings = append(res.Warnings, fmt.Sprintf("%s:%d: sysctl %s ignored", r.s.File, ev.Line, sc.Name))
				}
			}
			for _, u := range ev.Shell.Unknown {
				res.Warnings = append(res.Warnings, fmt.Sprintf("%s:%d: shell command ignored: %s", r.s.File, ev.Line, u))
			}
			continue
		case PythonEvent:
			if err := r.advance(ev.Line, t, tol); err != nil {
				return err
			}
			for _, want := range ev.Python.States {
				got, ok := r.st.State(r.lastFD)
				if !ok || got != want {
					return fail(ev.Line, "tcpi_state: expected %s, the socket is in %s", want, got)
				}
			}
			r.prev = t
			continue
		case PacketEvent:
			if ev.Packet.Inbound {
				if err := r.advance(ev.Line, t, tol); err != nil {
					return err
				}
				if err := r.st.Inject(t, r.inbound(ev.Packet)); err != nil {
					return fail(ev.Line, "injecting the packet: %v", err)
				}
			} else if err := r.outbound(ev, t, tol); err != nil {
				return err
			}
		case SyscallEvent:
			if err := r.advance(ev.Line, t, tol); err != nil {
				return err
			}
			if err := r.call(ev, t, tol); err != nil {
				return err
			}
		}
		// Relative times count from when the previous event really happened (packetdrill
		// does the same), so a late injection is not charged to the stack's answer.
		switch {
		case ev.Kind == PacketEvent && !ev.Packet.Inbound:
			r.prev = r.lastOut
		case !ev.Time.Any:
			r.prev = max(t, r.st.Now())
		}
	}
	// At the end nothing more may be sent, and every blocking call must have returned.
	last := r.prev
	for _, b := range r.blocking {
		last = max(last, b.end+b.tol)
	}
	if err := r.advance(0, last+r.tolerance(0), 0); err != nil {
		return err
	}
	for _, b := range r.blocking {
		return fail(b.ev.Line, "%s() was expected to return at %s but had not returned when the script ended", b.ev.Syscall.Name, b.end)
	}
	return nil
}

// advance runs the stack to t; whatever it sent that no earlier ">" line accounted for
// (older than the tolerance) is unexpected.
func (r *runner) advance(line int, t, tol time.Duration) error {
	sent, done, err := r.st.Until(t, false)
	if err != nil {
		return fail(line, "%v", err)
	}
	r.pend = append(r.pend, sent...)
	if err := r.finish(done); err != nil {
		return err
	}
	for _, p := range r.pend {
		if p.At < t-tol || line == 0 {
			l := line
			if l == 0 {
				l = r.lastLine()
			}
			return fail(l, "unexpected outbound packet at %s: %s", fmtDur(p.At), r.describe(p.Seg))
		}
	}
	return nil
}

func (r *runner) lastLine() int {
	if n := len(r.s.Events); n > 0 {
		return r.s.Events[n-1].Line
	}
	return 1
}

func (r *runner) finish(done []Done) error {
	for _, d := range done {
		b := r.blocking[d.ID]
		if b == nil {
			continue
		}
		delete(r.blocking, d.ID)
		if d.At < b.end-b.tol || d.At > b.end+b.tol {
			return fail(b.ev.Line, "%s() returned at %s, expected at %s", b.ev.Syscall.Name, fmtDur(d.At), fmtDur(b.end))
		}
		if err := r.checkResult(b.ev, d.Res); err != nil {
			return err
		}
	}
	return nil
}

func fmtDur(d time.Duration) string { return fmt.Sprintf("%.6f", d.Seconds()) }

func (r *runner) outbound(ev *Event, t, tol time.Duration) error {
	pk := ev.Packet
	lo, hi := t-tol, t+tol
	switch {
	case ev.Time.Any:
		lo, hi = r.prev, r.prev+MaxAnyWait
	case ev.Time.HasEnd:
		end := ev.Time.End
		if ev.Time.EndRelative {
			end += r.prev
		}
		lo, hi = t-tol, end+tol
	}
	if len(r.pend) == 0 {
		sent, done, err := r.st.Until(hi, true)
		if err != nil {
			return fail(ev.Line, "%v", err)
		}
		r.pend = append(r.pend, sent...)
		if err := r.finish(done); err != nil {
			return err
		}
	}
	if len(r.pend) == 0 {
		return fail(ev.Line, "expected %s at %s, nothing was sent", r.describeWant(pk), fmtDur(t))
	}
	got := r.pend[0]
	r.pend = r.pend[1:]
	if got.At < lo || got.At > hi {
		return fail(ev.Line, "expected %s at %s, it was sent at %s", r.describeWant(pk), fmtDur(t), fmtDur(got.At))
	}
	if err := r.match(ev.Line, pk, got.Seg); err != nil {
		return err
	}
	r.lastOut = got.At
	return nil
}

// inbound builds the segment a "<" line injects: sequence numbers as written, ACK numbers
// relative to the stack's ISN, TS ecr mapped to the stack's last TSval.
func (r *runner) inbound(pk *Packet) engine.Segment {
	fl := r.flow(pk.Port)
	port := r.remotePort
	if pk.Port != 0 {
		port = pk.Port
	}
	seg := engine.Segment{Src: RemoteAddr, Dst: LocalAddr, SrcPort: port, DstPort: r.localPort,
		Seq: engine.Seq(pk.Seq), Flags: pk.Flags, Window: pk.Win, TTL: 64}
	if pk.HasAck {
		seg.Ack = engine.Seq(pk.Ack + fl.localISN)
	}
	for _, o := range pk.Options {
		if o.Kind == engine.OptTimestamps && o.TSEcr != 0 {
			o.TSEcr = fl.lastTSVal
		}
		seg.Options = append(seg.Options, o)
	}
	if pk.Len > 0 {
		seg.Payload = make([]byte, pk.Len)
		for i := range seg.Payload {
			seg.Payload[i] = 'a' + byte(i%26)
		}
	}
	return seg
}

func (r *runner) match(line int, pk *Packet, seg engine.Segment) error {
	if pk.Port != 0 && seg.DstPort != pk.Port {
		return fail(line, "expected %s, got %s: sent to port %d", r.describeWant(pk), r.describe(seg), seg.DstPort)
	}
	if seg.Flags&engine.SYN != 0 && seg.Flags&engine.ACK == 0 && !r.flow(0).haveISN {
		// Our own active open: learn the ports it chose.
		r.localPort, r.remotePort = seg.SrcPort, seg.DstPort
	}
	fl := r.flow(seg.DstPort)
	if pk.Port == 0 && seg.DstPort != r.remotePort {
		return fail(line, "expected %s, got %s: sent to port %d, the script's peer is at %d", r.describeWant(pk), r.describe(seg), seg.DstPort, r.remotePort)
	}
	if seg.Flags&engine.SYN != 0 && !fl.haveISN {
		fl.localISN = uint32(seg.Seq) - pk.Seq
		fl.haveISN = true
	}
	if ts, ok := seg.Options.Find(engine.OptTimestamps); ok {
		fl.lastTSVal = ts.TSVal
	}
	seq := uint32(seg.Seq) - fl.localISN
	want := r.describeWant(pk)
	gotS := r.describe(seg)
	switch {
	case seg.Flags != pk.Flags:
		return fail(line, "expected %s, got %s: flags differ", want, gotS)
	case seq != pk.Seq:
		return fail(line, "expected %s, got %s: sequence number differs", want, gotS)
	case len(seg.Payload) != pk.Len:
		return fail(line, "expected %s, got %s: length differs", want, gotS)
	case pk.HasAck && uint32(seg.Ack) != pk.Ack:
		return fail(line, "expected %s, got %s: ack differs", want, gotS)
	case pk.HasWin && seg.Window != pk.Win:
		return fail(line, "expected %s, got %s: window differs", want, gotS)
	}
	if pk.OptsAny {
		return nil
	}
	if !optionsMatch(pk.Options, seg.Options) {
		return fail(line, "expected options <%s>, got <%s>", pk.Options, seg.Options)
	}
	return nil
}

// optionsMatch compares kinds in order and the values that are not clock-dependent
// (timestamp values are not compared).
func optionsMatch(want, got engine.Options) bool {
	if len(want) != len(got) {
		return false
	}
	for i := range want {
		w, g := want[i], got[i]
		if w.Kind != g.Kind {
			return false
		}
		switch w.Kind {
		case engine.OptMSS:
			if w.MSS != g.MSS {
				return false
			}
		case engine.OptWindowScale:
			if w.Shift != g.Shift {
				return false
			}
		}
	}
	return true
}

func flagString(f engine.Flags) string {
	var b strings.Builder
	for _, x := range []struct {
		f engine.Flags
		c byte
	}{{engine.SYN, 'S'}, {engine.FIN, 'F'}, {engine.RST, 'R'}, {engine.PSH, 'P'}, {engine.ACK, '.'}, {engine.ECE, 'E'}, {engine.CWR, 'W'}, {engine.URG, 'U'}} {
		if f&x.f != 0 {
			b.WriteByte(x.c)
		}
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

func (r *runner) describe(seg engine.Segment) string {
	seq := uint32(seg.Seq) - r.flows[seg.DstPort].isn()
	s := fmt.Sprintf("%s %d:%d(%d)", flagString(seg.Flags), seq, seq+uint32(len(seg.Payload)), len(seg.Payload))
	if seg.DstPort != r.remotePort {
		s = fmt.Sprintf("[port %d] %s", seg.DstPort, s)
	}
	if seg.Flags&engine.ACK != 0 {
		s += fmt.Sprintf(" ack %d", uint32(seg.Ack))
	}
	s += fmt.Sprintf(" win %d", seg.Window)
	if len(seg.Options) > 0 {
		s += " <" + seg.Options.String() + ">"
	}
	return s
}

// isn is the flow's learnt ISN (0 before its SYN was seen, or for no flow).
func (f *flow) isn() uint32 {
	if f == nil {
		return 0
	}
	return f.localISN
}

func (r *runner) describeWant(pk *Packet) string {
	s := fmt.Sprintf("%s %d:%d(%d)", flagString(pk.Flags), pk.Seq, pk.End, pk.Len)
	if pk.Port != 0 {
		s = fmt.Sprintf("[port %d] %s", pk.Port, s)
	}
	if pk.HasAck {
		s += fmt.Sprintf(" ack %d", pk.Ack)
	}
	if pk.HasWin {
		s += fmt.Sprintf(" win %d", pk.Win)
	}
	if pk.OptsAny {
		s += " <...>"
	} else if pk.OptsList {
		s += " <" + pk.Options.String() + ">"
	}
	return s
}

func (r *runner) call(ev *Event, t, tol time.Duration) error {
	sc := ev.Syscall
	r.nextID++
	id := r.nextID
	if len(sc.Args) > 0 {
		var fd int
		if _, err := fmt.Sscanf(sc.Args[0], "%d", &fd); err == nil {
			r.lastFD = fd
		}
	}
	if sc.Name == "listen" || sc.Name == "bind" {
		r.localPort, r.remotePort = LocalPort, RemotePort
	}
	res, ok, err := r.st.Call(t, id, sc, ev.Time.Blocking)
	if err != nil {
		return fail(ev.Line, "%s(): %v", sc.Name, err)
	}
	if !ok {
		if !ev.Time.Blocking {
			return fail(ev.Line, "%s() blocked; write the call as start...end if it is meant to", sc.Name)
		}
		end := ev.Time.BlockEnd
		if ev.Time.BlockRel {
			end += t
		}
		r.blocking[id] = &blocked{ev: ev, end: end, tol: r.tolerance(end - t)}
		return nil
	}
	if ev.Time.Blocking {
		end := ev.Time.BlockEnd
		if ev.Time.BlockRel {
			end += t
		}
		if tl := r.tolerance(end - t); t < end-tl {
			return fail(ev.Line, "%s() returned at once, expected it to block until %s", sc.Name, fmtDur(end))
		}
	}
	if sc.Name == "accept" && res.Ret >= 0 {
		r.lastFD = int(res.Ret)
	}
	return r.checkResult(ev, res)
}

func (r *runner) checkResult(ev *Event, res CallResult) error {
	sc := ev.Syscall
	if !sc.HasRet {
		return nil
	}
	if res.Ret != sc.Ret || sc.Errno != "" && res.Errno != sc.Errno {
		got := fmt.Sprint(res.Ret)
		if res.Errno != "" {
			got += " " + res.Errno
		}
		want := fmt.Sprint(sc.Ret)
		if sc.Errno != "" {
			want += " " + sc.Errno
		}
		return fail(ev.Line, "%s() expected = %s, got = %s", sc.Name, want, got)
	}
	if sc.Name == "getsockopt" && len(sc.Args) >= 4 {
		want := strings.Trim(sc.Args[3], "[]")
		if want != "..." && res.Out != "" && want != res.Out {
			return fail(ev.Line, "getsockopt() expected [%s], got [%s]", want, res.Out)
		}
	}
	return nil
}
