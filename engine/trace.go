package engine

import (
	"bytes"
	"io"
	"iter"
	"strconv"
	"time"

	"synack/engine/tcp"
)

// Endpoint describes one participant in a simulation.
type EndpointInfo struct {
	Name string `json:"name"`
	Addr string `json:"addr"`
	Role string `json:"role"` // "client", "server", "attacker"
}

// Meta describes the run that produced a trace.
type Meta struct {
	Scenario  string         `json:"scenario"`
	Profile   string         `json:"profile"`
	Seed      uint64         `json:"seed"`
	RTT       time.Duration  `json:"-"`
	Endpoints []EndpointInfo `json:"endpoints"`
	// KeyLog is the NSS key log of TLS or QUIC connections the trace carries, so a
	// capture can embed it; empty for plain TCP.
	KeyLog string `json:"-"`
}

// Trace is the ordered record of a simulation: the spine from which every view is drawn.
// Events are appended with Append and read back with Len, Event, All, Events, Scan or
// Load; the trace keeps them in a compact form (see tracestore.go), so a flood's millions
// of events cost the garbage collector nothing to keep.
type Trace struct {
	Meta  Meta
	store traceStore
}

// Len returns the number of events.
func (tr *Trace) Len() int { return tr.store.events.n }

// Event returns event i (0 <= i < Len()). The event and its Segment are the caller's
// own; the segment's options and payload are shared and must not be modified.
func (tr *Trace) Event(i int) tcp.Event {
	var e tcp.Event
	if tr.store.events.at(i).kind != tcp.EventSegment {
		tr.store.load(i, &e, nil, nil)
		return e
	}
	ev := new(segmentEventWithCookie)
	tr.store.load(i, &e, &ev.SegmentEvent, &ev.cookie)
	return e
}

// segmentEventWithCookie puts a loaded segment event and its cookie in one allocation.
type segmentEventWithCookie struct {
	tcp.SegmentEvent
	cookie tcp.Cookie
}

// All iterates over the events in order, each as Event(i) returns it.
func (tr *Trace) All() iter.Seq2[int, tcp.Event] {
	return func(yield func(int, tcp.Event) bool) {
		for i := 0; i < tr.Len(); i++ {
			if !yield(i, tr.Event(i)) {
				return
			}
		}
	}
}

// Scan iterates over the events in order without a copy per event: the *Event (and its
// Segment) is the same storage at every step, overwritten by the next one, so the loop
// body must not keep it. The writers stream a million-event trace this way.
func (tr *Trace) Scan() iter.Seq2[int, *tcp.Event] {
	return func(yield func(int, *tcp.Event) bool) {
		var buf EventBuf
		for i := 0; i < tr.Len(); i++ {
			if !yield(i, tr.Load(i, &buf)) {
				return
			}
		}
	}
}

// EventBuf is room for one event read with Load: reading a trace through one EventBuf
// allocates nothing.
type EventBuf struct {
	e   tcp.Event
	seg tcp.SegmentEvent
	ck  tcp.Cookie
}

// Load reads event i into buf and returns it. The event, its Segment and its Cookie live
// in buf: the next Load into the same buf overwrites them.
func (tr *Trace) Load(i int, buf *EventBuf) *tcp.Event {
	tr.store.load(i, &buf.e, &buf.seg, &buf.ck)
	return &buf.e
}

// Events returns the events from..to-1 as a new slice (for views of small traces that
// walk the events many times).
func (tr *Trace) Events(from, to int) []tcp.Event {
	if to <= from {
		return nil
	}
	st := &tr.store
	nseg, nck := 0, 0
	for i := from; i < to; i++ {
		if r := st.events.at(i); r.kind == tcp.EventSegment {
			nseg++
			if st.segs.at(int(r.idx)).cookie != 0 {
				nck++
			}
		}
	}
	// Three allocations, however many events.
	out := make([]tcp.Event, to-from)
	segs := make([]tcp.SegmentEvent, nseg)
	cks := make([]tcp.Cookie, nck)
	var spare tcp.Cookie
	for i := range out {
		if st.events.at(from+i).kind != tcp.EventSegment {
			st.load(from+i, &out[i], nil, nil)
			continue
		}
		ck := &spare
		if len(cks) > 0 {
			ck = &cks[0]
		}
		st.load(from+i, &out[i], &segs[0], ck)
		if out[i].Segment.Cookie != nil {
			cks = cks[1:]
		}
		segs = segs[1:]
	}
	return out
}

