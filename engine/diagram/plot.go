package diagram

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"synack/engine"
	"synack/engine/catalog"
	"synack/engine/tcp"
)

// The data phase's two figures, laid out here from the trace and drawn as they are by
// the server's SVG and the browser: a time-sequence graph in the style of Stevens'
// TCP/IP Illustrated and tcptrace (each data segment a vertical bar from its first to
// its last byte at the time it was sent; the ACK line and the edge of the receive window
// as the sender saw them arrive; SACK blocks; retransmissions, losses and duplicate ACKs
// marked), and a plot of the sender's congestion state (cwnd, ssthresh, the flight and
// the peer's window, from the sample each segment carries). Both read time left to
// right on the same linear axis, so the player's cursor is one vertical line on each.

// Plot sizes, in SVG user units.
const (
	// PlotHeight and NarrowPlotHeight are the figures' heights (wide and phone).
	PlotHeight       = 340.0
	NarrowPlotHeight = 300.0
	plotLeft         = 52.0
	plotRight        = 14.0
	plotTop          = 34.0 // room for the legend
	plotBottom       = 40.0 // tick labels and the axis title
	// offScale is how far above the data a window may reach and still set the axis: a
	// larger one is drawn along the top of the area.
	offScale = 3.0
	// MaxPlotMarks bounds the marks one figure draws; a longer run keeps the first ones
	// and says how many it left out.
	MaxPlotMarks = 6000
)

// Plot is the geometry of one figure.
type Plot struct {
	Kind   string  `json:"kind"` // "tsg" or "cwnd"
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
	// Area is the plotting area: left, top, right, bottom.
	Area   [4]float64  `json:"area"`
	XTicks []PlotTick  `json:"xt"`
	YTicks []PlotTick  `json:"yt"`
	XTitle engine.Text `json:"xtitle"`
	YTitle engine.Text `json:"ytitle"`
	// Lines are step lines (ACK, window edge; cwnd, ssthresh, flight, rwnd).
	Lines []PlotLine `json:"lines"`
	// Marks are the data segments (bars), SACK blocks, losses and duplicate ACKs.
	Marks  []PlotMark   `json:"marks"`
	Legend []PlotLegend `json:"legend"`
	// CursorX is the x of each playback step of the sequence diagram (Layout.Steps), so
	// the cursor is drawn without arithmetic in the browser.
	CursorX []float64 `json:"cx"`
	// Sender is the endpoint whose data the figure shows ("" when the run has no data).
	Sender string `json:"sender"`
	// Omitted counts marks left out past MaxPlotMarks.
	Omitted int `json:"omitted,omitempty"`
	// Extent is what the run alone would span: its time range and the top of its value
	// axis, so figures of two runs can be given one common frame (PlotOptions).
	Extent PlotExtent `json:"-"`
	// Frame is the frame the figure is drawn in: its Extent, or the one PlotOptions gave.
	Frame PlotExtent `json:"-"`
	// Rows are the figure's text alternative: one row per data segment or sample.
	Rows []PlotRow `json:"-"`
}

// PlotTick is one tick of an axis: where it is and what it reads.
type PlotTick struct {
	Pos   float64 `json:"p"`
	Label string  `json:"l"`
}

// PlotLine is a step line: each point is (x, y, step); the line holds its value until
// the next point's x. A point is shown once the cursor reaches its step.
type PlotLine struct {
	Class  string       `json:"c"`
	Points [][3]float64 `json:"p"`
}

// PlotMark is one mark: a bar from (X, Y) to (X, Y2), or a point when Y2 equals Y.
// Class says what it is (data, retransmit, dropped, sack, dupack, probe); Step is when it
// is shown; ID the segment it belongs to; Title its text.
type PlotMark struct {
	Class string      `json:"c"`
	X     float64     `json:"x"`
	Y     float64     `json:"y"`
	Y2    float64     `json:"y2"`
	Step  int         `json:"s"`
	ID    int         `json:"id,omitempty"`
	Title engine.Text `json:"-"` // the server's SVG only; the page's table says it
}

// PlotLegend is one entry of the legend: the class it explains, its text and place.
type PlotLegend struct {
	Class string      `json:"c"`
	Text  engine.Text `json:"t"`
	X     float64     `json:"x"`
	Y     float64     `json:"y"`
	Row   int         `json:"-"`
}

