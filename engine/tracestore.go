package engine

import (
	"encoding/binary"
	"net/netip"
	"time"

	"synack/engine/tcp"
)

// A trace of a million-SYN flood holds two million segment events. Kept as Event values
// with a *SegmentEvent each, they are ~930 bytes of pointer-rich memory per SYN that the
// garbage collector scans again and again while the flood runs. The trace therefore keeps
// its events in columns of fixed-size records without pointers: strings (endpoint names,
// causes, calls, labels, faults) interned to small ids, IPv4 addresses inline, option
// lists interned, payloads in a byte arena, SYN cookies in a column of their own. Event,
// Events, All, Scan and Load turn a record back into an Event.

// traceChunk is how many records one chunk of a column holds once the column is large. A
// column grows by appending to its first chunk, from 16 records up to traceChunk (a lesson
// pays for a few dozen), then by whole chunks (a flood never copies what it has).
const traceChunk = 8192

// internScan is how many strings, or option lists, a trace's table holds before it is
// indexed by a map: a lesson's few are found faster by looking through them.
const internScan = 16

// arenaChunk is the largest chunk of the payload arena small payloads share. A payload
// larger than arenaChunk/4 gets a chunk of its own.
const arenaChunk = 64 << 10

// column is an append-only sequence of T in chunks of at most traceChunk.
type column[T any] struct {
	chunks [][]T
	n      int
}

// add appends v and returns its index.
func (c *column[T]) add(v T) int {
	i, p := c.grow()
	*p = v
	return i
}

// grow appends a zero element and returns its index and address, for the caller to fill
// in place.
func (c *column[T]) grow() (int, *T) {
	k := c.n / traceChunk
	if k == len(c.chunks) {
		size := traceChunk
		if k == 0 {
			size = 16
		}
		c.chunks = append(c.chunks, make([]T, 0, size))
	}
	ch := &c.chunks[k]
	if len(*ch) < cap(*ch) {
		*ch = (*ch)[:len(*ch)+1]
	} else {
		var zero T
		*ch = append(*ch, zero) // the first chunk, while it grows to traceChunk
	}
	c.n++
	return c.n - 1, &(*ch)[len(*ch)-1]
}

// at returns a pointer to element i.
func (c *column[T]) at(i int) *T { return &c.chunks[i/traceChunk][i%traceChunk] }

// eventRec is one event: when, what kind, and where its fields are in the kind's column.
type eventRec struct {
	at   tcp.Time
	idx  uint32 // index in segs (EventSegment) or others
	kind tcp.EventKind
}

// Address forms of a segRec's address fields.
const (
	addrZero  = iota // the zero netip.Addr
	addrIPv4         // the field is the address, big-endian
	addrTable        // the field is an index in the trace's address table (IPv6, zones)
)

// segRec is one segment event without a pointer, in 64 bytes: what a flood's segments
// carry is inline, what they rarely do (payload, label, fault) is in a segExtra.
type segRec struct {
	arrive       tcp.Time
	id           uint32
	src, dst     uint32 // endpoint names (string ids)
	srcIP, dstIP uint32 // per srcForm, dstForm
	seq, ack     uint32
	opts         uint32 // option list id, 0 for nil
	cookie       uint32 // cookie index + 1, 0 for none
	extra        uint32 // segExtra index + 1, 0 for none
	sport, dport uint16
	window, ipid uint16
	flags        tcp.Flags
	ttl          uint8
	tos          uint8
	fate         tcp.Fate
	srcForm      uint8
	dstForm      uint8
	bits         uint8 // segUDP | segRetransmit | segHandshake | segNoDF
}

// segExtra holds the fields of a segment event that are usually zero.
type segExtra struct {
	pay          uint32 // payload index + 1, 0 for nil
	fault, label uint32 // string ids
	dupOf        uint32
	cc           uint32 // CC sample index + 1, 0 for none
	urgent       uint16
}

const (
	segUDP uint8 = 1 << iota
	segRetransmit
	segHandshake
	segNoDF
)

