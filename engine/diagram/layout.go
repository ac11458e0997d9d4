// Package diagram computes the geometry of a trace's sequence diagram, once, in Go:
// lanes, a time axis that stays to scale for round trips but compresses long idle gaps
// (TIME-WAIT's 60 s beside a 50 ms RTT), sloped arrows for segments, crosses for dropped
// ones, state bands, timer brackets and application notes. The server-side SVG and the
// browser renderer both draw this layout; neither lays anything out again.
package diagram

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"synack/engine"
	"synack/engine/catalog"
	"synack/engine/tcp"
)

// Layout constants, in SVG user units.
const (
	DefaultWidth = 880.0
	// NarrowWidth is the width of the phone layout: two lanes that fit a 390 px screen.
	NarrowWidth = 360.0
	top         = 70.0
	bottom      = 40.0
	laneMargin  = 220.0
	laneTop     = 50.0
	lineGap     = 15.0 // one line of side text: a text box (14.3 px with its halo) fits one
	addrGap     = 18.0 // one line of lane addresses (12 px, with room for a browser's taller box)
	// aboveGap is how far above its moment a side text's baseline goes when it sits just
	// above it: its box's foot (0.28 em and half the halo below the baseline) stays clear
	// of the moment's line, where the arrows leave.
	aboveGap = 4.5
	// MaxDrawnSegments bounds the arrows one diagram draws; later segments are summarised.
	MaxDrawnSegments = 4000
	// MaxGapPx is the most height a compressed idle gap takes, however long it is.
	MaxGapPx = 64.0
	// bundlePx is the height of a bundle of repeated segments.
	bundlePx = 48.0
	// minBundle is how many attacker segments in a row make a bundle.
	minBundle = 4
)

// Options shape a layout.
type Options struct {
	Width float64 // total width (default DefaultWidth; NarrowWidth for phones)
	// PxPerRTT is the height of one round trip (default 150; 110 when narrow).
	PxPerRTT float64
	// Expand draws every segment of a flood instead of bundling repeated ones.
	Expand bool
	// Growing says the trace will grow (the lab): a text is then placed knowing only the
	// arrows of its own instant and before, so it never moves when later events arrive.
	// A finished trace (a story) places every text knowing every arrow, so no arrow sent
	// later runs over an earlier label.
	Growing bool
	// Mismatch, when not nil, draws where a packetdrill script's expectation failed.
	Mismatch *Mismatch
}

// Lane is one endpoint's lifeline.
type Lane struct {
	Name string  `json:"name"`
	Role string  `json:"role"`
	Addr string  `json:"addr"`
	X    float64 `json:"x"`
	// Head is the header box (x, y, width, height); NameL and AddrL its two texts.
	Head  [4]float64 `json:"head"`
	NameL *Label     `json:"name_l,omitempty"`
	AddrL *Label     `json:"addr_l,omitempty"`
}

// Label is one text as the diagram draws it: its final place, anchor and rotation, and
// what it says. A text too long for the room it has is shortened (Cut); its full text is
// in the element's title and the transcript.
type Label struct {
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	Anchor string  `json:"anchor,omitempty"` // "start" (default), "middle" or "end"
	Rot    float64 `json:"rot,omitempty"`    // degrees, about (X, Y)
	EN     string  `json:"en"`
	ZH     string  `json:"zh,omitempty"`     // when it differs from EN
	Rel    string  `json:"rel,omitempty"`    // segment labels: with relative sequence numbers
	RelZH  string  `json:"rel_zh,omitempty"` // ... in Chinese, when it differs from Rel
	Cut    bool    `json:"cut,omitempty"`
	Size   float64 `json:"-"` // font size the box was computed for
}

// Pick returns the text drawn for a language and numbering.
func (l *Label) Pick(lang string, relative bool) string {
	if relative && lang == "zh" && l.RelZH != "" {
		return l.RelZH
	}
	if relative && l.Rel != "" {
		return l.Rel
	}
	if lang == "zh" && l.ZH != "" {
		return l.ZH
	}
	return l.EN
}

// AnchorOrStart is the SVG text-anchor of the label.
func (l *Label) AnchorOrStart() string {
	if l.Anchor == "" {
		return "start"
	}
	return l.Anchor
}

// Step is one unit of playback: one visible trace event, or one bundle of many.
type Step struct {
	Index int `json:"index"`
	// Event is the index of the trace event the step shows; for a bundle, its last event
	// (so every event of the bundle maps to the bundle's step), with First its first.
	Event   int         `json:"event"`
	First   int         `json:"first,omitempty"`
	AtUs    int64       `json:"at_us"`
	Kind    string      `json:"kind"`
	Y       float64     `json:"y"`
	Segment int         `json:"segment,omitempty"` // segment ID for segment steps
	Lane    string      `json:"lane,omitempty"`
	State   string      `json:"state,omitempty"` // for state steps: the new state
	From    string      `json:"from,omitempty"`
	Cause   string      `json:"cause,omitempty"` // for state steps: why, in the engine's words ("received RST")
	Text    engine.Text `json:"text"`
}

// Item is one drawn thing. Kind says which fields apply.
type Item struct {
	Kind string  `json:"kind"` // "segment", "state", "timer", "app", "note", "queue", "bundle", "ghost"
	Step int     `json:"step"` // shown from this step on
	End  int     `json:"end"`  // state bands and timers: the step where they end (-1: open)
	X1   float64 `json:"x1"`
	Y1   float64 `json:"y1"`
	X2   float64 `json:"x2"`
	Y2   float64 `json:"y2"`

	ID         int      `json:"id,omitempty"`
	Src        string   `json:"src,omitempty"`
	Dst        string   `json:"dst,omitempty"`
	Flags      []string `json:"flags,omitempty"`
	Fate       string   `json:"fate,omitempty"`
	Retransmit bool     `json:"retransmit,omitempty"`
	Fault      string   `json:"fault,omitempty"`
	Extra      string   `json:"extra,omitempty"` // application label (TLS message), cookie note
	Label      string   `json:"label,omitempty"` // a timer's duration, e.g. "60 s"

	Lane  string      `json:"lane,omitempty"`
	State string      `json:"state,omitempty"`
	Text  engine.Text `json:"text,omitzero"` // the full text (title) of app, note, timer, bundle items

	// T is the item's text as drawn.
	T *Label `json:"t,omitempty"`
	// A box: a state band's rect (bx, y1, 8, bh); a queue gauge (bx, by, GaugeW, 8) and
	// its filled width bw; a bundle's band (bx, y1, bw, bh). A timer's bracket and a lost
	// segment's cross are the path D. Len is an arrow's length (for drawing it in).
	BX  float64 `json:"bx,omitempty"`
	BY  float64 `json:"by,omitempty"`
	BW  float64 `json:"bw,omitempty"`
	BH  float64 `json:"bh,omitempty"`
	D   string  `json:"d,omitempty"`
	Len float64 `json:"len,omitempty"`
	// Count is how many segments a bundle stands for; SynQueue/Backlog a queue's numbers.
	Count    int `json:"count,omitempty"`
	SynQueue int `json:"synq,omitempty"`
	Backlog  int `json:"backlog,omitempty"`
	Accept   int `json:"acceptq,omitempty"`
	// Mark is a segment's part in a failed script (MarkSent) or a ghost's (MarkExpected).
	Mark string `json:"mark,omitempty"`
}

// GaugeW is the width of a queue gauge.
const GaugeW = 60.0

// Gap marks a compressed stretch of the time axis.
type Gap struct {
	Y1   float64 `json:"y1"`
	Y2   float64 `json:"y2"`
	X    float64 `json:"x"` // the band spans x..x+w
	W    float64 `json:"w"`
	Real string  `json:"real"` // its real length, e.g. "59.6 s"
	T    *Label  `json:"t,omitempty"`
}

// Tick labels the time axis; T is nil where its label had no room.
type Tick struct {
	Y     float64 `json:"y"`
	Label string  `json:"label"`
	T     *Label  `json:"t,omitempty"`
}

// Layout is a whole diagram.
type Layout struct {
	Scenario   string  `json:"scenario"`
	Profile    string  `json:"profile"`
	Seed       uint64  `json:"seed"`
	RTTus      int64   `json:"rtt_us"`
	Width      float64 `json:"width"`
	Height     float64 `json:"height"`
	LaneTop    float64 `json:"lane_top"`
	LaneBottom float64 `json:"lane_bottom"`
	Lanes      []Lane  `json:"lanes"`
	Items      []Item  `json:"items"`
	Steps      []Step  `json:"steps"`
	Gaps       []Gap   `json:"gaps"`
	Ticks      []Tick  `json:"ticks"`
	Truncated  int     `json:"truncated,omitempty"` // segments not drawn beyond MaxDrawnSegments
	// TruncL is the "n more segments not drawn" text, when Truncated > 0.
	TruncL *Label `json:"trunc_l,omitempty"`
}

// timeAxis maps virtual time to y.
type timeAxis struct {
	times []tcp.Time
	ys    []float64
}

func (a *timeAxis) y(t tcp.Time) float64 {
	i := sort.Search(len(a.times), func(i int) bool { return a.times[i] >= t })
	if i < len(a.times) && a.times[i] == t {
		return a.ys[i]
	}
	if i == 0 {
		return a.ys[0]
	}
	if i == len(a.times) {
		return a.ys[len(a.ys)-1]
	}
	// Between two known times: interpolate.
	t0, t1 := a.times[i-1], a.times[i]
	f := float64(t-t0) / float64(t1-t0)
	return a.ys[i-1] + f*(a.ys[i]-a.ys[i-1])
}

// gapPx is the height of an idle gap g: to scale up to two round trips, then a slim
// band that grows with the logarithm of its length (so a backoff's 1, 2, 4, 8 s gaps
// still visibly grow) and never takes more than MaxGapPx.
func gapPx(g, rtt time.Duration, pxPerRTT float64) (float64, bool) {
	if rtt <= 0 {
		rtt = 100 * time.Millisecond
	}
	lin := 2 * rtt
	s := pxPerRTT / float64(rtt)
	if g <= lin {
		return float64(g) * s, false
	}
	return min(30+5*math.Log2(float64(g)/float64(lin)), MaxGapPx), true
}

// span is a run of trace events drawn as one bundle.
type span struct {
	first, last int      // event indexes
	t0, t1      tcp.Time // first and last event times
	fold        bool     // a run of ordinary transfer traffic (fold.go), not a flood's
}