// PlotRow is one row of a figure's text alternative.
type PlotRow struct {
	AtUs  int64
	Step  int
	Cells []string
	What  engine.Text
}

// PlotOptions shape a figure.
type PlotOptions struct {
	Width float64 // DefaultWidth when 0; under 600 a phone's layout
	// Frame, when its Until is after its From, fixes the time axis, and when its Max is
	// positive the top of the value axis: figures of two runs drawn side by side share
	// one frame (the larger of their Extents), so the same x is the same instant.
	Frame PlotExtent
}

// PlotExtent is a figure's frame: the time axis from From to Until, values from 0 to Max.
type PlotExtent struct {
	From, Until tcp.Time
	Max         float64
}

// Union is the smallest frame that holds both e and o.
func (e PlotExtent) Union(o PlotExtent) PlotExtent {
	if e.Until <= e.From {
		return o
	}
	if o.Until <= o.From {
		return e
	}
	return PlotExtent{From: min(e.From, o.From), Until: max(e.Until, o.Until), Max: max(e.Max, o.Max)}
}

// fixed applies opt's frame, if any, to a run's own.
func (opt PlotOptions) fixed(t0, t1 tcp.Time, vmax float64) (tcp.Time, tcp.Time, float64) {
	if opt.Frame.Until > opt.Frame.From {
		t0, t1 = opt.Frame.From, opt.Frame.Until
	}
	if opt.Frame.Max > 0 {
		vmax = opt.Frame.Max
	}
	return t0, t1, vmax
}

// stepIndex maps trace events to the sequence diagram's playback steps: an event is
// shown at the first step whose event is at or after it.
type stepIndex struct{ events []int }

func newStepIndex(l *Layout) stepIndex {
	ev := make([]int, len(l.Steps))
	for i, st := range l.Steps {
		ev[i] = st.Event
	}
	return stepIndex{ev}
}

func (s stepIndex) of(event int) int {
	k := sort.SearchInts(s.events, event)
	if k >= len(s.events) {
		return max(len(s.events)-1, 0)
	}
	return k
}

// dataFlow is what both figures need to know about a run: who sends the data and the
// numbers that make its sequence space relative.
type dataFlow struct {
	sender, receiver string
	iss              tcp.Seq // the sender's initial sequence number
	rcvShift         uint8   // the receiver's window scale (0: none)
	t0, t1           tcp.Time
}

// findFlow picks the endpoint that sent the most payload bytes and reads its ISN and the
// receiver's window scale from the handshake.
func findFlow(tr *engine.Trace) (dataFlow, bool) {
	bytes := map[string]int{}
	var f dataFlow
	var synSeq = map[string]tcp.Seq{}
	var wscale = map[string]int{}
	first := true
	for _, e := range tr.Scan() {
		if e.Kind != tcp.EventSegment || e.Segment.Seg.UDP {
			continue
		}
		s := e.Segment
		if s.Seg.Flags&tcp.SYN != 0 {
			synSeq[s.Src] = s.Seg.Seq
			wscale[s.Src] = -1
			if o, ok := s.Seg.Options.Find(tcp.OptWindowScale); ok {
				wscale[s.Src] = int(o.Shift)
			}
		}
		bytes[s.Src] += len(s.Seg.Payload)
		if first {
			f.t0, first = e.At, false
		}
		f.t1 = max(f.t1, e.At, s.Arrive)
	}
	// A margin after the last arrival, so the final ACK's step is drawn inside the
	// frame, not on its edge.
	f.t1 += (f.t1 - f.t0) / 40
	best := 0
	for name, n := range bytes {
		if n > best || n == best && n > 0 && name < f.sender {
			best, f.sender = n, name
		}
	}
	if best == 0 {
		return f, false
	}
	for _, ep := range tr.Meta.Endpoints {
		if ep.Name != f.sender && bytes[ep.Name] >= 0 && f.receiver == "" && ep.Role != "attacker" {
			f.receiver = ep.Name
		}
	}
	f.iss = synSeq[f.sender]
	if a, b := wscale[f.sender], wscale[f.receiver]; a >= 0 && b > 0 {
		f.rcvShift = uint8(b)
	}
	return f, true
}

