package lessons

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"synack/engine"
	"synack/engine/catalog"
	"synack/engine/diagram"
	"synack/engine/tcp"
)

// Evaluate computes a question's answer from the trace; at is the index of the event the
// question is anchored to. The expressions:
//
//	state ENDPOINT after            ENDPOINT's state once the anchored event has happened
//	                                (for a segment: once it has arrived)
//	flags next ENDPOINT             the flags of the next segment ENDPOINT sends
//	result next ENDPOINT CALL       the result of ENDPOINT's next CALL
//	count segments from ENDPOINT    how many segments ENDPOINT sends in the whole run
//	seconds until ENDPOINT STATE    seconds from the anchored event until ENDPOINT enters STATE
//	who enters STATE                the endpoint that enters STATE first ("client", "server")
//	round trips until TEXT [from ENDPOINT] arrives
//	                                round trips from the start until the first packet
//	                                carrying a message labelled TEXT arrives
//	packets before TEXT             handshake packets (as the trace marks them) sent
//	                                before the first one carrying TEXT; that packet
//	                                counts too when it is handshake and carries more
//	                                than TEXT (a Finished coalesced with a request)
func Evaluate(expr string, tr *engine.Trace, at int) (string, error) {
	r, err := Compute(expr, tr, at)
	return r.Answer, err
}

// Result is a computed answer with where it comes from.
type Result struct {
	Answer string
	// Reveal is the trace event that gives the answer away once it is drawn: the state
	// change, the segment, the call's return, the last of the counted segments, the timer
	// that ends a wait. -1 when no event of the run shows it (the state an endpoint
	// starts in).
	Reveal int
	// Evidence says, in both languages, what the run did that makes this the answer,
	// with the run's own numbers ("the server entered SYN-RECEIVED at 0.06 s").
	Evidence engine.Text
}