// bundles finds the runs of attacker traffic that are drawn as one bundle each: at least
// minBundle segments from or to an attacker lane, uninterrupted by anything the main
// connection does.
func bundles(tr *engine.Trace, attacker map[string]bool) []span {
	var out []span
	cur := span{first: -1}
	n := 0
	flush := func() {
		if cur.first >= 0 && n >= minBundle {
			out = append(out, cur)
		}
		cur, n = span{first: -1}, 0
	}
	for i, e := range tr.Scan() {
		switch {
		case e.Kind == tcp.EventSegment && (attacker[e.Segment.Src] || attacker[e.Segment.Dst]):
			if cur.first < 0 {
				cur.first, cur.t0 = i, e.At
			}
			cur.last, cur.t1 = i, e.At
			n++
		case attacker[e.Peer] || e.Kind == tcp.EventQueue:
			// The attacker's half-open connections and the queue they fill: part of the run.
			if cur.first >= 0 {
				cur.last, cur.t1 = i, e.At
			}
		default:
			flush()
		}
	}
	flush()
	return out
}

// maxStretchRounds bounds how many times Build lays a finished trace out again, each
// time giving its crowded instants more room.
const maxStretchRounds = 6

// stretchPx is the room a crowded instant gains in one round: two lines of side text.
const stretchPx = 2 * lineGap

// Build computes the layout of a trace. A finished trace whose side texts found no room
// clear of the arrows near their instant (a phone's lane with six texts at one moment) is
// laid out again with more room after each such instant, so every text keeps off the
// arrows and stays beside its event; the time axis then runs a little slower there, and
// its ticks still say the real time. A growing trace (the lab) is laid out once, so its
// earlier items never move.
func Build(tr *engine.Trace, opt Options) *Layout {
	if opt.Growing {
		l, _, _ := layoutOnce(tr, opt, nil)
		return l
	}
	l, crowded := roomed(tr, opt, map[tcp.Time]float64{})
	// Each round stretches every crowded instant; a stretch that leaves its instant as
	// crowded as before is taken back and not tried again (its texts lack width, not
	// height). Each trial finds the room its gaps need again (roomed).
	extra := map[tcp.Time]float64{}
	hopeless := map[tcp.Time]bool{}
	for round := 0; round < maxStretchRounds; round++ {
		trial := maps.Clone(extra)
		grown := false
		for t := range crowded {
			if !hopeless[t] {
				trial[t] += stretchPx
				grown = true
			}
		}
		if !grown {
			break
		}
		l2, crowded2 := roomed(tr, opt, trial)
		undo := false
		for t, n := range crowded {
			if !hopeless[t] && crowded2[t] >= n {
				trial[t] -= stretchPx
				hopeless[t] = true
				undo = true
			}
		}
		extra = trial
		if undo {
			l2, crowded2 = roomed(tr, opt, extra)
		}
		l, crowded = l2, crowded2
	}
	return l
}

// roomed lays a trace out with extra, and again with more room after each moment whose
// texts ran into the gap that follows it (extra grows by that room).
func roomed(tr *engine.Trace, opt Options, extra map[tcp.Time]float64) (*Layout, map[tcp.Time]int) {
	l, crowded, need := layoutOnce(tr, opt, extra)
	for k := 0; k < maxStretchRounds && len(need) > 0; k++ {
		for t, px := range need {
			extra[t] += px
		}
		l, crowded, need = layoutOnce(tr, opt, extra)
	}
	return l, crowded
}

// layoutOnce lays a trace out with extra px of room after the instants extra names, and
// returns, for each instant where side texts found no room clear of the lines near
// them, how many did not, and for each instant whose texts run into the gap after it,
// how much more room it needs.
func layoutOnce(tr *engine.Trace, opt Options, extra map[tcp.Time]float64) (*Layout, map[tcp.Time]int, map[tcp.Time]float64) {
	if opt.Width == 0 {
		opt.Width = DefaultWidth
	}
	opt.Width = max(opt.Width, 240)
	narrow := opt.Width < 600
	if opt.PxPerRTT == 0 {
		opt.PxPerRTT = 150
		if narrow {
			opt.PxPerRTT = 110
		}
	}
	l := &Layout{Scenario: tr.Meta.Scenario, Profile: tr.Meta.Profile, Seed: tr.Meta.Seed,
		RTTus: int64(tr.Meta.RTT / time.Microsecond), Width: opt.Width, LaneTop: laneTop}
	rtt := tr.Meta.RTT
	pl := newPlacer(opt.Width, 0)
	// Lanes, in the order the trace names them.
	laneX := map[string]float64{}
	n := len(tr.Meta.Endpoints)
	margin := min(laneMargin, max(opt.Width/4, 100))
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = opt.Width / 2
		if n > 1 {
			xs[i] = margin + float64(i)*(opt.Width-2*margin)/float64(n-1)
		}
	}
	if narrow && n >= 3 {
		xs = narrowLanes(opt.Width, n)
	}
	heads := laneHeads(tr.Meta.Endpoints, xs, opt.Width, narrow)
	axisTop := top
	for i, ep := range tr.Meta.Endpoints {
		x := xs[i]
		laneX[ep.Name] = x
		ln := Lane{Name: ep.Name, Role: ep.Role, Addr: ep.Addr, X: x}
		h1, h2 := heads[i][0], heads[i][1]
		ln.Head = [4]float64{round1(h1), 8, round1(h2 - h1), 26}
		pl.vlines = append(pl.vlines, x)
		ln.NameL = placeText(pl, []string{ep.Name, laneNameZH(ep.Name)}, fontLane, "middle", 0, [][2]float64{{(h1 + h2) / 2, 26}}, h2-h1-4)
		// The address under its lane, kept inside the figure; where a neighbour's is in
		// the way (three lanes on a phone), a line lower.
		aw := TextWidth(ep.Addr, fontAddr)
		ax := min(max(x, aw/2+4), opt.Width-aw/2-4)
		if ln.AddrL = placeText(pl, []string{ep.Addr}, fontAddr, "middle", 0, [][2]float64{{ax, 48}}, -1); ln.AddrL == nil {
			if ln.AddrL = placeText(pl, []string{ep.Addr}, fontAddr, "middle", 0, [][2]float64{{ax, 48 + addrGap}}, -1); ln.AddrL == nil {
				ln.AddrL = placeText(pl, []string{ep.Addr}, fontAddr, "middle", 0, [][2]float64{{ax, 48}}, 2*min(ax, opt.Width-ax)-4)
			}
		}
		if ln.AddrL != nil && ln.AddrL.Y > 48 {
			axisTop = top + addrGap
			l.LaneTop = laneTop + addrGap
		}
		l.Lanes = append(l.Lanes, ln)
	}
	main := map[string]bool{}
	attacker := map[string]bool{}
	for _, ep := range tr.Meta.Endpoints {
		if ep.Role != "attacker" {
			main[ep.Name] = true
		} else {
			attacker[ep.Name] = true
		}
	}
	var spans []span
	if !opt.Expand {
		spans = bundles(tr, attacker)
		if len(spans) == 0 && !opt.Growing {
			spans = folds(tr, attacker) // a story's long transfer (fold.go); the lab draws all
		}
	}
	// The time axis: every moment something starts or ends, but only the two ends of a
	// bundle.
	inside := func(t tcp.Time) bool {
		k := sort.Search(len(spans), func(k int) bool { return spans[k].t1 >= t })
		return k < len(spans) && spans[k].t0 < t && t < spans[k].t1
	}
	var times []tcp.Time
	for _, e := range tr.Scan() {
		if !inside(e.At) {
			times = append(times, e.At)
		}
		if e.Kind == tcp.EventSegment && !inside(e.Segment.Arrive) {
			times = append(times, e.Segment.Arrive)
		}
	}
	if m := opt.Mismatch; m != nil && m.Expected {
		times = append(times, m.At, m.Arrive)
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	ax := &timeAxis{}
	y := axisTop
	gapX1, gapX2 := 60.0, opt.Width-60
	if narrow {
		gapX1, gapX2 = 8, opt.Width-8
	}
	var gapAt []tcp.Time   // where each gap ends, to place its label in trace order
	var gapFrom []tcp.Time // and the moment it follows
	foldEdge := map[tcp.Time]bool{}
	for _, sp := range spans {
		if sp.fold {
			foldEdge[sp.t0], foldEdge[sp.t1] = true, true
		}
	}
	for i, t := range times {
		if i > 0 && t == times[i-1] {
			continue
		}
		if len(ax.times) > 0 {
			prev := ax.times[len(ax.times)-1]
			y += extra[prev]
			k := sort.Search(len(spans), func(k int) bool { return spans[k].t1 >= t })
			if k < len(spans) && spans[k].t0 == prev && spans[k].t1 == t {
				y += bundlePx
			} else {
				px, compressed := gapPx(t.Sub(prev), rtt, opt.PxPerRTT)
				if foldEdge[prev] || foldEdge[t] {
					px = max(px, foldMarginPx) // room for the texts beside a fold (fold.go)
				}
				if compressed {
					l.Gaps = append(l.Gaps, Gap{Y1: round1(y + 6), Y2: round1(y + px - 6), X: gapX1, W: gapX2 - gapX1, Real: fmtDur(t.Sub(prev))})
					gapAt = append(gapAt, t)
					gapFrom = append(gapFrom, prev)
				}
				y += px
			}
		}
		ax.times = append(ax.times, t)
		ax.ys = append(ax.ys, y)
	}
	if len(ax.times) == 0 {
		ax.times, ax.ys = []tcp.Time{0}, []float64{axisTop}
	}
	axisEnd := y
	b := &builder{l: l, ax: ax, laneX: laneX, main: main, attacker: attacker, tr: tr, pl: pl, narrow: narrow,
		spans: spans, gapAt: gapAt, opt: opt, crowded: map[tcp.Time]int{}}
	b.stackArrows()
	if !opt.Growing {
		b.fanArrows() // fan.go; the lab's labels never change once drawn
	}
	b.bundleBands()
	if !opt.Growing {
		b.allArrows()
	}
	b.walk()
	if opt.Mismatch != nil {
		b.mismatch(opt.Mismatch)
	}
	// Where a moment's side texts run down into the idle gap after it, Build gives the
	// moment that much more room, so that a state's name or a call is not drawn on the
	// band of the time that follows, as if it happened there.
	need := roomBeforeGaps(l, gapFrom)
	// Ticks: at least every 120 px, each with its label (the texts of the story come
	// first): an instant whose label has no room at either edge gets no tick, and the
	// next instant is tried. A gap's band is drawn over the grid, so no label goes under
	// one.
	for _, g := range l.Gaps {
		pl.add(box{cx: g.X + g.W/2, cy: (g.Y1 + g.Y2) / 2, hw: g.W / 2, hh: max(g.Y2-g.Y1, 1) / 2})
	}
	lastTick := -1000.0
	for i, t := range ax.times {
		if ax.ys[i]-lastTick < 120 && i > 0 {
			continue
		}
		tk := Tick{Y: round1(ax.ys[i]), Label: fmtTime(t)}
		if tk.T = tickLabel(pl, tk, opt.Width); tk.T == nil {
			continue
		}
		l.Ticks = append(l.Ticks, tk)
		lastTick = ax.ys[i]
	}
	l.Height = math.Ceil(max(axisEnd+bottom+30, pl.bottom()+bottom))
	l.LaneBottom = l.Height - bottom
	if l.Truncated > 0 {
		t := catalog.F("diagram.truncated", l.Truncated)
		l.Height += 24
		l.TruncL = &Label{X: opt.Width / 2, Y: l.Height - 12, Anchor: "middle", EN: fitRunes(t.EN, opt.Width-8, fontAddr),
			ZH: fitRunes(t.ZH, opt.Width-8, fontAddr), Size: fontAddr}
	}
	for i := range l.Items {
		shape(&l.Items[i], l.LaneBottom)
	}
	return l, b.crowded, need
}

