package passive

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"synack/engine"
	"synack/engine/tcp"
)

// Trace returns the kept frames of the connection as an engine trace, so every view
// of a simulated run (diagram, text, capture, inspector) draws it: a segment event per
// frame, a state event per inferred change from a known state, and a note per anomaly.
// Times are microseconds from the connection's first packet. A capture is taken at one
// point, so each segment is drawn arriving oneWay after it was seen: half the
// handshake's round trip when the capture has one, else a small fixed slope.
func (c *Conn) Trace(keyLog []byte) *engine.Trace {
	tr := &engine.Trace{}
	nameA, nameB, roleA, roleB := "client", "server", "client", "server"
	if c.Client == "B" {
		nameA, nameB, roleA, roleB = "server", "client", "server", "client"
	}
	epA := engine.EndpointInfo{Name: nameA, Addr: c.A.Addr.String(), Role: roleA}
	epB := engine.EndpointInfo{Name: nameB, Addr: c.B.Addr.String(), Role: roleB}
	eps := []engine.EndpointInfo{epA, epB}
	if c.Client == "B" {
		eps = []engine.EndpointInfo{epB, epA}
	}
	oneWay := int64(OneWayDefault / time.Microsecond)
	if c.firstRTT > 0 {
		oneWay = max(c.firstRTT/2000, 1)
	}
	tr.Meta = engine.Meta{Scenario: "import", Profile: "capture", RTT: time.Duration(2*oneWay) * time.Microsecond,
		Endpoints: eps, KeyLog: string(keyLog)}
	at := func(ns int64) tcp.Time { return tcp.Time((ns - c.First) / 1000) }
	var evs []tcp.Event
	sentAt := map[int]tcp.Time{} // frame number → when it was seen
	if len(c.Frames) > 0 && c.hsState == 0 {
		evs = append(evs, tcp.Event{Kind: tcp.EventNote, At: 0, Endpoint: nameA, Peer: nameB, Note: "capture-mid-connection"})
	}
	for i, f := range c.Frames {
		src, dst := nameA, nameB
		if !f.FromA {
			src, dst = nameB, nameA
		}
		t := at(f.TimeNs)
		sentAt[f.N] = t
		evs = append(evs, tcp.Event{Kind: tcp.EventSegment, At: t, Segment: &tcp.SegmentEvent{
			ID: i + 1, Src: src, Dst: dst, Seg: f.Seg, Fate: tcp.Delivered, Arrive: t + tcp.Time(oneWay),
			Retransmit: f.Anomalies.Has(Retransmission) || f.Anomalies.Has(FastRetransmission) || f.Anomalies.Has(SpuriousRetransmission),
			Handshake:  f.Seg.Flags&tcp.SYN != 0}})
		for _, a := range f.Anomalies.List() {
			evs = append(evs, tcp.Event{Kind: tcp.EventNote, At: t, Endpoint: src, Peer: dst, Note: "capture-" + a.Key(),
				Detail: "frame " + strconv.Itoa(f.N)})
		}
	}
	// Each end's inferred changes, when they happened: a receiver's when the segment
	// arrived.
	for _, sd := range []struct {
		s          *Side
		name, peer string
	}{{&c.A, nameA, nameB}, {&c.B, nameB, nameA}} {
		for _, ch := range sd.s.Path {
			if ch.From == Unknown || ch.Frame < c.FirstFrame {
				continue // a change from an unknown state has no "from" to draw
			}
			when := at(ch.At)
			if t, ok := sentAt[ch.Frame]; ok && ch.Received {
				when = max(when, t+tcp.Time(oneWay)) // not before its arrow arrives
			}
			evs = append(evs, tcp.Event{Kind: tcp.EventState, At: when, Endpoint: sd.name, Peer: sd.peer,
				From: ch.From, To: ch.To, Cause: ch.Cause})
		}
	}
	// Put every event in time order, keeping the order of events at the same time.
	slices.SortStableFunc(evs, func(a, b tcp.Event) int { return cmp.Compare(a.At, b.At) })
	for _, e := range evs {
		tr.Append(e)
	}
	return tr
}

// OneWayDefault is the one-way delay a connection without a captured handshake is drawn
// with.
const OneWayDefault = time.Millisecond
