package packetdrill

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"synack/engine/tcp"
)

// Result is the outcome of one script.
type Result struct {
	File     string
	Pass     bool
	Line     int
	Msg      string
	Warnings []string
	// NotEvaluated lists what the script asked that the runner could not check or the
	// stack does not model (file:line: what), so a PASS does not claim more than it proved.
	NotEvaluated []string
	// Key and Args name a failure's message for views in other languages: the
	// catalogue's "packetdrill."+Key formatted with Args reads as Msg does in English.
	// Key is "" for a message passed on from the stack, which only Msg says.
	Key  string
	Args []any
	// Expected is the outbound packet line that failed, to be sent at ExpectedAt (nil
	// when the failure is not about a packet); Sent is what the stack sent instead (nil
	// when it sent nothing).
	Expected   *Packet
	ExpectedAt time.Duration
	Sent       *Sent
}

func (r Result) String() string {
	if r.Pass {
		if n := len(r.NotEvaluated); n > 0 {
			return fmt.Sprintf("PASS %s (%d checks not evaluated: %s)", r.File, n, strings.Join(r.NotEvaluated, "; "))
		}
		return "PASS " + r.File
	}
	if r.Line == 0 {
		return fmt.Sprintf("FAIL %s: %s", r.File, r.Msg)
	}
	return fmt.Sprintf("FAIL %s:%d: %s", r.File, r.Line, r.Msg)
}

// Strict turns a pass with checks not evaluated into a failure (--strict).
func (r Result) Strict() Result {
	if r.Pass && len(r.NotEvaluated) > 0 {
		r.Pass = false
		r.Msg = fmt.Sprintf("%d checks not evaluated: %s", len(r.NotEvaluated), strings.Join(r.NotEvaluated, "; "))
	}
	return r
}

// DefaultTolerance is packetdrill's timing slack: 4 ms, or 12.5 % of the gap since the
// previous event, whichever is larger.
const DefaultTolerance = 4 * time.Millisecond

// EndWait is how long the runner waits, after the last event, for blocked calls to return.
const EndWait = time.Second

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
	res      *Result
	evAt     time.Duration // script time of the outbound line being matched
	// retired are the local ports of earlier sockets' active opens: once a script makes
	// a new socket, packetdrill checks only that socket's packets and drops the others
	// (find_socket_for_live_packet), and so does the runner.
	retired map[uint16]bool
	// passiveGen counts listeners made after a passive connection (see call).
	passiveGen int
	// prevInbound says the previous event was an inbound packet, due at prevDue.
	prevInbound bool
	prevDue     time.Duration
}

// retire is a new socket under test (socket()): from now on what the active open before
// it sends is not checked, whether it is already pending or comes later.
func (r *runner) retire() {
	if !r.flow(0).haveISN || r.localPort == LocalPort {
		return
	}
	if r.retired == nil {
		r.retired = map[uint16]bool{}
	}
	r.retired[r.localPort] = true
	r.pend = r.live(r.pend)
}

// live drops what earlier sockets sent (see retired), noting it.
func (r *runner) live(sent []Sent) []Sent {
	if len(r.retired) == 0 {
		return sent
	}
	out := sent[:0:0]
	for _, p := range sent {
		if r.retired[p.Seg.SrcPort] {
			r.res.Warnings = append(r.res.Warnings, fmt.Sprintf("%s: sent by an earlier socket, not checked (as packetdrill): %s at %s", r.s.File, r.describe(p.Seg), fmtDur(p.At)))
			continue
		}
		out = append(out, p)
	}
	return out
}

// skip records a check the runner did not evaluate.
func (r *runner) skip(line int, format string, args ...any) {
	r.res.NotEvaluated = append(r.res.NotEvaluated, fmt.Sprintf("%d: ", line)+fmt.Sprintf(format, args...))
}

// flow is what the runner learns about one peer's connection: the stack's ISN (to map
// sequence numbers) and its last TSval (to map TS ecr).
type flow struct {
	localISN uint32
	haveISN  bool
	// scriptISN is the stack's ISN as the script wrote it on our SYN: packetdrill maps
	// only SYNs through it (local_seq_script_to_live_offset); every other sequence
	// number of ours, and the acks of them, are relative to the live ISN.
	scriptISN uint32
	// remoteISN is the sequence number of the peer's SYN: packetdrill writes the peer's
	// later sequence numbers, and the acks of our non-SYN segments, relative to it.
	remoteISN uint32
	haveRISN  bool
	// tsMap maps a TS val written on a ">" line to the one really sent, so an inbound
	// TS ecr can name it (packetdrill's ts_val_map).
	tsMap map[uint32]uint32
	// The first outbound TS val, written and sent: the origin of TS val comparisons.
	haveTS                     bool
	firstScriptTS, firstLiveTS uint32
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
	key  string // messageKeys[format]
	args []any
	// the packet line expected, when, and what was sent instead (Result.Expected...)
	want   *Packet
	wantAt time.Duration
	got    *Sent
}