// Compute evaluates expr on the trace and says which event reveals the answer and why it
// is the answer. at is the index of the event the question is anchored to.
func Compute(expr string, tr *engine.Trace, at int) (Result, error) {
	f := strings.Fields(expr)
	bad := fmt.Errorf("answer %q: unknown expression (see the lessons README)", expr)
	if len(f) < 2 || at < 0 || at >= tr.Len() {
		return Result{}, bad
	}
	evs := tr.Events(0, tr.Len())
	ev := &evs[at]
	when := ev.At
	if ev.Kind == tcp.EventSegment && ev.Segment.Fate == tcp.Delivered {
		when = ev.Segment.Arrive
	}
	carrying := func(text, from string) (int, *tcp.SegmentEvent) {
		for i := range evs {
			e := &evs[i]
			if e.Kind == tcp.EventSegment && strings.Contains(e.Segment.Label, text) && (from == "" || e.Segment.Src == from) {
				return i, e.Segment
			}
		}
		return -1, nil
	}
	if len(f) >= 2 && f[len(f)-1] == "here" {
		return readHere(expr, f[:len(f)-1], tr, at)
	}
	switch {
	case f[0] == "data":
		return computeData(expr, f, tr, evs, at) // the data phase's answers (answer_data.go)
	case f[0] == "round" && f[1] == "trips" && len(f) >= 5 && f[2] == "until" && f[len(f)-1] == "arrives":
		words, from := f[3:len(f)-1], ""
		if n := len(words); n >= 3 && words[n-2] == "from" {
			words, from = words[:n-2], words[n-1]
		}
		text := strings.Join(words, " ")
		i, s := carrying(text, from)
		if s == nil || tr.Meta.RTT <= 0 {
			return Result{}, fmt.Errorf("answer %q: no packet carries %q", expr, text)
		}
		rtts := float64(s.Arrive.Sub(0)) / float64(tr.Meta.RTT)
		ans := strconv.FormatFloat(float64(int64(rtts*10+0.5))/10, 'f', -1, 64)
		return Result{Answer: ans, Reveal: i, Evidence: catalog.F("answer.rtts", text, secs(s.Arrive.Sub(0)), ans, secs(tr.Meta.RTT))}, nil
	case f[0] == "packets" && f[1] == "before" && len(f) >= 3:
		text := strings.Join(f[2:], " ")
		ti, target := carrying(text, "")
		if target == nil {
			return Result{}, fmt.Errorf("answer %q: no packet carries %q", expr, text)
		}
		n := 0
		for _, s := range tr.Segments() {
			if s.ID == target.ID {
				if s.Handshake && s.Label != text {
					n++ // it also carries handshake messages: it is one of them
				}
				break
			}
			if s.Handshake {
				n++
			}
		}
		ans := strconv.Itoa(n)
		return Result{Answer: ans, Reveal: ti, Evidence: catalog.F("answer.packets-before", ans, text, target.ID, secs(evs[ti].At.Sub(0)))}, nil
	case len(f) == 3 && f[0] == "state" && f[2] == "after":
		state, reveal := tcp.Closed, -1
		for i := range evs {
			e := &evs[i]
			if e.At > when {
				break // everything that happened at that instant counts
			}
			if e.Kind == tcp.EventState && e.Endpoint == f[1] && mainPeer(e) {
				state, reveal = e.To, i
			}
		}
		r := Result{Answer: state.String(), Reveal: reveal}
		if reveal < 0 {
			r.Evidence = catalog.F("answer.state.never", who(f[1]), state)
		} else {
			e := &evs[reveal]
			r.Evidence = catalog.F("answer.state.entered", who(f[1]), state, secs(e.At.Sub(0)), diagram.CauseText(e.Cause))
		}
		return r, nil
	case f[0] == "flags" && f[1] == "next" && len(f) == 3:
		for i := at + 1; i < len(evs); i++ {
			e := &evs[i]
			if e.Kind == tcp.EventSegment && e.Segment.Src == f[2] && !strings.HasPrefix(e.Segment.Dst, "attacker") {
				ans := strings.Join(e.Segment.Seg.Flags.Names(), " ")
				return Result{Answer: ans, Reveal: i, Evidence: catalog.F("answer.flags-next", who(f[2]), e.Segment.ID, secs(e.At.Sub(0)), ans)}, nil
			}
		}
		return Result{}, fmt.Errorf("answer %q: %s sends nothing after the anchor", expr, f[2])
	case f[0] == "result" && f[1] == "next" && len(f) == 4:
		for i := at; i < len(evs); i++ {
			e := &evs[i]
			if e.Kind == tcp.EventApp && e.Endpoint == f[2] && e.Call == f[3] && e.Result != "pending" {
				return Result{Answer: e.Result, Reveal: i, Evidence: catalog.F("answer.result-next", who(f[2]), f[3], e.Result, secs(e.At.Sub(0)))}, nil
			}
		}
		return Result{}, fmt.Errorf("answer %q: no such call after the anchor", expr)
	case f[0] == "count" && f[1] == "segments" && len(f) == 4 && f[2] == "from":
		n, last := 0, -1
		for i := range evs {
			if e := &evs[i]; e.Kind == tcp.EventSegment && e.Segment.Src == f[3] {
				n, last = n+1, i
			}
		}
		if last < 0 {
			return Result{}, fmt.Errorf("answer %q: %s sends nothing", expr, f[3])
		}
		ans := strconv.Itoa(n)
		t := evs[last].At.Sub(0)
		return Result{Answer: ans, Reveal: last, Evidence: catalog.F("answer.count", who(f[3]), ans, secs(t))}, nil
	case f[0] == "who" && f[1] == "enters" && len(f) == 3:
		for i := range evs {
			if e := &evs[i]; e.Kind == tcp.EventState && e.To.String() == f[2] && mainPeer(e) {
				return Result{Answer: e.Endpoint, Reveal: i, Evidence: catalog.F("answer.state.entered", who(e.Endpoint), f[2], secs(e.At.Sub(0)), diagram.CauseText(e.Cause))}, nil
			}
		}
		return Result{}, fmt.Errorf("answer %q: no endpoint enters %s", expr, f[2])
	case f[0] == "seconds" && f[1] == "until" && len(f) == 4:
		for i := at; i < len(evs); i++ {
			e := &evs[i]
			if e.Kind == tcp.EventState && e.Endpoint == f[2] && e.To.String() == f[3] && mainPeer(e) {
				d := e.At.Sub(ev.At)
				ans := strconv.FormatFloat(d.Round(time.Millisecond).Seconds(), 'f', -1, 64)
				// The timer whose expiry makes the change shows its length when it is set.
				reveal := i
				for j := i - 1; j >= 0; j-- {
					t := &evs[j]
					if t.Kind == tcp.EventTimer && t.Endpoint == f[2] && t.Action == tcp.TimerSet && t.Deadline == e.At {
						reveal = j
						break
					}
				}
				return Result{Answer: ans, Reveal: reveal, Evidence: catalog.F("answer.seconds-until", who(f[2]), f[3], secs(e.At.Sub(0)), ans, secs(ev.At.Sub(0)))}, nil
			}
		}
		return Result{}, fmt.Errorf("answer %q: %s never enters %s after the anchor", expr, f[2], f[3])
	}
	return Result{}, bad
}

