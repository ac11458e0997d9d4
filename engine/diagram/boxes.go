package diagram

import (
	"math"
	"slices"
	"strings"
	"unicode"
)

// Text boxes. Every text a diagram draws is placed here, in Go, knowing every box placed
// before it: the browser and the server-side SVG draw it where the layout says.

// Font sizes the diagram's CSS (Style) draws each kind of text at, in px.
const (
	fontSeg   = 12.0 // segment labels (monospace)
	fontSide  = 11.0 // state, timer, application, note and queue texts
	fontGap   = 12.0
	fontTick  = 11.0
	fontLane  = 14.0
	fontAddr  = 12.0
	fontCmp   = 10.0 // comparison columns
	fontCmpLn = 12.0
)

// TextWidth estimates, conservatively, how wide s is drawn at size px: capitals 0.76 em
// (bold sans-serif capitals, the widest the diagram draws, are near 0.72), other Latin
// and digits 0.62 em (monospace is 0.6), wide (CJK, full-width) runes 1 em.
func TextWidth(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			w += 0.76
		case r < 0x80:
			w += 0.62
		case unicode.Is(unicode.Han, r) || r >= 0x3000 && r <= 0x30ff || r >= 0xff00 && r <= 0xffef:
			w += 1.0
		default:
			w += 0.7
		}
	}
	return w * size
}

// box is an oriented rectangle: centre, half extents and rotation (radians).
type box struct {
	cx, cy, hw, hh, rot float64
}

// textBox is the box of s drawn at (x, y) (the baseline), anchored start, middle or end,
// rotated by deg about (x, y).
func textBox(x, y float64, anchor string, deg, w, size float64) box {
	const pad = 1.5 // the label halo (paint-order stroke) and rounding
	top, bot := y-0.88*size, y+0.28*size
	var left float64
	switch anchor {
	case "middle":
		left = x - w/2
	case "end":
		left = x - w
	default:
		left = x
	}
	// The centre in the unrotated frame, then rotated about (x, y).
	ux, uy := left+w/2, (top+bot)/2
	rad := deg * math.Pi / 180
	s, c := math.Sin(rad), math.Cos(rad)
	dx, dy := ux-x, uy-y
	return box{cx: x + dx*c - dy*s, cy: y + dx*s + dy*c, hw: w/2 + pad, hh: (bot-top)/2 + pad/2, rot: rad}
}

// labelBox is the box of a label in its widest language or numbering.
func labelBox(lb *Label) box {
	w := 0.0
	for _, v := range []string{lb.EN, lb.ZH, lb.Rel} {
		w = max(w, TextWidth(v, lb.Size))
	}
	return textBox(lb.X, lb.Y, lb.AnchorOrStart(), lb.Rot, w, lb.Size)
}

// bounds is the axis-aligned rectangle around b.
func (b box) bounds() (x1, y1, x2, y2 float64) {
	if b.rot == 0 {
		return b.cx - b.hw, b.cy - b.hh, b.cx + b.hw, b.cy + b.hh
	}
	s, c := math.Sincos(b.rot)
	s, c = math.Abs(s), math.Abs(c)
	ex := b.hw*c + b.hh*s
	ey := b.hw*s + b.hh*c
	return b.cx - ex, b.cy - ey, b.cx + ex, b.cy + ey
}

// overlaps tells whether two oriented boxes overlap (separating axis test).
func (b box) overlaps(o box) bool {
	ax1, ay1, ax2, ay2 := b.bounds()
	bx1, by1, bx2, by2 := o.bounds()
	if ax2 <= bx1 || bx2 <= ax1 || ay2 <= by1 || by2 <= ay1 {
		return false
	}
	if b.rot == 0 && o.rot == 0 {
		return true
	}
	sb, cb := math.Sincos(b.rot)
	so, co := math.Sincos(o.rot)
	return axesOverlap(b, sb, cb, o, so, co)
}

// axesOverlap is the separating axis test of two boxes whose bounds overlap, given the sine
// and cosine of each one's rotation: false if some side's axis separates them.
func axesOverlap(b box, sb, cb float64, o box, so, co float64) bool {
	// The four axes are each box's sides: (cos r, sin r) and, a quarter turn on,
	// (−sin r, cos r).
	for _, u := range [...][2]float64{{cb, sb}, {-sb, cb}, {co, so}, {-so, co}} {
		pb, rb := project(b, sb, cb, u[0], u[1])
		po, ro := project(o, so, co, u[0], u[1])
		if math.Abs(pb-po) >= rb+ro {
			return false
		}
	}
	return true
}

// project returns the centre of b (whose rotation has sine s and cosine c) on axis u and
// b's radius along it.
func project(b box, s, c, ux, uy float64) (float64, float64) {
	return b.cx*ux + b.cy*uy, b.hw*math.Abs(c*ux+s*uy) + b.hh*math.Abs(-s*ux+c*uy)
}