// bracketZH is a timer's Chinese name as its bracket's label: without the gloss in
// full-width parentheses the transcript gives it ("坚持计时器（零窗口探测）" is drawn
// "坚持计时器"), so that it fits beside a phone's lane as often as the English one.
func bracketZH(s string) string {
	if i := strings.Index(s, "（"); i > 0 {
		return s[:i]
	}
	return s
}

// roomBeforeGaps returns, for each moment after which a gap is compressed, how far the
// upright side texts (states, calls, timers, notes, queue lengths) of the moments above
// the gap run down into its band, in px; a gap whose band they keep clear of is left out.
// A text of the moment that ends the gap, just above its line, is where it belongs.
func roomBeforeGaps(l *Layout, gapFrom []tcp.Time) map[tcp.Time]float64 {
	need := map[tcp.Time]float64{}
	if len(l.Gaps) == 0 {
		return need
	}
	for _, it := range l.Items {
		if it.T == nil || it.T.Rot != 0 || it.Kind == "segment" || it.Kind == "bundle" || it.Step >= len(l.Steps) {
			continue
		}
		x1, y1, x2, y2 := labelBox(it.T).bounds()
		at := l.Steps[it.Step].Y
		for i := sort.Search(len(l.Gaps), func(i int) bool { return l.Gaps[i].Y2 > y1+1 }); i < len(l.Gaps) && l.Gaps[i].Y1 < y2-1; i++ {
			g := l.Gaps[i]
			if at >= g.Y1 || x2 <= g.X || x1 >= g.X+g.W {
				continue
			}
			t := gapFrom[i]
			need[t] = max(need[t], math.Ceil(y2-g.Y1+2))
		}
	}
	return need
}

// tickLabel places a tick's label, whole: at the left edge above its rule, else below
// it, else at the right edge; clear of lines first, then across one; nil if no text
// leaves it room.
func tickLabel(pl *placer, tk Tick, w float64) *Label {
	left := [][2]float64{{4, tk.Y - 3}, {4, tk.Y + fontTick + 1}}
	right := [][2]float64{{w - 4, tk.Y - 3}, {w - 4, tk.Y + fontTick + 1}}
	if lb := placeClear(pl, []string{tk.Label}, fontTick, "start", left); lb != nil {
		return lb
	}
	if lb := placeClear(pl, []string{tk.Label}, fontTick, "end", right); lb != nil {
		return lb
	}
	if lb := placeText(pl, []string{tk.Label}, fontTick, "start", 0, left, -1); lb != nil {
		return lb
	}
	return placeText(pl, []string{tk.Label}, fontTick, "end", 0, right, -1)
}

// narrowLanes places three or more lanes on a phone: the first far enough in for its
// texts on the left, the last near the right edge (an attacker's lane, which has few
// texts of its own), and the one before it with room on its right for a server's state
// and queue gauge; any others evenly between.
func narrowLanes(w float64, n int) []float64 {
	xs := make([]float64, n)
	xs[0], xs[n-1], xs[n-2] = 96, w-42, w-146
	for i := 1; i < n-2; i++ {
		xs[i] = xs[0] + float64(i)*(xs[n-2]-xs[0])/float64(n-2)
	}
	return xs
}

// laneHeads returns each lane's header box as [left, right]: centred on its lane, as wide
// as its name needs (at least 130 px where there is room), inside the figure, and clear
// of its neighbours' boxes; where the lanes crowd (three on a phone), a box shrinks
// towards its name and moves off-centre rather than cover the next one.
func laneHeads(eps []engine.EndpointInfo, xs []float64, w float64, narrow bool) [][2]float64 {
	const gap, pad = 6.0, 4.0
	out := make([][2]float64, len(xs))
	need := make([]float64, len(xs))
	for i, ep := range eps {
		need[i] = max(TextWidth(ep.Name, fontLane), TextWidth(laneNameZH(ep.Name), fontLane)) + 2*pad
		want := max(need[i]+12, 130)
		if narrow {
			want = need[i] + 16
		}
		// Half the distance to each neighbour, and the figure's edges.
		lo, hi := 4.0, w-4
		if i > 0 {
			lo = (xs[i-1]+xs[i])/2 + gap/2
		}
		if i < len(xs)-1 {
			hi = (xs[i]+xs[i+1])/2 - gap/2
		}
		hw := min(want/2, xs[i]-lo, hi-xs[i])
		out[i] = [2]float64{xs[i] - hw, xs[i] + hw}
		if 2*hw < need[i] {
			// Too narrow centred: grow into the free side, up to the name's width.
			l, r := xs[i]-hw, xs[i]+hw
			for _, side := range []int{-1, 1} {
				short := need[i] - (r - l)
				if short <= 0 {
					break
				}
				if side < 0 {
					l = max(lo, l-short)
				} else {
					r = min(hi, r+short)
				}
			}
			out[i] = [2]float64{l, r}
		}
	}
	// A box that still lacks room borrows from its neighbour's spare width.
	for i := 1; i < len(xs); i++ {
		a, b := &out[i-1], &out[i]
		if short := need[i] - (b[1] - b[0]); short > 0 {
			spare := (a[1] - a[0]) - need[i-1]
			take := min(short, max(spare, 0))
			a[1] -= take
			b[0] -= take
		}
		if short := need[i-1] - (a[1] - a[0]); short > 0 {
			spare := (b[1] - b[0]) - need[i]
			take := min(short, max(spare, 0))
			b[0] += take
			a[1] += take
		}
	}
	return out
}

// shape computes what an item's drawing needs beyond its ends, so no renderer does
// arithmetic: band and bundle boxes, bracket and cross paths, arrow lengths.
func shape(it *Item, laneBottom float64) {
	switch it.Kind {
	case "state":
		if it.End < 0 {
			it.Y2 = laneBottom
		}
		it.BX, it.BH = it.X1-4, round1(max(it.Y2-it.Y1, 2))
	case "timer":
		s := 1.0
		if it.BX < it.X1 {
			s = -1
		}
		y2 := max(it.Y2, it.Y1+2)
		it.D = fmt.Sprintf("M%.1f,%.1fh%.0fV%.1fh%.0f", it.BX-4*s, it.Y1, 4*s, y2, -4*s)
	case "segment", "ghost":
		it.Len = round1(math.Hypot(it.X2-it.X1, it.Y2-it.Y1))
		if it.Fate != "delivered" {
			it.D = fmt.Sprintf("M%.1f,%.1fl10,10m0,-10l-10,10", it.X2-5, it.Y2-5)
		}
	case "bundle":
		it.BX, it.BW, it.BH = min(it.X1, it.X2), math.Abs(it.X2-it.X1), round1(max(it.Y2-it.Y1, 4))
	}
}

// laneNameZH is a lane's name in Chinese: the roles translated, a number kept.
func laneNameZH(name string) string {
	for _, role := range laneRoles {
		if rest, ok := strings.CutPrefix(name, role); ok {
			return catalog.T("lane."+role).ZH + rest
		}
	}
	return name
}

// placeText places a text (all of whose variants — languages, numberings — must fit the
// same box) at the first candidate spot where it fits, clear of lines if it can be;
// failing that, shortened to room px (0: to the figure's edge; negative: never shortened)
// at the first spot where that fits. It returns nil if neither.
func placeText(pl *placer, variants []string, size float64, anchor string, rot float64, cands [][2]float64, room float64) *Label {
	width := func(vs []string) float64 {
		w := 0.0
		for _, v := range vs {
			w = max(w, TextWidth(v, size))
		}
		return w
	}
	mk := func(c [2]float64, vs []string, cut bool) *Label {
		lb := &Label{X: round1(c[0]), Y: round1(c[1]), Anchor: anchor, Rot: round1(rot), EN: vs[0], Cut: cut, Size: size}
		if anchor == "start" {
			lb.Anchor = ""
		}
		if len(vs) > 1 && vs[1] != vs[0] {
			lb.ZH = vs[1]
		}
		if len(vs) > 2 && vs[2] != vs[0] {
			lb.Rel = vs[2]
		}
		if len(vs) > 3 && vs[3] != vs[2] {
			lb.RelZH = vs[3]
		}
		return lb
	}
	w := width(variants)
	tiers := []float64{1}
	if room > 0 {
		tiers = []float64{1, 0.66, 0.45, 0.3}
	}
	for _, soft := range []bool{true, false} {
		if !soft && pl.fewest {
			// On a line after all: the candidate that crosses the fewest.
			best, hits := -1, 0.0
			for i, c := range cands {
				bx := textBox(round1(c[0]), round1(c[1]), anchor, round1(rot), w, size)
				if pl.fits(bx, false) {
					if n := pl.lineHits(bx); (best < 0 || n < hits) && !(pl.noArrows && n >= 1) {
						best, hits = i, n
					}
				}
			}
			if best >= 0 {
				c := cands[best]
				pl.add(textBox(round1(c[0]), round1(c[1]), anchor, round1(rot), w, size))
				return mk(c, variants, false)
			}
			if pl.noArrows {
				return nil
			}
		}
		for _, c := range cands {
			bx := textBox(round1(c[0]), round1(c[1]), anchor, round1(rot), w, size)
			if pl.fits(bx, soft) {
				pl.add(bx)
				return mk(c, variants, false)
			}
		}
		for _, tier := range tiers {
			for _, c := range cands {
				r := room * tier
				if rot == 0 {
					edge := pl.roomAt(c[0], anchor)
					if room == 0 || edge < r {
						r = edge
					}
				}
				if r <= 0 || r >= w {
					continue
				}
				short := make([]string, len(variants))
				for i, v := range variants {
					short[i] = fitRunes(v, r, size)
					if short[i] == "" {
						short = nil
						break
					}
				}
				if short == nil {
					continue
				}
				bx := textBox(round1(c[0]), round1(c[1]), anchor, round1(rot), width(short), size)
				if pl.fits(bx, soft) {
					pl.add(bx)
					return mk(c, short, true)
				}
			}
		}
	}
	return nil
}

