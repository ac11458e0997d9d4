package engine

import (
	"bytes"
	"encoding/hex"
	"io"
	"iter"
	"net/netip"
	"strconv"
	"time"
)

// EventKind says what an Event records.
type EventKind uint8

// The kinds of trace event.
const (
	_            EventKind = iota
	EventSegment           // a segment was sent (and what became of it)
	EventState             // a connection changed state
	EventApp               // an application call returned (or was made)
	EventTimer             // a timer was set, fired or cancelled
	EventNote              // something worth explaining that is none of the above
	EventQueue             // a listener's SYN queue or accept queue changed length
)

var eventKindNames = [...]string{"", "segment", "state", "app", "timer", "note", "queue"}

// String returns the kind's JSON name.
func (k EventKind) String() string {
	if int(k) < len(eventKindNames) {
		return eventKindNames[k]
	}
	return "unknown"
}

// Fate is what the network did with a segment.
type Fate uint8

// The fates of a segment.
const (
	Delivered Fate = iota // it arrived at Event.Segment.Arrive
	Dropped               // the link lost it (a fault directive or random loss)
	Unrouted              // no endpoint owns the destination address (a spoofed source)
)

var fateNames = [...]string{"delivered", "dropped", "unrouted"}

// String returns the fate's JSON name.
func (f Fate) String() string { return fateNames[f] }

// TimerKind names a TCP timer.
type TimerKind uint8

// The timers the engine runs.
const (
	_               TimerKind = iota
	TimerRTO                  // retransmission of SYN, SYN-ACK, data or FIN (RFC 6298)
	TimerDelayedACK           // delayed acknowledgement (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2)
	TimerTimeWait             // TIME-WAIT's 2MSL (RFC 9293 §3.4.2) or Linux's fixed 60 s
	TimerFinWait2             // orphaned FIN-WAIT-2 (Linux tcp_fin_timeout)
	TimerKeepalive            // keep-alive probes on an idle connection (RFC 1122 §4.2.3.6, SO_KEEPALIVE)
	TimerPersist              // zero-window probes (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17; Linux ICSK_TIME_PROBE0)
)

var timerNames = [...]string{"", "RTO", "DELACK", "TIME-WAIT", "FIN-WAIT-2", "KEEPALIVE", "PERSIST"}

// String returns the timer's name as it appears in the trace.
func (k TimerKind) String() string { return timerNames[k] }

// TimerAction is what happened to a timer.
type TimerAction uint8

// The timer actions.
const (
	TimerSet TimerAction = iota
	TimerFired
	TimerCancelled
)

var timerActionNames = [...]string{"set", "fired", "cancelled"}

// String returns the action's JSON name.
func (a TimerAction) String() string { return timerActionNames[a] }

// SegmentEvent describes one sent segment.
type SegmentEvent struct {
	ID         int    // 1-based, in order of sending across the whole simulation
	Src, Dst   string // endpoint names, e.g. "client", "server", "attacker-1"
	Seg        Segment
	Fate       Fate
	Arrive     Time   // when it arrived (Delivered) or would have (Dropped)
	Retransmit bool   // the sender sent this sequence range before
	Fault      string // the fault directive that touched it: "drop", "duplicate", "delay", "reorder", "loss"
	DupOf      int    // for a duplicate made by the link: the ID of the original
	Cookie     *Cookie
	// Label names what the segment carries at the application layer, e.g. "ClientHello"
	// or "Initial[CRYPTO]"; empty for plain TCP.
	Label string
	// Handshake marks a segment that carries part of a handshake: TCP's SYN, SYN-ACK and
	// the ACK that completes it, or bytes of a TLS/QUIC handshake message. Whoever puts
	// the payload on the wire knows this exactly (carry does); views read the mark
	// instead of guessing from the label.
	Handshake bool
}

// AppMark is what the application above a segment says about it: what it carries and
// whether that is handshake.
type AppMark struct {
	Label     string
	Handshake bool
}

// Event is one entry of a trace. Kind says which fields are meaningful.
type Event struct {
	Kind     EventKind
	At       Time
	Endpoint string // the endpoint the event happened at (not for segments)
	Peer     string // the remote endpoint's name, for connection events; "" for a listener

	Segment *SegmentEvent // EventSegment

	From, To State  // EventState
	Cause    string // EventState: why, in a few words

	Call   string // EventApp: "listen", "connect", "send", "close", ...
	Result string // EventApp: "ok", "pending", "ETIMEDOUT", ...
	Bytes  int    // EventApp: bytes written or read

	Timer    TimerKind     // EventTimer
	Action   TimerAction   // EventTimer
	Deadline Time          // EventTimer: when it fires
	Duration time.Duration // EventTimer: how long it runs

	Note   string // EventNote: a stable key such as "challenge-ack", text is the view's job
	Detail string // EventNote and EventApp: free detail in English for logs and tests

	SynQueue, AcceptQueue, Backlog int // EventQueue
}

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
func (tr *Trace) Event(i int) Event {
	var e Event
	if tr.store.events.at(i).kind != EventSegment {
		tr.store.load(i, &e, nil, nil)
		return e
	}
	ev := new(segmentEventWithCookie)
	tr.store.load(i, &e, &ev.SegmentEvent, &ev.cookie)
	return e
}