// placer remembers the boxes placed so far, bucketed by y so a long diagram stays fast.
// Texts are hard obstacles: no text may overlap another. Lines (arrows, lifelines,
// brackets) are soft: a text avoids them where it can, and crosses them (on its halo)
// where it cannot.
type placer struct {
	w, h    float64 // the figure: boxes must stay in [0,w]×[0,h] (h 0: unbounded below)
	buckets map[int][]box
	soft    map[int][]bounded
	// arrows holds the segments' and bundles' lines alone (soft holds them with the
	// bands), for the labels that must keep off every other arrow.
	arrows map[int][]bounded
	vlines []float64 // lifelines: x positions, from laneTop down
	all    []box
	// fewest makes a text that must sit on a line take the candidate crossing the
	// fewest others than own (an arrow's label and its arrow), not the first.
	fewest bool
	own    box
	// noArrows, with fewest, refuses a candidate that crosses any line or band (a
	// lifeline only is allowed).
	noArrows bool
}

const bucketPx = 64.0

func newPlacer(w, h float64) *placer {
	return &placer{w: w, h: h, buckets: map[int][]box{}, soft: map[int][]bounded{}, arrows: map[int][]bounded{}}
}

// fits tells whether b is inside the figure and clear of every placed text (and, if
// soft, of every line).
// roomAt is the width a text anchored at x has before the figure's edge (both edges for
// a middle anchor), 3 px kept clear.
func (p *placer) roomAt(x float64, anchor string) float64 {
	switch anchor {
	case "end":
		return x - 3
	case "middle":
		return 2*min(x, p.w-x) - 6
	}
	return p.w - x - 3
}

func (p *placer) fits(b box, soft bool) bool {
	a := boundedBox(b)
	x1, y1, x2, y2 := a.x1, a.y1, a.x2, a.y2
	if x1 < 0 || y1 < 0 || x2 > p.w || p.h > 0 && y2 > p.h {
		return false
	}
	for k := int(math.Floor(y1 / bucketPx)); k <= int(math.Floor(y2/bucketPx)); k++ {
		for _, o := range p.buckets[k] {
			if b.overlaps(o) {
				return false
			}
		}
		if !soft {
			continue
		}
		for _, o := range p.soft[k] {
			if meets(a, o) {
				return false
			}
		}
	}
	if soft && y2 > laneTop {
		for _, x := range p.vlines {
			if x1 < x && x < x2 {
				return false
			}
		}
	}
	return true
}

// onLine tells whether b crosses a line, a band or a lifeline (b itself may already be
// placed: texts are not looked at).
func (p *placer) onLine(b box) bool {
	a := boundedBox(b)
	x1, y1, x2, y2 := a.x1, a.y1, a.x2, a.y2
	for k := int(math.Floor(y1 / bucketPx)); k <= int(math.Floor(y2/bucketPx)); k++ {
		for _, o := range p.soft[k] {
			if meets(a, o) {
				return true
			}
		}
	}
	if y2 > laneTop {
		for _, x := range p.vlines {
			if x1 < x && x < x2 {
				return true
			}
		}
	}
	return false
}

// lineBox is the box a line from (x1, y1) to (x2, y2) takes.
func lineBox(x1, y1, x2, y2 float64) box {
	return box{cx: (x1 + x2) / 2, cy: (y1 + y2) / 2, hw: math.Hypot(x2-x1, y2-y1) / 2, hh: 0.8, rot: math.Atan2(y2-y1, x2-x1)}
}

// lineHits weighs the lines and bands b crosses, one each, and the lifelines, half each
// (a label across its own lane near where its arrow leaves reads better than one on
// another arrow).
func (p *placer) lineHits(b box) float64 {
	a := boundedBox(b)
	x1, y1, x2, y2 := a.x1, a.y1, a.x2, a.y2
	n := 0.0
	var seen []box // a line spanning several buckets is in each: counted once
	for k := int(math.Floor(y1 / bucketPx)); k <= int(math.Floor(y2/bucketPx)); k++ {
		for _, o := range p.soft[k] {
			if o.box != p.own && meets(a, o) && !slices.Contains(seen, o.box) {
				seen = append(seen, o.box)
				n++
			}
		}
	}
	if y2 > laneTop {
		for _, x := range p.vlines {
			if x1 < x && x < x2 {
				n += 0.5
			}
		}
	}
	return n
}

// rect records a filled rectangle as a soft obstacle.
func (p *placer) rect(x1, y1, x2, y2 float64) {
	bb := boundedBox(box{cx: (x1 + x2) / 2, cy: (y1 + y2) / 2, hw: (x2 - x1) / 2, hh: (y2 - y1) / 2})
	for k := int(math.Floor(y1 / bucketPx)); k <= int(math.Floor(y2/bucketPx)); k++ {
		p.soft[k] = append(p.soft[k], bb)
	}
}