// Append records e at the end of the trace. A segment event keeps At and Segment (which
// is copied: the caller may reuse it); every other kind keeps its fields but Segment.
// The compact form keeps a segment's ID and DupOf in 32 bits (the engine numbers
// segments from 1, and a simulation stops at MaxSimEvents).
func (tr *Trace) Append(e tcp.Event) { tr.store.add(&e) }

// setArrive changes when segment event i arrives (a segment held back for reordering).
func (tr *Trace) setArrive(i int, at tcp.Time) {
	r := tr.store.events.at(i)
	tr.store.segs.at(int(r.idx)).arrive = at
}

// Segments returns the segment events in order.
func (tr *Trace) Segments() []*tcp.SegmentEvent {
	st := &tr.store
	if st.segs.n == 0 {
		return nil
	}
	segs := make([]*tcp.SegmentEvent, 0, st.segs.n)
	store := make([]tcp.SegmentEvent, st.segs.n)
	cks := make([]tcp.Cookie, st.cookies.n)
	var e tcp.Event
	var spare tcp.Cookie
	for i := range tr.Len() {
		if st.events.at(i).kind != tcp.EventSegment {
			continue
		}
		ck := &spare
		if len(cks) > 0 {
			ck = &cks[0]
		}
		st.load(i, &e, &store[len(segs)], ck)
		if e.Segment.Cookie != nil {
			cks = cks[1:]
		}
		segs = append(segs, e.Segment)
	}
	return segs
}

// End returns the time of the last event (or last arrival, whichever is later).
func (tr *Trace) End() tcp.Time {
	var end tcp.Time
	for i := 0; i < tr.Len(); i++ {
		r := tr.store.events.at(i)
		end = max(end, r.at)
		if r.kind == tcp.EventSegment {
			end = max(end, tr.store.segs.at(int(r.idx)).arrive)
		}
	}
	return end
}

// appendMetaJSON appends the trace's meta line: {"t":"meta",...}.
func (tr *Trace) appendMetaJSON(b []byte) []byte {
	b = append(b, `{"t":"meta"`...)
	b = appendStr(b, "scenario", tr.Meta.Scenario)
	b = appendStr(b, "profile", tr.Meta.Profile)
	b = append(b, `,"seed":`...)
	b = strconv.AppendUint(b, tr.Meta.Seed, 10)
	b = appendInt(b, "rtt_us", int64(tr.Meta.RTT/time.Microsecond))
	b = append(b, `,"endpoints":[`...)
	for i, ep := range tr.Meta.Endpoints {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = strconv.AppendQuote(b, ep.Name)
		b = appendStr(b, "addr", ep.Addr)
		b = appendStr(b, "role", ep.Role)
		b = append(b, '}')
	}
	b = append(b, "]}"...)
	return b
}

// JSONLines returns the whole trace as JSON lines: the meta line, then one line per event.
func (tr *Trace) JSONLines() []byte {
	var b bytes.Buffer
	b.Grow(200 * (tr.Len() + 1))
	tr.WriteJSONLines(&b)
	return b.Bytes()
}

// WriteJSONLines writes what JSONLines returns, a buffer at a time, so a million-event
// trace is never in memory twice.
func (tr *Trace) WriteJSONLines(w io.Writer) error {
	b := make([]byte, 0, 64<<10)
	b = tr.appendMetaJSON(b)
	b = append(b, '\n')
	for _, e := range tr.Scan() {
		b = e.AppendJSON(b)
		b = append(b, '\n')
		if len(b) > 60<<10 {
			if _, err := w.Write(b); err != nil {
				return err
			}
			b = b[:0]
		}
	}
	_, err := w.Write(b)
	return err
}

func appendStr(b []byte, key, v string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return strconv.AppendQuote(b, v)
}

func appendInt(b []byte, key string, v int64) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return strconv.AppendInt(b, v, 10)
}