// placeOffArrows places variants at the first of cands where they are clear of every
// text and every arrow (a band or a lifeline may cross them); nil if none is. A text
// that starts away from its lane, at x, crosses no other lane's lifeline: it would seem
// to be that lane's.
func placeOffArrows(pl *placer, variants []string, size float64, anchor string, cands [][2]float64, lane float64) *Label {
	w := 0.0
	for _, v := range variants {
		w = max(w, TextWidth(v, size))
	}
	otherLane := func(bx box) bool {
		x1, _, x2, _ := bx.bounds()
		for _, x := range pl.vlines {
			if x != lane && x1 < x && x < x2 {
				return true
			}
		}
		return false
	}
	for _, c := range cands {
		bx := textBox(round1(c[0]), round1(c[1]), anchor, 0, w, size)
		if pl.fits(bx, false) && pl.clearOfArrows(bx, box{}) && (math.Abs(c[0]-lane) <= 20 || !otherLane(bx)) {
			return placeText(pl, variants, size, anchor, 0, [][2]float64{c}, -1)
		}
	}
	return nil
}

// placeCutClear places variants, cut to the room between a candidate and the figure's
// edge, at the first of cands where they are clear of every text and line; nil if none
// is.
func placeCutClear(pl *placer, variants []string, size float64, anchor string, cands [][2]float64) *Label {
	for _, c := range cands {
		room := pl.roomAt(c[0], anchor)
		short := make([]string, len(variants))
		w := 0.0
		for i, v := range variants {
			if short[i] = fitRunes(v, room, size); short[i] == "" {
				return nil
			}
			w = max(w, TextWidth(short[i], size))
		}
		if pl.fits(textBox(round1(c[0]), round1(c[1]), anchor, 0, w, size), true) {
			lb := placeText(pl, short, size, anchor, 0, [][2]float64{c}, -1)
			if lb != nil {
				lb.Cut = !slices.Equal(short, variants)
			}
			return lb
		}
	}
	return nil
}