// frame is a figure's two linear axes.
type frame struct {
	x0, x1, y0, y1 float64 // plotting area
	t0, t1         tcp.Time
	v0, v1         float64
}

func (fr frame) x(t tcp.Time) float64 {
	if fr.t1 <= fr.t0 {
		return fr.x0
	}
	return round1(fr.x0 + float64(t-fr.t0)*(fr.x1-fr.x0)/float64(fr.t1-fr.t0))
}

func (fr frame) y(v float64) float64 {
	if fr.v1 <= fr.v0 {
		return fr.y1
	}
	return round1(fr.y1 - (v-fr.v0)*(fr.y1-fr.y0)/(fr.v1-fr.v0))
}

// newPlot sets up the figure's size and area.
func newPlot(kind string, opt PlotOptions) *Plot {
	w := opt.Width
	if w == 0 {
		w = DefaultWidth
	}
	w = max(w, 300)
	h := PlotHeight
	if w < 600 {
		h = NarrowPlotHeight
	}
	return &Plot{Kind: kind, Width: w, Height: h, Area: [4]float64{plotLeft, plotTop, w - plotRight, h - plotBottom}}
}

func (p *Plot) frame(t0, t1 tcp.Time, vmax float64) frame {
	return frame{x0: p.Area[0], x1: p.Area[2], y0: p.Area[1], y1: p.Area[3], t0: t0, t1: t1, v0: 0, v1: vmax}
}

// niceStep is the step of about n ticks over span: 1, 2 or 5 times a power of ten.
func niceStep(span float64, n int) float64 {
	if span <= 0 {
		return 1
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			return m * mag
		}
	}
	return 10 * mag
}

// axes writes the ticks of both axes: time in seconds, values in kB (or as given).
func (p *Plot) axes(fr frame, vmax float64) {
	n := 8
	if p.Width < 600 {
		n = 4
	}
	span := float64(fr.t1-fr.t0) / 1e6
	st := niceStep(span, n)
	start := math.Ceil(float64(fr.t0)/1e6/st) * st
	for v := start; v <= float64(fr.t1)/1e6+1e-9; v += st {
		p.XTicks = append(p.XTicks, PlotTick{Pos: fr.x(tcp.Time(math.Round(v * 1e6))), Label: trimFloat(v, st)})
	}
	ys := niceStep(vmax/1000, 5)
	for v := 0.0; v <= vmax/1000+1e-9; v += ys {
		p.YTicks = append(p.YTicks, PlotTick{Pos: fr.y(v * 1000), Label: trimFloat(v, ys)})
	}
}

// trimFloat writes v with as many decimals as the step needs.
func trimFloat(v, step float64) string {
	d := 0
	for s := step; s < 1 && d < 6; s *= 10 {
		d++
	}
	return strconv.FormatFloat(v, 'f', d, 64)
}

// legend lays the entries out in rows above the area, each as wide as its longer text.
func (p *Plot) legend(entries []PlotLegend) {
	x, y, row := p.Area[0], 14.0, 0
	for _, e := range entries {
		w := 22 + max(TextWidth(e.Text.EN, fontTick), TextWidth(e.Text.ZH, fontTick)) + 14
		if x+w > p.Width-4 && x > p.Area[0] {
			x, y, row = p.Area[0], y+14, row+1
		}
		e.X, e.Y, e.Row = round1(x), y, row
		p.Legend = append(p.Legend, e)
		x += w
	}
	if row > 0 { // the legend took more rows: the area starts below it
		p.Area[1] += float64(row) * 14
	}
}

