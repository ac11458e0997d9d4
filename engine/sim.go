package engine

import (
	"fmt"
	"net/netip"
	"time"

	"synack/engine/tcp"
)

// MaxSimEvents bounds how many trace events one simulation may produce, so no scenario,
// lesson or pasted script can run away with the server's memory.
const MaxSimEvents = 4_000_000

// DefaultHorizon is how far virtual time may run when a scenario does not say.
const DefaultHorizon = 15 * time.Minute

// Sim is a discrete-event simulation: hosts, the links between them, an event queue and a
// virtual clock that jumps from one event to the next. It is single-threaded and
// deterministic: the same setup and seed give the same trace.
type Sim struct {
	rng     *tcp.Rand
	now     tcp.Time
	trace   Trace
	hosts   []*tcp.Host
	apps    map[*tcp.Host]func(*tcp.Conn, tcp.ConnEventKind) // each host's application code (OnConn)
	socks   map[*tcp.Host]*appSockets                        // each host's socket table (Sim.sockets)
	byAddr  map[netip.Addr]*tcp.Host
	lanes   map[netip.Addr]string // addresses owned by a lane but by no host (spoofed sources)
	prefixL []prefixLane
	links   map[linkKey]*Link
	// routes caches, per destination address, its endpoint name and host (NameOf and
	// byAddr together); lastRoute is the one looked up last. Adding a host or a lane
	// clears them.
	routes    map[netip.Addr]route
	lastDst   netip.Addr
	lastRoute route
	// routeSlots, once a run has seen many addresses (a flood's spoofed sources), caches
	// routes by the address's last byte, so most lookups hash nothing.
	routeSlots *[256]routeSlot
	// paths holds, per direction, what transmit and deliver keep about it; recent holds
	// the two used last (a flood goes back and forth between two).
	paths  map[linkKey]*path
	recent [2]*path
	// DefaultLink is copied for every direction that has no link of its own.
	DefaultLink Link
	queue       simQueue
	qseq        uint64
	segID       int
	faults      []*Fault
	// Horizon stops the run when virtual time passes it.
	Horizon time.Duration
	// Truncated is set when the run stopped at the horizon or the event limit.
	Truncated string
	// Labeler, when set, says what each TCP segment carries (TLS records riding on a
	// connection) and whether it is handshake: it sees the segment event before it is
	// recorded, and must not keep it (the simulation reuses its storage).
	Labeler func(*tcp.SegmentEvent) tcp.AppMark
	// sending is the segment event transmit fills before the trace copies it.
	sending  tcp.SegmentEvent
	fifoList []*linkQueue
	// noTrace keeps only the counters (benchmarks measure the engine without the trace).
	noTrace bool
}

type prefixLane struct {
	p    netip.Prefix
	name string
}

type linkKey struct{ from, to string }

type routeSlot struct {
	addr netip.Addr
	r    route
}

// manyRoutes is how many addresses a run sees before it caches routes in routeSlots.
const manyRoutes = 16

type route struct {
	name string
	host *tcp.Host // nil for an address no host owns
}

// path is what the simulation keeps about one direction between two endpoints.
type path struct {
	key linkKey
	// names holds the trace's ids of key.from and key.to, once interned (0 before).
	names      [2]uint32
	link       *Link
	lastArrive tcp.Time // when the last in-order segment arrives: links keep order
	held       *heldSeg // a segment held back for reordering
	// q holds the direction's arrivals in time order: links keep order, so most arrivals
	// never touch the heap (a flood keeps tens of thousands of segments in flight).
	q linkQueue
	// busy is when a bottleneck's line is free again; waiting holds when each queued
	// segment starts its serialization (bottleneck.go).
	busy    tcp.Time
	waiting []tcp.Time
}

// linkQueue is a FIFO of arrivals in a ring that doubles when full and halves when
// nearly empty (an eighth full, so that a window of data that drains and refills every
// round trip does not resize it each time), so neither a push nor a pop moves the
// others.
type linkQueue struct {
	items []arrival // len is 0 or a power of two
	head  int
	n     int
}

