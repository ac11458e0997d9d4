package diagram

import (
	"fmt"
	"math"
	"strconv"

	"synack/engine"
)

// Boxes returns the box of every text the layout draws, in every language and numbering
// (the widest), as axis-aligned bounds and a test for overlap, for the external tests.
func Boxes(l *Layout) []TestBox {
	var out []TestBox
	addLb := func(what string, lb *Label) {
		if lb != nil {
			out = append(out, TestBox{What: what + " " + lb.EN, b: labelBox(lb)})
		}
	}
	for _, ln := range l.Lanes {
		addLb("lane", ln.NameL)
		addLb("addr", ln.AddrL)
	}
	for _, t := range l.Ticks {
		addLb("tick", t.T)
	}
	for _, g := range l.Gaps {
		addLb("gap", g.T)
	}
	for _, it := range l.Items {
		addLb(it.Kind, it.T)
	}
	addLb("truncated", l.TruncL)
	return out
}

// ColumnBoxes returns the box of every text of a comparison column.
func ColumnBoxes(tr *engine.Trace, o ColumnOptions) []TestBox {
	c := layoutColumn(tr, o)
	var out []TestBox
	add := func(what string, lb *Label) {
		if lb != nil {
			out = append(out, TestBox{What: what + " " + lb.EN, b: textBox(lb.X, lb.Y, lb.AnchorOrStart(), lb.Rot, TextWidth(lb.EN, lb.Size), lb.Size)})
		}
	}
	add("lane", c.lanes[0])
	add("lane", c.lanes[1])
	add("first byte", c.firstL)
	for _, r := range c.rules {
		add("rule", r.t)
	}
	for _, p := range c.pkts {
		add("packet", p.t)
	}
	return out
}

// TestBox is one text's box.
type TestBox struct {
	What string
	b    box
}

// Bounds returns the box's axis-aligned bounds.
func (t TestBox) Bounds() (x1, y1, x2, y2 float64) { return t.b.bounds() }

// Overlaps tells whether two text boxes overlap (shrunk by a hair against rounding).
func (t TestBox) Overlaps(o TestBox) bool {
	a, b := t.b, o.b
	a.hw, a.hh, b.hw, b.hh = a.hw-0.2, a.hh-0.2, b.hw-0.2, b.hh-0.2
	return a.overlaps(b)
}

// SideTextOnArrow returns, for each text beside a lane (a state, call, timer, note or
// queue) that lies on the arrow of a segment sent at the same instant, a description.
func SideTextOnArrow(l *Layout) []string {
	var out []string
	for _, it := range l.Items {
		if it.Kind == "segment" || it.Kind == "bundle" || it.T == nil {
			continue
		}
		lb := it.T
		tb := labelBox(lb)
		tb.hw, tb.hh = tb.hw-0.5, tb.hh-0.5 // the halo may touch a line
		for _, a := range l.Items {
			if a.Kind != "segment" || a.Y1 != it.Y1 {
				continue
			}
			n := math.Hypot(a.X2-a.X1, a.Y2-a.Y1)
			if n == 0 {
				continue
			}
			ln := box{cx: (a.X1 + a.X2) / 2, cy: (a.Y1 + a.Y2) / 2, hw: n / 2, hh: 0.5, rot: math.Atan2(a.Y2-a.Y1, a.X2-a.X1)}
			if tb.overlaps(ln) {
				out = append(out, it.Kind+" "+lb.EN+" on the arrow of segment "+strconv.Itoa(a.ID))
			}
		}
	}
	return out
}

// SideTextOnBundle returns, for each text beside a lane that lies on a bundle's band, a
// description.
func SideTextOnBundle(l *Layout) []string {
	var out []string
	for _, it := range l.Items {
		if it.Kind == "segment" || it.Kind == "bundle" || it.T == nil {
			continue
		}
		lb := it.T
		tb := labelBox(lb)
		for _, bd := range l.Items {
			if bd.Kind != "bundle" {
				continue
			}
			band := box{cx: bd.BX + bd.BW/2, cy: bd.Y1 + bd.BH/2, hw: bd.BW / 2, hh: bd.BH / 2}
			if tb.overlaps(band) {
				out = append(out, it.Kind+" "+lb.EN+" on the band of bundle step "+strconv.Itoa(bd.Step))
			}
		}
	}
	return out
}

// TickBox is the box of a tick's label.
func TickBox(t Tick) TestBox { return TestBox{What: "tick " + t.Label, b: labelBox(t.T)} }

// BundleTextOnArrow returns, for each bundle whose label lies on the band's own arrow, a
// description.
func BundleTextOnArrow(l *Layout) []string {
	var out []string
	for _, it := range l.Items {
		if it.Kind != "bundle" || it.T == nil {
			continue
		}
		tb := labelBox(it.T)
		tb.hw, tb.hh = tb.hw-0.5, tb.hh-0.5
		if tb.overlaps(lineBox(it.X1, it.Y1, it.X2, it.Y2)) {
			out = append(out, it.T.EN+" on the arrow of bundle step "+strconv.Itoa(it.Step))
		}
	}
	return out
}

// ArrowTextOnOtherArrow returns, for each arrow's or bundle's label that another arrow's
// line (a segment's, or a bundle's diagonal) crosses, a description: what
// web's TestBrowserPhoneLabelsClearOfArrows counts in the drawn SVG, on the layout's own
// boxes (in the widest language and numbering).
func ArrowTextOnOtherArrow(l *Layout) []string {
	var out []string
	for i, it := range l.Items {
		if it.Kind != "segment" && it.Kind != "bundle" || it.T == nil {
			continue
		}
		tb := labelBox(it.T)
		tb.hw, tb.hh = tb.hw-0.5, tb.hh-0.5 // the halo may touch a line
		_, ty1, _, ty2 := tb.bounds()
		for j, a := range l.Items {
			if j == i || a.Kind != "segment" && a.Kind != "bundle" {
				continue
			}
			if min(a.Y1, a.Y2) > ty2 || max(a.Y1, a.Y2) < ty1 {
				continue
			}
			if a.X1 == a.X2 && a.Y1 == a.Y2 {
				continue
			}
			if tb.overlaps(lineBox(a.X1, a.Y1, a.X2, a.Y2)) {
				out = append(out, fmt.Sprintf("%s %q on the arrow of %s %d", it.Kind, it.T.EN, a.Kind, a.ID))
			}
		}
	}
	return out
}

// TextsOnGaps returns, for each upright text beside a lane (a state, call, timer, note or
// queue) that lies on the band of a compressed gap, a description: such a text seems to
// happen in the idle time the band stands for. A text of the moment that ends the gap,
// placed just above that moment's line (a probe's note), is where it belongs.
func TextsOnGaps(l *Layout) []string {
	var out []string
	for _, it := range l.Items {
		if it.T == nil || it.T.Rot != 0 || it.Kind == "segment" || it.Kind == "bundle" {
			continue
		}
		x1, y1, x2, y2 := labelBox(it.T).bounds()
		for _, g := range l.Gaps {
			if it.Step < len(l.Steps) && l.Steps[it.Step].Y >= g.Y2 {
				continue
			}
			if x2 > g.X && x1 < g.X+g.W && y2 > g.Y1+1 && y1 < g.Y2-1 {
				out = append(out, fmt.Sprintf("%s %q at y %.0f on the %s gap (y %.0f–%.0f)", it.Kind, it.T.EN, it.T.Y, g.Real, g.Y1, g.Y2))
			}
		}
	}
	return out
}