// secs writes a duration as a reader would say it: "60 ms", "1.06 s", "131 s".
func secs(d time.Duration) engine.Text {
	if d < time.Second {
		return catalog.F("unit.ms", strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', -1, 64))
	}
	return catalog.F("unit.s", msSeconds(d))
}

// msSeconds writes a duration in seconds to the millisecond: 1.36, never
// 1.3599999999999999 (Duration.Seconds adds whole and fractional seconds in floating
// point; a count of milliseconds over 1000 is the nearest double to the decimal).
func msSeconds(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Round(time.Millisecond).Milliseconds())/1000, 'f', -1, 64)
}

// who names an endpoint: its role translated ("client", 客户端), any other name as it is.
func who(endpoint string) engine.Text { return diagram.LaneText(endpoint) }

// Resolved is a step or question placed on a run: Event is the trace index (-1 when the
// reader's parameters removed that event).
type Resolved struct {
	Event  int
	Answer string
}

// Resolve places the lesson's steps and questions on a run with any parameters. A
// question not asked in the run's profile is placed nowhere (Event -1).
func (l *Lesson) Resolve(tr *engine.Trace) (steps, questions []Resolved) {
	for _, st := range l.Steps {
		i, err := st.Anchor.resolveFirst(tr)
		if err != nil {
			i = -1
		}
		steps = append(steps, Resolved{Event: i})
	}
	for _, q := range l.Questions {
		r := Resolved{Event: -1}
		if q.AskedIn(tr.Meta.Profile) {
			if i, err := q.Anchor.resolveFirst(tr); err == nil {
				if ans, err := Evaluate(q.Answer, tr, i); err == nil {
					r = Resolved{Event: i, Answer: ans}
				}
			}
		}
		questions = append(questions, r)
	}
	return steps, questions
}

// Fill replaces placeholders in narration with values from the anchored event, so the
// numbers a lesson quotes are the run's own: {seq}, {ack}, {win} (the raw field),
// {wscale} (the sender's window scale), {win.bytes} (the window in bytes), {tsval} and
// {tsecr} (its timestamp option's values), {tcpdump} and
// {tcpdump.rel} (the segment's tcpdump line, -S and relative), {cookie.isn},
// {cookie.client_isn}, {cookie.hash1}, {cookie.counter}, {cookie.hash2},
// {cookie.mss_index}, {cookie.mss}, {cookie.hash1_plus_isn}.
func Fill(text string, tr *engine.Trace, at int) string {
	if strings.Contains(text, "{run.") {
		text = fillRun(text, tr)
	}
	if at < 0 || !strings.Contains(text, "{") {
		return text
	}
	ev := tr.Event(at)
	e := &ev
	if e.Kind != tcp.EventSegment {
		return text
	}
	s := e.Segment
	u := func(v uint32) string { return strconv.FormatUint(uint64(v), 10) }
	shift := uint8(0)
	if s.Seg.Flags&tcp.SYN == 0 {
		shift = windowShift(tr, s.Src, s.Dst)
	}
	pairs := []string{"{seq}", u(uint32(s.Seg.Seq)), "{ack}", u(uint32(s.Seg.Ack)),
		"{win}", strconv.Itoa(int(s.Seg.Window)), "{wscale}", strconv.Itoa(int(shift)),
		"{win.bytes}", strconv.Itoa(int(s.Seg.Window) << shift)}
	if ts, ok := s.Seg.Options.Find(tcp.OptTimestamps); ok {
		pairs = append(pairs, "{tsval}", u(ts.TSVal), "{tsecr}", u(ts.TSEcr))
	}
	if strings.Contains(text, "{tcpdump") {
		pairs = append(pairs, "{tcpdump}", tr.TcpdumpLines(false)[s.ID], "{tcpdump.rel}", tr.TcpdumpLines(true)[s.ID])
	}
	if c := s.Cookie; c != nil {
		pairs = append(pairs,
			"{cookie.isn}", u(uint32(c.ISN)),
			"{cookie.client_isn}", u(uint32(c.ClientISN)),
			"{cookie.hash1}", u(c.Hash1),
			"{cookie.counter}", u(c.Counter),
			"{cookie.hash2}", u(c.Hash2),
			"{cookie.mss_index}", strconv.Itoa(int(c.MSSIndex)),
			"{cookie.mss}", strconv.Itoa(int(c.MSS)),
			"{cookie.isn_hex}", fmt.Sprintf("%08x", uint32(c.ISN)),
			"{cookie.low24}", fmt.Sprintf("%06x", uint32(c.ISN-c.ClientISN-tcp.Seq(c.Hash1))&0xFFFFFF),
			"{cookie.top8}", u((uint32(c.ISN-c.ClientISN-tcp.Seq(c.Hash1)))>>24),
		)
	}
	return strings.NewReplacer(pairs...).Replace(text)
}