// BuildTSG lays out the time-sequence graph of a trace; l is its sequence diagram, whose
// steps the figure's marks are shown at.
func BuildTSG(tr *engine.Trace, l *Layout, opt PlotOptions) *Plot {
	p := newPlot("tsg", opt)
	p.XTitle, p.YTitle = catalog.T("plot.axis.time"), catalog.T("plot.axis.seq")
	f, ok := findFlow(tr)
	p.legend([]PlotLegend{
		{Class: "data", Text: catalog.T("plot.tsg.data")},
		{Class: "retransmit", Text: catalog.T("plot.tsg.retransmit")},
		{Class: "dropped", Text: catalog.T("plot.tsg.dropped")},
		{Class: "ack", Text: catalog.T("plot.tsg.ack")},
		{Class: "window", Text: catalog.T("plot.tsg.window")},
		{Class: "sack", Text: catalog.T("plot.tsg.sack")},
		{Class: "dupack", Text: catalog.T("plot.tsg.dupack")},
	})
	if !ok {
		p.finishEmpty(l)
		return p
	}
	p.Sender = f.sender
	si := newStepIndex(l)
	rel := func(s tcp.Seq) float64 { return float64(s.Sub(f.iss + 1)) }
	// First pass: the highest value drawn. The axis is made for the data; a window edge
	// far above it (a large receive buffer) runs along the top of the area instead of
	// squashing the data into a line.
	var vdata, vwin float64
	for _, e := range tr.Scan() {
		if e.Kind != tcp.EventSegment || e.Segment.Seg.Flags&tcp.SYN != 0 {
			continue
		}
		s := e.Segment
		if s.Src == f.sender {
			vdata = max(vdata, rel(s.Seg.Seq)+float64(len(s.Seg.Payload)))
		} else if s.Src == f.receiver && s.Seg.Flags&tcp.ACK != 0 && s.Fate == tcp.Delivered {
			vwin = max(vwin, rel(s.Seg.Ack)+float64(uint32(s.Seg.Window)<<f.rcvShift))
		}
	}
	vmax := vdata
	if vwin <= offScale*vdata {
		vmax = max(vmax, vwin)
	}
	vmax = max(vmax*1.06, 1000)
	p.Extent = PlotExtent{From: f.t0, Until: f.t1, Max: vmax}
	t0, t1, vmax := opt.fixed(f.t0, f.t1, vmax)
	fr := p.frame(t0, t1, vmax)
	p.Frame = PlotExtent{From: t0, Until: t1, Max: vmax}
	p.axes(fr, vmax)
	ack := PlotLine{Class: "ack"}
	win := PlotLine{Class: "window"}
	var lastAck tcp.Seq
	var lastWin uint16
	haveAck := false
	// ACKs are drawn when they reach the sender, so they go in arrival order.
	type ackAt struct {
		at    tcp.Time
		step  int
		seg   *tcp.SegmentEvent
		event int
	}
	var acks []ackAt
	for i, e := range tr.Scan() {
		if e.Kind != tcp.EventSegment || e.Segment.Seg.Flags&tcp.SYN != 0 {
			continue
		}
		s := e.Segment
		switch {
		case s.Src == f.sender && len(s.Seg.Payload) > 0:
			class := "data"
			what := catalog.T("plot.tsg.data")
			switch {
			case s.Fate != tcp.Delivered:
				class, what = "dropped", catalog.T("plot.tsg.dropped")
			case s.Retransmit:
				class, what = "retransmit", catalog.T("plot.tsg.retransmit")
			}
			lo, hi := rel(s.Seg.Seq), rel(s.Seg.Seq)+float64(len(s.Seg.Payload))
			title := catalog.F("plot.tsg.segment", s.ID, fmtSec(e.At), int64(lo), int64(hi))
			p.mark(PlotMark{Class: class, X: fr.x(e.At), Y: fr.y(lo), Y2: fr.y(hi), Step: si.of(i), ID: s.ID, Title: title})
			p.Rows = append(p.Rows, PlotRow{AtUs: int64(e.At), Step: si.of(i), What: what,
				Cells: []string{strconv.Itoa(s.ID), strconv.FormatInt(int64(lo), 10), strconv.FormatInt(int64(hi), 10)}})
		case s.Src == f.receiver && s.Seg.Flags&tcp.ACK != 0 && s.Fate == tcp.Delivered:
			c := *s
			c.Seg.Options = append(tcp.Options(nil), s.Seg.Options...)
			acks = append(acks, ackAt{at: s.Arrive, step: si.of(i), seg: &c, event: i})
		}
	}
	sort.SliceStable(acks, func(i, j int) bool { return acks[i].at < acks[j].at })
	for _, a := range acks {
		s := a.seg
		x := fr.x(a.at)
		edge := rel(s.Seg.Ack) + float64(uint32(s.Seg.Window)<<f.rcvShift)
		drawnEdge := min(edge, vmax)
		dup := haveAck && s.Seg.Ack == lastAck && len(s.Seg.Payload) == 0 && s.Seg.Window == lastWin &&
			s.Seg.Flags&(tcp.FIN|tcp.RST) == 0
		ack.Points = append(ack.Points, [3]float64{x, fr.y(rel(s.Seg.Ack)), float64(a.step)})
		win.Points = append(win.Points, [3]float64{x, fr.y(drawnEdge), float64(a.step)})
		if dup {
			p.mark(PlotMark{Class: "dupack", X: x, Y: fr.y(rel(s.Seg.Ack)), Y2: fr.y(rel(s.Seg.Ack)), Step: a.step, ID: s.ID,
				Title: catalog.F("plot.tsg.dupack.title", s.ID, fmtSec(a.at), int64(rel(s.Seg.Ack)))})
		}
		if o, ok := s.Seg.Options.Find(tcp.OptSACK); ok {
			for _, b := range o.Blocks {
				lo, hi := rel(b.Left), rel(b.Right)
				p.mark(PlotMark{Class: "sack", X: x, Y: fr.y(lo), Y2: fr.y(hi), Step: a.step, ID: s.ID,
					Title: catalog.F("plot.tsg.sack.title", s.ID, fmtSec(a.at), int64(lo), int64(hi))})
			}
		}
		what := catalog.T("plot.tsg.ack")
		if dup {
			what = catalog.T("plot.tsg.dupack")
		}
		p.Rows = append(p.Rows, PlotRow{AtUs: int64(a.at), Step: a.step, What: what,
			Cells: []string{strconv.Itoa(s.ID), strconv.FormatInt(int64(rel(s.Seg.Ack)), 10), strconv.FormatInt(int64(edge), 10)}})
		lastAck, lastWin, haveAck = s.Seg.Ack, s.Seg.Window, true
	}
	// Lines carry on to the right edge.
	for _, ln := range []*PlotLine{&ack, &win} {
		if n := len(ln.Points); n > 0 {
			last := ln.Points[n-1]
			ln.Points = append(ln.Points, [3]float64{fr.x1, last[1], last[2]})
		}
	}
	p.Lines = []PlotLine{win, ack}
	// What matters most is drawn last, on top: a lost segment or its retransmission
	// over the data around it.
	sort.SliceStable(p.Marks, func(i, j int) bool { return markOrder[p.Marks[i].Class] < markOrder[p.Marks[j].Class] })
	sort.SliceStable(p.Rows, func(i, j int) bool { return p.Rows[i].AtUs < p.Rows[j].AtUs })
	p.cursor(l, fr)
	return p
}

