// Package diagram computes the geometry of a trace's sequence diagram, once, in Go:
// lanes, a time axis that stays to scale for round trips but compresses long idle gaps
// (TIME-WAIT's 60 s beside a 50 ms RTT), sloped arrows for segments, crosses for dropped
// ones, state bands, timer brackets and application notes. The server-side SVG and the
// browser renderer both draw this layout; neither lays anything out again.
package diagram

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"synack/engine"
)

// Layout constants, in SVG user units.
const (
	DefaultWidth = 880.0
	top          = 70.0
	bottom       = 40.0
	laneMargin   = 220.0
	// MaxDrawnSegments bounds the arrows one diagram draws; later segments are summarised.
	MaxDrawnSegments = 4000
)

// Options shape a layout.
type Options struct {
	Width float64 // total width (default DefaultWidth)
	// PxPerRTT is the height of one round trip (default 150).
	PxPerRTT float64
}

// Lane is one endpoint's lifeline.
type Lane struct {
	Name string  `json:"name"`
	Role string  `json:"role"`
	Addr string  `json:"addr"`
	X    float64 `json:"x"`
}

// Step is one unit of playback: one visible trace event.
type Step struct {
	Index   int         `json:"index"`
	Event   int         `json:"event"` // index into the trace's events
	AtUs    int64       `json:"at_us"`
	Kind    string      `json:"kind"`
	Y       float64     `json:"y"`
	Segment int         `json:"segment,omitempty"` // segment ID for segment steps
	Lane    string      `json:"lane,omitempty"`
	State   string      `json:"state,omitempty"` // for state steps: the new state
	From    string      `json:"from,omitempty"`
	Text    engine.Text `json:"text"`
}

// Item is one drawn thing. Kind says which fields apply.
type Item struct {
	Kind string  `json:"kind"` // "segment", "state", "timer", "app", "note", "queue"
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
	Label      string   `json:"label,omitempty"`     // absolute numbers
	LabelRel   string   `json:"label_rel,omitempty"` // relative numbers
	LX         float64  `json:"lx,omitempty"`        // label anchor
	LY         float64  `json:"ly,omitempty"`
	Angle      float64  `json:"angle,omitempty"` // label rotation in degrees, along the arrow
	Fate       string   `json:"fate,omitempty"`
	Retransmit bool     `json:"retransmit,omitempty"`
	Fault      string   `json:"fault,omitempty"`
	Extra      string   `json:"extra,omitempty"` // application label (TLS message), cookie note

	Lane  string      `json:"lane,omitempty"`
	State string      `json:"state,omitempty"`
	Side  int         `json:"side,omitempty"` // -1 left of the lane, +1 right
	Text  engine.Text `json:"text,omitempty"`
}

// Gap marks a compressed stretch of the time axis.
type Gap struct {
	Y1   float64 `json:"y1"`
	Y2   float64 `json:"y2"`
	Real string  `json:"real"` // its real length, e.g. "59.6 s"
}

// Tick labels the time axis.
type Tick struct {
	Y     float64 `json:"y"`
	Label string  `json:"label"`
}

// Layout is a whole diagram.
type Layout struct {
	Scenario  string  `json:"scenario"`
	Profile   string  `json:"profile"`
	Seed      uint64  `json:"seed"`
	RTTus     int64   `json:"rtt_us"`
	Width     float64 `json:"width"`
	Height    float64 `json:"height"`
	Lanes     []Lane  `json:"lanes"`
	Items     []Item  `json:"items"`
	Steps     []Step  `json:"steps"`
	Gaps      []Gap   `json:"gaps"`
	Ticks     []Tick  `json:"ticks"`
	Truncated int     `json:"truncated,omitempty"` // segments not drawn beyond MaxDrawnSegments
}

// timeAxis maps virtual time to y.
type timeAxis struct {
	times []engine.Time
	ys    []float64
}