func (q *linkQueue) peek() *arrival {
	if q.n > 0 {
		return &q.items[q.head]
	}
	return nil
}

// last returns the newest arrival, or nil.
func (q *linkQueue) last() *arrival {
	if q.n > 0 {
		return &q.items[(q.head+q.n-1)&(len(q.items)-1)]
	}
	return nil
}

func (q *linkQueue) push(e arrival) { *q.add() = e }

// add appends an arrival for the caller to fill in place.
func (q *linkQueue) add() *arrival {
	if q.n == len(q.items) {
		q.resize(max(minQueue, 2*len(q.items)))
	}
	e := &q.items[(q.head+q.n)&(len(q.items)-1)]
	q.n++
	return e
}

// pop removes the head (the caller has read it through peek).
func (q *linkQueue) pop() {
	q.items[q.head] = arrival{}
	q.head = (q.head + 1) & (len(q.items) - 1)
	q.n--
	if len(q.items) > minQueue && q.n < len(q.items)/8 {
		q.resize(len(q.items) / 2)
	}
}

func (q *linkQueue) resize(size int) {
	items := make([]arrival, size)
	for i := range q.n {
		items[i] = q.items[(q.head+i)&(len(q.items)-1)]
	}
	q.items, q.head = items, 0
}

// minQueue is the smallest ring of a linkQueue.
const minQueue = 8

type heldSeg struct {
	seg    tcp.Segment
	arrive tcp.Time
	event  int // its index in the trace, -1 if not recorded
	dst    *tcp.Host
}

// Link is one direction of the path between two endpoints.
type Link struct {
	Delay  time.Duration // one-way delay
	Jitter time.Duration // extra delay drawn uniformly from [0, Jitter) with the sim's seed
	Loss   float64       // probability of losing a segment, drawn with the sim's seed
	// Rate, when positive, makes the direction a bottleneck of that many bits per
	// second with a drop-tail queue of Queue packets (bottleneck.go).
	Rate  int64
	Queue int
}

// FaultAction is what a fault directive does to the segment it matches.
type FaultAction uint8

// The fault actions.
const (
	FaultDrop      FaultAction = iota + 1 // the segment is lost
	FaultDuplicate                        // it arrives twice
	FaultDelay                            // it arrives Delay later than it would have
	FaultReorder                          // it is held back until the next segment in its direction has arrived
)

var faultNames = [...]string{"", "drop", "duplicate", "delay", "reorder"}

// String returns the action's name ("drop", ...).
func (a FaultAction) String() string { return faultNames[a] }

// Fault is a deterministic directive for the network: do Action to the segment with the
// given ID, or to the Nth segment that matches From/Flags (every match when Nth is 0).
type Fault struct {
	Action   FaultAction
	ID       int           // match by segment ID (1-based); 0: use the matcher
	From     string        // sender name, "" for any
	Flags    tcp.Flags     // exact flags; 0 with AnyFlags for any
	AnyFlags bool          // ignore Flags
	Nth      int           // the Nth match (1-based); 0 for every match
	Delay    time.Duration // for FaultDelay
	// Match, when set, replaces From/Flags (for built-in scenarios that need more). It
	// must not keep the event it is given (the simulation reuses its storage).
	Match func(*tcp.SegmentEvent) bool
	seen  int
	done  bool
}

func (f *Fault) matches(ev *tcp.SegmentEvent) bool {
	if f.done {
		return false
	}
	if f.ID != 0 {
		if ev.ID == f.ID {
			f.done = true
			return true
		}
		return false
	}
	ok := (f.From == "" || f.From == ev.Src) && (f.AnyFlags || f.Flags == ev.Seg.Flags)
	if f.Match != nil {
		ok = f.Match(ev)
	}
	if !ok {
		return false
	}
	f.seen++
	if f.Nth == 0 {
		return true
	}
	if f.seen == f.Nth {
		f.done = true
		return true
	}
	return false
}

