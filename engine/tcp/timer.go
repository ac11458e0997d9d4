package tcp

import "time"

// timerSlot is one of a connection's timers. A slot is armed when deadline != 0; the
// generation makes stale heap entries harmless after a cancel or re-arm.
type timerSlot struct {
	deadline Time
	gen      uint32
}

const timerCount = int(TimerPersist) + 1

// timerEntry is one pending deadline in a host's heap.
type timerEntry struct {
	at   Time
	seq  uint64 // insertion order: equal deadlines fire in the order they were set
	conn *Conn
	kind TimerKind
	gen  uint32
}

// timerHeap is a binary min-heap of deadlines by (time, insertion order), typed so that
// arming a timer (every ACK re-arms the RTO) does not box an entry.
type timerHeap []timerEntry

func (h timerHeap) less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}

func (h *timerHeap) push(e timerEntry) {
	*h = append(*h, e)
	q := *h
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

func (h *timerHeap) pop() timerEntry {
	q := *h
	e := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q[n] = timerEntry{}
	q = q[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && q.less(l, m) {
			m = l
		}
		if r < n && q.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	*h = q
	return e
}

// setTimer arms (or re-arms) one of c's timers to fire d from now.
func (c *Conn) setTimer(k TimerKind, d time.Duration) {
	h := c.h
	s := &c.timers[k]
	s.gen++
	s.deadline = h.now.Add(d)
	h.timerSeq++
	h.timers.push(timerEntry{at: s.deadline, seq: h.timerSeq, conn: c, kind: k, gen: s.gen})
	if h.traceTimer(k) {
		h.record(Event{Kind: EventTimer, At: h.now, Endpoint: h.Name, Peer: c.peer, Timer: k,
			Action: TimerSet, Deadline: s.deadline, Duration: d})
	}
}

// cancelTimer disarms one of c's timers, if it is armed.
func (c *Conn) cancelTimer(k TimerKind) {
	s := &c.timers[k]
	if s.deadline == 0 {
		return
	}
	s.gen++
	d := s.deadline
	s.deadline = 0
	if c.h.traceTimer(k) {
		c.h.record(Event{Kind: EventTimer, At: c.h.now, Endpoint: c.h.Name, Peer: c.peer, Timer: k,
			Action: TimerCancelled, Deadline: d})
	}
}

// cancelAllTimers disarms every timer of c (the connection is going away).
func (c *Conn) cancelAllTimers() {
	for k := TimerKind(1); int(k) < timerCount; k++ {
		c.cancelTimer(k)
	}
}

// armed reports whether timer k of c is set.
func (c *Conn) armed(k TimerKind) bool { return c.timers[k].deadline != 0 }

// NextDeadline returns when the host's next timer fires, or Never.
func (h *Host) NextDeadline() Time {
	for len(h.timers) > 0 {
		e := h.timers[0]
		if e.conn.timers[e.kind].gen == e.gen && e.conn.timers[e.kind].deadline == e.at {
			return e.at
		}
		h.timers.pop() // stale
	}
	return Never
}

// Advance fires every timer due at or before now, in deadline order.
func (h *Host) Advance(now Time) {
	for {
		at := h.NextDeadline()
		if at > now {
			break
		}
		e := h.timers.pop()
		h.now = at
		c := e.conn
		c.timers[e.kind].deadline = 0
		if h.traceTimer(e.kind) {
			h.record(Event{Kind: EventTimer, At: at, Endpoint: h.Name, Peer: c.peer, Timer: e.kind,
				Action: TimerFired, Deadline: at})
		}
		c.onTimer(e.kind)
	}
	if now > h.now {
		h.now = now
	}
}