func (a *timeAxis) y(t engine.Time) float64 {
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

// gapPx is the height of an idle gap g: to scale up to three round trips, then growing
// with the logarithm, so 60 s of TIME-WAIT and a 50 ms RTT are both readable and a
// backoff's 1, 2, 4, 8 s gaps still visibly grow.
func gapPx(g, rtt time.Duration, pxPerRTT float64) (float64, bool) {
	if rtt <= 0 {
		rtt = 100 * time.Millisecond
	}
	lin := 3 * rtt
	s := pxPerRTT / float64(rtt)
	if g <= lin {
		return float64(g) * s, false
	}
	return float64(lin)*s + 60*math.Log2(float64(g)/float64(lin)), true
}

// Build computes the layout of a trace.
func Build(tr *engine.Trace, opt Options) *Layout {
	if opt.Width == 0 {
		opt.Width = DefaultWidth
	}
	if opt.PxPerRTT == 0 {
		opt.PxPerRTT = 150
	}
	l := &Layout{Scenario: tr.Meta.Scenario, Profile: tr.Meta.Profile, Seed: tr.Meta.Seed,
		RTTus: int64(tr.Meta.RTT / time.Microsecond), Width: opt.Width}
	rtt := tr.Meta.RTT
	// Lanes, in the order the trace names them.
	laneX := map[string]float64{}
	n := len(tr.Meta.Endpoints)
	for i, ep := range tr.Meta.Endpoints {
		x := opt.Width / 2
		if n > 1 {
			x = laneMargin + float64(i)*(opt.Width-2*laneMargin)/float64(n-1)
		}
		laneX[ep.Name] = x
		l.Lanes = append(l.Lanes, Lane{Name: ep.Name, Role: ep.Role, Addr: ep.Addr, X: x})
	}
	main := map[string]bool{}
	for _, ep := range tr.Meta.Endpoints {
		if ep.Role != "attacker" {
			main[ep.Name] = true
		}
	}
	// The time axis: every moment something starts or ends.
	var times []engine.Time
	for i := range tr.Events {
		e := &tr.Events[i]
		times = append(times, e.At)
		if e.Kind == engine.EventSegment {
			times = append(times, e.Segment.Arrive)
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	ax := &timeAxis{}
	y := top
	for i, t := range times {
		if i > 0 && t == times[i-1] {
			continue
		}
		if len(ax.times) > 0 {
			prev := ax.times[len(ax.times)-1]
			px, compressed := gapPx(t.Sub(prev), rtt, opt.PxPerRTT)
			if compressed {
				l.Gaps = append(l.Gaps, Gap{Y1: y + 8, Y2: y + px - 8, Real: fmtDur(t.Sub(prev))})
			}
			y += px
		}
		ax.times = append(ax.times, t)
		ax.ys = append(ax.ys, y)
	}
	if len(ax.times) == 0 {
		ax.times, ax.ys = []engine.Time{0}, []float64{top}
	}
	l.Height = y + bottom + 30
	// Ticks: at each moment that starts after a compressed gap, and at least every 120 px.
	lastTick := -1000.0
	for i, t := range ax.times {
		if ax.ys[i]-lastTick >= 120 || i == 0 {
			l.Ticks = append(l.Ticks, Tick{Y: ax.ys[i], Label: fmtTime(t)})
			lastTick = ax.ys[i]
		}
	}
	b := &builder{l: l, ax: ax, laneX: laneX, main: main, tr: tr, bursts: newStacker(burstPx, burstStep)}
	b.walk()
	return l
}

type builder struct {
	l     *Layout
	ax    *timeAxis
	laneX map[string]float64
	main  map[string]bool
	tr    *engine.Trace
	// open state bands and timers per lane, as item indexes
	band   map[string]int
	lastLY map[string]float64 // per lane: where the last side label went
	timers map[string]int
	isn    map[string]engine.Seq // relative-number base per direction
	drawn  int
	bursts *stacker // label staggering within a burst, per direction
}

func (b *builder) side(lane string) int {
	// Labels go to the outside of the diagram: left of the leftmost lane, right of others.
	if len(b.l.Lanes) > 0 && b.l.Lanes[0].Name == lane {
		return -1
	}
	return 1
}

// place returns where a side label for lane at y goes: at y, or just below the lane's
// previous label, so labels at the same moment stack instead of overprinting.
func (b *builder) place(it *Item) {
	y := it.Y1 + 4
	if last, ok := b.lastLY[it.Lane]; ok && y < last+14 {
		y = last + 14
	}
	b.lastLY[it.Lane] = y
	it.LY = y
	it.LX = it.X1 + float64(it.Side)*12
}

func (b *builder) addStep(i int, e *engine.Event, kind, lane string) int {
	st := Step{Index: len(b.l.Steps), Event: i, AtUs: int64(e.At), Kind: kind, Y: b.ax.y(e.At), Lane: lane}
	st.Text = Describe(b.tr, e)
	b.l.Steps = append(b.l.Steps, st)
	return st.Index
}

func (b *builder) walk() {
	b.band = map[string]int{}
	b.lastLY = map[string]float64{}
	b.timers = map[string]int{}
	b.isn = map[string]engine.Seq{}
	for i := range b.tr.Events {
		e := &b.tr.Events[i]
		switch e.Kind {
		case engine.EventSegment:
			b.segment(i, e)
		case engine.EventState:
			if !b.main[e.Endpoint] || e.Peer != "" && !b.main[e.Peer] {
				continue // half-open connections of a flood: the queue item tells that story
			}
			st := b.addStep(i, e, "state", e.Endpoint)
			b.l.Steps[st].State, b.l.Steps[st].From = e.To.String(), e.From.String()
			x := b.laneX[e.Endpoint]
			yy := b.ax.y(e.At)
			if k, ok := b.band[e.Endpoint]; ok {
				b.l.Items[k].End = st
				b.l.Items[k].Y2 = yy
			}
			it := Item{Kind: "state", Step: st, End: -1, X1: x, Y1: yy, X2: x, Y2: b.l.Height - bottom,
				Lane: e.Endpoint, State: e.To.String(), Side: b.side(e.Endpoint)}
			b.place(&it)
			b.l.Items = append(b.l.Items, it)
			b.band[e.Endpoint] = len(b.l.Items) - 1
		case engine.EventApp:
			st := b.addStep(i, e, "app", e.Endpoint)
			x := b.laneX[e.Endpoint]
			yy := b.ax.y(e.At)
			it := Item{Kind: "app", Step: st, End: -1, X1: x, Y1: yy, X2: x, Y2: yy,
				Lane: e.Endpoint, Side: b.side(e.Endpoint), Text: appText(e)}
			b.place(&it)
			b.l.Items = append(b.l.Items, it)
		case engine.EventTimer:
			b.timer(i, e)
		case engine.EventNote:
			st := b.addStep(i, e, "note", e.Endpoint)
			x := b.laneX[e.Endpoint]
			yy := b.ax.y(e.At)
			it := Item{Kind: "note", Step: st, End: -1, X1: x, Y1: yy, X2: x, Y2: yy,
				Lane: e.Endpoint, Side: b.side(e.Endpoint), Text: NoteText(e.Note)}
			b.place(&it)
			b.l.Items = append(b.l.Items, it)
		case engine.EventQueue:
			st := b.addStep(i, e, "queue", e.Endpoint)
			x := b.laneX[e.Endpoint]
			yy := b.ax.y(e.At)
			it := Item{Kind: "queue", Step: st, End: -1, X1: x, Y1: yy, X2: float64(e.SynQueue), Y2: yy,
				Lane: e.Endpoint, Side: b.side(e.Endpoint), ID: e.Backlog, Label: fmt.Sprintf("%d/%d", e.SynQueue, e.Backlog),
				LabelRel: fmt.Sprintf("%d", e.AcceptQueue)}
			b.place(&it)
			b.l.Items = append(b.l.Items, it)
		}
	}
}

func (b *builder) timer(i int, e *engine.Event) {
	key := e.Endpoint + "|" + e.Peer + "|" + e.Timer.String()
	if !b.main[e.Endpoint] || e.Peer != "" && !b.main[e.Peer] {
		return
	}
	switch e.Action {
	case engine.TimerSet:
		if e.Timer == engine.TimerDelayedACK {
			return // delayed-ACK brackets appear only when the timer fires
		}
		st := b.addStep(i, e, "timer", e.Endpoint)
		if k, ok := b.timers[key]; ok && b.l.Items[k].End < 0 {
			b.l.Items[k].End = st
			b.l.Items[k].Y2 = b.ax.y(e.At)
		}
		x := b.laneX[e.Endpoint]
		b.l.Items = append(b.l.Items, Item{Kind: "timer", Step: st, End: -1, X1: x, Y1: b.ax.y(e.At), X2: x,
			Y2: b.ax.y(e.Deadline), Lane: e.Endpoint, Side: b.side(e.Endpoint), State: e.Timer.String(),
			Label: fmtDur(e.Duration), Text: timerText(e.Timer)})
		b.timers[key] = len(b.l.Items) - 1
	case engine.TimerFired, engine.TimerCancelled:
		if k, ok := b.timers[key]; ok && b.l.Items[k].End < 0 {
			if e.Action == engine.TimerCancelled && e.Timer == engine.TimerDelayedACK {
				return
			}
			st := b.addStep(i, e, "timer", e.Endpoint)
			b.l.Items[k].End = st
			b.l.Items[k].Y2 = b.ax.y(e.At)
			if e.Action == engine.TimerCancelled {
				b.l.Items[k].Fate = "cancelled"
			} else {
				b.l.Items[k].Fate = "fired"
			}
			return
		}
		if e.Action == engine.TimerFired && e.Timer == engine.TimerDelayedACK {
			st := b.addStep(i, e, "timer", e.Endpoint)
			x := b.laneX[e.Endpoint]
			yy := b.ax.y(e.At)
			b.l.Items = append(b.l.Items, Item{Kind: "timer", Step: st, End: st, X1: x, Y1: yy, X2: x, Y2: yy,
				Lane: e.Endpoint, Side: b.side(e.Endpoint), State: e.Timer.String(), Fate: "fired", Text: timerText(e.Timer)})
		}
	}
}

func (b *builder) segment(i int, e *engine.Event) {
	s := e.Segment
	g := s.Seg
	dir := s.Src + ">" + s.Dst
	if g.Flags&engine.SYN != 0 {
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
	x1, x2 := b.laneX[s.Src], b.laneX[s.Dst]
	y1, y2 := b.ax.y(e.At), b.ax.y(s.Arrive)
	it := Item{Kind: "segment", Step: st, End: -1, X1: x1, Y1: y1, X2: x2, Y2: y2, ID: s.ID, Src: s.Src, Dst: s.Dst,
		Flags: g.Flags.Names(), Fate: s.Fate.String(), Retransmit: s.Retransmit, Fault: s.Fault, Extra: s.Label}
	if g.UDP {
		it.Flags = []string{"UDP"}
	}
	if s.Fate != engine.Delivered {
		// A lost segment ends in a cross halfway along its path.
		it.X2, it.Y2 = (x1+x2)/2, (y1+b.ax.y(s.Arrive))/2
	}
	it.Label = segLabel(g, 0, 0, false)
	base, okS := b.isn[dir]
	rev, okR := b.isn[s.Dst+">"+s.Src]
	if !okS {
		base = g.Seq
	}
	if !okR {
		rev = 0
	}
	it.LabelRel = segLabel(g, base, rev, true)
	if s.Label != "" && !g.UDP {
		// A segment that carries named messages (TLS records) is labelled by them; its
		// numbers stay in the inspector and the transcript.
		it.Label = compactLabel(g)
		it.LabelRel = it.Label
	}
	it.Extra = shorten(it.Extra, MaxExtraLabel)
	// The label sits a third of the way from the sender, so crossing arrows' labels part;
	// packets of one burst (a TLS or QUIC flight) stack theirs below one another.
	f := 0.32
	it.LX = x1 + (it.X2-x1)*f
	it.LY = y1 + (it.Y2-y1)*f - 5 + b.bursts.offset(s.Src+">"+s.Dst, y1)
	it.Angle = labelAngle(x1, y1, it.X2, it.Y2)
	b.l.Items = append(b.l.Items, it)
}

// MaxExtraLabel bounds the application label drawn on an arrow (the full text is in the
// arrow's title and the transcript).
const MaxExtraLabel = 44

// stacker moves the labels of a burst of arrows (sends on one path that start less than
// gap px apart) below one another, step px each, three deep before starting over.
type stacker struct {
	gap, step float64
	lastY     map[string]float64
	n         map[string]int
}

func newStacker(gap, step float64) *stacker {
	return &stacker{gap: gap, step: step, lastY: map[string]float64{}, n: map[string]int{}}
}

// offset returns how far down to move the label of an arrow on path starting at y.
func (s *stacker) offset(path string, y float64) float64 {
	if prev, ok := s.lastY[path]; ok && y-prev < s.gap {
		s.n[path]++
	} else {
		s.n[path] = 0
	}
	s.lastY[path] = y
	return s.step * float64(s.n[path]%3)
}

// labelAngle is the rotation, in degrees, that lays a label along an arrow and keeps
// it upright.
func labelAngle(x1, y1, x2, y2 float64) float64 {
	a := math.Atan2(y2-y1, x2-x1) * 180 / math.Pi
	if a > 90 || a < -90 {
		a -= 180 * math.Copysign(1, a)
	}
	return a
}

// burstPx is how close (in px) two sends on one path must start to count as one burst.
const burstPx = 14

// burstStep moves each further label of a burst this far down, below the arrows.
const burstStep = 14

// compactLabel is "PSH ACK len 708": what a segment carrying named messages shows.
func compactLabel(g engine.Segment) string {
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
func segLabel(g engine.Segment, base, rev engine.Seq, relative bool) string {
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
	if g.Flags&engine.ACK != 0 {
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

func fmtTime(t engine.Time) string {
	d := t.Sub(0)
	if d < time.Second {
		return fmt.Sprintf("%d ms", d/time.Millisecond)
	}
	s := fmt.Sprintf("%.3f", d.Seconds())
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + " s"
}
