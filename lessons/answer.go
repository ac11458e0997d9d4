package lessons

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"synack/engine"
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
//	round trips until TEXT [from ENDPOINT] arrives
//	                                round trips from the start until the first packet
//	                                carrying a message labelled TEXT arrives
//	packets before TEXT             handshake packets (as the trace marks them) sent
//	                                before the first one carrying TEXT; that packet
//	                                counts too when it is handshake and carries more
//	                                than TEXT (a Finished coalesced with a request)
func Evaluate(expr string, tr *engine.Trace, at int) (string, error) {
	f := strings.Fields(expr)
	bad := fmt.Errorf("answer %q: unknown expression (see the lessons README)", expr)
	if len(f) < 3 {
		return "", bad
	}
	ev := &tr.Events[at]
	when := ev.At
	if ev.Kind == engine.EventSegment && ev.Segment.Fate == engine.Delivered {
		when = ev.Segment.Arrive
	}
	carrying := func(text, from string) *engine.SegmentEvent {
		for _, s := range tr.Segments() {
			if strings.Contains(s.Label, text) && (from == "" || s.Src == from) {
				return s
			}
		}
		return nil
	}
	switch {
	case f[0] == "round" && f[1] == "trips" && len(f) >= 5 && f[2] == "until" && f[len(f)-1] == "arrives":
		words, from := f[3:len(f)-1], ""
		if n := len(words); n >= 3 && words[n-2] == "from" {
			words, from = words[:n-2], words[n-1]
		}
		text := strings.Join(words, " ")
		s := carrying(text, from)
		if s == nil || tr.Meta.RTT <= 0 {
			return "", fmt.Errorf("answer %q: no packet carries %q", expr, text)
		}
		rtts := float64(s.Arrive.Sub(0)) / float64(tr.Meta.RTT)
		return strconv.FormatFloat(float64(int64(rtts*10+0.5))/10, 'f', -1, 64), nil
	case f[0] == "packets" && f[1] == "before" && len(f) >= 3:
		text := strings.Join(f[2:], " ")
		target := carrying(text, "")
		if target == nil {
			return "", fmt.Errorf("answer %q: no packet carries %q", expr, text)
		}
		n := 0
		for _, s := range tr.Segments() {
			if s == target {
				if s.Handshake && s.Label != text {
					n++ // it also carries handshake messages: it is one of them
				}
				break
			}
			if s.Handshake {
				n++
			}
		}
		return strconv.Itoa(n), nil
	case f[0] == "state" && f[2] == "after" && len(f) == 3:
		state := engine.Closed
		for i := range tr.Events {
			e := &tr.Events[i]
			if e.At > when {
				break // everything that happened at that instant counts
			}
			if e.Kind == engine.EventState && e.Endpoint == f[1] && mainPeer(e) {
				state = e.To
			}
		}
		return state.String(), nil
	case f[0] == "flags" && f[1] == "next" && len(f) == 3:
		for i := at + 1; i < len(tr.Events); i++ {
			e := &tr.Events[i]
			if e.Kind == engine.EventSegment && e.Segment.Src == f[2] {
				return strings.Join(e.Segment.Seg.Flags.Names(), " "), nil
			}
		}
		return "", fmt.Errorf("answer %q: %s sends nothing after the anchor", expr, f[2])
	case f[0] == "result" && f[1] == "next" && len(f) == 4:
		for i := at; i < len(tr.Events); i++ {
			e := &tr.Events[i]
			if e.Kind == engine.EventApp && e.Endpoint == f[2] && e.Call == f[3] && e.Result != "pending" {
				return e.Result, nil
			}
		}
		return "", fmt.Errorf("answer %q: no such call after the anchor", expr)
	case f[0] == "count" && f[1] == "segments" && len(f) == 4 && f[2] == "from":
		n := 0
		for _, s := range tr.Segments() {
			if s.Src == f[3] {
				n++
			}
		}
		return strconv.Itoa(n), nil
	case f[0] == "seconds" && f[1] == "until" && len(f) == 4:
		for i := at; i < len(tr.Events); i++ {
			e := &tr.Events[i]
			if e.Kind == engine.EventState && e.Endpoint == f[2] && e.To.String() == f[3] && mainPeer(e) {
				d := e.At.Sub(ev.At)
				return strconv.FormatFloat(d.Round(time.Millisecond).Seconds(), 'f', -1, 64), nil
			}
		}
		return "", fmt.Errorf("answer %q: %s never enters %s after the anchor", expr, f[2], f[3])
	}
	return "", bad
}

// Resolved is a step or question placed on a run: Event is the trace index (-1 when the
// reader's parameters removed that event).
type Resolved struct {
	Event  int
	Answer string
}

// Resolve places the lesson's steps and questions on a run with any parameters.
func (l *Lesson) Resolve(tr *engine.Trace) (steps, questions []Resolved) {
	for _, st := range l.Steps {
		i, err := st.Anchor.resolveFirst(tr)
		if err != nil {
			i = -1
		}
		steps = append(steps, Resolved{Event: i})
	}
	for _, q := range l.Questions {
		i, err := q.Anchor.resolveFirst(tr)
		r := Resolved{Event: -1}
		if err == nil {
			if ans, err := Evaluate(q.Answer, tr, i); err == nil {
				r = Resolved{Event: i, Answer: ans}
			}
		}
		questions = append(questions, r)
	}
	return steps, questions
}

// Fill replaces placeholders in narration with values from the anchored event, so the
// numbers a lesson quotes are the run's own: {seq}, {ack}, {cookie.isn},
// {cookie.client_isn}, {cookie.hash1}, {cookie.counter}, {cookie.hash2},
// {cookie.mss_index}, {cookie.mss}, {cookie.hash1_plus_isn}.
func Fill(text string, tr *engine.Trace, at int) string {
	if at < 0 || !strings.Contains(text, "{") {
		return text
	}
	e := &tr.Events[at]
	if e.Kind != engine.EventSegment {
		return text
	}
	s := e.Segment
	u := func(v uint32) string { return strconv.FormatUint(uint64(v), 10) }
	pairs := []string{"{seq}", u(uint32(s.Seg.Seq)), "{ack}", u(uint32(s.Seg.Ack))}
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
			"{cookie.low24}", fmt.Sprintf("%06x", uint32(c.ISN-c.ClientISN-engine.Seq(c.Hash1))&0xFFFFFF),
			"{cookie.top8}", u((uint32(c.ISN-c.ClientISN-engine.Seq(c.Hash1)))>>24),
		)
	}
	return strings.NewReplacer(pairs...).Replace(text)
}