// BuildCwnd lays out the plot of the sender's congestion state.
func BuildCwnd(tr *engine.Trace, l *Layout, opt PlotOptions) *Plot {
	p := newPlot("cwnd", opt)
	p.XTitle, p.YTitle = catalog.T("plot.axis.time"), catalog.T("plot.axis.bytes")
	p.legend([]PlotLegend{
		{Class: "cwnd", Text: catalog.T("plot.cwnd.cwnd")},
		{Class: "ssthresh", Text: catalog.T("plot.cwnd.ssthresh")},
		{Class: "flight", Text: catalog.T("plot.cwnd.flight")},
		{Class: "rwnd", Text: catalog.T("plot.cwnd.rwnd")},
	})
	f, ok := findFlow(tr)
	if !ok {
		p.finishEmpty(l)
		return p
	}
	p.Sender = f.sender
	si := newStepIndex(l)
	var vmax, vrwnd float64
	for _, e := range tr.Scan() {
		if e.Kind == tcp.EventSegment && e.Segment.Src == f.sender && e.Segment.CC.Cwnd != 0 {
			cc := e.Segment.CC
			vmax = max(vmax, float64(cc.Cwnd), float64(cc.InFlight))
			vrwnd = max(vrwnd, float64(cc.PeerWnd))
			if hasSsthresh(cc) {
				vmax = max(vmax, float64(cc.Ssthresh))
			}
		}
	}
	if vrwnd <= offScale*vmax {
		vmax = max(vmax, vrwnd) // else the peer's window runs along the top
	}
	vmax = max(vmax*1.08, 1000)
	p.Extent = PlotExtent{From: f.t0, Until: f.t1, Max: vmax}
	t0, t1, vmax := opt.fixed(f.t0, f.t1, vmax)
	fr := p.frame(t0, t1, vmax)
	p.Frame = PlotExtent{From: t0, Until: t1, Max: vmax}
	p.axes(fr, vmax)
	lines := map[string]*PlotLine{"cwnd": {Class: "cwnd"}, "ssthresh": {Class: "ssthresh"}, "flight": {Class: "flight"}, "rwnd": {Class: "rwnd"}}
	add := func(k string, x, v float64, step int) {
		ln := lines[k]
		y := fr.y(min(v, vmax))
		if n := len(ln.Points); n > 0 && ln.Points[n-1][1] == y {
			return // the line holds its value: no new point
		}
		ln.Points = append(ln.Points, [3]float64{x, y, float64(step)})
	}
	var last tcp.CCSample
	for i, e := range tr.Scan() {
		if e.Kind != tcp.EventSegment || e.Segment.Src != f.sender || e.Segment.CC.Cwnd == 0 {
			continue
		}
		cc, x, st := e.Segment.CC, fr.x(e.At), si.of(i)
		add("cwnd", x, float64(cc.Cwnd), st)
		add("flight", x, float64(cc.InFlight-min(cc.Sacked, cc.InFlight)), st) // neither acknowledged nor SACKed
		add("rwnd", x, float64(cc.PeerWnd), st)
		if hasSsthresh(cc) {
			add("ssthresh", x, float64(cc.Ssthresh), st)
		}
		if cc.Cwnd != last.Cwnd || cc.Ssthresh != last.Ssthresh || cc.PeerWnd != last.PeerWnd || e.Segment.Retransmit {
			ss := "∞"
			if hasSsthresh(cc) {
				ss = strconv.FormatUint(uint64(cc.Ssthresh), 10)
			}
			p.Rows = append(p.Rows, PlotRow{AtUs: int64(e.At), Step: st, Cells: []string{strconv.Itoa(e.Segment.ID),
				strconv.FormatUint(uint64(cc.Cwnd), 10), ss, strconv.FormatUint(uint64(cc.InFlight), 10),
				strconv.FormatUint(uint64(cc.PeerWnd), 10)}})
		}
		last = cc
	}
	for _, k := range []string{"rwnd", "ssthresh", "flight", "cwnd"} {
		ln := lines[k]
		if n := len(ln.Points); n > 0 {
			ln.Points = append(ln.Points, [3]float64{fr.x1, ln.Points[n-1][1], ln.Points[n-1][2]})
		}
		p.Lines = append(p.Lines, *ln)
	}
	p.cursor(l, fr)
	return p
}

