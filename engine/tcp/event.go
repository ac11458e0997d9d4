package tcp

import "time"

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
	// CC is the sender's congestion state when the segment left (zero Cwnd: none). The
	// JSON trace leaves it out; the time-sequence graph and the cwnd plot draw it.
	CC CCSample
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
