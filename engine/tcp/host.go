package tcp

import (
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Recorder receives the events a host produces (state changes, app calls, timers, notes).
// The simulator appends them to its trace; the packetdrill runner keeps its own.
type Recorder interface {
	Record(Event)
}

// Output is a segment a host wants to send, with what the trace should say about it.
type Output struct {
	Seg        Segment
	Retransmit bool
	Cookie     *Cookie
	CC         CCSample // the sender's window when it left (zero: none)
	// SharedPayload says Seg.Payload is the host's own copy, which nothing writes
	// again: a recorder may keep it instead of copying it.
	SharedPayload bool
}

// Host is one TCP/IP stack with one IPv4 address: its listeners, its connections, its
// timers. It is sans-I/O: Input hands it a segment, Advance moves its clock, and the
// segments it wants sent pile up for TakeOutput. All methods take the current time from
// the caller through Input/Advance/At; the host never reads a clock.
type Host struct {
	Name string
	Addr netip.Addr
	Prof Profile

	rec      Recorder
	rng      *Rand
	isnKey   [2]uint64
	tsKey    [2]uint64
	cookieK1 [2]uint64
	// cookies is the rest of the chunk the next cookies are made in; cookieChunk the
	// size of the last chunk.
	cookies     []Cookie
	cookieChunk int
	cookieK2    [2]uint64
	// cookieBase offsets the minute counter so cookies do not all start at counter 0.
	cookieBase uint32

	// Names maps an address to an endpoint name for the trace ("client", "attacker-1").
	Names func(netip.Addr) string
	// TimerTrace chooses which timers appear in the trace; nil means all.
	TimerTrace func(TimerKind) bool

	now       Time
	listeners map[uint16]*Listener
	conns     map[Tuple]*Conn
	timers    timerHeap
	timerSeq  uint64
	out       []Output
	spare     []Output
	nextPort  uint16
	ipid      uint16
	// lastOverflow is when a listener last overflowed its SYN queue (Linux only checks
	// cookies in ACKs when that was recent: tcp_synq_no_recent_overflow).
	stats HostStats
	// events are what an application would notice, oldest first, until the owner pulls
	// them with NextEvent. The host never calls back into its owner.
	events []ConnEvent
	// egressDrop: the host's own queue drops every segment it sends (see SetEgressDrop).
	egressDrop bool

	// TCP Fast Open: the key the listeners' cookies are made with, and what the host
	// remembers of servers as a client (Linux tcp_metrics).
	tfoKey   [2]uint64
	tfoCache map[netip.Addr]*fastOpenMetrics
	// paySlab is the rest of the chunk the payloads of the segments sent are copied into
	// (payloadCopy); sharedNext marks the next segment emitted as carrying one; optSlab
	// is the rest of the chunk data segments' option lists are carved from (optionsCopy).
	paySlab    []byte
	sharedNext bool
	optSlab    []Option
}

// HostStats counts what a host did, for benchmarks and tests.
type HostStats struct {
	SegmentsIn, SegmentsOut, CookiesSent, CookiesAccepted, CookiesRejected, SYNsDropped int
	// EgressDropped counts segments the host's own queue dropped (SetEgressDrop).
	EgressDropped int
	// OutOfWindowICMPs counts ICMP errors about a sequence number not in flight, which
	// are ignored (Linux LINUX_MIB_OUTOFWINDOWICMPS, nstat's TcpExtOutOfWindowIcmps).
	OutOfWindowICMPs int
}

// SetEgressDrop makes the host's outgoing queue drop everything it is given, or work
// again: what Linux does with a queueing discipline that has no room (`tc qdisc add dev
// DEV root pfifo limit 0`). A data segment that cannot be queued is not sent at all: it
// stays unsent and the connection retries it from its probe timer every 500 ms
// (TCP_RESOURCE_PROBE_INTERVAL, tcp_send_probe0's local-congestion branch) without
// backing off; ACKs and other control segments are lost.
func (h *Host) SetEgressDrop(on bool) { h.egressDrop = on }

// EgressDrop reports whether the outgoing queue drops everything (SetEgressDrop).
func (h *Host) EgressDrop() bool { return h.egressDrop }

// NewHost returns a host with the given profile; rng seeds its ISN and cookie secrets.
func NewHost(name string, addr netip.Addr, prof Profile, rng *Rand, rec Recorder) *Host {
	h := &Host{
		Name: name, Addr: addr, Prof: prof, rec: rec, rng: rng,
		listeners: map[uint16]*Listener{},
		conns:     map[Tuple]*Conn{},
		nextPort:  ClientPort,
	}
	h.isnKey = rng.Key()
	h.tsKey = rng.Key()
	h.cookieK1 = rng.Key()
	h.cookieK2 = rng.Key()
	h.cookieBase = rng.Uint32()
	h.ipid = uint16(rng.Uint32())
	// The Fast Open key is derived from the cookie secrets rather than drawn, so that
	// adding it left every other draw of the seed, and every recorded trace, as it was.
	h.tfoKey = [2]uint64{sipHash24(h.cookieK1, []byte("tcp fast open")), sipHash24(h.cookieK2, []byte("tcp fast open"))}
	return h
}

// Now returns the host's current time (the last time it was handed).
func (h *Host) Now() Time { return h.now }

// At sets the host's clock before an application call. Time never goes backwards.
func (h *Host) At(now Time) {
	if now > h.now {
		h.Advance(now)
	}
}

// Stats returns the host's counters.
func (h *Host) Stats() HostStats { return h.stats }

// TakeOutput returns the segments the host has queued for sending and forgets them. The
// slice is only valid until the next call: the host reuses its storage.
func (h *Host) TakeOutput() []Output {
	out := h.out
	h.out = h.spare[:0]
	h.spare = out
	return out
}

// Conns returns the host's connections (not listeners), for tests and views.
func (h *Host) Conns() []*Conn {
	cs := make([]*Conn, 0, len(h.conns))
	for _, c := range h.conns {
		cs = append(cs, c)
	}
	return cs
}

// Conn returns the connection with the given tuple, if any.
func (h *Host) Conn(t Tuple) *Conn { return h.conns[t] }

// Listener returns the listener on port, if any.
func (h *Host) Listener(port uint16) *Listener { return h.listeners[port] }

// Listeners returns the host's listeners, by port.
func (h *Host) Listeners() []*Listener {
	ls := make([]*Listener, 0, len(h.listeners))
	for _, l := range h.listeners {
		ls = append(ls, l)
	}
	slices.SortFunc(ls, func(a, b *Listener) int { return int(a.Port) - int(b.Port) })
	return ls
}

func (h *Host) record(e Event) {
	if h.rec != nil {
		h.rec.Record(e)
	}
}

func (h *Host) traceTimer(k TimerKind) bool {
	return h.rec != nil && (h.TimerTrace == nil || h.TimerTrace(k))
}

// Note records a note at the host: key is a stable name a view explains, detail free
// English for logs. The application above the endpoint uses it to say what it decided.
func (h *Host) Note(peer, key, detail string) { h.note(peer, key, detail) }

func (h *Host) note(peer, key, detail string) {
	h.record(Event{Kind: EventNote, At: h.now, Endpoint: h.Name, Peer: peer, Note: key, Detail: detail})
}

func (h *Host) app(peer, call string, err error, n int, detail string) {
	h.record(Event{Kind: EventApp, At: h.now, Endpoint: h.Name, Peer: peer, Call: call,
		Result: errnoOf(err), Bytes: n, Detail: detail})
}

func (h *Host) peerName(a netip.Addr) string {
	if h.Names != nil {
		return h.Names(a)
	}
	return a.String()
}

// emit queues a segment for sending.
func (h *Host) emit(seg Segment, retransmit bool, cookie *Cookie) {
	shared := h.sharedNext && seg.Payload != nil
	h.sharedNext = false
	if h.egressDrop {
		h.stats.EgressDropped++
		return
	}
	h.ipid++
	seg.IPID = h.ipid
	if seg.TTL == 0 {
		seg.TTL = 64
	}
	h.stats.SegmentsOut++
	h.out = append(h.out, Output{Seg: seg, Retransmit: retransmit, Cookie: cookie, SharedPayload: shared})
}

// isn returns an initial sequence number as RFC 6528 §3 describes: a 4 µs clock M plus a
// keyed hash F of the connection's addresses and ports.
func (h *Host) isn(t Tuple) Seq {
	m := uint32(h.now / 4)
	return Seq(m + tupleHash(h.isnKey, t, 0))
}

// tsOffset returns the random per-connection offset of the timestamp clock (Linux keys it
// by the address pair, secure_tcp_ts_off).
func (h *Host) tsOffset(t Tuple) uint32 { return tupleHash(h.tsKey, t, 1) }

// tsClock returns the 1 kHz timestamp clock (RFC 7323 §5.4; Linux uses milliseconds).
func (h *Host) tsClock() uint32 { return uint32(h.now / 1000) }

// Input processes one arriving segment.
func (h *Host) Input(now Time, seg Segment) {
	h.At(now)
	h.stats.SegmentsIn++
	if h.Prof.MD5Unexpected {
		if _, ok := seg.Options.Find(OptMD5); ok {
			h.note("", "md5-unexpected", "segment signed with TCP MD5 (RFC 2385) and no key: dropped")
			return
		}
	}
	t := seg.Tuple()
	if c := h.conns[t]; c != nil {
		c.input(seg)
		return
	}
	if l := h.listeners[seg.DstPort]; l != nil {
		l.input(seg)
		return
	}
	h.resetForNoSocket(seg, "no socket")
}

// ConnEvent is one thing an application would notice on a connection (or, for
// ConnAcceptable, on the listener that holds it).
type ConnEvent struct {
	Conn *Conn
	Kind ConnEventKind
}

// NextEvent returns the oldest event the host has not handed out yet, and false when
// there is none. The owner calls it until it reports false after each call into the host
// (Input, Advance, an application call), as quic-go's CryptoSetup.NextEvent is used.
func (h *Host) NextEvent() (ConnEvent, bool) {
	if len(h.events) == 0 {
		return ConnEvent{}, false
	}
	e := h.events[0]
	h.events[0] = ConnEvent{}
	h.events = h.events[1:]
	if len(h.events) == 0 {
		h.events = h.events[:0:0]
	}
	return e, true
}

func (h *Host) queueConnEvent(c *Conn, k ConnEventKind) {
	h.events = append(h.events, ConnEvent{Conn: c, Kind: k})
}

// allocPort returns a free ephemeral port.
func (h *Host) allocPort(raddr netip.Addr, rport uint16) uint16 {
	for i := 0; i < 65536; i++ {
		p := h.nextPort
		h.nextPort++
		if h.nextPort == 0 {
			h.nextPort = 32768
		}
		t := Tuple{LocalAddr: h.Addr, LocalPort: p, RemoteAddr: raddr, RemotePort: rport}
		if h.conns[t] == nil && h.listeners[p] == nil {
			return p
		}
	}
	return 0
}

// Listen opens a passive socket on port with the given backlog (capped at Somaxconn, as
// listen(2) does).
func (h *Host) Listen(port uint16, backlog int) (*Listener, error) {
	if h.listeners[port] != nil {
		h.app("", "listen", EADDRINUSE, 0, "")
		return nil, EADDRINUSE
	}
	if backlog > h.Prof.Somaxconn {
		backlog = h.Prof.Somaxconn
	}
	if backlog < 0 {
		backlog = 0
	}
	l := &Listener{h: h, Port: port, Backlog: backlog, synq: map[Tuple]*Conn{}}
	// Linux inet_listen: with TFO_SERVER_WO_SOCKOPT1 a listener gets a Fast Open queue.
	l.anyFastOpen = h.Prof.FastOpen&(FastOpenServer|FastOpenServerAnyListener) == FastOpenServer|FastOpenServerAnyListener
	h.listeners[port] = l
	h.app("", "listen", nil, 0, "")
	h.record(Event{Kind: EventState, At: h.now, Endpoint: h.Name, From: Closed, To: Listen, Cause: "passive OPEN (listen)"})
	return l, nil
}

// Connect opens an active connection from localPort (0: pick an ephemeral port) to
// raddr:rport and sends the SYN. The result arrives later: watch the connection's state
// and Err, or the trace's app event.
func (h *Host) Connect(localPort uint16, raddr netip.Addr, rport uint16) (*Conn, error) {
	return h.ConnectMaxSeg(localPort, raddr, rport, 0)
}

// ConnectMaxSeg is Connect on a socket whose TCP_MAXSEG was set to maxSeg (0: not set).
func (h *Host) ConnectMaxSeg(localPort uint16, raddr netip.Addr, rport uint16, maxSeg uint16) (*Conn, error) {
	return h.ConnectOpts(localPort, raddr, rport, SockOpts{MaxSeg: maxSeg})
}

// SockOpts are the socket options set before connect() that shape the handshake.
type SockOpts struct {
	MaxSeg uint16 // TCP_MAXSEG (0: not set)
	// TOS and PMTUDisc are IP_TOS and IP_MTU_DISCOVER (see Conn.SetTOS, SetPMTUDisc);
	// the zero value of PMTUDisc is not the default, so HasPMTUDisc says it was set.
	TOS         uint8
	PMTUDisc    PMTUDisc
	HasPMTUDisc bool
	// RecvSpace is the receive buffer space the application asked for (SO_RCVBUF, in
	// the bytes TCP may advertise; 0: the profile's). It sets the window of the SYN and
	// the window scale offered (see Conn.SetRecvSpace).
	RecvSpace uint32
}

// ConnectOpts is Connect on a socket with the options o set.
func (h *Host) ConnectOpts(localPort uint16, raddr netip.Addr, rport uint16, o SockOpts) (*Conn, error) {
	if localPort == 0 {
		localPort = h.allocPort(raddr, rport)
	}
	t := Tuple{LocalAddr: h.Addr, LocalPort: localPort, RemoteAddr: raddr, RemotePort: rport}
	if old := h.conns[t]; old != nil {
		h.app(h.peerName(raddr), "connect", EADDRINUSE, 0, "")
		return nil, EADDRINUSE
	}
	c := h.newConn(t, Closed)
	c.connectPending = true
	c.userMSS = o.MaxSeg
	c.rcvSpace = o.RecvSpace
	o.applyIP(c)
	h.record(Event{Kind: EventApp, At: h.now, Endpoint: h.Name, Peer: c.peer, Call: "connect", Result: "pending"})
	c.activeOpen()
	return c, nil
}

// newConn creates the TCB for t in its birth state: CLOSED for an active open (which
// setState then moves to SYN-SENT, recorded), or LISTEN for a connection a listener
// spawns (RFC 9293 §3.10.7.2) or turns active (§3.10.2, SEND in LISTEN). The birth state
// is deliberately not recorded: the TCB is a copy of the listening one, whose LISTEN the
// trace already shows, and the first recorded change is LISTEN → SYN-RECEIVED (or
// SYN-SENT). Every later change goes through setState.
func (h *Host) newConn(t Tuple, born State) *Conn {
	c := &Conn{h: h, tuple: t, peer: h.peerName(t.RemoteAddr), state: born}
	c.rto = h.Prof.InitialRTO
	c.rcvBufSize = h.Prof.RecvWindow
	c.pmtuDisc = PMTUDiscWant
	h.conns[t] = c
	return c
}

// Reboot is the host crashing and coming back up: every connection is forgotten at once,
// with nothing sent, and shown as CLOSED; its listeners are up again. A segment that
// later arrives for a forgotten connection meets no socket and is answered with a RST,
// which is how the peer discovers the half-open connection (RFC 9293 §3.5.1, Figure 11).
func (h *Host) Reboot() {
	cs := h.Conns()
	slices.SortFunc(cs, func(a, b *Conn) int { return strings.Compare(a.tuple.String(), b.tuple.String()) })
	h.note("", "reboot", "the host restarted: its connections are forgotten")
	for _, c := range cs {
		c.setState(Closed, "the host restarted")
		h.removeConn(c)
	}
}

// removeConn forgets a connection (its TCB is deleted).
func (h *Host) removeConn(c *Conn) {
	c.cancelAllTimers()
	if h.conns[c.tuple] == c {
		delete(h.conns, c.tuple)
	}
	c.deleted = true
}

// clampDuration bounds d to [lo, hi].
func clampDuration(d, lo, hi time.Duration) time.Duration {
	if d < lo {
		return lo
	}
	if hi > 0 && d > hi {
		return hi
	}
	return d
}

// paySlabSize is the chunk outgoing payloads are carved from: one allocation for dozens
// of segments instead of one each.
const paySlabSize = 64 << 10

// payloadCopy returns a copy of b for a segment's payload, carved from the host's slab.
// A chunk is never written again once carved, so segments keep sharing nothing that
// changes.
func (h *Host) payloadCopy(b []byte) []byte {
	if len(b) > paySlabSize/4 {
		return append([]byte(nil), b...)
	}
	if cap(h.paySlab)-len(h.paySlab) < len(b) {
		h.paySlab = make([]byte, 0, paySlabSize)
	}
	n := len(h.paySlab)
	h.paySlab = append(h.paySlab, b...)
	return h.paySlab[n : n+len(b) : n+len(b)]
}

// optSlabSize is how many options a chunk of optSlab holds.
const optSlabSize = 384

// optionsCopy returns a list of n options for one segment, carved from the host's slab
// (its capacity is n, so an append to it copies).
func (h *Host) optionsCopy(n int) Options {
	if cap(h.optSlab)-len(h.optSlab) < n {
		h.optSlab = make([]Option, 0, max(optSlabSize, n))
	}
	k := len(h.optSlab)
	h.optSlab = h.optSlab[:k+n]
	return h.optSlab[k : k+n : k+n]
}
