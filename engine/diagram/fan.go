package diagram

import (
	"math"

	"synack/engine"
	"synack/engine/tcp"
)

// Fans: a sender's window leaves in a burst (ten segments at one instant, each arriving
// a serialisation time after the one before) and the receiver answers each with an ACK
// a moment apart, so their arrows lie a pixel or two apart, side by side. No label fits
// between two such arrows, and each one's label would lie on its neighbours'; the fan is
// labelled once, on its first arrow, with how many more it holds ("ACK len 1448 +9"), as
// segments that share one line are (stackArrows). Each arrow keeps its own title, and
// the transcript lists every one.

// fanGapPx is how near, at both ends, an arrow must run to the fan's last one to join
// it: a segment label's height, the least room a label needs between two arrows.
const fanGapPx = 16.0

// fanArrows joins into fans the like arrows of a finished trace that run within
// fanGapPx of each other: same sender and receiver, the same flags but PSH, all carrying
// data or none, the same fate (all delivered, or all lost the same way), all first
// transmissions or all retransmissions, so each arrow's own drawing (a cross, a dashed
// line) still tells it apart and the label speaks for all. SYN, FIN, RST, named messages
// and a link's duplicates never join one. It runs after stackArrows, on the arrows that
// carry a label.
func (b *builder) fanArrows() {
	type kind struct {
		src, dst   string
		flags      tcp.Flags
		data       bool
		fate       tcp.Fate
		retransmit bool
		fault      string
	}
	type fan struct {
		head   int     // the segment ID whose label stands for the fan
		y1, y2 float64 // where its last arrow leaves and arrives
	}
	open := map[kind]*fan{}
	b.fanLast = map[int][4]float64{}
	var buf engine.EventBuf
	sp := 0
	for j := 0; j < b.tr.Len(); j++ {
		for sp < len(b.spans) && b.spans[sp].last < j {
			sp++
		}
		if sp < len(b.spans) && b.spans[sp].first <= j {
			continue // in a bundle: no arrow of its own
		}
		e := b.tr.Load(j, &buf)
		if e.Kind != tcp.EventSegment {
			continue
		}
		s := e.Segment
		n, labelled := b.stackLabel[s.ID]
		if !labelled || n < 0 {
			continue
		}
		g := s.Seg
		if s.DupOf != 0 || s.Label != "" || g.UDP || g.Flags&(tcp.SYN|tcp.FIN|tcp.RST) != 0 {
			continue
		}
		k := kind{s.Src, s.Dst, g.Flags &^ tcp.PSH, b.stackData[s.ID], s.Fate, s.Retransmit, s.Fault}
		y1, y2 := b.ax.y(e.At), b.ax.y(s.Arrive)
		if f := open[k]; f != nil && y1-f.y1 <= fanGapPx && math.Abs(y2-f.y2) <= fanGapPx {
			b.stackLabel[f.head] += 1 + n
			b.stackLabel[s.ID] = -1
			f.y1, f.y2 = y1, y2
			x1, y1, x2, y2 := b.arrowEnds(e)
			b.fanLast[f.head] = [4]float64{x1, y1, x2, y2}
			continue
		}
		open[k] = &fan{head: s.ID, y1: y1, y2: y2}
	}
}

// arrowLabel places the label of segment id's arrow, from (x1, y1) to (x2, y2), with
// place. A fan's label that lies on another arrow beside its first is tried beside its
// last, the fan's other side. A label that still lies on another arrow marks its instant
// crowded, so a finished story is laid out again with more room after it (Build).
func (b *builder) arrowLabel(id int, place func(x1, y1, x2, y2 float64, variants []string, size float64) *Label,
	x1, y1, x2, y2 float64, variants []string) *Label {
	lb := place(x1, y1, x2, y2, variants, fontSeg)
	if lb == nil {
		return nil
	}
	if b.pl.clearOfArrows(labelBox(lb), lineBox(x1, y1, x2, y2)) {
		return lb
	}
	// Clear of every line it could not be: clear of the arrows, then, across a band or a
	// lifeline (its halo keeps it readable), beside this arrow or the fan's last, whole
	// or shortened.
	lines := [][4]float64{{x1, y1, x2, y2}}
	if last, ok := b.fanLast[id]; ok {
		lines = append(lines, last)
	}
	kept := b.pl.undo()
	if lb2 := b.offArrows(lines, variants, fontSeg); lb2 != nil {
		return lb2
	}
	b.pl.add(kept)
	b.crowded[b.now]++
	return lb
}

// offArrows places an arrow's label beside one of lines (its arrow, and a fan's last),
// clear of every text and every other arrow, whole where it can, else shortened to half
// or a third of its arrow (the whole label is the arrow's title and the transcript's);
// nil if no spot is clear.
func (b *builder) offArrows(lines [][4]float64, variants []string, size float64) *Label {
	width := func(vs []string) float64 {
		w := 0.0
		for _, v := range vs {
			w = max(w, TextWidth(v, size))
		}
		return w
	}
	for _, tier := range []float64{0, 0.5, 0.33} {
		for _, ln := range lines {
			ang, cands := arrowCands(ln[0], ln[1], ln[2], ln[3], size, true, true)
			own := lineBox(ln[0], ln[1], ln[2], ln[3])
			vs, cut := variants, false
			if tier > 0 {
				room := tier * math.Hypot(ln[2]-ln[0], ln[3]-ln[1])
				if room >= width(variants) {
					continue
				}
				vs, cut = make([]string, len(variants)), true
				for i, v := range variants {
					if vs[i] = fitRunes(v, room, size); vs[i] == "" {
						vs = nil
						break
					}
				}
				if vs == nil {
					continue
				}
			}
			w := width(vs)
			for _, c := range cands {
				bx := textBox(round1(c[0]), round1(c[1]), "middle", round1(ang), w, size)
				if b.pl.fits(bx, false) && !bx.overlaps(own) && b.pl.clearOfArrows(bx, own) {
					lb := placeText(b.pl, vs, size, "middle", ang, [][2]float64{c}, -1)
					if lb != nil {
						lb.Cut = cut
					}
					return lb
				}
			}
		}
	}
	return nil
}