// line records a line from (x1, y1) to (x2, y2) as a soft obstacle.
func (p *placer) line(x1, y1, x2, y2 float64) {
	if x1 == x2 && y1 == y2 {
		return
	}
	bb := boundedBox(lineBox(x1, y1, x2, y2))
	for k := int(math.Floor(bb.y1 / bucketPx)); k <= int(math.Floor(bb.y2/bucketPx)); k++ {
		p.soft[k] = append(p.soft[k], bb)
		p.arrows[k] = append(p.arrows[k], bb)
	}
}

// arrowLine records a bundle's arrow, across its band (a soft obstacle already), as an
// arrow only.
func (p *placer) arrowLine(x1, y1, x2, y2 float64) {
	bb := boundedBox(lineBox(x1, y1, x2, y2))
	for k := int(math.Floor(bb.y1 / bucketPx)); k <= int(math.Floor(bb.y2/bucketPx)); k++ {
		p.arrows[k] = append(p.arrows[k], bb)
	}
}

// bounded is a box with its axis-aligned bounds worked out once: an arrow is tested
// against every label placed near it.
type bounded struct {
	box
	x1, y1, x2, y2 float64
	s, c           float64 // the sine and cosine of its rotation
}

// meets tells whether a and o overlap, as a.overlaps(o.box) does, with their bounds and
// rotations worked out once.
func meets(a, o bounded) bool {
	if a.x2 <= o.x1 || o.x2 <= a.x1 || a.y2 <= o.y1 || o.y2 <= a.y1 {
		return false
	}
	return a.rot == 0 && o.rot == 0 || axesOverlap(a.box, a.s, a.c, o.box, o.s, o.c)
}

func boundedBox(b box) bounded {
	x1, y1, x2, y2 := b.bounds()
	s, c := math.Sincos(b.rot)
	return bounded{b, x1, y1, x2, y2, s, c}
}

// clearOfArrows tells whether b crosses no arrow but own (b shrunk by half a pixel: the
// halo may touch a line). It stops at the first arrow crossed: a label is tried at many
// places near many arrows, and most places cross one.
func (p *placer) clearOfArrows(b, own box) bool {
	b.hw, b.hh = b.hw-0.5, b.hh-0.5
	a := boundedBox(b)
	for k := int(math.Floor(a.y1 / bucketPx)); k <= int(math.Floor(a.y2/bucketPx)); k++ {
		for _, o := range p.arrows[k] {
			if o.box != own && meets(a, o) {
				return false
			}
		}
	}
	return true
}

// undo takes back the box placed last and returns it.
func (p *placer) undo() box {
	b := p.all[len(p.all)-1]
	p.all = p.all[:len(p.all)-1]
	_, y1, _, y2 := b.bounds()
	for k := int(math.Floor(y1 / bucketPx)); k <= int(math.Floor(y2/bucketPx)); k++ {
		p.buckets[k] = p.buckets[k][:len(p.buckets[k])-1]
	}
	return b
}

// remove takes back b, a box placed before.
func (p *placer) remove(b box) {
	for i, o := range p.all {
		if o == b {
			p.all = append(p.all[:i], p.all[i+1:]...)
			break
		}
	}
	_, y1, _, y2 := b.bounds()
	for k := int(math.Floor(y1 / bucketPx)); k <= int(math.Floor(y2/bucketPx)); k++ {
		bk := p.buckets[k]
		for i, o := range bk {
			if o == b {
				p.buckets[k] = append(bk[:i], bk[i+1:]...)
				break
			}
		}
	}
}

// add places b.
func (p *placer) add(b box) {
	_, y1, _, y2 := b.bounds()
	for k := int(math.Floor(y1 / bucketPx)); k <= int(math.Floor(y2/bucketPx)); k++ {
		p.buckets[k] = append(p.buckets[k], b)
	}
	p.all = append(p.all, b)
}

// bottom is the lowest edge of any placed box.
func (p *placer) bottom() float64 {
	m := 0.0
	for _, b := range p.all {
		_, _, _, y2 := b.bounds()
		m = max(m, y2)
	}
	return m
}

// fitRunes shortens s, ending in an ellipsis, until it is at most w px wide at size; ""
// if not even a few characters fit.
func fitRunes(s string, w, size float64) string {
	if TextWidth(s, size) <= w {
		return s
	}
	// A label that stands for others ("ACK len 1448 +9") keeps its count where it can:
	// the head is cut.
	if i := strings.LastIndex(s, " +"); i > 0 && i+2 < len(s) && strings.Trim(s[i+2:], "0123456789") == "" {
		more := s[i:]
		if head := fitRunes(s[:i], w-TextWidth(more, size), size); head != "" {
			return head + more
		}
	}
	budget := w - TextWidth("…", size)
	used, n, cut := 0.0, 0, 0
	for i, r := range s {
		rw := TextWidth(string(r), size)
		if used+rw > budget {
			cut = i
			break
		}
		used += rw
		n++
	}
	if n < 4 {
		return ""
	}
	return s[:cut] + "…"
}