// otherRec is one event of any kind but EventSegment: every field of Event but Segment.
type otherRec struct {
	bytes, deadline, duration    int64
	synQueue, acceptQueue, backl int64
	endpoint, peer, cause, call  uint32 // string ids
	result, note, detail         uint32
	from, to                     tcp.State
	timer                        tcp.TimerKind
	action                       tcp.TimerAction
}

// payRef is where a payload is in the arena.
type payRef struct{ chunk, off, n uint32 }

// traceStore is the compact storage of a Trace.
type traceStore struct {
	events  column[eventRec]
	segs    column[segRec]
	extras  column[segExtra]
	others  column[otherRec]
	cookies column[tcp.Cookie]
	ccs     column[tcp.CCSample]
	pays    column[payRef]
	arena   [][]byte
	cur     int // the arena chunk small payloads go to, + 1; 0 for none yet
	// sharePay says the payload being recorded is never written again by its owner (a
	// host's, tcp.Output.SharedPayload): the arena keeps it as it is, without a copy.
	sharePay bool

	strs    []string // strs[0] == ""
	strIDs  map[string]uint32
	recent  [4]internedStr // the last strings interned: most lookups end here
	nrecent int

	addrs   []netip.Addr
	addrIDs map[netip.Addr]uint32

	optLists []tcp.Options // optLists[0] is nil
	optIDs   map[string]uint32
	optKey   []byte
	lastOpt  tcp.Options // the last list interned, and its id: a flood sends one list
	lastOID  uint32
}

type internedStr struct {
	s  string
	id uint32
}

// str returns the id of s, interning it.
func (t *traceStore) str(s string) uint32 {
	if s == "" {
		return 0
	}
	for i := range t.recent {
		if r := &t.recent[i]; r.id != 0 && r.s == s {
			return r.id
		}
	}
	var id uint32
	found := false
	if t.strIDs == nil {
		for i := 1; i < len(t.strs); i++ {
			if t.strs[i] == s {
				id, found = uint32(i), true
				break
			}
		}
	} else {
		id, found = t.strIDs[s]
	}
	if !found {
		if len(t.strs) == 0 {
			t.strs = append(t.strs, "")
		}
		id = uint32(len(t.strs))
		t.strs = append(t.strs, s)
		switch {
		case t.strIDs != nil:
			t.strIDs[s] = id
		case len(t.strs) > internScan:
			t.strIDs = make(map[string]uint32, 2*len(t.strs))
			for i, v := range t.strs[1:] {
				t.strIDs[v] = uint32(i + 1)
			}
		}
	}
	t.recent[t.nrecent%len(t.recent)] = internedStr{s, id}
	t.nrecent++
	return id
}

// s returns the string with id i.
func (t *traceStore) s(i uint32) string {
	if i == 0 {
		return ""
	}
	return t.strs[i]
}

// addr returns the form and field value of a.
func (t *traceStore) addr(a netip.Addr) (uint8, uint32) {
	switch {
	case !a.IsValid():
		return addrZero, 0
	case a.Is4():
		b := a.As4()
		return addrIPv4, binary.BigEndian.Uint32(b[:])
	}
	id, ok := t.addrIDs[a]
	if !ok {
		if t.addrIDs == nil {
			t.addrIDs = map[netip.Addr]uint32{}
		}
		id = uint32(len(t.addrs))
		t.addrs = append(t.addrs, a)
		t.addrIDs[a] = id
	}
	return addrTable, id
}

func (t *traceStore) addrOf(form uint8, v uint32) netip.Addr {
	switch form {
	case addrIPv4:
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], v)
		return netip.AddrFrom4(b)
	case addrTable:
		return t.addrs[v]
	}
	return netip.Addr{}
}