func (f *failure) Error() string { return f.msg }

func fail(line int, format string, args ...any) error {
	f := &failure{line: line, msg: fmt.Sprintf(format, args...), key: messageKeys[format], args: args}
	if inner, ok := keyed(format, args); ok {
		f.key, f.args = inner.key, inner.args
	}
	return f
}

// about records, on a failure, the packet line it is about and what was sent instead.
func about(err error, want *Packet, wantAt time.Duration, got *Sent) error {
	if f, ok := err.(*failure); ok {
		f.want, f.wantAt, f.got = want, wantAt, got
	}
	return err
}

// Run plays a script against a stack.
func Run(s *Script, st Stack) Result {
	r := &runner{s: s, st: st, blocking: map[int]*blocked{}, localPort: LocalPort, remotePort: RemotePort, flows: map[uint16]*flow{}}
	res := Result{File: s.File, Warnings: append([]string(nil), s.Warnings...)}
	r.res = &res
	if a, ok := st.(interface {
		SetAddrs(local, remote netip.Addr)
	}); ok {
		a.SetAddrs(s.Addrs())
	}
	for _, o := range s.NotEvaluated {
		res.NotEvaluated = append(res.NotEvaluated, o)
	}
	err := r.run(&res)
	if err != nil {
		if f, ok := err.(*failure); ok {
			res.Line, res.Msg = f.line, f.msg
			res.Key, res.Args = f.key, f.args
			res.Expected, res.ExpectedAt, res.Sent = f.want, f.wantAt, f.got
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
		inbound := ev.Kind == PacketEvent && ev.Packet.Inbound
		if ev.Time.Relative {
			// packetdrill (adjust_relative_event_times): an inbound packet after an
			// inbound packet counts from when that one was due, so a late injection
			// does not delay the ones after it; every other event counts from now.
			if inbound && r.prevInbound {
				t += r.prevDue
			} else {
				t += r.prev
			}
		}
		if t > MaxScriptTime || ev.Time.BlockEnd > MaxScriptTime {
			return fail(ev.Line, "event at %s is later than the %s a script may run", fmtDur(t), MaxScriptTime)
		}
		gap := t - r.prev
		tol := r.tolerance(gap)
		switch ev.Kind {
		case ShellEvent:
			// Like packetdrill, a command runs at its time: what the stack does until
			// then happens before the command's effect (a qdisc that drops, a sysctl).
			if err := r.advance(ev.Line, t, tol); err != nil {
				return err
			}
			if err := r.shell(ev, res); err != nil {
				return err
			}
			if cs, ok := r.st.(ClockStack); ok && ev.Init {
				cs.StartClock()
			}
			r.prev = t
			continue
		case PythonEvent:
			if err := r.advance(ev.Line, t, tol); err != nil {
				return err
			}
			if err := r.python(ev); err != nil {
				return err
			}
			r.prev = t
			continue
		case PacketEvent:
			if ev.Packet.Inbound {
				if err := r.advance(ev.Line, t, tol); err != nil {
					return err
				}
				if ev.Packet.ICMP != nil {
					if err := r.icmp(ev.Line, t, ev.Packet.ICMP); err != nil {
						return err
					}
					break
				}
				seg, err := r.inbound(ev.Packet)
				if err != nil {
					return fail(ev.Line, "%v", err)
				}
				if ev.Packet.IPECN != "" {
					r.skip(ev.Line, "IP ECN field [%s] not sent", ev.Packet.IPECN)
				}
				if ev.Packet.HasTOS {
					r.skip(ev.Line, "IP TOS [tos %#02x] not sent", ev.Packet.TOS)
				}
				if err := r.st.Inject(t, seg); err != nil {
					return fail(ev.Line, "injecting the packet: %v", err)
				}
			} else if err := r.outbound(ev, t, tol); err != nil {
				return err
			}
		case SyscallEvent:
			if ev.Syscall.Name == "socket" {
				r.retire()
			}
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
		r.prevInbound, r.prevDue = inbound, t
	}
	// At the end every blocking call must have returned. What the stack sent that no
	// line read is not checked, as in packetdrill (it reads packets only for a ">" line).
	// A call still blocked a second after the last event is an error, as packetdrill
	// waits that long (await_idle_thread) and then exits "while a blocking system call
	// is in progress": a script waits for a later return with an event after it.
	last := r.prev
	if len(r.blocking) > 0 {
		last += EndWait
	}
	sent, done, err := r.st.Until(last, false)
	if err != nil {
		return fail(r.lastLine(), "%v", err)
	}
	r.pend = append(r.pend, r.live(sent)...)
	if err := r.finish(done); err != nil {
		return err
	}
	for _, p := range r.pend {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s: sent, read by no line, not checked: %s at %s", r.s.File, r.describe(p.Seg), fmtDur(p.At)))
	}
	for _, b := range r.blocking {
		return fail(b.ev.Line, "%s() is still blocked when the script ends (expected to return at %s; packetdrill needs an event after the return)", b.ev.Syscall.Name, fmtDur(b.end))
	}
	return nil
}

// advance runs the stack to t. What it sent stays queued, unchecked until an outbound
// line reads it: packetdrill reads the stack's packets only when a ">" line expects one
// (sniff_outbound_live_packet), in the order they were sent, so a segment no line
// accounts for fails the next ">" line (as a timing or content mismatch), and one sent
// after the last ">" line is never looked at.
func (r *runner) advance(line int, t, tol time.Duration) error {
	sent, done, err := r.st.Until(t, false)
	if err != nil {
		return fail(line, "%v", err)
	}
	r.pend = append(r.pend, r.live(sent)...)
	return r.finish(done)
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
		if b.ev.Syscall.Name == "accept" && d.Res.Ret >= 0 {
			// A blocking accept() that returned names the socket under test, as one
			// that returns at once does (packetdrill's tcp_info asks the connection
			// the listener's SYN made, whose fd accept() gave).
			r.lastFD = int(d.Res.Ret)
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
	for len(r.pend) == 0 {
		sent, done, err := r.st.Until(hi, true)
		if err != nil {
			return fail(ev.Line, "%v", err)
		}
		r.pend = append(r.pend, r.live(sent)...)
		if err := r.finish(done); err != nil {
			return err
		}
		if len(sent) == 0 || r.st.Now() >= hi {
			break // nothing more until hi (what an earlier socket sent does not count)
		}
	}
	if len(r.pend) == 0 {
		return about(fail(ev.Line, "expected %s at %s, nothing was sent", r.describeWant(pk), fmtDur(t)), pk, t, nil)
	}
	got := r.pend[0]
	r.pend = r.pend[1:]
	if !r.s.StrictSegments {
		var err error
		if got, err = r.aggregate(ev.Line, got, pk.Len, hi); err != nil {
			return err
		}
	}
	if got.At < lo || got.At > hi {
		return about(fail(ev.Line, "expected %s at %s, it was sent at %s", r.describeWant(pk), fmtDur(t), fmtDur(got.At)), pk, t, &got)
	}
	r.evAt = t
	if err := r.match(ev.Line, pk, got.Seg); err != nil {
		return about(err, pk, t, &got)
	}
	r.lastOut = got.At
	return nil
}

// inbound builds the segment a "<" line injects, mapping the script's numbers as
// packetdrill does: a SYN's sequence number as written (it becomes the peer's ISN), later
// ones relative to it; ACK numbers relative to the stack's ISN; a TS ecr to the TS val
// really sent on the ">" line that wrote that value.
func (r *runner) inbound(pk *Packet) (tcp.Segment, error) {
	fl := r.flow(pk.Port)
	port := r.remotePort
	if pk.Port != 0 {
		port = pk.Port
	}
	seq := pk.Seq
	if pk.Flags&tcp.SYN != 0 {
		if !fl.haveRISN {
			fl.remoteISN, fl.haveRISN = pk.Seq, true
		}
	} else {
		seq += fl.remoteISN
	}
	local, remote := r.s.Addrs()
	seg := tcp.Segment{Src: remote, Dst: local, SrcPort: port, DstPort: r.localPort,
		Seq: tcp.Seq(seq), Flags: pk.Flags, Window: pk.Win, TTL: 64, Urgent: pk.Urgent}
	if pk.HasAck {
		seg.Ack = tcp.Seq(pk.Ack + fl.localISN)
		if pk.Flags&tcp.SYN != 0 {
			seg.Ack -= tcp.Seq(fl.scriptISN)
		}
	}
	opts, err := r.scriptOptions(pk)
	if err != nil {
		return seg, err
	}
	for _, o := range opts {
		if o.Kind == tcp.OptSACK {
			// packetdrill maps SACK blocks as it maps the ack (offset_sack_blocks): the
			// script writes them relative to the stack's ISN.
			off := fl.localISN
			if pk.Flags&tcp.SYN != 0 {
				off -= fl.scriptISN
			}
			o.Blocks = mapBlocks(o.Blocks, off)
		}
		if o.Kind == tcp.OptTimestamps && pk.Flags&tcp.ACK != 0 {
			live, ok := fl.tsMap[o.TSEcr]
			if !ok && r.s.Options["tcp_ts_ecr_scaled"] != "" && fl.haveTS {
				// --tcp_ts_ecr_scaled: an echo of no written TS val is placed on the
				// live clock from the first TS val (packetdrill map_inbound_packet).
				live, ok = o.TSEcr-fl.firstScriptTS+fl.firstLiveTS, true
			}
			if !ok {
				return seg, fmt.Errorf("TS ecr %d names no TS val written on an earlier outbound line (packetdrill maps an echo only to a TS val the script wrote)", o.TSEcr)
			}
			o.TSEcr = live
		}
		seg.Options = append(seg.Options, o)
	}
	if pk.Len > 0 {
		seg.Payload = make([]byte, pk.Len)
		for i := range seg.Payload {
			seg.Payload[i] = 'a' + byte(i%26)
		}
	}
	return seg, nil
}

// scriptAck is the ack of a segment we sent, in the script's numbers.
func (r *runner) scriptAck(seg tcp.Segment) uint32 {
	if seg.Flags&tcp.SYN != 0 {
		return uint32(seg.Ack)
	}
	return uint32(seg.Ack) - r.flows[seg.DstPort].risn()
}

// risn is the flow's peer ISN (0 for no flow).
func (f *flow) risn() uint32 {
	if f == nil {
		return 0
	}
	return f.remoteISN
}

func (r *runner) match(line int, pk *Packet, seg tcp.Segment) error {
	if pk.Port != 0 && seg.DstPort != pk.Port {
		return fail(line, "expected %s, got %s: sent to port %d", r.describeWant(pk), r.describe(seg), seg.DstPort)
	}
	if seg.Flags&tcp.SYN != 0 && seg.Flags&tcp.ACK == 0 && pk.Port == 0 {
		delete(r.retired, seg.SrcPort)
		if !r.flow(0).haveISN {
			// Our own active open: learn the ports it chose.
			r.localPort, r.remotePort = seg.SrcPort, seg.DstPort
		} else if seg.SrcPort != r.localPort {
			// A later socket's active open, from another port: as in packetdrill, its
			// sequence numbers (and the peer's) are mapped afresh.
			r.localPort, r.remotePort = seg.SrcPort, seg.DstPort
			r.flows[seg.DstPort] = &flow{}
		}
	}
	fl := r.flow(seg.DstPort)
	if pk.Port == 0 && seg.DstPort != r.remotePort {
		return fail(line, "expected %s, got %s: sent to port %d, the script's peer is at %d", r.describeWant(pk), r.describe(seg), seg.DstPort, r.remotePort)
	}
	if seg.Flags&tcp.SYN != 0 && !fl.haveISN {
		fl.localISN, fl.scriptISN = uint32(seg.Seq), pk.Seq
		fl.haveISN = true
	}
	if ts, ok := seg.Options.Find(tcp.OptTimestamps); ok && !pk.OptsAny {
		if want, ok := pk.Options.Find(tcp.OptTimestamps); ok {
			if fl.tsMap == nil {
				fl.tsMap = map[uint32]uint32{}
			}
			fl.tsMap[want.TSVal] = ts.TSVal
			if !fl.haveTS {
				fl.haveTS, fl.firstScriptTS, fl.firstLiveTS = true, want.TSVal, ts.TSVal
			}
			if tick := r.s.TSTick; tick > 0 {
				// packetdrill: the live TS val in script space, within the tolerance of
				// the time since the script started (not since the last event).
				got := fl.firstScriptTS + (ts.TSVal - fl.firstLiveTS)
				tol := max(r.s.Tolerance, DefaultTolerance, r.evAt/8)
				if d := time.Duration(abs(int64(int32(got-want.TSVal)))) * tick; d > tol {
					return fail(line, "outbound TS val %d, expected %d (±%s at a %s tick)", got, want.TSVal, tol, tick)
				}
			}
		}
	}
	seq := uint32(seg.Seq) - fl.localISN
	if seg.Flags&tcp.SYN != 0 {
		seq += fl.scriptISN
	}
	want := r.describeWant(pk)
	gotS := r.describe(seg)
	switch {
	case seg.Flags != pk.Flags:
		return fail(line, "expected %s, got %s: flags differ", want, gotS)
	case seq != pk.Seq:
		return fail(line, "expected %s, got %s: sequence number differs", want, gotS)
	case len(seg.Payload) != pk.Len:
		return fail(line, "expected %s, got %s: length differs", want, gotS)
	case pk.HasAck && r.scriptAck(seg) != pk.Ack:
		return fail(line, "expected %s, got %s: ack differs", want, gotS)
	case pk.HasWin && seg.Window != pk.Win:
		return fail(line, "expected %s, got %s: window differs", want, gotS)
	}
	if pk.IPECN != "" && !ecnMatches(pk.IPECN, seg.TOS&tcp.ECNMask) {
		return fail(line, "expected %s, got %s: IP ECN field %s, expected [%s]", want, gotS, ecnNames[seg.TOS&tcp.ECNMask], pk.IPECN)
	}
	if pk.HasTOS && seg.TOS != pk.TOS {
		return fail(line, "expected %s, got %s: IP TOS %#02x, expected %#02x", want, gotS, seg.TOS, pk.TOS)
	}
	if pk.OptsAny {
		return nil
	}
	opts, err := r.scriptOptions(pk)
	if err != nil {
		return fail(line, "%v", err)
	}
	// Our SACK blocks are compared in the script's numbers: relative to the peer's ISN
	// (packetdrill's tcp_convert_seq_number).
	got := seg.Options
	if _, ok := got.Find(tcp.OptSACK); ok {
		got = got.Clone()
		for i := range got {
			if got[i].Kind == tcp.OptSACK {
				got[i].Blocks = mapBlocks(got[i].Blocks, -fl.risn())
			}
		}
	}
	if !optionsMatch(opts, got) {
		return fail(line, "expected options <%s>, got <%s>", opts, got)
	}
	return nil
}

// ecnNames are packetdrill's names of the ECN codepoints.
var ecnNames = [4]string{tcp.NotECT: "noecn", tcp.ECT1: "ect1", tcp.ECT0: "ect0", tcp.CE: "ce"}

// ecnMatches reports whether an outbound packet's ECN codepoint is the one the script
// wrote in brackets; [ect01] takes either ECT codepoint (packetdrill
// verify_outbound_live_ecn).
func ecnMatches(want string, got uint8) bool {
	if want == "ect01" {
		return got == tcp.ECT0 || got == tcp.ECT1
	}
	return ecnNames[got] == want
}

// scriptOptions returns a packet's options with every TFO_COOKIE symbol replaced by the
// cookie the stack under test gives the script's peer.
func (r *runner) scriptOptions(pk *Packet) (tcp.Options, error) {
	if len(pk.CookieSym) == 0 {
		return pk.Options, nil
	}
	c, err := r.st.FastOpenCookie()
	if err != nil {
		return nil, fmt.Errorf("TFO_COOKIE: %v", err)
	}
	opts := pk.Options.Clone()
	for _, i := range pk.CookieSym {
		opts[i].Cookie = c
	}
	return opts, nil
}

// optionsMatch compares kinds in order and the values that are not clock-dependent
// (timestamp values are not compared).
func optionsMatch(want, got tcp.Options) bool {
	if len(want) != len(got) {
		return false
	}
	for i := range want {
		w, g := want[i], got[i]
		if w.Kind != g.Kind {
			return false
		}
		switch w.Kind {
		case tcp.OptMSS:
			if w.MSS != g.MSS {
				return false
			}
		case tcp.OptWindowScale:
			if w.Shift != g.Shift {
				return false
			}
		case tcp.OptSACK:
			if !slices.Equal(w.Blocks, g.Blocks) {
				return false
			}
		case tcp.OptFastOpen, tcp.OptExperimental:
			if w.IsFastOpen() != g.IsFastOpen() || !bytes.Equal(w.Cookie, g.Cookie) || !bytes.Equal(w.Data, g.Data) {
				return false
			}
		}
	}
	return true
}

// mapBlocks returns SACK blocks moved by off (copied: segments are values).
func mapBlocks(b []tcp.SACKBlock, off uint32) []tcp.SACKBlock {
	out := make([]tcp.SACKBlock, len(b))
	for i, x := range b {
		out[i] = tcp.SACKBlock{Left: x.Left.Add(off), Right: x.Right.Add(off)}
	}
	return out
}

func flagString(f tcp.Flags) string {
	var b strings.Builder
	for _, x := range []struct {
		f tcp.Flags
		c byte
	}{{tcp.SYN, 'S'}, {tcp.FIN, 'F'}, {tcp.RST, 'R'}, {tcp.PSH, 'P'}, {tcp.ACK, '.'}, {tcp.ECE, 'E'}, {tcp.CWR, 'W'}, {tcp.URG, 'U'}} {
		if f&x.f != 0 {
			b.WriteByte(x.c)
		}
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

func (r *runner) describe(seg tcp.Segment) string {
	fl := r.flows[seg.DstPort]
	seq := uint32(seg.Seq) - fl.isn()
	if fl != nil && seg.Flags&tcp.SYN != 0 {
		seq += fl.scriptISN
	}
	s := fmt.Sprintf("%s %d:%d(%d)", flagString(seg.Flags), seq, seq+uint32(len(seg.Payload)), len(seg.Payload))
	if seg.DstPort != r.remotePort {
		s = fmt.Sprintf("[port %d] %s", seg.DstPort, s)
	}
	if seg.Flags&tcp.ACK != 0 {
		s += fmt.Sprintf(" ack %d", r.scriptAck(seg))
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
	if len(sc.Args) > 0 && sc.Name != "close" {
		// A closed socket is not the one a later tcp_info assertion is about (packetdrill
		// asks its socket under test, which close() does not change).
		var fd int
		if _, err := fmt.Sscanf(sc.Args[0], "%d", &fd); err == nil {
			r.lastFD = fd
		}
	}
	if sc.Name == "listen" || sc.Name == "bind" {
		r.localPort, r.remotePort = LocalPort, RemotePort
	}
	if sc.Name == "listen" && r.flows[RemotePort] != nil && r.flows[RemotePort].haveRISN {
		// A listener after an earlier connection from the script's peer: packetdrill
		// plays each passive connection from a new ephemeral port, so the old
		// connection (still open, or in TIME-WAIT) does not take the new SYN.
		r.passiveGen++
		r.remotePort = RemotePort + uint16(r.passiveGen)*1000
	}

	_, remote := r.s.Addrs()
	var res tcp.Result
	var ok bool
	var err error
	_, onFiles := NotModelledCalls[sc.Name]
	if fs, files := r.st.(FileStack); onFiles && files {
		res, ok, err = fs.FileCall(t, id, sc, ev.Time.Blocking)
		if errors.Is(err, ErrNotModelled) {
			return fail(ev.Line, "not modelled: %v", strings.TrimPrefix(err.Error(), ErrNotModelled.Error()+": "))
		}
	} else {
		var call *tcp.Call
		call, err = Decode(sc, remote)
		if errors.Is(err, ErrNotModelled) {
			return fail(ev.Line, "not modelled: %v", strings.TrimPrefix(err.Error(), ErrNotModelled.Error()+": "))
		}
		if err != nil {
			return fail(ev.Line, "%s(): %v", sc.Name, err)
		}
		res, ok, err = r.st.Call(t, id, call, ev.Time.Blocking)
	}
	if err != nil {
		return fail(ev.Line, "%s(): %v", sc.Name, err)
	}
	if !ok {
		if !ev.Time.Blocking {
			return fail(ev.Line, "%s() blocked; write the call as start...end if it is meant to", sc.Name)
		}
		end := r.blockEnd(ev, t)
		r.blocking[id] = &blocked{ev: ev, end: end, tol: r.tolerance(end - t)}
		return nil
	}
	if ev.Time.Blocking {
		end := r.blockEnd(ev, t)
		if tl := r.tolerance(end - t); t < end-tl {
			return fail(ev.Line, "%s() returned at once, expected it to block until %s", sc.Name, fmtDur(end))
		}
	}
	if sc.Name == "accept" && res.Ret >= 0 {
		r.lastFD = int(res.Ret)
	}
	return r.checkResult(ev, res)
}

func (r *runner) checkResult(ev *Event, res tcp.Result) error {
	sc := ev.Syscall
	if !sc.HasRet {
		if res.Unmodelled != "" {
			r.skip(ev.Line, "%s", res.Unmodelled)
		}
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
	if sc.Name == "recvmsg" && len(sc.Args) > 1 && strings.Contains(sc.Args[1], "TCP_CM_INQ") {
		_, v, _ := strings.Cut(sc.Args[1], "cmsg_data=")
		want := strings.TrimRight(strings.TrimSpace(v), "}] ")
		switch {
		case res.Out == "":
			r.skip(ev.Line, "recvmsg TCP_CM_INQ not evaluated")
		case want != res.Out:
			return fail(ev.Line, "recvmsg() TCP_CM_INQ expected %s, got %s", want, res.Out)
		}
	}
	if sc.Name == "recvmsg" && len(sc.Args) > 1 && !strings.Contains(sc.Args[1], "TCP_CM_INQ") {
		want, ok, err := scriptCmsgs(sc.Args[1])
		switch {
		case err != nil:
			return fail(ev.Line, "%s(): %v", sc.Name, err)
		case ok && res.Cmsgs == nil:
			r.skip(ev.Line, "recvmsg control messages not evaluated")
		case ok:
			if err := checkCmsgs(want, res.Cmsgs, max(r.s.Tolerance, DefaultTolerance)); err != nil {
				return fail(ev.Line, "%s(): %v", sc.Name, err)
			}
			if err := checkMsgFlags(sc.Args[1], res); err != nil {
				return fail(ev.Line, "%s(): %v", sc.Name, err)
			}
		}
	}
	if sc.Name == "poll" && len(sc.Args) > 0 {
		fds, err := ParsePoll(sc.Args[0])
		if err != nil {
			return fail(ev.Line, "%v", err)
		}
		got := make([]tcp.PollFD, len(fds))
		for i := range got {
			got[i].FD = fds[i].FD
			if i < len(res.Revents) {
				got[i].Revents = res.Revents[i]
			}
		}
		if want := FormatRevents(fds); res.Revents != nil && want != FormatRevents(got) {
			return fail(ev.Line, "poll() expected revents [%s], got [%s]", want, FormatRevents(got))
		}
	}
	if sc.Name == "epoll_wait" {
		if err := checkEpollWait(sc, res); err != nil {
			return fail(ev.Line, "%v", err)
		}
	}
	outArg := map[string]int{"getsockopt": 3, "ioctl": 2}
	if i, ok := outArg[sc.Name]; ok && len(sc.Args) > i {
		want := strings.Trim(sc.Args[i], "[]")
		switch {
		case want == "...":
		case res.Out == "":
			r.skip(ev.Line, "%s(%s) value not modelled", sc.Name, sc.Args[i-1])
		case want != res.Out:
			return fail(ev.Line, "%s() expected [%s], got [%s]", sc.Name, want, res.Out)
		}
	}
	if res.Unmodelled != "" {
		r.skip(ev.Line, "%s", res.Unmodelled)
	}
	return nil
}

// shell runs a backquoted block as /bin/sh -c would: its commands in order, && and ||
// by the statuses they would have. As in packetdrill, a block whose status is not 0
// fails the script; what the stack cannot run is reported as not evaluated.
func (r *runner) shell(ev *Event, res *Result) error {
	status, last, known, err := r.runSteps(ev.Line, ev.Shell.Steps, res, false)
	if err != nil {
		return err
	}
	if known && status != 0 {
		return fail(ev.Line, "shell command exited with status %d: %s", status, last)
	}
	return nil
}

// runSteps runs a block's simple commands. It returns the block's status (its last
// command's), that command, and whether the status is known (false when the stack could
// not run it). In defaults.sh (quiet) what the stack cannot run is a warning.
func (r *runner) runSteps(line int, steps []ShellStep, res *Result, quiet bool) (status int, last string, known bool, err error) {
	known = true
	note := func(format string, args ...any) {
		if quiet {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s:%d: defaults.sh: ", r.s.File, line)+fmt.Sprintf(format, args...))
			return
		}
		r.skip(line, format, args...)
	}
	for _, st := range steps {
		if st.Op == "&&" && status != 0 || st.Op == "||" && status == 0 {
			continue // sh skips it; the status stays the one before
		}
		s, k := 0, true
		switch st.Kind {
		case StepFalse:
			s = 1
		case StepDefaults:
			if !quiet { // defaults.sh does not run itself
				r.defaults(line, st.Text, res)
			}
		case StepSysctl:
			for _, sc := range st.Sysctls {
				ok, err := r.st.Tune(sc.Name, sc.Value)
				switch {
				case err != nil && quiet:
					// defaults.sh runs each sysctl on its own: a setting the namespace
					// refuses (tcp_congestion_control) does not stop it.
					note("sysctl %s=%s: %v", sc.Name, sc.Value, err)
				case err != nil:
					return 0, "", false, fail(line, "sysctl %s=%s: %v", sc.Name, sc.Value, err)
				case !ok:
					note("sysctl %s not modelled", sc.Name)
				}
			}
		case StepCommand:
			switch err := r.st.Command(st.Text); {
			case errors.Is(err, ErrNotModelled):
				note("command not run: %s", st.Text)
				k = false
			case err != nil:
				s = 1
			}
		}
		if st.Negate && k { // "! cmd": 0 when cmd failed, 1 when it succeeded
			if s == 0 {
				s = 1
			} else {
				s = 0
			}
		}
		if st.Background {
			s, k = 0, true // sh does not wait for it
		}
		status, last, known = s, st.Text, k
		if st.Negate {
			last = "! " + st.Text
		}
	}
	return status, last, known, nil
}

// DefaultSysctls are the settings of packetdrill's gtests/net/common/defaults.sh that
// change TCP behaviour, used when that file cannot be read.
var DefaultSysctls = []Sysctl{
	{"tcp_rmem", "4096 540000 15728640"}, {"tcp_wmem", "4096 262144 4194304"},
	{"tcp_timestamps", "1"}, {"tcp_syn_retries", "5"}, {"tcp_synack_retries", "5"},
	{"tcp_sack", "1"}, {"tcp_dsack", "1"}, {"tcp_ecn", "0"}, {"tcp_syncookies", "1"},
	{"tcp_early_retrans", "4"}, {"tcp_recovery", "1"}, {"tcp_slow_start_after_idle", "0"},
}

// MaxDefaultsBytes bounds the defaults.sh the runner reads.
const MaxDefaultsBytes = 64 << 10

// defaults runs the defaults.sh a script names: read from the script's directory when
// it has one, packetdrill's values otherwise.
func (r *runner) defaults(line int, path string, res *Result) {
	if r.s.Dir == "" || r.s.ReadFile == nil {
		r.runSteps(line, []ShellStep{{Kind: StepSysctl, Sysctls: DefaultSysctls}}, res, true)
		return
	}
	full := path
	if !filepath.IsAbs(full) {
		full = filepath.Join(r.s.Dir, path)
	}
	b, err := r.s.ReadFile(full)
	if err == nil && int64(len(b)) > MaxDefaultsBytes {
		err = fmt.Errorf("%s is larger than %d bytes", full, MaxDefaultsBytes)
	}
	if err != nil {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %v; packetdrill's defaults used", r.s.File, err))
		r.runSteps(line, []ShellStep{{Kind: StepSysctl, Sysctls: DefaultSysctls}}, res, true)
		return
	}
	// defaults.sh is a bash script (#!/bin/bash): each line on its own, its statuses
	// not checked.
	r.runSteps(line, shellSteps(string(b)), res, true)
}

// python evaluates a block's tcp_info assertions on the last socket the script used.
func (r *runner) python(ev *Event) error {
	for _, o := range ev.Python.Other {
		r.skip(ev.Line, "python: %s", o)
	}
	if len(ev.Python.Asserts) == 0 {
		return nil
	}
	info, ok := r.st.Info(r.lastFD)
	if !ok {
		return fail(ev.Line, "tcp_info: fd %d is not a socket", r.lastFD)
	}
	for _, a := range ev.Python.Asserts {
		got, known := info[a.Field]
		if !known {
			r.skip(ev.Line, "tcpi_%s not modelled", a.Field)
			continue
		}
		if a.Mask != 0 {
			got &= a.Mask
		}
		if !compare(got, a.Op, a.Value) {
			if a.Mask != 0 {
				return fail(ev.Line, "(tcpi_%s & %#x): expected %s %d, got %d", a.Field, a.Mask, a.Op, a.Value, got)
			}
			if a.Field == "state" {
				return fail(ev.Line, "tcpi_state: expected %s, the socket is in %s", tcp.State(a.Value), tcp.State(got))
			}
			return fail(ev.Line, "tcpi_%s: expected %s %d, got %d", a.Field, a.Op, a.Value, got)
		}
	}
	return nil
}

func compare(got int64, op string, want int64) bool {
	switch op {
	case "==":
		return got == want
	case "!=":
		return got != want
	case "<":
		return got < want
	case "<=":
		return got <= want
	case ">":
		return got > want
	case ">=":
		return got >= want
	}
	return false
}

// aggregate joins the segments that follow first, as packetdrill does by default: when an
// expected segment is longer than the one sent, consecutive segments of the same flow are
// taken as the one segment a device with segmentation offload would have carried (headers
// of the last, sequence number of the first).
func (r *runner) aggregate(line int, first Sent, want int, hi time.Duration) (Sent, error) {
	got := first
	for len(got.Seg.Payload) > 0 && len(got.Seg.Payload) < want {
		if len(r.pend) == 0 {
			// A stack in virtual time sends a burst at one instant: only what was
			// sent with it joins. Looking further (to hi, ten minutes for a "*" line)
			// would run it past the script's next event, and time would go backwards
			// when that event is played. A real stack's burst takes real time (the
			// kernel paces its segments out): wait for it until hi.
			until := hi
			if _, ok := r.st.(VirtualStack); ok {
				until = max(got.At, r.st.Now())
			}
			sent, done, err := r.st.Until(until, true)
			if err != nil {
				return got, fail(line, "%v", err)
			}
			r.pend = append(r.pend, r.live(sent)...)
			if err := r.finish(done); err != nil {
				return got, err
			}
			if len(r.pend) == 0 {
				break
			}
		}
		next := r.pend[0]
		if next.Seg.DstPort != got.Seg.DstPort || next.Seg.SrcPort != got.Seg.SrcPort ||
			next.Seg.Seq != got.Seg.Seq.Add(uint32(len(got.Seg.Payload))) || len(next.Seg.Payload) == 0 {
			break
		}
		r.pend = r.pend[1:]
		seg := next.Seg
		seg.Seq = got.Seg.Seq
		seg.Payload = append(append([]byte(nil), got.Seg.Payload...), next.Seg.Payload...)
		got = Sent{At: next.At, Seg: seg}
	}
	return got, nil
}

// blockEnd is when a blocking call started at t must return. As packetdrill reads
// "+0.1...0.2 call()": the end of a call whose start is relative is relative to the
// previous event, as the start is (adjust_relative_event_times); with an absolute start
// it is absolute. synack's "...+d" counts from the call's start.
func (r *runner) blockEnd(ev *Event, t time.Duration) time.Duration {
	end := ev.Time.BlockEnd
	switch {
	case ev.Time.BlockRel:
		end += t
	case ev.Time.Relative:
		end += t - ev.Time.At
	}
	return end
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// icmp injects an ICMP error about the socket under test's segment whose sequence
// number the script wrote relative to our ISN (packetdrill map_inbound_icmp_tcp_packet).
func (r *runner) icmp(line int, t time.Duration, ic *ICMPSpec) error {
	st, ok := r.st.(ICMPStack)
	if !ok {
		return fail(line, "not modelled: ICMP packets on this stack")
	}
	fl := r.flow(0)
	local, remote := r.s.Addrs()
	m := tcp.ICMP{Type: ic.Type, Code: ic.Code, MTU: ic.MTU, Seq: tcp.Seq(ic.Seq + fl.localISN),
		Echoed: tcp.Tuple{LocalAddr: local, LocalPort: r.localPort, RemoteAddr: remote, RemotePort: r.remotePort}}
	if err := st.InjectICMP(t, m); err != nil {
		return fail(line, "injecting the ICMP packet: %v", err)
	}
	return nil
}
