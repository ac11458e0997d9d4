package diagram

import (
	"synack/engine"
	"synack/engine/catalog"
	"synack/engine/tcp"
)

// Folding: a long transfer's ordinary segments (new data delivered in order, and the
// ACKs that advance) are drawn as bundles, as a flood's spoofed SYNs are, so a thousand
// segments stay legible; whatever is worth a look (a loss, a retransmission, a
// duplicate ACK, SACK blocks, a closed window, a timer that fires, a state change, a
// note) is never folded and splits the run around it. expand=1 draws every segment.

// Fold sizes, in segments.
const (
	// minFold is the fewest segments a fold holds: shorter runs are drawn as they are.
	minFold = 8
	// maxFold is the most one fold holds, so a long transfer keeps a time axis to read
	// its pace from.
	maxFold = 64
	// foldMarginPx is the least room the time axis leaves before and after a fold's band,
	// so the texts of the instants around it are not drawn on it.
	foldMarginPx = 18.0
)

// folds finds the runs of ordinary data-phase traffic between two endpoints. A fold
// starts and ends between instants, never inside one: every event of an instant it
// holds is ordinary, so nothing drawn beside the lanes at its first or last moment sits
// on its band. A fold closes at the first instant boundary after maxFold segments.
func folds(tr *engine.Trace, attacker map[string]bool) []span {
	var out []span
	cur := span{first: -1, fold: true}
	n := 0
	var pair [2]string
	lastAck := map[string]tcp.Seq{}
	lastWin := map[string]uint16{}
	// The instant being read: where it starts, whether all of it is ordinary, its
	// segments' endpoints, how many segments it has and its last segment.
	inst := struct {
		at          tcp.Time
		first, last int
		plain       bool
		pair        [2]string
		segs        int
	}{first: -1}
	closeFold := func() {
		if cur.first >= 0 && n >= minFold {
			out = append(out, cur)
		}
		cur, n = span{first: -1, fold: true}, 0
	}
	// endInstant adds the finished instant to the fold, or ends the fold before it.
	endInstant := func() {
		if inst.first < 0 {
			return
		}
		switch {
		case !inst.plain:
			closeFold()
		case inst.segs == 0:
			// Only timers and reads: they go with the fold around them (a fold may start
			// with them; it ends at its last segment, trimFold).
			if cur.first < 0 {
				cur.first, cur.t0, pair = inst.first, inst.at, [2]string{}
			}
			cur.last, cur.t1 = inst.last, inst.at
		default:
			if cur.first >= 0 && pair != ([2]string{}) && inst.pair != pair && inst.pair != [2]string{pair[1], pair[0]} {
				closeFold()
			}
			if pair == ([2]string{}) {
				pair = inst.pair
			}
			if cur.first < 0 {
				cur.first, cur.t0, pair = inst.first, inst.at, inst.pair
			}
			cur.last, cur.t1 = inst.last, inst.at
			n += inst.segs
			if n >= maxFold {
				closeFold()
			}
		}
	}
	for i, e := range tr.Scan() {
		if inst.first < 0 || e.At != inst.at {
			endInstant()
			inst.at, inst.first, inst.plain, inst.segs = e.At, i, true, 0
		}
		inst.last = i
		plain := false
		switch e.Kind {
		case tcp.EventSegment:
			s := e.Segment
			plain = plainSegment(s, attacker, lastAck, lastWin)
			if s.Seg.Flags&tcp.ACK != 0 {
				lastAck[s.Src], lastWin[s.Src] = s.Seg.Ack, s.Seg.Window
			}
			if plain {
				p := [2]string{s.Src, s.Dst}
				if inst.segs > 0 && p != inst.pair && p != [2]string{inst.pair[1], inst.pair[0]} {
					plain = false // two conversations at one instant
				}
				inst.pair = p
				inst.segs++
			}
		case tcp.EventTimer:
			plain = e.Action != tcp.TimerFired // arming and cancelling go with the traffic
		case tcp.EventApp:
			plain = e.Call == "read" && e.Result == "ok"
		}
		inst.plain = inst.plain && plain
	}
	endInstant()
	closeFold() // a transfer that runs to the trace's end folds too
	// A fold must not end on an instant of timers and reads alone: trim it back to its
	// last segment's instant, so those texts are drawn (the fold's band ends there).
	for k := range out {
		out[k] = trimFold(tr, out[k])
	}
	return out
}