// options returns the id of an option list, interning a copy of it. Two lists get the
// same id only when every field of every option is equal (nil and empty told apart), so
// reading the list back gives exactly what was recorded.
func (t *traceStore) options(os tcp.Options) uint32 {
	if os == nil {
		return 0
	}
	if t.lastOID != 0 && optionsEqual(os, t.lastOpt) {
		return t.lastOID // most segments carry the list the one before did
	}
	var id uint32
	found := false
	if t.optIDs == nil {
		for i := 1; i < len(t.optLists); i++ {
			if optionsEqual(os, t.optLists[i]) {
				id, found = uint32(i), true
				break
			}
		}
	} else {
		t.optKey = appendOptionsKey(t.optKey[:0], os)
		id, found = t.optIDs[string(t.optKey)]
	}
	if !found {
		if len(t.optLists) == 0 {
			t.optLists = append(t.optLists, nil)
		}
		id = uint32(len(t.optLists))
		t.optLists = append(t.optLists, copyOptions(os))
		switch {
		case t.optIDs != nil:
			t.optIDs[string(t.optKey)] = id
		case len(t.optLists) > internScan:
			t.optIDs = make(map[string]uint32, 2*len(t.optLists))
			for i, l := range t.optLists[1:] {
				t.optKey = appendOptionsKey(t.optKey[:0], l)
				t.optIDs[string(t.optKey)] = uint32(i + 1)
			}
		}
	}
	t.lastOpt, t.lastOID = t.optLists[id], id
	return id
}

// optionsEqual reports whether a and b are equal in every field, nil and empty apart.
func optionsEqual(a, b tcp.Options) bool {
	if len(a) != len(b) || (a == nil) != (b == nil) {
		return false
	}
	for i := range a {
		x, y := &a[i], &b[i]
		if x.Kind != y.Kind || x.MSS != y.MSS || x.Shift != y.Shift || x.TSVal != y.TSVal || x.TSEcr != y.TSEcr ||
			len(x.Blocks) != len(y.Blocks) || (x.Blocks == nil) != (y.Blocks == nil) ||
			len(x.Cookie) != len(y.Cookie) || (x.Cookie == nil) != (y.Cookie == nil) ||
			len(x.Data) != len(y.Data) || (x.Data == nil) != (y.Data == nil) {
			return false
		}
		if string(x.Cookie) != string(y.Cookie) {
			return false
		}
		for j := range x.Blocks {
			if x.Blocks[j] != y.Blocks[j] {
				return false
			}
		}
		for j := range x.Data {
			if x.Data[j] != y.Data[j] {
				return false
			}
		}
	}
	return true
}

// appendOptionsKey appends every field of every option of os to b.
func appendOptionsKey(b []byte, os tcp.Options) []byte {
	b = append(b, 1) // a non-nil list, maybe empty
	for _, o := range os {
		b = append(b, byte(o.Kind))
		b = binary.BigEndian.AppendUint16(b, o.MSS)
		b = append(b, o.Shift)
		b = binary.BigEndian.AppendUint32(b, o.TSVal)
		b = binary.BigEndian.AppendUint32(b, o.TSEcr)
		b = appendNilLen(b, o.Blocks == nil, len(o.Blocks))
		for _, blk := range o.Blocks {
			b = binary.BigEndian.AppendUint32(b, uint32(blk.Left))
			b = binary.BigEndian.AppendUint32(b, uint32(blk.Right))
		}
		b = appendNilLen(b, o.Cookie == nil, len(o.Cookie))
		b = append(b, o.Cookie...)
		b = appendNilLen(b, o.Data == nil, len(o.Data))
		b = append(b, o.Data...)
	}
	return b
}

func appendNilLen(b []byte, isNil bool, n int) []byte {
	if isNil {
		return append(b, 0)
	}
	return binary.AppendUvarint(append(b, 1), uint64(n))
}