// fillRun fills the placeholders that describe the whole run rather than the anchored
// event, so that a lesson quotes the run's numbers instead of promising its own:
//
//	{run.syn_queue_max}         the longest the server's SYN queue grew
//	{run.first_request.synacks} how many SYN-ACKs answered the run's first SYN
//	{run.first_request.times}   when they left, in seconds after the first ("0, 1, 3")
func fillRun(text string, tr *engine.Trace) string {
	maxQ := 0
	var first *tcp.SegmentEvent // a copy: Scan reuses what it yields
	var times []string
	var t0 tcp.Time
	for _, e := range tr.Scan() {
		switch {
		case e.Kind == tcp.EventQueue && e.Endpoint == "server":
			maxQ = max(maxQ, e.SynQueue)
		case e.Kind != tcp.EventSegment:
		case first == nil && e.Segment.Seg.Flags == tcp.SYN:
			c := *e.Segment
			first = &c
		case first != nil && e.Segment.Seg.Flags == tcp.SYN|tcp.ACK && e.Segment.Dst == first.Src && e.Segment.Seg.Ack == first.Seg.Seq+1:
			if len(times) == 0 {
				t0 = e.At
			}
			times = append(times, msSeconds(e.At.Sub(t0)))
		}
	}
	// A list reads "0, 1, 3" in English and "0、1、3" in Chinese: Fill is called once per
	// language, and only the Chinese text has Han characters.
	sep := ", "
	if strings.IndexFunc(text, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0 {
		sep = "、"
	}
	return strings.NewReplacer("{run.syn_queue_max}", strconv.Itoa(maxQ),
		"{run.first_request.synacks}", strconv.Itoa(len(times)),
		"{run.first_request.times}", strings.Join(times, sep)).Replace(text)
}

// readHere answers questions about reading the anchored segment as tcpdump prints it:
//
//	flags here         its flags ("SYN ACK": what [S.] stands for)
//	seq here           its absolute sequence number (tcpdump -S)
//	relative ack here  its acknowledgement number less the peer's ISN (tcpdump without -S)
//	window here        its window in bytes: the 16-bit field shifted by the sender's
//	                   window scale (none in a SYN, RFC 7323 §2.2)
//	seqspace here      how many sequence numbers it occupies (RFC 9293 §3.4 SEG.LEN)
//	acked here         how far past its seq the receiver's next segment acknowledges
func readHere(expr string, f []string, tr *engine.Trace, at int) (Result, error) {
	ev := tr.Event(at)
	e := &ev
	if e.Kind != tcp.EventSegment {
		return Result{}, fmt.Errorf("answer %q: the anchor is not a segment", expr)
	}
	s := e.Segment
	g := s.Seg
	line := catalog.F("answer.segment", s.ID, who(s.Src), who(s.Dst))
	u := func(v uint32) string { return strconv.FormatUint(uint64(v), 10) }
	switch strings.Join(f, " ") {
	case "flags":
		ans := strings.Join(g.Flags.Names(), " ")
		return Result{Answer: ans, Reveal: at, Evidence: catalog.F("answer.here.flags", line, ans)}, nil
	case "seq":
		ans := u(uint32(g.Seq))
		return Result{Answer: ans, Reveal: at, Evidence: catalog.F("answer.here.seq", line, ans)}, nil
	case "relative ack":
		isn, ok := peerISN(tr, at)
		if !ok || g.Flags&tcp.ACK == 0 {
			return Result{}, fmt.Errorf("answer %q: no ACK, or no SYN from the peer before it", expr)
		}
		ans := u(uint32(g.Ack - isn))
		return Result{Answer: ans, Reveal: at, Evidence: catalog.F("answer.here.relative-ack", line, u(uint32(g.Ack)), who(s.Dst), u(uint32(isn)), ans)}, nil
	case "seqspace":
		ans := strconv.Itoa(int(g.End() - g.Seq))
		return Result{Answer: ans, Reveal: at, Evidence: catalog.F("answer.here.seqspace", line, u(uint32(g.Seq)), len(g.Payload), strings.Join(g.Flags.Names(), " "), ans)}, nil
	case "acked":
		if s.Fate != tcp.Delivered {
			return Result{}, fmt.Errorf("answer %q: the segment never arrives", expr)
		}
		for i := at + 1; i < tr.Len(); i++ {
			r := ptr(tr.Event(i))
			if r.Kind != tcp.EventSegment || r.Segment.Src != s.Dst || r.Segment.Dst != s.Src || r.At < s.Arrive || r.Segment.Seg.Flags&tcp.ACK == 0 {
				continue
			}
			ack := r.Segment.Seg.Ack
			ans := strconv.FormatInt(int64(int32(ack-g.Seq)), 10)
			return Result{Answer: ans, Reveal: i, Evidence: catalog.F("answer.here.acked", line, u(uint32(g.Seq)), who(s.Dst), r.Segment.ID, u(uint32(ack)), ans)}, nil
		}
		return Result{}, fmt.Errorf("answer %q: the receiver acknowledges nothing after it", expr)
	case "window":
		shift := uint8(0)
		if g.Flags&tcp.SYN == 0 {
			shift = windowShift(tr, s.Src, s.Dst)
		}
		ans := strconv.Itoa(int(g.Window) << shift)
		return Result{Answer: ans, Reveal: at, Evidence: catalog.F("answer.here.window", line, g.Window, shift, ans)}, nil
	}
	return Result{}, fmt.Errorf("answer %q: unknown expression (see the lessons README)", expr)
}

// peerISN is the sequence number of the last SYN the anchored segment's receiver sent
// before it.
func peerISN(tr *engine.Trace, at int) (tcp.Seq, bool) {
	me := tr.Event(at).Segment
	for i := at - 1; i >= 0; i-- {
		if e := ptr(tr.Event(i)); e.Kind == tcp.EventSegment && e.Segment.Src == me.Dst && e.Segment.Seg.Flags&tcp.SYN != 0 {
			return e.Segment.Seg.Seq, true
		}
	}
	return 0, false
}

// windowShift is the window scale src announced in its SYN, if dst announced one too
// (RFC 7323 §2.2: scaling is on only when both SYNs carry the option).
func windowShift(tr *engine.Trace, src, dst string) uint8 {
	var mine, theirs *tcp.Option
	for _, s := range tr.Segments() {
		if s.Seg.Flags&tcp.SYN == 0 {
			continue
		}
		for k := range s.Seg.Options {
			if o := &s.Seg.Options[k]; o.Kind == tcp.OptWindowScale {
				if s.Src == src && mine == nil {
					mine = o
				} else if s.Src == dst && theirs == nil {
					theirs = o
				}
			}
		}
	}
	if mine == nil || theirs == nil {
		return 0
	}
	return mine.Shift
}

// ptr returns a pointer to its own copy of e.
func ptr(e tcp.Event) *tcp.Event { return &e }