// markOrder is the order marks are drawn in, by class.
var markOrder = map[string]int{"data": 0, "sack": 1, "dupack": 2, "retransmit": 3, "dropped": 4}

// hasSsthresh says whether a sample's ssthresh is set: before a loss it is infinite.
func hasSsthresh(cc tcp.CCSample) bool {
	return cc.Ssthresh > 0 && cc.Ssthresh < tcp.SsthreshInfinite
}

func (p *Plot) mark(m PlotMark) {
	if len(p.Marks) >= MaxPlotMarks {
		p.Omitted++
		return
	}
	p.Marks = append(p.Marks, m)
}

// cursor gives every playback step its x.
func (p *Plot) cursor(l *Layout, fr frame) {
	p.CursorX = make([]float64, len(l.Steps))
	for i, st := range l.Steps {
		p.CursorX[i] = fr.x(min(max(tcp.Time(st.AtUs), fr.t0), fr.t1))
	}
}

// finishEmpty gives a run without data an empty frame.
func (p *Plot) finishEmpty(l *Layout) {
	fr := p.frame(0, 1, 1000)
	p.axes(fr, 1000)
	p.CursorX = make([]float64, len(l.Steps))
	for i := range p.CursorX {
		p.CursorX[i] = fr.x0
	}
}

// fmtSec writes a time in seconds with millisecond precision.
func fmtSec(t tcp.Time) string { return fmt.Sprintf("%.3f", float64(t)/1e6) }