// copyOptions is a deep copy that keeps nil and empty apart.
func copyOptions(os tcp.Options) tcp.Options {
	c := make(tcp.Options, len(os))
	copy(c, os)
	for i := range c {
		if c[i].Blocks != nil {
			c[i].Blocks = append(make([]tcp.SACKBlock, 0, len(c[i].Blocks)), c[i].Blocks...)
		}
		if c[i].Cookie != nil {
			c[i].Cookie = append(make([]byte, 0, len(c[i].Cookie)), c[i].Cookie...)
		}
		if c[i].Data != nil {
			c[i].Data = append(make([]byte, 0, len(c[i].Data)), c[i].Data...)
		}
	}
	return c
}

// payload copies p into the arena and returns its index + 1 (0 for nil). Small payloads
// share chunks that double from 256 bytes to arenaChunk; a larger one has its own.
func (t *traceStore) payload(p []byte) uint32 {
	if p == nil {
		return 0
	}
	var r payRef
	if t.sharePay {
		t.arena = append(t.arena, p[:len(p):len(p)])
		r = payRef{chunk: uint32(len(t.arena) - 1), n: uint32(len(p))}
	} else if len(p) > arenaChunk/4 {
		t.arena = append(t.arena, append(make([]byte, 0, len(p)), p...))
		r = payRef{chunk: uint32(len(t.arena) - 1), n: uint32(len(p))}
	} else {
		if t.cur == 0 || cap(t.arena[t.cur-1])-len(t.arena[t.cur-1]) < len(p) {
			size := 256
			if t.cur != 0 {
				size = min(2*cap(t.arena[t.cur-1]), arenaChunk)
			}
			t.arena = append(t.arena, make([]byte, 0, max(size, len(p))))
			t.cur = len(t.arena)
		}
		c := &t.arena[t.cur-1]
		r = payRef{chunk: uint32(t.cur - 1), off: uint32(len(*c)), n: uint32(len(p))}
		*c = append(*c, p...)
	}
	return uint32(t.pays.add(r)) + 1
}

func (t *traceStore) optionsOf(id uint32) tcp.Options {
	if id == 0 {
		return nil
	}
	return t.optLists[id]
}

func (t *traceStore) payloadOf(i uint32) []byte {
	if i == 0 {
		return nil
	}
	r := t.pays.at(int(i - 1))
	c := t.arena[r.chunk]
	return c[r.off : r.off+r.n : r.off+r.n]
}

// addSegment records a segment event sent at time at. src and dst are the ids of s.Src
// and s.Dst (see str).
func (t *traceStore) addSegment(at tcp.Time, s *tcp.SegmentEvent, src, dst uint32) {
	i, sr := t.segs.grow()
	t.fillSegRec(sr, s, src, dst)
	_, r := t.events.grow()
	*r = eventRec{at: at, kind: tcp.EventSegment, idx: uint32(i)}
}

// add records e.
func (t *traceStore) add(e *tcp.Event) {
	if e.Kind == tcp.EventSegment {
		t.addSegment(e.At, e.Segment, t.str(e.Segment.Src), t.str(e.Segment.Dst))
		return
	}
	i := t.others.add(otherRec{
		bytes: int64(e.Bytes), deadline: int64(e.Deadline), duration: int64(e.Duration),
		synQueue: int64(e.SynQueue), acceptQueue: int64(e.AcceptQueue), backl: int64(e.Backlog),
		endpoint: t.str(e.Endpoint), peer: t.str(e.Peer), cause: t.str(e.Cause), call: t.str(e.Call),
		result: t.str(e.Result), note: t.str(e.Note), detail: t.str(e.Detail),
		from: e.From, to: e.To, timer: e.Timer, action: e.Action,
	})
	t.events.add(eventRec{at: e.At, kind: e.Kind, idx: uint32(i)})
}