// trimFold ends a fold at the last instant that has one of its segments.
func trimFold(tr *engine.Trace, sp span) span {
	var buf engine.EventBuf
	for i := sp.last; i > sp.first; i-- {
		e := tr.Load(i, &buf)
		if e.Kind == tcp.EventSegment {
			t := e.At
			for j := i + 1; j <= sp.last; j++ {
				if tr.Load(j, &buf).At != t {
					sp.last = j - 1
					break
				}
			}
			sp.t1 = t
			return sp
		}
	}
	return sp
}

// plainSegment says whether a segment is ordinary transfer traffic: delivered, not a
// retransmission, only ACK (and PSH), an open window. Duplicate ACKs fold too (a run of
// them is like segments; the bundle says how many); the loss before them and the
// retransmission after them never do.
func plainSegment(s *tcp.SegmentEvent, attacker map[string]bool, lastAck map[string]tcp.Seq, lastWin map[string]uint16) bool {
	if attacker[s.Src] || attacker[s.Dst] || s.Fate != tcp.Delivered || s.Retransmit || s.Fault != "" || s.DupOf != 0 ||
		s.Label != "" || s.Seg.UDP || s.Seg.Flags&^(tcp.ACK|tcp.PSH) != 0 || s.Seg.Flags&tcp.ACK == 0 || s.Seg.Window == 0 {
		return false
	}
	if len(s.Seg.Payload) == 0 {
		_, seen := lastAck[s.Src]
		return seen // an ACK that advances, or a duplicate (with its SACK blocks): the bundle counts them
	}
	return true
}

// foldLanes returns the lanes a fold is drawn between: the sender of its data first.
func (b *builder) foldLanes(sp span) (from, to string) {
	var buf engine.EventBuf
	bytes := map[string]int{}
	for i := sp.first; i <= sp.last; i++ {
		e := b.tr.Load(i, &buf)
		if e.Kind != tcp.EventSegment {
			continue
		}
		s := e.Segment
		if from == "" {
			from, to = s.Src, s.Dst
		}
		bytes[s.Src] += len(s.Seg.Payload)
	}
	if bytes[to] > bytes[from] {
		from, to = to, from
	}
	return from, to
}

// fold draws a run of ordinary transfer traffic as one annotated band and one step.
func (b *builder) fold(sp span) {
	from, to := b.foldLanes(sp)
	var data, acks, dups int
	var lo, hi tcp.Seq
	last := map[string]tcp.Seq{}
	for i := sp.first; i <= sp.last; i++ {
		e := b.tr.Load(i, &b.bundleBuf)
		if e.Kind != tcp.EventSegment {
			continue
		}
		s := e.Segment
		if len(s.Seg.Payload) > 0 {
			if data == 0 {
				lo = s.Seg.Seq
			}
			data++
			hi = s.Seg.End()
		} else if a, ok := last[s.Src]; ok && a == s.Seg.Ack {
			dups++
		} else {
			acks++
		}
		last[s.Src] = s.Seg.Ack
	}
	base := b.isn[from+">"+to] + 1 // relative to the sender's ISN, as the labels are
	var parts []engine.Text
	if data > 0 {
		parts = append(parts, catalog.F("fold.data", data, int64(lo.Sub(base)), int64(hi.Sub(base))))
	}
	if acks > 0 {
		parts = append(parts, catalog.F("fold.acks", acks))
	}
	if dups > 0 {
		parts = append(parts, catalog.F("fold.dupacks", dups))
	}
	full := catalog.Join("sep.list", parts)
	first := b.tr.Load(sp.first, &b.bundleBuf)
	y1, y2 := round1(b.ax.y(sp.t0)), round1(b.ax.y(sp.t1))
	st := Step{Index: len(b.l.Steps), Event: sp.last, First: sp.first, AtUs: int64(first.At), Kind: "bundle", Y: y1, Lane: from,
		Text: catalog.F("fold.step", from, to, full)}
	b.l.Steps = append(b.l.Steps, st)
	it := Item{Kind: "bundle", Step: st.Index, End: -1, X1: b.laneX[from], Y1: y1, X2: b.laneX[to], Y2: y2,
		Src: from, Dst: to, Count: data + acks + dups, Text: full, Extra: "fold"}
	// In the band, off its arrow; where a phone's band has no room for the summary, the
	// count alone (the whole text is the step's, in the title and the transcript).
	short := catalog.F("fold.count", data+acks+dups)
	it.T = b.bundleLabel(it.X1, y1, it.X2, y2, [][]string{{parts[0].EN, parts[0].ZH}, {short.EN, short.ZH}})
	b.l.Items = append(b.l.Items, it)
}