// placeClear places an unrotated text, whole, at the first candidate where it is clear of
// every text and every line; nil if there is none.
func placeClear(pl *placer, variants []string, size float64, anchor string, cands [][2]float64) *Label {
	w := 0.0
	for _, v := range variants {
		w = max(w, TextWidth(v, size))
	}
	for _, c := range cands {
		if pl.fits(textBox(round1(c[0]), round1(c[1]), anchor, 0, w, size), true) {
			return placeText(pl, variants, size, anchor, 0, [][2]float64{c}, -1)
		}
	}
	return nil
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

type builder struct {
	l        *Layout
	ax       *timeAxis
	laneX    map[string]float64
	main     map[string]bool
	attacker map[string]bool
	tr       *engine.Trace
	// buf, bundleBuf and aheadBuf hold the events the walk, a bundle and the look at an
	// instant's arrows read: one at a time, without a copy of the whole trace.
	buf, bundleBuf, aheadBuf engine.EventBuf
	pl                       *placer
	narrow                   bool
	opt                      Options
	stackLabel               map[int]int        // segment id → -1: unlabelled; else how many others its label stands for
	stackData                map[int]bool       // a labelled segment id → whether it carries data
	fanLast                  map[int][4]float64 // a fan's labelled segment id → its last arrow (fan.go)
	// now is the instant of the event being placed; crowded counts, per instant, the
	// side texts that had no room clear of the lines near their event.
	now     tcp.Time
	crowded map[tcp.Time]int
	spans   []span
	gapAt   []tcp.Time
	gapDone int
	// lastState is each lane's last state text, and minY the least baseline the text
	// being placed may take (0: any).
	lastState map[string]stateText
	after     map[string]stateText // a lane's state placed ahead of its moment's texts
	minY      float64
	early     map[int]*Label // event index → its state text, placed before its moment's others
	// stateAt is, per lane, the index of its last state event at the moment being placed;
	// pending, the labels of timers armed before it, placed after it.
	stateAt map[string]int
	pending []func()
	// open state bands and timers per lane, as item indexes
	band   map[string]int
	timers map[string]int
	isn    map[string]tcp.Seq // relative-number base per direction
	drawn  int
}

// statesFirst places the state texts of the main lanes at the moment whose first event
// is event i (sp: the first span not before it) before the notes and queue lengths of
// their lane that come before them in that moment ("cookie valid", "9/8"), so that a
// state is drawn at the event that caused it. A call of the lane before the state
// ("listen()", then LISTEN) keeps the order.
func (b *builder) statesFirst(i, sp int) {
	if b.early == nil {
		b.early = map[int]*Label{}
	}
	var buf engine.EventBuf
	at := b.now
	aside, called := map[string]bool{}, map[string]bool{}
	b.stateAt = map[string]int{}
	for j := i; j < b.tr.Len(); j++ {
		for sp < len(b.spans) && b.spans[sp].last < j {
			sp++
		}
		if sp < len(b.spans) && b.spans[sp].first <= j {
			j = b.spans[sp].last // a bundle's events have no texts of their own
			continue
		}
		e := b.tr.Load(j, &buf)
		if e.At != at {
			return
		}
		switch e.Kind {
		case tcp.EventNote, tcp.EventQueue:
			aside[e.Endpoint] = true
		case tcp.EventApp:
			called[e.Endpoint] = true
		case tcp.EventState:
			b.stateAt[e.Endpoint] = j
			if aside[e.Endpoint] && !called[e.Endpoint] && b.main[e.Endpoint] && (e.Peer == "" || b.main[e.Peer]) {
				b.early[j] = b.stateLabel(e)
			}
		}
	}
}

// stateLabel places a state's name beside its lane. Two changes of one lane at one
// moment (SYN-RECEIVED, then ESTABLISHED, as a valid cookie's ACK arrives) are drawn in
// their order: the second below the first.
func (b *builder) stateLabel(e *tcp.Event) *Label {
	yy := round1(b.ax.y(e.At))
	if last, ok := b.lastState[e.Endpoint]; ok && last.at == e.At {
		b.minY = last.y + lineGap
	}
	name := e.To.String()
	lb := b.sideTextAt(e.Endpoint, yy+4, []string{name}, []float64{10}, shortForm(stateAbbrev[name]), true)
	// A state more than stateLines lines below its moment seems to follow the next
	// event: its moment is crowded, as for a text on a line.
	if lb != nil && lb.Y-(yy+4) > stateLines*lineGap+0.5 {
		b.crowded[b.now]++
	} else {
		b.check(lb, yy+4)
	}
	b.minY = 0
	if lb != nil {
		b.lastState[e.Endpoint] = stateText{e.At, lb.Y}
	}
	return lb
}

// stateLines is how many lines below its moment a state's name may go.
const stateLines = 3

// stateText is where a lane's state text went: its moment and baseline.
type stateText struct {
	at tcp.Time
	y  float64
}

func (b *builder) side(lane string) float64 {
	// Side texts go to the outside of the diagram: left of the leftmost lane, right of
	// the others.
	if len(b.l.Lanes) > 0 && b.l.Lanes[0].Name == lane {
		return -1
	}
	return 1
}

// laneGap is the distance between neighbouring lanes (the figure's width with one lane).
func (b *builder) laneGap() float64 {
	g := b.l.Width
	for i := 1; i < len(b.l.Lanes); i++ {
		g = min(g, b.l.Lanes[i].X-b.l.Lanes[i-1].X)
	}
	return g
}

// sideLines is how many lines below its event a side text may go.
const sideLines = 11

// stateAbbrev holds the short names RFC 9293's Figure 5 (and RFC 793's) gives the two
// longest states, drawn where the full name would sit on an arrow.
var stateAbbrev = map[string]string{"SYN-RECEIVED": "SYN-RCVD", "ESTABLISHED": "ESTAB"}

// shortForm is a text's one short form for sideText, the same in every language; nil
// when it has none.
func shortForm(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// sideText places a text beside a lane at y: outside the lanes first, at cols px from the
// lane, moving down a line at a time; then inside; then its abbreviation (if it has one),
// clear of lines; shortened as a last resort.
func (b *builder) sideText(lane string, y float64, variants []string, cols []float64, abbrev []string) *Label {
	if a, ok := b.after[lane]; ok && math.Abs(b.ax.y(a.at)-b.ax.y(b.now)) < 1 && b.minY == 0 {
		b.minY = a.y
		defer func() { b.minY = 0 }()
	}
	lb := b.sideTextAt(lane, y, variants, cols, abbrev, false)
	b.check(lb, y)
	return lb
}

// check notes the instant being placed as crowded if lb, a side text meant for y, had
// to sit on a line (or found no place at all).
func (b *builder) check(lb *Label, y float64) {
	if lb != nil && !b.pl.onLine(labelBox(lb)) {
		return
	}
	b.crowded[b.now]++
}

// sideTextAt places a side text as sideText says; atMoment (a state's name) puts its
// short form at its moment's line before its whole name lower down.
func (b *builder) sideTextAt(lane string, y float64, variants []string, cols []float64, abbrev []string, atMoment bool) *Label {
	x := b.laneX[lane]
	s := b.side(lane)
	// A column as far out as the next lane would label that lane, not this one.
	if g := b.laneGap(); len(cols) > 1 && cols[len(cols)-1] > g-30 {
		cols = cols[:len(cols)-1]
	}
	var out, in [][2]float64
	k0 := 0
	if b.minY > y {
		k0 = int(math.Ceil((b.minY - y - 0.5) / lineGap))
	}
	for k := k0; k < k0+sideLines; k++ {
		for _, c := range cols {
			out = append(out, [2]float64{x + s*c, y + float64(k)*lineGap})
			in = append(in, [2]float64{x - s*c, y + float64(k)*lineGap})
		}
	}
	anchorOut, anchorIn := "start", "end"
	if s < 0 {
		anchorOut, anchorIn = "end", "start"
	}
	// Clear of every line on either side first; only then on a line, where the text's
	// halo keeps it readable. Near its moment first (three lines outside, then three
	// inside: a text's box is a little taller than a line, so the next text is two lines
	// down), so that a text pushed down past something drawn later in time (a flood's
	// band) goes to the other side of its lane instead of seeming to happen after it.
	near := 3 * len(cols)
	if atMoment && len(abbrev) > 0 {
		// A state's name at its moment's line, whole on either side, else the figure's
		// short name (ESTAB beside the ACK that caused it), before the whole name a line
		// or two lower, where it seems to follow a later event.
		one := len(cols)
		for _, try := range []struct {
			vs     []string
			anchor string
			at     [][2]float64
		}{{variants, anchorOut, out[:one]}, {variants, anchorIn, in[:one]}, {abbrev, anchorOut, out[:one]}, {abbrev, anchorIn, in[:one]}} {
			if lb := placeClear(b.pl, try.vs, fontSide, try.anchor, try.at); lb != nil {
				return lb
			}
		}
	}
	if lb := placeClear(b.pl, variants, fontSide, anchorOut, out[:near]); lb != nil {
		return lb
	}
	if lb := placeClear(b.pl, variants, fontSide, anchorIn, in[:near]); lb != nil {
		return lb
	}
	// Just above its moment, its foot on the moment's line: the arrow the event sends
	// leaves the lane downwards, and a text too wide for the outside (a note of a probe
	// or a retransmission) would lie on it anywhere near below.
	var above [][2]float64
	for _, c := range cols {
		if b.minY > 0 {
			break // below an earlier text of its moment
		}
		above = append(above, [2]float64{x - s*c, y - 4 - aboveGap}) // y: the moment's line + 4
	}
	if lb := b.aboveClear(variants, anchorIn, above); lb != nil {
		return lb
	}
	// The figure's own short name at its moment (SYN-RCVD beside the SYN that caused
	// it) reads better than the whole name lines below, where it seems to follow a
	// later event.
	if len(abbrev) > 0 {
		if lb := placeClear(b.pl, abbrev, fontSide, anchorOut, out[:near]); lb != nil {
			return lb
		}
		if lb := b.aboveClear(abbrev, anchorIn, above); lb != nil {
			return lb
		}
		if lb := placeClear(b.pl, abbrev, fontSide, anchorIn, in[:near]); lb != nil {
			return lb
		}
	}
	if len(abbrev) > 0 {
		// A line nearer its moment before a whole name: line by line, the whole name on
		// either side, then the short one.
		for k := near; k < min(len(out), 5*len(cols)); k += len(cols) {
			for _, vs := range [][]string{variants, abbrev} {
				if lb := placeClear(b.pl, vs, fontSide, anchorOut, out[k:k+len(cols)]); lb != nil {
					return lb
				}
				if lb := placeClear(b.pl, vs, fontSide, anchorIn, in[k:k+len(cols)]); lb != nil {
					return lb
				}
			}
		}
	}
	if lb := placeClear(b.pl, variants, fontSide, anchorOut, out[near:min(len(out), 5*len(cols))]); lb != nil {
		return lb
	}
	if lb := placeClear(b.pl, variants, fontSide, anchorIn, in[near:min(len(in), 5*len(cols))]); lb != nil {
		return lb
	}
	if len(abbrev) > 0 {
		if lb := placeClear(b.pl, abbrev, fontSide, anchorOut, out[:min(len(out), 5*len(cols))]); lb != nil {
			return lb
		}
		if lb := placeClear(b.pl, abbrev, fontSide, anchorIn, in[:min(len(in), 5*len(cols))]); lb != nil {
			return lb
		}
	}
	// Further down outside, clear of every line, before sitting on one.
	if lb := placeClear(b.pl, variants, fontSide, anchorOut, out[min(len(out), 5*len(cols)):]); lb != nil {
		return lb
	}
	if lb := placeClear(b.pl, variants, fontSide, anchorIn, in[min(len(in), 5*len(cols)):]); lb != nil {
		return lb
	}
	// On a lifeline or a band (its halo keeps it readable) but off the arrows, whole;
	// else cut to the room outside near its moment (the item's title has it whole); on
	// an arrow, whole, last.
	if lb := placeOffArrows(b.pl, variants, fontSide, anchorOut, out[:min(len(out), 5*len(cols))], x); lb != nil {
		return lb
	}
	if lb := placeOffArrows(b.pl, variants, fontSide, anchorIn, in[:min(len(in), 4*len(cols))], x); lb != nil {
		return lb
	}
	cut := variants
	if len(abbrev) > 0 {
		cut = abbrev // "lost: resent…" says more than "a segment i…"
	}
	if lb := placeCutClear(b.pl, cut, fontSide, anchorOut, out[:near]); lb != nil {
		return lb
	}
	if lb := placeText(b.pl, variants, fontSide, anchorOut, 0, out[:min(len(out), 5*len(cols))], -1); lb != nil {
		return lb
	}
	if lb := placeText(b.pl, variants, fontSide, anchorIn, 0, in[:min(len(in), 4*len(cols))], -1); lb != nil {
		return lb
	}
	// The short form whole, on a line, before the long one cut.
	if abbrev != nil {
		if lb := placeText(b.pl, abbrev, fontSide, anchorOut, 0, out, -1); lb != nil {
			return lb
		}
	}
	return placeText(b.pl, variants, fontSide, anchorOut, 0, out, 0)
}

// gapLabels places the labels of the compressed gaps that end at or before t.
func (b *builder) gapLabels(t tcp.Time) {
	for b.gapDone < len(b.gapAt) && b.gapAt[b.gapDone] <= t {
		b.l.Gaps[b.gapDone].T = b.gapLabel(&b.l.Gaps[b.gapDone], false)
		b.gapDone++
	}
}

// gapLabel places a gap's label, "⋯ 240 ms ⋯", in its band: in the middle, else a
// quarter of the band to either side; ends adds the band's two ends.
func (b *builder) gapLabel(g *Gap, ends bool) *Label {
	mid := (g.Y1+g.Y2)/2 + 4
	cx := g.X + g.W/2
	txt := "⋯ " + g.Real + " ⋯"
	cands := [][2]float64{{cx, mid}, {cx - g.W/4, mid}, {cx + g.W/4, mid}}
	if ends {
		half := TextWidth(txt, fontGap)/2 + 4
		cands = append(cands, [2]float64{g.X + half, mid}, [2]float64{g.X + g.W - half, mid})
	}
	return placeText(b.pl, []string{txt}, fontGap, "middle", 0, cands, 0)
}

// aboveClear places a side text at one of cands, just above its moment, clear of every
// line and text. The label of the gap that ends at the moment may stand there (it is
// placed first): it is moved to another of its places if that frees one; nil if none
// is free.
func (b *builder) aboveClear(variants []string, anchor string, cands [][2]float64) *Label {
	if lb := placeClear(b.pl, variants, fontSide, anchor, cands); lb != nil {
		return lb
	}
	k := b.gapDone - 1
	if k < 0 || b.gapAt[k] != b.now || b.l.Gaps[k].T == nil || b.opt.Growing {
		return nil // (the lab's drawing never moves what it has drawn)
	}
	g := &b.l.Gaps[k]
	old := labelBox(g.T)
	b.pl.remove(old)
	lb := placeClear(b.pl, variants, fontSide, anchor, cands)
	if lb == nil {
		b.pl.add(old)
		return nil
	}
	if gl := b.gapLabel(g, true); gl != nil {
		g.T = gl
		return lb
	}
	// The gap's label has no other place: it keeps its own, and the text goes elsewhere.
	b.pl.remove(labelBox(lb))
	b.pl.add(old)
	return nil
}

func (b *builder) addStep(i int, e *tcp.Event, kind, lane string) int {
	st := Step{Index: len(b.l.Steps), Event: i, AtUs: int64(e.At), Kind: kind, Y: round1(b.ax.y(e.At)), Lane: lane}
	st.Text = Describe(b.tr, e)
	b.l.Steps = append(b.l.Steps, st)
	return st.Index
}

func (b *builder) walk() {
	b.band = map[string]int{}
	b.lastState = map[string]stateText{}
	b.after = map[string]stateText{}
	b.timers = map[string]int{}
	b.isn = map[string]tcp.Seq{}
	sp := 0
	ahead := 0 // events before this index have had their arrows registered
	for i := 0; i < b.tr.Len(); i++ {
		e := b.tr.Load(i, &b.buf)
		first := i == 0 || e.At != b.now
		if first {
			b.flushPending()
			b.now = e.At
			b.gapLabels(e.At)
		}
		if i >= ahead && b.opt.Growing {
			ahead = b.arrowsAt(i, sp)
		}
		if first && !b.opt.Growing {
			// The lab's trace may end inside a moment: its states are placed in trace
			// order, so that what it has drawn never moves as the trace grows.
			b.statesFirst(i, sp)
		}
		if sp < len(b.spans) && b.spans[sp].first == i {
			if b.spans[sp].fold {
				b.fold(b.spans[sp])
			} else {
				b.bundle(b.spans[sp])
			}
			i = b.spans[sp].last
			sp++
			continue
		}
		switch e.Kind {
		case tcp.EventSegment:
			b.segment(i, e)
		case tcp.EventState:
			if !b.main[e.Endpoint] || e.Peer != "" && !b.main[e.Peer] {
				continue // half-open connections of a flood: the queue item tells that story
			}
			st := b.addStep(i, e, "state", e.Endpoint)
			b.l.Steps[st].State, b.l.Steps[st].From, b.l.Steps[st].Cause = e.To.String(), e.From.String(), e.Cause
			x := b.laneX[e.Endpoint]
			yy := round1(b.ax.y(e.At))
			if k, ok := b.band[e.Endpoint]; ok {
				b.l.Items[k].End = st
				b.l.Items[k].Y2 = yy
			}
			it := Item{Kind: "state", Step: st, End: -1, X1: x, Y1: yy, X2: x, Y2: yy, Lane: e.Endpoint, State: e.To.String()}
			if lb, ok := b.early[i]; ok {
				it.T = lb
				if lb != nil {
					// The texts that follow it on its moment's row (accept() after
					// ESTABLISHED, and a read() a microsecond later) go no higher than it,
					// though it was placed before the texts ahead of it.
					b.after[e.Endpoint] = stateText{e.At, lb.Y}
				}
			} else {
				it.T = b.stateLabel(e)
			}
			b.l.Items = append(b.l.Items, it)
			b.band[e.Endpoint] = len(b.l.Items) - 1
			if b.stateAt[e.Endpoint] == i {
				b.flushPending()
			}
		case tcp.EventApp:
			st := b.addStep(i, e, "app", e.Endpoint)
			b.sideItem(Item{Kind: "app", Step: st, Lane: e.Endpoint, Text: appText(e)}, e, appAbbrev(e))
		case tcp.EventTimer:
			b.timer(i, e)
		case tcp.EventNote:
			st := b.addStep(i, e, "note", e.Endpoint)
			b.sideItem(Item{Kind: "note", Step: st, Lane: e.Endpoint, Text: NoteText(e.Note)}, e, noteAbbrev(e.Note))
		case tcp.EventQueue:
			st := b.addStep(i, e, "queue", e.Endpoint)
			b.queue(st, e)
		}
	}
	b.flushPending()
	b.gapLabels(tcp.Time(math.MaxInt64))
}

// flushPending places the timer labels held back for a state of their moment.
func (b *builder) flushPending() {
	for _, f := range b.pending {
		f()
	}
	b.pending = b.pending[:0]
}

// bundleBands registers every bundle's band as an obstacle before any text is placed: a
// flood's band starts a moment after the texts of the instant before it (a listen(), a
// LISTEN), and those must not sit under it. Only floods have bundles, never the lab, so
// no item placed earlier can move when the lab appends.
func (b *builder) bundleBands() {
	var buf engine.EventBuf
	for _, sp := range b.spans {
		// The lanes as bundle draws them: the last attacker that sent, else the first
		// one sent to.
		var att, victim string
		if sp.fold {
			att, victim = b.foldLanes(sp)
		}
		for i := sp.first; i <= sp.last && !sp.fold; i++ {
			e := b.tr.Load(i, &buf)
			if e.Kind != tcp.EventSegment {
				continue
			}
			if s := e.Segment; b.attacker[s.Src] {
				att, victim = s.Src, s.Dst
			} else if att == "" {
				att, victim = s.Dst, s.Src
			}
		}
		x1, x2 := b.laneX[att], b.laneX[victim]
		y1, y2 := round1(b.ax.y(sp.t0)), round1(b.ax.y(sp.t1))
		b.pl.rect(min(x1, x2), y1, max(x1, x2), max(y2, y1+4))
		b.pl.arrowLine(x1, y1, x2, y2)
	}
}

// arrowsAt registers, as obstacles, the arrows of the segments sent at the instant of
// event i, before any text of that instant is placed: a call, its state and its timer
// happen with the segment they cause, and their texts must not sit on its arrow. Later
// instants stay unknown, so a text never moves because of what happens after it (the
// lab appends to a diagram whose earlier items must stay put). It returns the index of
// the first event of the next instant.
func (b *builder) arrowsAt(i, sp int) int {
	t := b.tr.Load(i, &b.aheadBuf).At
	drawn := b.drawn
	j := i
	for ; j < b.tr.Len() && b.tr.Load(j, &b.aheadBuf).At == t; j++ {
		for sp < len(b.spans) && b.spans[sp].last < j {
			sp++
		}
		if sp < len(b.spans) && b.spans[sp].first <= j {
			continue // drawn as part of a bundle, not as an arrow
		}
		e := b.tr.Load(j, &b.aheadBuf)
		if e.Kind != tcp.EventSegment {
			continue
		}
		if drawn >= MaxDrawnSegments {
			break
		}
		drawn++
		x1, y1, x2, y2 := b.arrowEnds(e)
		b.pl.line(x1, y1, x2, y2)
	}
	return j
}

// allArrows registers every arrow of a finished trace as an obstacle before any text is
// placed.
func (b *builder) allArrows() {
	var buf engine.EventBuf
	sp, drawn := 0, 0
	for j := 0; j < b.tr.Len() && drawn < MaxDrawnSegments; j++ {
		for sp < len(b.spans) && b.spans[sp].last < j {
			sp++
		}
		if sp < len(b.spans) && b.spans[sp].first <= j {
			continue // drawn as part of a bundle, not as an arrow
		}
		e := b.tr.Load(j, &buf)
		if e.Kind != tcp.EventSegment {
			continue
		}
		drawn++
		x1, y1, x2, y2 := b.arrowEnds(e)
		b.pl.line(x1, y1, x2, y2)
	}
}

// arrowEnds is where a segment's arrow starts and ends: a lost segment ends in a cross
// halfway along its path. Segments sent together on the same path (an ACK and the data
// after it, a flight of QUIC datagrams) share one line, labelled once (stackArrows).
func (b *builder) arrowEnds(e *tcp.Event) (x1, y1, x2, y2 float64) {
	s := e.Segment
	x1, x2 = b.laneX[s.Src], b.laneX[s.Dst]
	y1, y2 = round1(b.ax.y(e.At)), round1(b.ax.y(s.Arrive))
	if s.Fate != tcp.Delivered {
		x2, y2 = (x1+x2)/2, round1((y1+y2)/2)
	}
	return x1, y1, x2, y2
}

// stackArrows finds the segments that share a path (sender, receiver, where they leave
// and arrive, fate) and picks the one of each group that carries the group's label: the
// first that carries named messages (a TLS record), else the first with data, else the
// first; its label says how
// many others share its line ("ClientHello +1"). The others are drawn unlabelled on the
// same line; the transcript and their titles say what each is.
func (b *builder) stackArrows() {
	type path struct {
		src, dst string
		y1, y2   float64 // where it leaves and arrives, to the pixel
		fate     tcp.Fate
	}
	b.stackLabel, b.stackData = map[int]int{}, map[int]bool{}
	seen := map[path][]int{}
	named, data := map[int]bool{}, map[int]bool{}
	var buf engine.EventBuf
	for j := 0; j < b.tr.Len(); j++ {
		e := b.tr.Load(j, &buf)
		if e.Kind != tcp.EventSegment {
			continue
		}
		s := e.Segment
		k := path{s.Src, s.Dst, math.Round(b.ax.y(e.At)), math.Round(b.ax.y(s.Arrive)), s.Fate}
		seen[k] = append(seen[k], s.ID)
		named[s.ID] = s.Label != ""
		data[s.ID] = len(s.Seg.Payload) > 0
	}
	for _, ids := range seen {
		head := ids[0]
		for _, id := range ids {
			if data[id] && !data[head] {
				head = id
			}
			if named[id] {
				head = id
				break
			}
		}
		for _, id := range ids {
			b.stackLabel[id] = -1
		}
		b.stackLabel[head] = len(ids) - 1
		b.stackData[head] = data[head]
	}
}

// sideItem places an application call or a note beside its lane; abbrev, if not nil,
// is a short form to use where the whole text has no room clear of the lines.
func (b *builder) sideItem(it Item, e *tcp.Event, abbrev []string) {
	x := b.laneX[e.Endpoint]
	yy := round1(b.ax.y(e.At))
	it.End, it.X1, it.Y1, it.X2, it.Y2 = -1, x, yy, x, yy
	it.T = b.sideText(e.Endpoint, yy+4, []string{it.Text.EN, it.Text.ZH}, []float64{10, 100}, abbrev)
	b.l.Items = append(b.l.Items, it)
}

// queue draws a listener's SYN queue as a gauge with its numbers.
func (b *builder) queue(st int, e *tcp.Event) {
	x := b.laneX[e.Endpoint]
	yy := round1(b.ax.y(e.At))
	it := Item{Kind: "queue", Step: st, End: -1, X1: x, Y1: yy, X2: x, Y2: yy, Lane: e.Endpoint,
		SynQueue: e.SynQueue, Backlog: e.Backlog, Accept: e.AcceptQueue}
	txt := fmt.Sprintf("%d/%d", e.SynQueue, e.Backlog)
	// The gauge and its numbers are one box: find room for the numbers drawn GaugeW+4
	// further out, then put the gauge before them.
	s := b.side(e.Endpoint)
	pad := GaugeW + 4
	var cands [][2]float64
	for k := 0; k < 8; k++ {
		for _, c := range []float64{10, 100} {
			if s > 0 {
				cands = append(cands, [2]float64{x + c + pad, yy + 4 + float64(k)*lineGap})
			} else {
				cands = append(cands, [2]float64{x - c - TextWidth(txt, fontSide), yy + 4 + float64(k)*lineGap})
			}
		}
	}
	// The label box is widened to cover the gauge: a text of the gauge's width plus the
	// numbers, placed where the gauge starts.
	wide := strings.Repeat("0", int(math.Ceil(pad/(0.62*fontSide)))) + txt
	var starts [][2]float64
	for _, c := range cands {
		starts = append(starts, [2]float64{c[0] - pad, c[1]})
	}
	// Where the gauge has no room clear of every line and text (a phone's lane), it is
	// left out and the numbers are placed alone as a side text is.
	if lb := placeClear(b.pl, []string{wide}, fontSide, "start", starts); lb != nil {
		it.BX, it.BY = lb.X, round1(lb.Y-8)
		it.T = &Label{X: round1(lb.X + pad), Y: lb.Y, EN: txt, Size: fontSide}
	} else {
		// Too little room for the gauge: only its numbers, placed as a side text is.
		it.T = b.sideText(e.Endpoint, yy+4, []string{txt}, []float64{10}, nil)
		it.BX = -1
	}
	if e.Backlog > 0 && it.BX >= 0 {
		it.BW = round1(GaugeW * min(float64(e.SynQueue)/float64(e.Backlog), 1))
	}
	b.l.Items = append(b.l.Items, it)
}

func (b *builder) timer(i int, e *tcp.Event) {
	key := e.Endpoint + "|" + e.Peer + "|" + e.Timer.String()
	if !b.main[e.Endpoint] || e.Peer != "" && !b.main[e.Peer] {
		return
	}
	x := b.laneX[e.Endpoint]
	s := b.side(e.Endpoint)
	bx := x + s*min(140, b.laneX[b.l.Lanes[0].Name]-40)
	if b.narrow {
		bx = x + s*6
	}
	// A bracket's label: the trace's short name in English ("RTO 1 s"), the transcript's
	// name in Chinese ("重传计时器 1 s"); one box holds both.
	name := e.Timer.String()
	place := func(it *Item, text string) {
		zh := bracketZH(TimerLabel(name).ZH) + strings.TrimPrefix(text, name)
		it.BX = round1(bx)
		out, in := "start", "end"
		if s < 0 {
			out, in = "end", "start"
		}
		var cands [][2]float64
		for k := 0; k < 6; k++ {
			cands = append(cands, [2]float64{bx + s*4, it.Y1 + 9 + float64(k)*lineGap})
		}
		// Clear of every line first: beside the bracket, then between it and the lane
		// (on a phone, where the bracket hugs the lane: across the lane, off its line).
		inX := bx - s*4
		if b.narrow {
			inX = x - s*10
		}
		inner := make([][2]float64, len(cands))
		for k := range cands {
			inner[k] = [2]float64{inX, cands[k][1]}
		}
		if it.T = placeClear(b.pl, []string{text, zh}, fontSide, out, cands); it.T != nil {
			return
		}
		if it.T = placeClear(b.pl, []string{text, zh}, fontSide, in, inner); it.T != nil {
			return
		}
		if zh != text {
			// The Chinese name is the longer one: where the pair has no room clear of
			// the lines, the trace's short name serves both (the transcript has the
			// long one), as a state's abbreviation does.
			if it.T = placeClear(b.pl, []string{text}, fontSide, out, cands); it.T != nil {
				return
			}
			if it.T = placeClear(b.pl, []string{text}, fontSide, in, inner); it.T != nil {
				return
			}
		}
		// Further down beside the bracket, clear of every line, before sitting on one.
		var further [][2]float64
		for k := len(cands); k < sideLines; k++ {
			further = append(further, [2]float64{bx + s*4, it.Y1 + 9 + float64(k)*lineGap})
		}
		if it.T = placeClear(b.pl, []string{text}, fontSide, out, further); it.T != nil {
			return
		}
		for k := range further {
			further[k][0] = inX
		}
		if it.T = placeClear(b.pl, []string{text}, fontSide, in, further); it.T != nil {
			return
		}
		if it.T = placeText(b.pl, []string{text, zh}, fontSide, out, 0, cands[:3], -1); it.T == nil {
			for k := range cands {
				cands[k][0] = bx - s*4
			}
			if it.T = placeText(b.pl, []string{text, zh}, fontSide, in, 0, cands, -1); it.T == nil {
				for k := range cands {
					cands[k][0] = bx + s*4
				}
				it.T = placeText(b.pl, []string{text, zh}, fontSide, out, 0, cands, 0)
			}
		}
	}
	switch e.Action {
	case tcp.TimerSet:
		if e.Timer == tcp.TimerDelayedACK {
			return // delayed-ACK brackets appear only when the timer fires
		}
		st := b.addStep(i, e, "timer", e.Endpoint)
		if k, ok := b.timers[key]; ok && b.l.Items[k].End < 0 {
			b.l.Items[k].End = st
			b.l.Items[k].Y2 = max(round1(b.ax.y(e.At)), b.l.Items[k].Y1+2)
		}
		it := Item{Kind: "timer", Step: st, End: -1, X1: x, Y1: round1(b.ax.y(e.At)), X2: x,
			Y2: round1(max(b.ax.y(e.Deadline), b.ax.y(e.At)+2)), Lane: e.Endpoint, State: e.Timer.String(),
			Text: timerText(e.Timer)}
		it.Label = fmtDur(e.Duration)
		it.Text = engine.Text{EN: it.Text.EN + " " + fmtDur(e.Duration), ZH: it.Text.ZH + " " + fmtDur(e.Duration)}
		text := e.Timer.String() + " " + fmtDur(e.Duration)
		if b.stateAt[e.Endpoint] > i {
			// A state of this lane follows at this moment: its name goes first, nearest
			// the moment (walk), and this label after it.
			b.l.Items = append(b.l.Items, it)
			k := len(b.l.Items) - 1
			b.timers[key] = k
			b.pending = append(b.pending, func() {
				place(&b.l.Items[k], text)
				b.check(b.l.Items[k].T, b.l.Items[k].Y1+9)
			})
			return
		}
		place(&it, text)
		b.check(it.T, it.Y1+9)
		b.l.Items = append(b.l.Items, it)
		b.timers[key] = len(b.l.Items) - 1
	case tcp.TimerFired, tcp.TimerCancelled:
		if k, ok := b.timers[key]; ok && b.l.Items[k].End < 0 {
			if e.Action == tcp.TimerCancelled && e.Timer == tcp.TimerDelayedACK {
				return
			}
			st := b.addStep(i, e, "timer", e.Endpoint)
			b.l.Items[k].End = st
			b.l.Items[k].Y2 = max(round1(b.ax.y(e.At)), b.l.Items[k].Y1+2)
			if e.Action == tcp.TimerCancelled {
				b.l.Items[k].Fate = "cancelled"
			} else {
				b.l.Items[k].Fate = "fired"
			}
			return
		}
		if e.Action == tcp.TimerFired && e.Timer == tcp.TimerDelayedACK {
			st := b.addStep(i, e, "timer", e.Endpoint)
			yy := round1(b.ax.y(e.At))
			it := Item{Kind: "timer", Step: st, End: st, X1: x, Y1: yy, X2: x, Y2: yy + 2,
				Lane: e.Endpoint, State: e.Timer.String(), Fate: "fired", Text: timerText(e.Timer)}
			place(&it, e.Timer.String())
			b.check(it.T, it.Y1+9)
			b.l.Items = append(b.l.Items, it)
		}
	}
}

func (b *builder) segment(i int, e *tcp.Event) {
	s := e.Segment
	g := s.Seg
	dir := s.Src + ">" + s.Dst
	if g.Flags&tcp.SYN != 0 {
		if _, ok := b.isn[dir]; !ok || !s.Retransmit {
			b.isn[dir] = g.Seq
		}
	}
	st := b.addStep(i, e, "segment", s.Src)
	b.l.Steps[st].Segment = s.ID
	if b.drawn >= MaxDrawnSegments {
		b.l.Truncated++
		return
	}
	b.drawn++
	x1, y1, x2, y2 := b.arrowEnds(e)
	it := Item{Kind: "segment", Step: st, End: -1, X1: x1, Y1: y1, X2: x2, Y2: y2, ID: s.ID, Src: s.Src, Dst: s.Dst,
		Flags: g.Flags.Names(), Fate: s.Fate.String(), Retransmit: s.Retransmit, Fault: s.Fault, Extra: s.Label}
	if g.UDP {
		it.Flags = []string{"UDP"}
	}
	label := segLabel(g, 0, 0, false)
	base, okS := b.isn[dir]
	rev, okR := b.isn[s.Dst+">"+s.Src]
	if !okS {
		base = g.Seq
	}
	if !okR {
		rev = 0
	}
	rel := segLabel(g, base, rev, true)
	if s.Label != "" && !g.UDP {
		// A segment that carries named messages (TLS records) is labelled by them; its
		// numbers stay in the inspector and the transcript.
		label = compactLabel(g)
		rel = label
	}
	if b.narrow && !g.UDP {
		// A phone's arrows are short: flags and length only; the numbers stay in the
		// title, the inspector and the transcript.
		label = strings.Join(g.Flags.Names(), " ")
		if len(g.Payload) > 0 {
			label += fmt.Sprintf(" len %d", len(g.Payload))
		}
		rel = label
	}
	// The variants drawn: the label in English and Chinese, with absolute and with
	// relative numbers; only words (a Fast Open arrow's) differ between the languages.
	labelZH, relZH := label, rel
	if fo, ok := fastOpenArrow(g, b.narrow); ok {
		// RFC 7413: the cookie request, the cookie and the SYN that brings it back are
		// what a Fast Open story is about.
		label, rel = label+" · "+fo.EN, rel+" · "+fo.EN
		labelZH, relZH = labelZH+" · "+fo.ZH, relZH+" · "+fo.ZH
	}
	it.Extra = shorten(it.Extra, MaxExtraLabel)
	if s.Label != "" {
		// The messages first ("ServerHello +5"): if the label must be shortened, the
		// flags and length go, not the message the lesson is about. The full list is
		// in the title and the transcript. A phone's arrow has room for the messages
		// alone, whole.
		msg := ShortLabel(s)
		label, rel = msg+" · "+label, msg+" · "+rel
		labelZH, relZH = msg+" · "+labelZH, msg+" · "+relZH
		if b.narrow {
			label, rel, labelZH, relZH = msg, msg, msg, msg
		}
	}
	// The arrow itself was registered with its instant (arrowsAt).
	place := b.arrowText
	if s.Label != "" {
		place = b.namedArrowText
	}
	switch n := b.stackLabel[s.ID]; {
	case n < 0:
		// drawn beside the arrow that carries its group's label
	case n > 0:
		more := fmt.Sprintf(" +%d", n)
		it.T = b.arrowLabel(s.ID, place, it.X1, it.Y1, it.X2, it.Y2, []string{label + more, labelZH + more, rel + more, relZH + more})
	default:
		it.T = b.arrowLabel(s.ID, place, it.X1, it.Y1, it.X2, it.Y2, []string{label, labelZH, rel, relZH})
	}
	b.l.Items = append(b.l.Items, it)
}

// arrowText places a label along an arrow: a third of the way from the sender (so
// crossing arrows' labels part), above the line; then at other points along it and below
// it; shortened to the arrow's length as a last resort.
func (b *builder) arrowText(x1, y1, x2, y2 float64, variants []string, size float64) *Label {
	return alongArrowFar(b.pl, x1, y1, x2, y2, variants, size, b.narrow)
}

// namedArrowText is arrowText for a segment labelled by the messages it carries (TLS,
// QUIC): the message's name whole wherever it has room, across another line if it must
// (the fewest), and shortened only where no spot along the arrow is clear of texts:
// "ClientHello" cut to "ClientH…" says nothing.
func (b *builder) namedArrowText(x1, y1, x2, y2 float64, variants []string, size float64) *Label {
	// Whole, but never across another arrow (a lifeline may be crossed).
	b.pl.noArrows = true
	defer func() { b.pl.noArrows = false }()
	if lb := alongArrowRoom(b.pl, x1, y1, x2, y2, variants, size, b.narrow, -1); lb != nil {
		return lb
	}
	// Without the count of the segments that share the line ("ClientKeyExchange" for
	// "ClientKeyExchange +2"): the transcript and the titles list them.
	bare := make([]string, len(variants))
	for i, v := range variants {
		if j := strings.LastIndex(v, " +"); j > 0 && strings.Trim(v[j+2:], "0123456789") == "" {
			v = v[:j]
		}
		bare[i] = v
	}
	if lb := alongArrowRoom(b.pl, x1, y1, x2, y2, bare, size, b.narrow, -1); lb != nil {
		return lb
	}
	// Cut: the instant is crowded, and a finished story gets more room after it.
	b.crowded[b.now]++
	b.pl.noArrows = false
	return b.arrowText(x1, y1, x2, y2, variants, size)
}

func alongArrow(pl *placer, x1, y1, x2, y2 float64, variants []string, size float64) *Label {
	return alongArrowFar(pl, x1, y1, x2, y2, variants, size, false)
}

// alongArrowFar is alongArrow; far also tries a line further from the arrow on either
// side (a phone's arrows crowd), before any text is shortened or laid on a line.
func alongArrowFar(pl *placer, x1, y1, x2, y2 float64, variants []string, size float64, far bool) *Label {
	return alongArrowRoom(pl, x1, y1, x2, y2, variants, size, far, 0)
}

// alongArrowRoom is alongArrowFar with the room a label may be shortened to: 0 for the
// arrow's length, -1 never shortened.
func alongArrowRoom(pl *placer, x1, y1, x2, y2 float64, variants []string, size float64, far bool, room float64) *Label {
	ang, cands := arrowCands(x1, y1, x2, y2, size, far, far && room < 0)
	length := math.Hypot(x2-x1, y2-y1)
	pl.fewest, pl.own = true, lineBox(x1, y1, x2, y2)
	defer func() { pl.fewest = false }()
	if room == 0 {
		room = max(length*0.9, 60)
	}
	return placeText(pl, variants, size, "middle", ang, cands, room)
}

// arrowCands returns the angle of a label along the arrow from (x1, y1) to (x2, y2) and
// the spots it is tried at, nearest the sender's third first: above the line, then below;
// far adds a line further off on either side (a phone's arrows crowd), further a line
// further still.
func arrowCands(x1, y1, x2, y2, size float64, far, further bool) (float64, [][2]float64) {
	ang := labelAngle(x1, y1, x2, y2)
	rad := ang * math.Pi / 180
	// The normal pointing up the page in the label's frame.
	nx, ny := math.Sin(rad), -math.Cos(rad)
	var cands [][2]float64
	offs := []float64{5, -size - 1}
	if far {
		offs = append(offs, size+6, -2*size-2)
	}
	if further {
		// A name kept whole may go a line further off still (its arrow is the nearest).
		offs = append(offs, 2*size+7, -3*size-3)
	}
	for _, off := range offs {
		for _, f := range []float64{0.32, 0.22, 0.42, 0.15, 0.5, 0.6, 0.7, 0.8} {
			px, py := x1+(x2-x1)*f, y1+(y2-y1)*f
			cands = append(cands, [2]float64{px + nx*off, py + ny*off})
		}
	}
	return ang, cands
}

// bundle draws a run of attacker traffic as one annotated band and one step.
func (b *builder) bundle(sp span) {
	var syn, synack, other, gaveUp, half, dropped, cookies int
	var q tcp.Event // the last queue event of the bundle
	hasQ := false
	var att, victim string
	for i := sp.first; i <= sp.last; i++ {
		e := b.tr.Load(i, &b.bundleBuf)
		switch e.Kind {
		case tcp.EventSegment:
			s := e.Segment
			if b.attacker[s.Src] {
				att, victim = s.Src, s.Dst
				if s.Seg.Flags == tcp.SYN {
					syn++
				} else {
					other++
				}
			} else {
				if att == "" {
					att, victim = s.Dst, s.Src
				}
				if s.Seg.Flags == tcp.SYN|tcp.ACK {
					synack++
					if s.Cookie != nil {
						cookies++
					}
				} else {
					other++
				}
			}
			if s.Seg.Flags&tcp.SYN != 0 {
				dir := s.Src + ">" + s.Dst
				b.isn[dir] = s.Seg.Seq
			}
		case tcp.EventState:
			if e.To == tcp.SynReceived {
				half++
			}
		case tcp.EventQueue:
			q, hasQ = *e, true // e's storage is the next event's
		case tcp.EventNote:
			switch e.Note {
			case "syn-ack-gave-up":
				gaveUp++
			case "syn-queue-full", "accept-queue-full":
				dropped++
			}
		}
	}
	// Each spoofed SYN leaves a half-open connection, is answered with a cookie, or is
	// dropped.
	dropped = max(syn-half-cookies, 0)
	var parts []engine.Text
	switch {
	case syn == 0:
	case half == syn:
		parts = append(parts, catalog.F("flood.half-open", syn))
	case dropped == syn:
		parts = append(parts, catalog.F("flood.dropped", syn))
	case cookies == syn:
		parts = append(parts, catalog.F("flood.cookies", syn))
	default:
		var fates []engine.Text
		if half > 0 {
			fates = append(fates, catalog.F("flood.some.half-open", half))
		}
		if cookies > 0 {
			fates = append(fates, catalog.F("flood.some.cookies", cookies))
		}
		if dropped > 0 {
			fates = append(fates, catalog.F("flood.some.dropped", dropped))
		}
		parts = append(parts, catalog.F("flood.mixed", syn, catalog.Join("sep.comma", fates)))
	}
	if synack > 0 {
		parts = append(parts, catalog.F("flood.synacks", synack))
	}
	if other > 0 {
		parts = append(parts, catalog.F("flood.other", other))
	}
	full := catalog.Join("sep.list", parts)
	if gaveUp > 0 {
		g := catalog.F("flood.gave-up", gaveUp)
		full.EN += g.EN
		full.ZH += g.ZH
	}
	if hasQ {
		qt := catalog.F("flood.queue", q.SynQueue, q.Backlog)
		full.EN += qt.EN
		full.ZH += qt.ZH
	}
	first := b.tr.Load(sp.first, &b.bundleBuf)
	y1, y2 := round1(b.ax.y(sp.t0)), round1(b.ax.y(sp.t1))
	st := Step{Index: len(b.l.Steps), Event: sp.last, First: sp.first, AtUs: int64(first.At), Kind: "bundle", Y: y1, Lane: att,
		Text: catalog.F("flood.step", att, victim, full)}
	b.l.Steps = append(b.l.Steps, st)
	it := Item{Kind: "bundle", Step: st.Index, End: -1, X1: b.laneX[att], Y1: y1, X2: b.laneX[victim], Y2: y2,
		Src: att, Dst: victim, Count: syn + synack + other, Text: full}
	if len(parts) == 0 {
		parts = []engine.Text{full}
	}
	// Where a corner of the band has no room for the summary (a phone's), the count alone.
	texts := [][]string{{parts[0].EN, parts[0].ZH}}
	if syn > 0 {
		for _, t := range []engine.Text{catalog.F("flood.count", syn), catalog.F("flood.count.short", syn)} {
			texts = append(texts, []string{t.EN, t.ZH})
		}
	}
	it.T = b.bundleLabel(it.X1, y1, it.X2, y2, texts)
	b.l.Items = append(b.l.Items, it) // its band was registered before the walk (bundleBands)
	if hasQ {
		qi := len(b.l.Steps) - 1
		qe := q
		qe.At = sp.t1
		b.queue(qi, &qe)
	}
}

// bundleLabel places a bundle's label inside its band, off the band's arrow, which runs
// from the attacker's lane (xa) at the band's top (y1) to the victim's (xv) at its bottom
// (y2): in the corner the arrow leaves free at the top, by the victim's lane, or the one
// at the bottom, by the attacker's; the first of texts (each in English and Chinese)
// that fits whole, else the first shortened to the corner's room (the whole text is the
// step's, in the title and the transcript).
func (b *builder) bundleLabel(xa, y1, xv, y2 float64, texts [][]string) *Label {
	variants := texts[0]
	h := max(y2-y1, 1)
	diag := lineBox(xa, y1, xv, y2)
	// The arrow's x where a text's box reaches down to (top corner) or up to (bottom).
	at := func(y float64) float64 { return xa + (xv-xa)*min(max((y-y1)/h, 0), 1) }
	topY, botY := round1(y1+11), round1(y2-4)
	type corner struct {
		x, y   float64
		anchor string
		room   float64
	}
	var cs []corner
	if xv < xa {
		cs = []corner{{xv + 4, topY, "start", at(topY+4) - xv - 8}, {xa - 4, botY, "end", xa - at(botY-11) - 8}}
	} else {
		cs = []corner{{xv - 4, topY, "end", xv - at(topY+4) - 8}, {xa + 4, botY, "start", at(botY-11) - xa - 8}}
	}
	// texts: the arrows that end or start in a corner (a burst sent before the band,
	// arriving in its first moments) leave it to the other.
	clearOf := func(c corner, vs []string, arrows bool) bool {
		w := 0.0
		for _, v := range vs {
			w = max(w, TextWidth(v, fontSide))
		}
		bx := textBox(c.x, c.y, c.anchor, 0, w, fontSide)
		return w <= c.room && !bx.overlaps(diag) && b.pl.fits(bx, false) && (!arrows || b.pl.clearOfArrows(bx, diag))
	}
	clear := func(c corner, vs []string) bool { return clearOf(c, vs, false) }
	for _, arrows := range []bool{true, false} {
		for _, vs := range texts {
			for _, c := range cs {
				if clearOf(c, vs, arrows) {
					return placeText(b.pl, vs, fontSide, c.anchor, 0, [][2]float64{{c.x, c.y}}, -1)
				}
			}
		}
	}
	for _, c := range cs {
		short := make([]string, len(variants))
		for i, v := range variants {
			short[i] = fitRunes(v, c.room, fontSide)
		}
		if short[0] != "" && short[1] != "" && clear(c, short) {
			lb := placeText(b.pl, short, fontSide, c.anchor, 0, [][2]float64{{c.x, c.y}}, -1)
			if lb != nil {
				lb.Cut = true
			}
			return lb
		}
	}
	// No corner has room for even a few characters: centred in the band, across its
	// arrow (its halo keeps it readable).
	xm := (xa + xv) / 2
	var cands [][2]float64
	for k := 0; k < 4; k++ {
		cands = append(cands, [2]float64{xm, (y1+y2)/2 + 4 + float64(k)*lineGap})
	}
	if lb := placeText(b.pl, variants, fontSide, "middle", 0, cands, -1); lb != nil {
		return lb
	}
	return placeText(b.pl, variants, fontSide, "middle", 0, cands, 0)
}

// MaxExtraLabel bounds the application label drawn on an arrow (the full text is in the
// arrow's title and the transcript).
const MaxExtraLabel = 44

// labelAngle is the rotation, in degrees, that lays a label along an arrow and keeps
// it upright.
func labelAngle(x1, y1, x2, y2 float64) float64 {
	a := math.Atan2(y2-y1, x2-x1) * 180 / math.Pi
	if a > 90 || a < -90 {
		a -= 180 * math.Copysign(1, a)
	}
	return a
}

// compactLabel is "PSH ACK len 708": what a segment carrying named messages shows.
func compactLabel(g tcp.Segment) string {
	return fmt.Sprintf("%s len %d", strings.Join(g.Flags.Names(), " "), len(g.Payload))
}

// shorten cuts s to at most n runes, ending in an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// segLabel writes "SYN seq 100 win 64240" style labels.
func segLabel(g tcp.Segment, base, rev tcp.Seq, relative bool) string {
	if g.UDP {
		return fmt.Sprintf("UDP %d B", len(g.Payload))
	}
	var parts []string
	parts = append(parts, strings.Join(g.Flags.Names(), " "))
	seq, ack := uint32(g.Seq), uint32(g.Ack)
	if relative {
		seq, ack = uint32(g.Seq-base), uint32(g.Ack-rev)
	}
	parts = append(parts, fmt.Sprintf("seq %d", seq))
	if g.Flags&tcp.ACK != 0 {
		parts = append(parts, fmt.Sprintf("ack %d", ack))
	}
	if n := len(g.Payload); n > 0 {
		parts = append(parts, fmt.Sprintf("len %d", n))
	}
	return strings.Join(parts, " ")
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		s := fmt.Sprintf("%.1f", d.Seconds())
		s = strings.TrimSuffix(s, ".0")
		return s + " s"
	case d >= time.Millisecond:
		return fmt.Sprintf("%d ms", d/time.Millisecond)
	}
	return fmt.Sprintf("%d µs", d/time.Microsecond)
}

func fmtTime(t tcp.Time) string {
	d := t.Sub(0)
	if d < time.Second {
		return fmt.Sprintf("%d ms", d/time.Millisecond)
	}
	s := fmt.Sprintf("%.3f", d.Seconds())
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + " s"
}
