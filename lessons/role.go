package lessons

import (
	"strings"

	"synack/engine"
	"synack/engine/catalog"
	"synack/engine/tcp"
)

// A role is what a segment is in its story, whatever its position: who sent it to whom,
// its flags, where it sits in each side's sequence space (relative to the sender's and
// the receiver's SYN), how many bytes it carries and what it carries above TCP. "The
// client's ACK of the server's FIN" keeps its role when a reader's drop adds a
// retransmission before it and every segment ID after the drop moves by one.
type role struct {
	src, dst       string
	flags          tcp.Flags
	relSeq, relAck uint32
	bytes          int
	label          string
	dropped        bool
	retransmit     bool
}

// roles returns the role of every segment event of evs (the zero role for other
// events), in one pass: each side's ISN is the last SYN it sent up to that event.
func roles(evs []tcp.Event) []role {
	out := make([]role, len(evs))
	isn := map[string]tcp.Seq{}
	for i := range evs {
		e := &evs[i]
		if e.Kind != tcp.EventSegment {
			continue
		}
		s := e.Segment
		if s.Seg.Flags&tcp.SYN != 0 {
			isn[s.Src] = s.Seg.Seq
		}
		r := role{src: s.Src, dst: s.Dst, flags: s.Seg.Flags, bytes: len(s.Seg.Payload), label: s.Label,
			dropped: s.Fate == tcp.Dropped, retransmit: s.Retransmit}
		r.relSeq = uint32(s.Seg.Seq - isn[s.Src])
		if s.Seg.Flags&tcp.ACK != 0 {
			r.relAck = uint32(s.Seg.Ack - isn[s.Dst])
		}
		out[i] = r
	}
	return out
}

// same reports whether two segments play the same role for an anchor of this kind: an
// @dropped anchor's segment must be lost in both runs, an @retransmit anchor's a
// retransmission in both; a plain @segment keeps its role whether or not the reader's
// drop lost it.
func (r role) same(o role, kind string) bool {
	if r.src != o.src || r.dst != o.dst || r.flags != o.flags || r.relSeq != o.relSeq || r.relAck != o.relAck ||
		r.bytes != o.bytes || r.label != o.label {
		return false
	}
	switch kind {
	case "dropped":
		return o.dropped
	case "retransmit":
		return o.retransmit
	}
	return true
}

// describe names the role for a reader: "the SYN ACK from the server to the client".
func (r role) describe() engine.Text {
	flags := strings.Join(r.flags.Names(), " ")
	f := engine.Text{EN: flags, ZH: flags}
	var data, lost engine.Text
	if r.bytes > 0 {
		data = catalog.F("role.bytes", r.bytes)
	}
	if r.dropped {
		lost = catalog.T("role.lost")
	}
	return catalog.F("role.segment", f, who(r.src), who(r.dst), data, lost)
}

// resolveRole places an anchor on a reader's run tr by its role in base, the same run
// without the reader's drops and loss: the anchor is resolved on base, and the event of
// tr playing the same part (the k-th segment with that role, when the anchored one was
// the k-th in base) is returned. Anchors that are already roles (a state change, a call,
// a timer, a note) resolve on tr directly. ok is false, with the role named, when tr has
// no such event: the premise of what is anchored there does not hold in this run.
func (a Anchor) resolveRole(base, tr *engine.Trace) (at int, gone *role, err error) {
	bi, err := a.resolveFirst(base)
	if err != nil {
		return -1, nil, err
	}
	bevs := base.Events(0, base.Len())
	if bevs[bi].Kind != tcp.EventSegment {
		at, err := a.resolveFirst(tr)
		return at, nil, err
	}
	brs := roles(bevs)
	want := brs[bi]
	k := 0
	for j := 0; j < bi; j++ {
		if bevs[j].Kind == tcp.EventSegment && want.same(brs[j], a.Kind) {
			k++
		}
	}
	evs := tr.Events(0, tr.Len())
	rs := roles(evs)
	for j := range evs {
		if evs[j].Kind != tcp.EventSegment || !want.same(rs[j], a.Kind) {
			continue
		}
		if k == 0 {
			return j, nil, nil
		}
		k--
	}
	return -1, &want, nil
}