// fillSegRec fills *r, a zero record, with s; src and dst are the ids of its names.
func (t *traceStore) fillSegRec(r *segRec, s *tcp.SegmentEvent, src, dst uint32) {
	g := &s.Seg
	*r = segRec{
		arrive: s.Arrive, id: uint32(s.ID), src: src, dst: dst,
		seq: uint32(g.Seq), ack: uint32(g.Ack), opts: t.options(g.Options),
		sport: g.SrcPort, dport: g.DstPort, window: g.Window, ipid: g.IPID,
		flags: g.Flags, ttl: g.TTL, tos: g.TOS, fate: s.Fate,
	}
	if g.Payload != nil || s.Fault != "" || s.Label != "" || s.DupOf != 0 || g.Urgent != 0 || s.CC.Cwnd != 0 {
		x := segExtra{pay: t.payload(g.Payload), fault: t.str(s.Fault),
			label: t.str(s.Label), dupOf: uint32(s.DupOf), urgent: g.Urgent}
		if s.CC.Cwnd != 0 {
			x.cc = uint32(t.ccs.add(s.CC)) + 1
		}
		r.extra = uint32(t.extras.add(x)) + 1
	}
	r.srcForm, r.srcIP = t.addr(g.Src)
	r.dstForm, r.dstIP = t.addr(g.Dst)
	if s.Cookie != nil {
		r.cookie = uint32(t.cookies.add(*s.Cookie)) + 1
	}
	if g.UDP {
		r.bits |= segUDP
	}
	if g.NoDF {
		r.bits |= segNoDF
	}
	if s.Retransmit {
		r.bits |= segRetransmit
	}
	if s.Handshake {
		r.bits |= segHandshake
	}
}

// load fills e with event i. A segment event's fields go into *seg, and its cookie, if
// any, into *ck; e.Segment is seg. Options and payload are shared with the trace.
func (t *traceStore) load(i int, e *tcp.Event, seg *tcp.SegmentEvent, ck *tcp.Cookie) {
	r := t.events.at(i)
	if r.kind == tcp.EventSegment {
		*e = tcp.Event{Kind: tcp.EventSegment, At: r.at, Segment: seg}
		t.loadSeg(t.segs.at(int(r.idx)), seg, ck)
		return
	}
	o := t.others.at(int(r.idx))
	*e = tcp.Event{Kind: r.kind, At: r.at,
		Endpoint: t.s(o.endpoint), Peer: t.s(o.peer), From: o.from, To: o.to, Cause: t.s(o.cause),
		Call: t.s(o.call), Result: t.s(o.result), Bytes: int(o.bytes),
		Timer: o.timer, Action: o.action, Deadline: tcp.Time(o.deadline), Duration: time.Duration(o.duration),
		Note: t.s(o.note), Detail: t.s(o.detail),
		SynQueue: int(o.synQueue), AcceptQueue: int(o.acceptQueue), Backlog: int(o.backl)}
}

func (t *traceStore) loadSeg(r *segRec, s *tcp.SegmentEvent, ck *tcp.Cookie) {
	*s = tcp.SegmentEvent{
		ID: int(r.id), Src: t.s(r.src), Dst: t.s(r.dst),
		Seg: tcp.Segment{
			Src: t.addrOf(r.srcForm, r.srcIP), Dst: t.addrOf(r.dstForm, r.dstIP),
			SrcPort: r.sport, DstPort: r.dport, Seq: tcp.Seq(r.seq), Ack: tcp.Seq(r.ack), Flags: r.flags,
			Window: r.window, Options: t.optionsOf(r.opts),
			IPID: r.ipid, TTL: r.ttl, TOS: r.tos, NoDF: r.bits&segNoDF != 0, UDP: r.bits&segUDP != 0,
		},
		Fate: r.fate, Arrive: r.arrive, Retransmit: r.bits&segRetransmit != 0, Handshake: r.bits&segHandshake != 0,
	}
	if r.extra != 0 {
		x := t.extras.at(int(r.extra - 1))
		s.Seg.Urgent, s.Seg.Payload = x.urgent, t.payloadOf(x.pay)
		s.Fault, s.DupOf, s.Label = t.s(x.fault), int(x.dupOf), t.s(x.label)
		if x.cc != 0 {
			s.CC = *t.ccs.at(int(x.cc - 1))
		}
	}
	if r.cookie != 0 {
		*ck = *t.cookies.at(int(r.cookie - 1))
		s.Cookie = ck
	}
}