// segmentEventWithCookie puts a loaded segment event and its cookie in one allocation.
type segmentEventWithCookie struct {
	SegmentEvent
	cookie Cookie
}

// All iterates over the events in order, each as Event(i) returns it.
func (tr *Trace) All() iter.Seq2[int, Event] {
	return func(yield func(int, Event) bool) {
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
func (tr *Trace) Scan() iter.Seq2[int, *Event] {
	return func(yield func(int, *Event) bool) {
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
	e   Event
	seg SegmentEvent
	ck  Cookie
}

// Load reads event i into buf and returns it. The event, its Segment and its Cookie live
// in buf: the next Load into the same buf overwrites them.
func (tr *Trace) Load(i int, buf *EventBuf) *Event {
	tr.store.load(i, &buf.e, &buf.seg, &buf.ck)
	return &buf.e
}

// Events returns the events from..to-1 as a new slice (for views of small traces that
// walk the events many times).
func (tr *Trace) Events(from, to int) []Event {
	if to <= from {
		return nil
	}
	st := &tr.store
	nseg, nck := 0, 0
	for i := from; i < to; i++ {
		if r := st.events.at(i); r.kind == EventSegment {
			nseg++
			if st.segs.at(int(r.idx)).cookie != 0 {
				nck++
			}
		}
	}
	// Three allocations, however many events.
	out := make([]Event, to-from)
	segs := make([]SegmentEvent, nseg)
	cks := make([]Cookie, nck)
	var spare Cookie
	for i := range out {
		if st.events.at(from+i).kind != EventSegment {
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
func (tr *Trace) Append(e Event) { tr.store.add(&e) }

// setArrive changes when segment event i arrives (a segment held back for reordering).
func (tr *Trace) setArrive(i int, at Time) {
	r := tr.store.events.at(i)
	tr.store.segs.at(int(r.idx)).arrive = at
}

// Segments returns the segment events in order.
func (tr *Trace) Segments() []*SegmentEvent {
	st := &tr.store
	if st.segs.n == 0 {
		return nil
	}
	segs := make([]*SegmentEvent, 0, st.segs.n)
	store := make([]SegmentEvent, st.segs.n)
	cks := make([]Cookie, st.cookies.n)
	var e Event
	var spare Cookie
	for i := range tr.Len() {
		if st.events.at(i).kind != EventSegment {
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
func (tr *Trace) End() Time {
	var end Time
	for i := 0; i < tr.Len(); i++ {
		r := tr.store.events.at(i)
		end = max(end, r.at)
		if r.kind == EventSegment {
			end = max(end, tr.store.segs.at(int(r.idx)).arrive)
		}
	}
	return end
}

// AppendJSON appends the event's JSON object (no trailing newline) to b. Field order is
// fixed so that traces are byte-identical run to run.
func (e *Event) AppendJSON(b []byte) []byte {
	b = append(b, `{"t":"`...)
	b = append(b, e.Kind.String()...)
	b = append(b, `","at_us":`...)
	b = strconv.AppendInt(b, int64(e.At), 10)
	switch e.Kind {
	case EventSegment:
		s := e.Segment
		b = append(b, `,"id":`...)
		b = strconv.AppendInt(b, int64(s.ID), 10)
		b = appendStr(b, "src", s.Src)
		b = appendStr(b, "dst", s.Dst)
		b = appendAddr(b, "src_ip", s.Seg.Src)
		b = appendInt(b, "sport", int64(s.Seg.SrcPort))
		b = appendAddr(b, "dst_ip", s.Seg.Dst)
		b = appendInt(b, "dport", int64(s.Seg.DstPort))
		if s.Seg.UDP {
			b = appendStr(b, "proto", "udp")
		}
		b = append(b, `,"flags":[`...)
		first := true
		for _, o := range flagOrder {
			if s.Seg.Flags&o.f != 0 {
				if !first {
					b = append(b, ',')
				}
				b = strconv.AppendQuote(b, o.name)
				first = false
			}
		}
		b = append(b, ']')
		b = appendInt(b, "seq", int64(s.Seg.Seq))
		b = appendInt(b, "ack", int64(s.Seg.Ack))
		b = appendInt(b, "len", int64(len(s.Seg.Payload)))
		b = appendInt(b, "win", int64(s.Seg.Window))
		b = append(b, `,"options":[`...)
		for i, o := range s.Seg.Options {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendOptionJSON(b, o)
		}
		b = append(b, ']')
		b = appendStr(b, "fate", s.Fate.String())
		b = appendInt(b, "arrive_us", int64(s.Arrive))
		if s.Retransmit {
			b = append(b, `,"retransmit":true`...)
		}
		if s.Fault != "" {
			b = appendStr(b, "fault", s.Fault)
		}
		if s.DupOf != 0 {
			b = appendInt(b, "dup_of", int64(s.DupOf))
		}
		if s.Label != "" {
			b = appendStr(b, "label", s.Label)
		}
		if s.Handshake {
			b = append(b, `,"handshake":true`...)
		}
		if c := s.Cookie; c != nil {
			b = append(b, `,"cookie":{`...)
			b = append(b, `"isn":`...)
			b = strconv.AppendUint(b, uint64(c.ISN), 10)
			b = appendInt(b, "hash1", int64(c.Hash1))
			b = appendInt(b, "client_isn", int64(c.ClientISN))
			b = appendInt(b, "counter", int64(c.Counter))
			b = appendInt(b, "hash2", int64(c.Hash2))
			b = appendInt(b, "mss_index", int64(c.MSSIndex))
			b = appendInt(b, "mss", int64(c.MSS))
			if c.TSBits != 0 || c.HasTS {
				b = appendInt(b, "ts_bits", int64(c.TSBits))
			}
			b = append(b, '}')
		}
	case EventState:
		b = appendStr(b, "endpoint", e.Endpoint)
		b = appendStr(b, "peer", e.Peer)
		b = appendStr(b, "from", e.From.String())
		b = appendStr(b, "to", e.To.String())
		b = appendStr(b, "cause", e.Cause)
	case EventApp:
		b = appendStr(b, "endpoint", e.Endpoint)
		b = appendStr(b, "peer", e.Peer)
		b = appendStr(b, "call", e.Call)
		b = appendStr(b, "result", e.Result)
		if e.Bytes != 0 {
			b = appendInt(b, "bytes", int64(e.Bytes))
		}
		if e.Detail != "" {
			b = appendStr(b, "detail", e.Detail)
		}
	case EventTimer:
		b = appendStr(b, "endpoint", e.Endpoint)
		b = appendStr(b, "peer", e.Peer)
		b = appendStr(b, "timer", e.Timer.String())
		b = appendStr(b, "action", e.Action.String())
		b = appendInt(b, "deadline_us", int64(e.Deadline))
		b = appendInt(b, "duration_us", int64(e.Duration/time.Microsecond))
	case EventNote:
		b = appendStr(b, "endpoint", e.Endpoint)
		b = appendStr(b, "peer", e.Peer)
		b = appendStr(b, "note", e.Note)
		if e.Detail != "" {
			b = appendStr(b, "detail", e.Detail)
		}
	case EventQueue:
		b = appendStr(b, "endpoint", e.Endpoint)
		b = appendInt(b, "syn_queue", int64(e.SynQueue))
		b = appendInt(b, "accept_queue", int64(e.AcceptQueue))
		b = appendInt(b, "backlog", int64(e.Backlog))
	}
	return append(b, '}')
}

// AppendMetaJSON appends the trace's meta line: {"t":"meta",...}.
func (tr *Trace) AppendMetaJSON(b []byte) []byte {
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
	b = tr.AppendMetaJSON(b)
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

// appendAddr appends key and the address as its String would write it, without a string.
func appendAddr(b []byte, key string, a netip.Addr) []byte {
	if !a.IsValid() || a.Zone() != "" {
		return appendStr(b, key, a.String())
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':', '"')
	b = a.AppendTo(b)
	return append(b, '"')
}

func appendInt(b []byte, key string, v int64) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return strconv.AppendInt(b, v, 10)
}

// optionJSONName is the name an option kind has in the JSON trace.
func optionJSONName(k OptionKind) string {
	switch k {
	case OptEOL:
		return "eol"
	case OptNOP:
		return "nop"
	case OptMSS:
		return "mss"
	case OptWindowScale:
		return "wscale"
	case OptSACKPermitted:
		return "sackOK"
	case OptSACK:
		return "sack"
	case OptTimestamps:
		return "TS"
	case OptFastOpen:
		return "FO"
	}
	return "kind-" + strconv.Itoa(int(k))
}

func appendOptionJSON(b []byte, o Option) []byte {
	b = append(b, `{"kind":"`...)
	if o.Kind == OptExperimental && o.IsFastOpen() {
		b = append(b, "FOEXP"...)
	} else {
		b = append(b, optionJSONName(o.Kind)...)
	}
	b = append(b, '"')
	if o.IsFastOpen() {
		b = appendStr(b, "cookie", hex.EncodeToString(o.Cookie))
	}
	switch o.Kind {
	case OptMSS:
		b = appendInt(b, "mss", int64(o.MSS))
	case OptWindowScale:
		b = appendInt(b, "shift", int64(o.Shift))
	case OptTimestamps:
		b = appendInt(b, "val", int64(o.TSVal))
		b = appendInt(b, "ecr", int64(o.TSEcr))
	case OptSACK:
		b = append(b, `,"blocks":[`...)
		for i, blk := range o.Blocks {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = strconv.AppendUint(b, uint64(blk.Left), 10)
			b = append(b, ',')
			b = strconv.AppendUint(b, uint64(blk.Right), 10)
			b = append(b, ']')
		}
		b = append(b, ']')
	}
	b = append(b, `,"text":"`...) // the text is plain ASCII: quoting would not change it
	b = o.appendText(b)
	return append(b, '"', '}')
}