// simEvent is an entry of the simulation's heap: an action, or a segment that arrives out
// of its link's order (a fault delayed it).
type simEvent struct {
	at   tcp.Time
	seq  uint64
	host *tcp.Host
	fn   func()
	seg  *tcp.Segment // when fn is nil: the segment arriving at host
}

// arrival is an entry of a link's queue: a segment arriving at host, kept by value.
type arrival struct {
	at   tcp.Time
	seq  uint64
	host *tcp.Host
	seg  tcp.Segment
}

// simQueue is a binary min-heap of events by (time, insertion order), typed so that
// pushing an event does not box it.
type simQueue []simEvent

func (q simQueue) less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}

func (q *simQueue) push(e simEvent) {
	*q = append(*q, e)
	h := *q
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (q *simQueue) pop() simEvent {
	h := *q
	e := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h[n] = simEvent{}
	h = h[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && h.less(l, m) {
			m = l
		}
		if r < n && h.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	*q = h
	return e
}

// NewSim returns an empty simulation seeded with seed.
func NewSim(seed uint64) *Sim {
	s := &Sim{
		rng:     tcp.NewRand(seed),
		byAddr:  map[netip.Addr]*tcp.Host{},
		apps:    map[*tcp.Host]func(*tcp.Conn, tcp.ConnEventKind){},
		lanes:   map[netip.Addr]string{},
		links:   map[linkKey]*Link{},
		routes:  map[netip.Addr]route{},
		paths:   map[linkKey]*path{},
		Horizon: DefaultHorizon,
	}
	s.trace.Meta.Seed = seed
	return s
}

// Record appends an event to the trace (Sim is the hosts' Recorder).
func (s *Sim) Record(e tcp.Event) { s.record(e) }

// record appends an event to the trace and returns its index, or -1 when the trace is
// off or full.
func (s *Sim) record(e tcp.Event) int {
	if !s.tracing() {
		return -1
	}
	s.trace.Append(e)
	return s.trace.Len() - 1
}

// recordSegment is record for a segment event sent now on p (whose names ev carries).
func (s *Sim) recordSegment(p *path, ev *tcp.SegmentEvent) int {
	if !s.tracing() {
		return -1
	}
	st := &s.trace.store
	if p.names[0] == 0 {
		p.names = [2]uint32{st.str(p.key.from), st.str(p.key.to)}
	}
	st.addSegment(s.now, ev, p.names[0], p.names[1])
	return s.trace.Len() - 1
}

// tracing reports whether the trace takes another event.
func (s *Sim) tracing() bool {
	if s.noTrace {
		return false
	}
	if s.trace.Len() >= MaxSimEvents {
		if s.Truncated == "" {
			s.Truncated = fmt.Sprintf("stopped after %d events", MaxSimEvents)
		}
		return false
	}
	return true
}

// Now returns the virtual time.
func (s *Sim) Now() tcp.Time { return s.now }

// Rand returns the simulation's random source.
func (s *Sim) Rand() *tcp.Rand { return s.rng }

// Trace returns the trace so far.
func (s *Sim) Trace() *Trace { return &s.trace }

// AddHost creates a host with its own TCP stack.
func (s *Sim) AddHost(name string, addr netip.Addr, role string, prof tcp.Profile) *tcp.Host {
	h := tcp.NewHost(name, addr, prof, tcp.NewRand(s.rng.Uint64()), s)
	h.Names = s.NameOf
	s.hosts = append(s.hosts, h)
	s.byAddr[addr] = h
	s.forgetRoutes()
	s.trace.Meta.Endpoints = append(s.trace.Meta.Endpoints, EndpointInfo{Name: name, Addr: addr.String(), Role: role})
	return h
}

// AddLane names addresses that belong to no host (a flood's spoofed sources), so the trace
// can draw them on one lane.
func (s *Sim) AddLane(name string, p netip.Prefix, role string) {
	s.prefixL = append(s.prefixL, prefixLane{p: p, name: name})
	s.forgetRoutes()
	s.trace.Meta.Endpoints = append(s.trace.Meta.Endpoints, EndpointInfo{Name: name, Addr: p.String(), Role: role})
}

// NameOf returns the endpoint name that owns an address.
func (s *Sim) NameOf(a netip.Addr) string { return s.route(a).name }

// route returns the endpoint name and host of an address, from the cache when it can.
func (s *Sim) route(a netip.Addr) route {
	if a == s.lastDst && s.lastRoute.name != "" {
		return s.lastRoute
	}
	var slot *routeSlot
	if s.routeSlots != nil && a.Is4() {
		slot = &s.routeSlots[a.As4()[3]]
		if slot.addr == a && slot.r.name != "" {
			s.lastDst, s.lastRoute = a, slot.r
			return slot.r
		}
	}
	r, ok := s.routes[a]
	if !ok {
		r = route{name: s.nameOf(a), host: s.byAddr[a]}
		s.routes[a] = r
		if s.routeSlots == nil && len(s.routes) > manyRoutes {
			s.routeSlots = new([256]routeSlot)
		}
	}
	if slot != nil {
		*slot = routeSlot{a, r}
	}
	s.lastDst, s.lastRoute = a, r
	return r
}

func (s *Sim) forgetRoutes() {
	clear(s.routes)
	s.lastDst, s.lastRoute, s.routeSlots = netip.Addr{}, route{}, nil
}

func (s *Sim) nameOf(a netip.Addr) string {
	if h := s.byAddr[a]; h != nil {
		return h.Name
	}
	if n, ok := s.lanes[a]; ok {
		return n
	}
	for _, pl := range s.prefixL {
		if pl.p.Contains(a) {
			return pl.name
		}
	}
	return a.String()
}

// Host returns the host with the given name.
func (s *Sim) Host(name string) *tcp.Host {
	for _, h := range s.hosts {
		if h.Name == name {
			return h
		}
	}
	return nil
}

// SetLink sets the link from one endpoint to another.
func (s *Sim) SetLink(from, to string, l Link) {
	k := linkKey{from, to}
	s.links[k] = &l
	if p := s.paths[k]; p != nil {
		p.link = &l
	}
}

// path returns what the simulation keeps about the direction from one endpoint to another.
func (s *Sim) path(from, to string) *path {
	for _, p := range s.recent {
		if p != nil && p.key.from == from && p.key.to == to {
			return p
		}
	}
	k := linkKey{from, to}
	p := s.paths[k]
	if p == nil {
		p = &path{key: k, link: s.link(from, to)}
		s.paths[k] = p
		s.fifoList = append(s.fifoList, &p.q)
	}
	s.recent[1], s.recent[0] = s.recent[0], p
	return p
}

func (s *Sim) link(from, to string) *Link {
	if l := s.links[linkKey{from, to}]; l != nil {
		return l
	}
	l := s.DefaultLink
	s.links[linkKey{from, to}] = &l
	return &l
}

// AddFault adds a fault directive.
func (s *Sim) AddFault(f Fault) { s.faults = append(s.faults, &f) }

// At schedules fn at virtual time t (an application call, an injected segment).
func (s *Sim) At(t tcp.Time, fn func()) {
	s.pullEvents()
	s.schedule(t, fn)
}

func (s *Sim) schedule(t tcp.Time, fn func()) {
	s.qseq++
	s.queue.push(simEvent{at: t, seq: s.qseq, fn: fn})
}

// pullEvents takes every host's pending events and schedules the host's application code
// for each, at the current time and in the order the host queued them. It runs before
// anything else is queued, so the application code keeps its place in the queue.
func (s *Sim) pullEvents() {
	for _, h := range s.hosts {
		for {
			e, ok := h.NextEvent()
			if !ok {
				break
			}
			if f := s.appHandler(h); f != nil {
				s.schedule(s.now, func() { f(e.Conn, e.Kind) })
			}
		}
	}
}

// After schedules fn d after now.
func (s *Sim) After(d time.Duration, fn func()) { s.At(s.now.Add(d), fn) }

func (s *Sim) appHandler(h *tcp.Host) func(*tcp.Conn, tcp.ConnEventKind) { return s.apps[h] }

// OnConn installs the application code of a host: it is called, at the same virtual time
// but after the stack has finished its work, for every ConnEventKind.
func (s *Sim) OnConn(h *tcp.Host, f func(*tcp.Conn, tcp.ConnEventKind)) { s.apps[h] = f }

// Inject sends seg from the endpoint named from at time t, as if that endpoint had sent it
// (an old duplicate, a spoofed SYN). It goes through the links and faults like any other.
func (s *Sim) Inject(t tcp.Time, from string, seg tcp.Segment, note string) {
	s.At(t, func() {
		if note != "" {
			s.Record(tcp.Event{Kind: tcp.EventNote, At: s.now, Endpoint: from, Note: note})
		}
		s.transmit(from, &tcp.Output{Seg: seg})
	})
}

// nextQueued returns when the earliest queued event happens and whether there is one: a
// link queue's head (q) or, when q is nil, the heap's top (ties go to the one queued
// first).
func (s *Sim) nextQueued() (at tcp.Time, q *linkQueue, ok bool) {
	s.pullEvents() // an application call between steps may have left some
	var seq uint64
	if len(s.queue) > 0 {
		at, seq, ok = s.queue[0].at, s.queue[0].seq, true
	}
	for _, lq := range s.fifoList {
		if e := lq.peek(); e != nil && (!ok || e.at < at || e.at == at && e.seq < seq) {
			at, seq, q, ok = e.at, e.seq, lq, true
		}
	}
	return at, q, ok
}

// next returns the time of the next thing to happen and what it is: a host's timer (th),
// or else an arrival at the head of q, or else, when q is nil, the top of the heap.
func (s *Sim) next() (next tcp.Time, th *tcp.Host, q *linkQueue) {
	next = tcp.Never
	if at, bq, ok := s.nextQueued(); ok {
		next, q = at, bq
	}
	for _, h := range s.hosts {
		if d := h.NextDeadline(); d < next {
			next, th = d, h
		}
	}
	return next, th, q
}

// Step processes the next event. It reports false when nothing is left to do.
func (s *Sim) Step() bool { return s.step(tcp.Never) }

// step processes the next event if it happens at or before limit.
func (s *Sim) step(limit tcp.Time) bool {
	next, th, q := s.next()
	if next == tcp.Never || next > limit {
		return false
	}
	if s.Horizon > 0 && next > tcp.Time(0).Add(s.Horizon) {
		s.Truncated = fmt.Sprintf("stopped at the %s horizon", s.Horizon)
		return false
	}
	if s.trace.Len() >= MaxSimEvents {
		return false
	}
	s.now = next
	if th != nil {
		th.Advance(next)
	} else {
		if q != nil {
			// The host reads the segment where it waits; the host calls nothing that
			// touches the link queues.
			a := q.peek()
			a.host.Input(a.at, a.seg)
			q.pop()
		} else if e := s.queue.pop(); e.fn != nil {
			for _, h := range s.hosts {
				h.At(next) // an application call happens at the simulation's time
			}
			e.fn()
		} else {
			e.host.Input(e.at, *e.seg)
		}
	}
	s.pullEvents()
	s.drain()
	return true
}

// Run runs until nothing is left to do or the horizon is reached.
func (s *Sim) Run() *Trace {
	for s.Step() {
	}
	return &s.trace
}

// RunUntil runs every event up to and including time t, then sets the clock to t.
func (s *Sim) RunUntil(t tcp.Time) {
	for s.step(t) {
	}
	if t > s.now {
		s.now = t
		for _, h := range s.hosts {
			h.At(t)
		}
	}
}

// NextEventTime returns when the next event happens (Never if none).
func (s *Sim) NextEventTime() tcp.Time {
	t, _, _ := s.next()
	return t
}

// drain sends what every host has queued.
func (s *Sim) drain() {
	for _, h := range s.hosts {
		for {
			out := h.TakeOutput()
			if len(out) == 0 {
				break
			}
			for i := range out {
				s.transmit(h.Name, &out[i])
			}
		}
	}
}

// transmit puts a segment on the link from its sender and records its fate.
func (s *Sim) transmit(from string, o *tcp.Output) {
	if o.Seg.TTL == 0 {
		o.Seg.TTL = 64
	}
	s.segID++
	rt := s.route(o.Seg.Dst)
	to := rt.name
	// The event lives on the stack; a labeler and the faults see a copy in s.sending,
	// which they may read but not keep.
	local := tcp.SegmentEvent{ID: s.segID, Src: from, Dst: to, Seg: o.Seg, Retransmit: o.Retransmit, Cookie: o.Cookie, CC: o.CC}
	ev := &local
	if s.Labeler != nil {
		s.sending = *ev
		m := s.Labeler(&s.sending)
		ev.Label, ev.Handshake = m.Label, m.Handshake
	}
	p := s.path(from, to)
	l := p.link
	arrive := s.now.Add(l.Delay)
	if l.Jitter > 0 {
		arrive = arrive.Add(time.Duration(s.rng.Uint64() % uint64(l.Jitter)))
	}
	if last := p.lastArrive; arrive <= last {
		arrive = last + 1 // links keep order unless a fault says otherwise
	}
	ev.Arrive = arrive
	dst := rt.host
	if dst == nil {
		ev.Fate = tcp.Unrouted
	}
	var dup bool
	var extra time.Duration
	reorder := false
	if len(s.faults) > 0 {
		s.sending = *ev
		fe := &s.sending
		for _, f := range s.faults {
			if !f.matches(fe) {
				continue
			}
			fe.Fault = f.Action.String()
			switch f.Action {
			case FaultDrop:
				fe.Fate = tcp.Dropped
			case FaultDuplicate:
				dup = true
			case FaultDelay:
				extra += f.Delay
			case FaultReorder:
				reorder = true
			}
		}
		*ev = *fe
	}
	if ev.Fate == tcp.Delivered && l.Rate > 0 {
		if left, ok := p.bottleneck(s.now, wireBytes(&o.Seg), l); ok {
			arrive = max(arrive, left.Add(l.Delay))
			ev.Arrive = arrive
		} else {
			ev.Fate, ev.Fault = tcp.Dropped, FaultQueue
		}
	}
	if ev.Fate == tcp.Delivered && l.Loss > 0 && s.rng.Float64() < l.Loss {
		ev.Fate, ev.Fault = tcp.Dropped, "loss"
	}
	if ev.Fate == tcp.Delivered && extra == 0 && !reorder {
		p.lastArrive = arrive
	}
	ev.Arrive = arrive.Add(extra)
	s.trace.store.sharePay = o.SharedPayload
	idx := s.recordSegment(p, ev)
	s.trace.store.sharePay = false
	if ev.Fate != tcp.Delivered {
		s.releaseHeld(p, ev.Arrive)
		return
	}
	if reorder {
		// Held until the next segment in this direction has arrived.
		p.held = &heldSeg{seg: ev.Seg, arrive: ev.Arrive, event: idx, dst: dst}
		return
	}
	id, at := ev.ID, ev.Arrive
	s.deliver(p, dst, at, &o.Seg)
	s.releaseHeld(p, at)
	if dup {
		s.segID++
		d := &tcp.SegmentEvent{ID: s.segID, Src: from, Dst: to, Seg: o.Seg.Clone(), Fate: tcp.Delivered,
			Arrive: at + 1, Fault: "duplicate", DupOf: id}
		p.lastArrive = d.Arrive
		s.recordSegment(p, d)
		s.deliver(p, dst, d.Arrive, &d.Seg)
	}
}

// Datagram sends a UDP datagram from the endpoint named from, through the same links
// and faults as TCP segments. When it arrives, onArrive runs at the arrival time.
// Datagrams carry QUIC; the engine itself does not interpret them, mark says what they carry.
func (s *Sim) Datagram(from string, seg tcp.Segment, mark tcp.AppMark, onArrive func(tcp.Segment)) *tcp.SegmentEvent {
	seg.UDP = true
	if seg.TTL == 0 {
		seg.TTL = 64
	}
	s.segID++
	to := s.NameOf(seg.Dst)
	ev := &tcp.SegmentEvent{ID: s.segID, Src: from, Dst: to, Seg: seg, Label: mark.Label, Handshake: mark.Handshake}
	p := s.path(from, to)
	l := p.link
	arrive := s.now.Add(l.Delay)
	if last := p.lastArrive; arrive <= last {
		arrive = last + 1
	}
	ev.Arrive = arrive
	for _, f := range s.faults {
		if f.matches(ev) {
			ev.Fault = f.Action.String()
			if f.Action == FaultDrop {
				ev.Fate = tcp.Dropped
			}
			if f.Action == FaultDelay {
				ev.Arrive = ev.Arrive.Add(f.Delay)
			}
		}
	}
	if ev.Fate == tcp.Delivered && l.Loss > 0 && s.rng.Float64() < l.Loss {
		ev.Fate, ev.Fault = tcp.Dropped, "loss"
	}
	s.Record(tcp.Event{Kind: tcp.EventSegment, At: s.now, Segment: ev})
	if ev.Fate == tcp.Delivered {
		if ev.Arrive == arrive {
			p.lastArrive = arrive
		}
		s.At(ev.Arrive, func() { onArrive(seg) })
	}
	return ev
}

// releaseHeld delivers a segment held back for reordering just after the one arriving at t.
func (s *Sim) releaseHeld(p *path, t tcp.Time) {
	h := p.held
	if h == nil {
		return
	}
	p.held = nil
	at := max(t+1, h.arrive)
	if h.event >= 0 {
		s.trace.setArrive(h.event, at)
	}
	p.lastArrive = max(p.lastArrive, at)
	s.deliver(p, h.dst, at, &h.seg)
}

// deliver queues seg's arrival at dst. The receiver gets the same option and payload
// storage as the trace's copy: the engine never mutates a segment it received.
func (s *Sim) deliver(p *path, dst *tcp.Host, at tcp.Time, seg *tcp.Segment) {
	s.pullEvents()
	s.qseq++
	if last := p.q.last(); last == nil || last.at <= at {
		*p.q.add() = arrival{at: at, seq: s.qseq, host: dst, seg: *seg}
		return
	}
	c := *seg
	s.queue.push(simEvent{at: at, seq: s.qseq, host: dst, seg: &c}) // a fault put it out of order
}

// FloodConfig describes a SYN flood from spoofed addresses.
type FloodConfig struct {
	Lane     string       // the lane the spoofed SYNs are drawn on, e.g. "attacker-1"
	Prefix   netip.Prefix // spoofed source addresses are drawn from here
	Target   netip.Addr
	Port     uint16
	Count    int
	Start    tcp.Time
	Interval time.Duration
}

// Flood schedules Count spoofed SYNs, one every Interval, generated lazily so the queue
// stays small however large the flood.
func (s *Sim) Flood(fc FloodConfig) {
	base := fc.Prefix.Addr().As4()
	sent := 0
	opts := tcp.Options{{Kind: tcp.OptMSS, MSS: 1460}} // shared: segments are never mutated
	var next func()
	next = func() {
		a := base
		a[3] = byte(1 + s.rng.Intn(254))
		seg := tcp.Segment{
			Src: netip.AddrFrom4(a), Dst: fc.Target,
			SrcPort: uint16(1024 + s.rng.Intn(64511)), DstPort: fc.Port,
			Seq: tcp.Seq(s.rng.Uint32()), Flags: tcp.SYN, Window: 64240, TTL: 64,
			Options: opts,
		}
		s.transmit(fc.Lane, &tcp.Output{Seg: seg})
		sent++
		if sent < fc.Count {
			s.After(fc.Interval, next)
		}
	}
	if fc.Count > 0 {
		s.At(fc.Start, next)
	}
}
