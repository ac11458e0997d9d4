package diagram

// The TCP connection state diagram of RFC 9293 §3.3.2 (Figure 5) as a figure: node boxes
// in the RFC's arrangement, directed edges with arrowheads, and each edge labelled with
// the RFC's "event / action" notation, placed so that no label touches another label or
// a box. The browser draws this geometry as it is; WriteStateSVG writes the same figure.

import (
	"bufio"
	"errors"
	"fmt"
	"html"
	"io"
	"math"
	"strings"

	"synack/engine"
	"synack/engine/catalog"
)

// Sizes of the state figure, in SVG user units.
const (
	smWidth      = 1000.0
	smHeight     = 1010.0
	smNodeW      = 150.0
	smNodeH      = 36.0
	smNodeFont   = 14.0
	smLabelFont  = 13.0
	smLabelLine  = 16.0 // baseline to baseline of a label's two lines
	smLabelPad   = 4.0
	smClearance  = 3.0 // minimum air between two labels, or a label and a box
	smArrowLen   = 10.0
	smArrowHalfW = 4.5
)

// SMPoint is a point of the state figure.
type SMPoint struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// SMRect is an axis-aligned box: top-left corner, width and height.
type SMRect struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
	W float64 `json:"w"`
	H float64 `json:"h"`
}

func (r SMRect) overlaps(o SMRect, pad float64) bool {
	return r.X < o.X+o.W+pad && o.X < r.X+r.W+pad && r.Y < o.Y+o.H+pad && o.Y < r.Y+r.H+pad
}

func (r SMRect) inside(w, h, margin float64) bool {
	return r.X >= margin && r.Y >= margin && r.X+r.W <= w-margin && r.Y+r.H <= h-margin
}

// StateNode is one state's box. CLOSED appears twice, as in the RFC figure: at the top,
// where connections start, and at the bottom right, where LAST-ACK and TIME-WAIT end.
type StateNode struct {
	ID    string `json:"id"`    // unique: the state name, or "CLOSED-2" for the lower CLOSED
	State string `json:"state"` // RFC 9293 spelling, as the engine reports it
	SMRect
	TextX float64 `json:"tx"` // centre of the name's baseline
	TextY float64 `json:"ty"`
}

// StateLabel is an edge's "event / action" label: the event above a short rule, the
// action below it, as the RFC writes them.
type StateLabel struct {
	Event  string  `json:"event"`
	Action string  `json:"action"` // empty where the RFC writes no action line
	SMRect         // the label's box, background included
	CX     float64 `json:"cx"` // centre line of both text lines
	EventY float64 `json:"eventY"`
	RuleY  float64 `json:"ruleY"`
	RuleX1 float64 `json:"ruleX1"`
	RuleX2 float64 `json:"ruleX2"`
	ActY   float64 `json:"actionY"`
}

// StateEdge is one transition of the figure.
type StateEdge struct {
	ID       string `json:"id"`   // "FROM>TO" in state names, e.g. "LISTEN>SYN-RECEIVED"
	From     string `json:"from"` // state names
	To       string `json:"to"`
	FromNode string `json:"fromNode"` // node IDs
	ToNode   string `json:"toNode"`
	Kind     string `json:"kind"` // the event that takes it: "close", "rcv-syn", … (see StateFigure.Causes)
	// Shared is set when the engine also moves between these two states for a cause that
	// is not this edge's event (SYN-SENT → CLOSED on a RST, not on CLOSE): only a change
	// whose cause is known may be shown as this edge.
	Shared bool       `json:"shared,omitempty"`
	Note   string     `json:"note,omitempty"` // set for an edge the RFC states in a note under the figure but does not draw
	Points []SMPoint  `json:"points"`         // the line, ending at the arrowhead's base
	Arrow  [3]SMPoint `json:"arrow"`          // the arrowhead: tip, then the two base corners
	Label  StateLabel `json:"label"`
}

// StateCause is what the figure knows about one engine cause of a state change.
type StateCause struct {
	Kind string `json:"kind,omitempty"` // empty: no edge of Figure 5 is this event
	Text string `json:"text"`
}

// StateFigure is the whole figure in one language.
type StateFigure struct {
	Lang      string      `json:"lang"`
	Width     float64     `json:"width"`
	Height    float64     `json:"height"`
	NodeFont  float64     `json:"nodeFont"`
	LabelFont float64     `json:"labelFont"`
	Title     string      `json:"title"`
	Desc      string      `json:"desc"`
	Nodes     []StateNode `json:"nodes"`
	Edges     []StateEdge `json:"edges"`
	// Strings the page shows around the figure, in the figure's language.
	Strings map[string]string `json:"strings"`
	Style   string            `json:"style"` // the figure's CSS (StateFigureStyle)
	// Causes maps each cause the engine gives for a state change (engine.Event.Cause) to
	// the kind of event it is: a transition is the figure's edge FROM>TO only when that
	// edge's Kind matches; otherwise the figure does not draw it (an RST, a timer the RFC
	// figure leaves out, a Linux extra). Text is the cause in the figure's language.
	Causes map[string]StateCause `json:"causes"`
}

// smNodes places the states in the RFC figure's arrangement (centres).
var smNodes = []struct {
	id, state string
	x, y      float64
}{
	{"CLOSED", "CLOSED", 500, 70},
	{"LISTEN", "LISTEN", 500, 210},
	{"SYN-RECEIVED", "SYN-RECEIVED", 150, 360},
	{"SYN-SENT", "SYN-SENT", 850, 360},
	{"ESTABLISHED", "ESTABLISHED", 500, 510},
	{"FIN-WAIT-1", "FIN-WAIT-1", 150, 660},
	{"CLOSE-WAIT", "CLOSE-WAIT", 850, 660},
	{"FIN-WAIT-2", "FIN-WAIT-2", 150, 810},
	{"CLOSING", "CLOSING", 500, 810},
	{"LAST-ACK", "LAST-ACK", 850, 810},
	{"TIME-WAIT", "TIME-WAIT", 500, 950},
	{"CLOSED-2", "CLOSED", 850, 950},
}

// smEdge is a transition of Figure 5: its nodes, the route of its line (from the
// source box's border to the target box's border, corners in between), its label and
// the side of the line the label prefers (+1: right of the direction of travel).
type smEdge struct {
	from, to      string // node IDs
	kind          string // the event, as a key of smCauseKinds' values
	route         []SMPoint
	event, action engine.Text
	side          int
	seg           int    // which segment of the route the label prefers
	note          string // RFC note for an edge the figure does not draw
	onLine        bool   // the label prefers to sit on its line (a long label on a slanted line)
}

var (
	smX         = catalog.T("figure5.x")
	smClose     = catalog.T("figure5.close")
	smDelete    = catalog.T("figure5.delete-tcb")
	smRcvSYN    = catalog.T("figure5.rcv-syn")
	smSndSYNACK = catalog.T("figure5.snd-syn-ack")
	smSndFIN    = catalog.T("figure5.snd-fin")
	smRcvFIN    = catalog.T("figure5.rcv-fin")
	smSndACK    = catalog.T("figure5.snd-ack")
	smAckOfFIN  = catalog.T("figure5.rcv-ack-of-fin")
)

func smP(x, y float64) SMPoint { return SMPoint{x, y} }

// smEdges is RFC 9293 Figure 5, edge by edge, plus the FIN-WAIT-1 → TIME-WAIT transition
// its note 2 describes. Routes start and end on box borders (boxes are 150 × 36).
var smEdges = []smEdge{
	{from: "CLOSED", to: "LISTEN", kind: "open-passive", route: []SMPoint{smP(480, 88), smP(480, 192)},
		event: catalog.T("figure5.passive-open"), action: catalog.T("figure5.create-tcb"), side: 1},
	{from: "LISTEN", to: "CLOSED", kind: "close", route: []SMPoint{smP(520, 192), smP(520, 88)},
		event: smClose, action: smDelete, side: 1},
	{from: "CLOSED", to: "SYN-SENT", kind: "open-active", route: []SMPoint{smP(575, 60), smP(900, 60), smP(900, 342)},
		event: catalog.T("figure5.active-open"), action: catalog.T("figure5.create-tcb-snd-syn"), side: 1, seg: 1},
	{from: "SYN-SENT", to: "CLOSED", kind: "close", route: []SMPoint{smP(850, 342), smP(850, 80), smP(575, 80)},
		event: smClose, action: smDelete, side: 1, seg: 0},
	{from: "LISTEN", to: "SYN-SENT", kind: "send", route: []SMPoint{smP(575, 215), smP(800, 342)},
		event: catalog.T("figure5.send"), action: catalog.T("figure5.snd-syn"), side: -1},
	{from: "LISTEN", to: "SYN-RECEIVED", kind: "rcv-syn", route: []SMPoint{smP(425, 215), smP(200, 342)},
		event: smRcvSYN, action: smSndSYNACK, side: 1},
	{from: "SYN-RECEIVED", to: "LISTEN", kind: "rcv-rst", route: []SMPoint{smP(100, 342), smP(100, 200), smP(425, 200)},
		event: catalog.T("figure5.rcv-rst-note1"), side: -1, seg: 1},
	{from: "SYN-SENT", to: "SYN-RECEIVED", kind: "rcv-syn", route: []SMPoint{smP(775, 360), smP(225, 360)},
		event: smRcvSYN, action: smSndSYNACK, side: 1},
	{from: "SYN-RECEIVED", to: "ESTABLISHED", kind: "rcv-ack-of-syn", route: []SMPoint{smP(190, 378), smP(430, 492)},
		event: catalog.T("figure5.rcv-ack-of-syn"), action: smX, side: 1},
	{from: "SYN-SENT", to: "ESTABLISHED", kind: "rcv-syn-ack", route: []SMPoint{smP(810, 378), smP(570, 492)},
		event: catalog.T("figure5.rcv-syn-ack"), action: smSndACK, side: -1},
	{from: "SYN-RECEIVED", to: "FIN-WAIT-1", kind: "close", route: []SMPoint{smP(110, 378), smP(110, 642)},
		event: smClose, action: smSndFIN, side: 1},
	{from: "ESTABLISHED", to: "FIN-WAIT-1", kind: "close", route: []SMPoint{smP(440, 528), smP(225, 650)},
		event: smClose, action: smSndFIN, side: -1},
	{from: "ESTABLISHED", to: "CLOSE-WAIT", kind: "rcv-fin", route: []SMPoint{smP(560, 528), smP(775, 650)},
		event: smRcvFIN, action: smSndACK, side: 1},
	{from: "FIN-WAIT-1", to: "FIN-WAIT-2", kind: "rcv-ack-of-fin", route: []SMPoint{smP(110, 678), smP(110, 792)},
		event: smAckOfFIN, action: smX, side: -1},
	{from: "FIN-WAIT-1", to: "CLOSING", kind: "rcv-fin", route: []SMPoint{smP(225, 670), smP(480, 670), smP(480, 792)},
		event: smRcvFIN, action: smSndACK, side: -1, seg: 0},
	{from: "FIN-WAIT-1", to: "TIME-WAIT", kind: "rcv-fin-ack-of-fin", route: []SMPoint{smP(190, 678), smP(440, 932)},
		event: catalog.T("figure5.rcv-fin-ack-of-fin-note2"), action: smSndACK, side: -1,
		note: "2", onLine: true},
	{from: "CLOSE-WAIT", to: "LAST-ACK", kind: "close", route: []SMPoint{smP(850, 678), smP(850, 792)},
		event: smClose, action: smSndFIN, side: -1},
	{from: "FIN-WAIT-2", to: "TIME-WAIT", kind: "rcv-fin", route: []SMPoint{smP(110, 828), smP(110, 950), smP(425, 950)},
		event: smRcvFIN, action: smSndACK, side: 1, seg: 1},
	{from: "CLOSING", to: "TIME-WAIT", kind: "rcv-ack-of-fin", route: []SMPoint{smP(500, 828), smP(500, 932)},
		event: smAckOfFIN, action: smX, side: 1},
	{from: "LAST-ACK", to: "CLOSED-2", kind: "rcv-ack-of-fin", route: []SMPoint{smP(850, 828), smP(850, 932)},
		event: smAckOfFIN, action: smX, side: -1},
	{from: "TIME-WAIT", to: "CLOSED-2", kind: "timeout-2msl", route: []SMPoint{smP(575, 950), smP(775, 950)},
		event: catalog.T("figure5.timeout-2msl"), action: smDelete, side: -1},
}

// smCauseKinds maps the engine's causes of a state change (the strings its setState calls
// pass) to the Figure 5 event they are; "" for a cause no edge of the figure shows.
var smCauseKinds = map[string]string{
	"passive OPEN (listen)":               "open-passive",
	"active OPEN (connect)":               "open-active",
	"active OPEN (connect, Fast Open)":    "open-active",
	"received SYN":                        "rcv-syn",
	"received SYN (simultaneous open)":    "rcv-syn",
	"received SYN,ACK":                    "rcv-syn-ack",
	"received ACK of our SYN":             "rcv-ack-of-syn",
	"connection rebuilt from the cookie":  "rcv-ack-of-syn",
	"ACK carries a valid SYN cookie":      "",
	"CLOSE":                               "close",
	"CLOSE (shutdown)":                    "close",
	"CLOSE in SYN-SENT":                   "close",
	"shutdown in SYN-SENT":                "close",
	"CLOSE of the listening socket":       "close",
	"received FIN":                        "rcv-fin",
	"received FIN (simultaneous close)":   "rcv-fin",
	"received FIN that acknowledges ours": "rcv-fin-ack-of-fin",
	"our FIN was acknowledged":            "rcv-ack-of-fin",
	"TIME-WAIT timer expired":             "timeout-2msl",
	"received RST":                        "rcv-rst",
	"FIN-WAIT-2 timer expired":            "",
	"received RST in TIME-WAIT":           "",
	"RST in answer to our SYN":            "",
	"SYN retransmissions gave up":         "",
	"SYN-ACK retries exhausted":           "",
	"retransmissions gave up":             "",
	"ABORT":                               "",
	"SYN in the window in SYN-RECEIVED":   "",
	"new SYN for the same connection":     "",
}

// smShared lists the edges whose two states the engine also joins for another cause
// (TestStateFigureCoversEngineCauses keeps it complete).
var smShared = map[string]bool{
	"SYN-SENT>CLOSED":     true, // RST in answer to our SYN; SYN retransmissions gave up
	"SYN-RECEIVED>LISTEN": true, // SYN-ACK retries exhausted
	"LISTEN>SYN-RECEIVED": true, // an ACK carrying a valid SYN cookie
	"LAST-ACK>CLOSED":     true, // received RST
	"TIME-WAIT>CLOSED":    true, // received RST in TIME-WAIT
}

// FigureEdge returns the ID of the Figure 5 edge a state change takes ("LISTEN>SYN-RECEIVED"),
// or "" when the figure does not draw that transition for that cause.
func FigureEdge(from, to, cause string) string {
	kind := smCauseKinds[cause]
	if kind == "" {
		return ""
	}
	for _, e := range smEdges {
		if e.kind == kind && smStateOf(e.from) == from && smStateOf(e.to) == to {
			return from + ">" + to
		}
	}
	return ""
}

func smStateOf(node string) string {
	if node == "CLOSED-2" {
		return "CLOSED"
	}
	return node
}

// smStrings are the keys of the words the page shows around the figure: the catalogue's
// "states.<key>".
var smStrings = []string{"title", "desc", "x", "note1", "note2", "taken", "extra", "scroll", "enlarge", "close"}

// laneRoles are the endpoint names the scenarios use that have a translation: the
// catalogue's "lane.<role>".
var laneRoles = []string{"client", "server", "attacker"}

// LaneName returns the display name of an endpoint in a language: client, server and
// attacker (also numbered, "attacker-1") are translated; any other name is shown as it is.
func LaneName(name, lang string) string { return LaneText(name).In(lang) }

// LaneText returns an endpoint's display name in both languages.
func LaneText(name string) engine.Text {
	base, num, _ := strings.Cut(name, "-")
	if !catalog.Has("lane." + base) {
		return engine.Text{EN: name, ZH: name}
	}
	t := catalog.T("lane." + base)
	if num != "" {
		return engine.Text{EN: t.EN + "-" + num, ZH: t.ZH + " " + num}
	}
	return t
}

// TimerLabel returns the label of a timer bracket given the timer's trace name
// (engine.TimerKind.String()): the short trace name ("RTO") in English, the name the
// transcript uses in Chinese ("重传计时器").
func TimerLabel(name string) engine.Text {
	if k := "timer." + name; catalog.Has(k) {
		return engine.Text{EN: name, ZH: catalog.T(k).ZH}
	}
	return engine.Text{EN: name, ZH: name}
}

// smTextWidth estimates the width of s set in a sans-serif face at size px: about 0.6 em
// for a Latin letter or digit, 1 em for a CJK character or full-width punctuation.
func smTextWidth(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		switch {
		case r >= 0x2E80 && r <= 0x9FFF, r >= 0xF900 && r <= 0xFAFF, r >= 0xFF00 && r <= 0xFFEF, r >= 0x3000 && r <= 0x303F:
			w += 1.0
		case r == ' ' || r == ',' || r == '.' || r == '(' || r == ')':
			w += 0.35
		case r >= 'A' && r <= 'Z':
			w += 0.68
		default:
			w += 0.58
		}
	}
	return w * size
}

// ErrLabelsDoNotFit is returned when an edge label has no place free of other labels
// and boxes.
var ErrLabelsDoNotFit = errors.New("state figure: no free place for an edge label")

// StateMachine returns RFC 9293 Figure 5 laid out for lang ("en" or "zh"; anything else
// is English).
func StateMachine(lang string) StateFigure {
	// The figure is fixed data; a label that does not fit is a programming error the
	// package's tests catch (TestStateFigureLabelsDoNotOverlap), so it is not returned.
	f, _ := buildStateMachine(lang)
	return f
}

func buildStateMachine(lang string) (StateFigure, error) {
	if lang != "zh" {
		lang = "en"
	}
	f := StateFigure{
		Lang: lang, Width: smWidth, Height: smHeight, NodeFont: smNodeFont, LabelFont: smLabelFont,
		Title: catalog.In(lang, "states.title"), Desc: catalog.In(lang, "states.desc"), Strings: map[string]string{},
	}
	for _, k := range smStrings {
		f.Strings[k] = catalog.In(lang, "states."+k)
	}
	for _, k := range laneRoles {
		f.Strings["lane."+k] = catalog.In(lang, "lane."+k)
	}
	f.Style = StateFigureStyle
	f.Causes = map[string]StateCause{}
	for c, k := range smCauseKinds {
		f.Causes[c] = StateCause{Kind: k, Text: CauseText(c).In(lang)}
	}
	var boxes []SMRect
	for _, n := range smNodes {
		r := SMRect{X: n.x - smNodeW/2, Y: n.y - smNodeH/2, W: smNodeW, H: smNodeH}
		f.Nodes = append(f.Nodes, StateNode{ID: n.id, State: n.state, SMRect: r, TextX: n.x, TextY: n.y + smNodeFont*0.36})
		boxes = append(boxes, r)
	}
	stateOf := map[string]string{}
	for _, n := range smNodes {
		stateOf[n.id] = n.state
	}
	// The lines of every other edge, for the placer to keep a label off them.
	lineOf := func(skip int) [][2]SMPoint {
		var lines [][2]SMPoint
		for j, e := range smEdges {
			for i := 1; i < len(e.route) && j != skip; i++ {
				lines = append(lines, [2]SMPoint{e.route[i-1], e.route[i]})
			}
		}
		return lines
	}
	var placed []SMRect
	var err error
	for j, e := range smEdges {
		pts, arrow := arrowed(e.route)
		ed := StateEdge{
			ID: stateOf[e.from] + ">" + stateOf[e.to], From: stateOf[e.from], To: stateOf[e.to],
			FromNode: e.from, ToNode: e.to, Kind: e.kind, Note: e.note, Points: pts, Arrow: arrow,
			Shared: smShared[stateOf[e.from]+">"+stateOf[e.to]],
		}
		lb := StateLabel{Event: e.event.In(lang), Action: e.action.In(lang)}
		w := math.Max(smTextWidth(lb.Event, smLabelFont), smTextWidth(lb.Action, smLabelFont)) + 2*smLabelPad
		h := smLabelLine*2 + 2*smLabelPad
		if lb.Action == "" {
			h = smLabelLine + 2*smLabelPad // the event alone, as the RFC writes "rcv RST (note 1)"
		}
		r, ok := placeLabel(e, w, h, boxes, placed, lineOf(j))
		if !ok {
			err = fmt.Errorf("%w: %s", ErrLabelsDoNotFit, ed.ID)
		}
		placed = append(placed, r)
		lb.SMRect = r
		lb.CX = r.X + r.W/2
		lb.EventY = r.Y + smLabelPad + smLabelFont*0.85
		lb.RuleY = r.Y + r.H/2
		rw := math.Min(r.W-2*smLabelPad, math.Max(smTextWidth(lb.Event, smLabelFont), smTextWidth(lb.Action, smLabelFont)))
		lb.RuleX1, lb.RuleX2 = lb.CX-rw/2, lb.CX+rw/2
		lb.ActY = lb.EventY + smLabelLine + 2
		if lb.Action == "" {
			lb.RuleY, lb.RuleX1, lb.RuleX2, lb.ActY = lb.EventY, lb.CX, lb.CX, lb.EventY
		}
		ed.Label = lb
		f.Edges = append(f.Edges, ed)
	}
	return f, err
}

// arrowed shortens a route by the arrowhead's length and returns the arrowhead.
func arrowed(route []SMPoint) ([]SMPoint, [3]SMPoint) {
	pts := append([]SMPoint(nil), route...)
	n := len(pts)
	tip, prev := pts[n-1], pts[n-2]
	dx, dy := tip.X-prev.X, tip.Y-prev.Y
	l := math.Hypot(dx, dy)
	ux, uy := dx/l, dy/l
	base := SMPoint{tip.X - ux*smArrowLen, tip.Y - uy*smArrowLen}
	pts[n-1] = base
	return pts, [3]SMPoint{
		tip,
		{base.X - uy*smArrowHalfW, base.Y + ux*smArrowHalfW},
		{base.X + uy*smArrowHalfW, base.Y - ux*smArrowHalfW},
	}
}

// placeLabel finds a place for an edge's label box of w × h: beside one of the edge's
// segments, clear of every box and every label already placed, inside the figure, and
// crossing as few other lines as it can. Among equally clear places it prefers the
// edge's chosen segment and side, and the middle of the segment.
func placeLabel(e smEdge, w, h float64, boxes, placed []SMRect, lines [][2]SMPoint) (SMRect, bool) {
	type cand struct {
		r    SMRect
		cost float64
	}
	var cands []cand
	for si := 1; si < len(e.route); si++ {
		a, b := e.route[si-1], e.route[si]
		dx, dy := b.X-a.X, b.Y-a.Y
		l := math.Hypot(dx, dy)
		ux, uy := dx/l, dy/l
		nx, ny := -uy, ux // right of the direction of travel, in screen coordinates
		for _, t := range []float64{0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8} {
			cx, cy := a.X+dx*t, a.Y+dy*t
			for _, side := range []int{e.side, -e.side} {
				s := float64(side)
				d := math.Abs(nx)*w/2 + math.Abs(ny)*h/2 + 5
				// -1: on the line itself, its background masking the line; a wide label
				// beside a slanted line would otherwise sit far from it.
				for _, extra := range []float64{0, 12, 24, 40, -1} {
					off := d + extra
					cost := math.Abs(t-0.5)*20 + extra
					if extra < 0 {
						off, cost = 0, math.Abs(t-0.5)*20+30
						if e.onLine {
							cost -= 30
						}
					}
					r := SMRect{X: cx + s*nx*off - w/2, Y: cy + s*ny*off - h/2, W: w, H: h}
					r.X, r.Y = math.Round(r.X*10)/10, math.Round(r.Y*10)/10
					if side != e.side {
						cost += 15
					}
					if si-1 != e.seg {
						cost += 10
					}
					cands = append(cands, cand{r, cost})
				}
			}
		}
	}
	best, found := SMRect{}, false
	bestCost := math.Inf(1)
	for _, c := range cands {
		if !c.r.inside(smWidth, smHeight, 2) {
			continue
		}
		clear := true
		for _, o := range boxes {
			if c.r.overlaps(o, smClearance) {
				clear = false
				break
			}
		}
		for _, o := range placed {
			if clear && c.r.overlaps(o, smClearance) {
				clear = false
			}
		}
		if !clear {
			continue
		}
		cost := c.cost
		for _, ln := range lines {
			if cost >= bestCost {
				break
			}
			if segmentHitsRect(ln[0], ln[1], c.r) {
				cost += 100
			}
		}
		if cost < bestCost {
			best, bestCost, found = c.r, cost, true
		}
	}
	if !found && len(cands) > 0 {
		return cands[0].r, false
	}
	return best, found
}

// segmentHitsRect reports whether the segment a–b passes through r (Liang–Barsky).
func segmentHitsRect(a, b SMPoint, r SMRect) bool {
	t0, t1 := 0.0, 1.0
	dx, dy := b.X-a.X, b.Y-a.Y
	for _, c := range [4][2]float64{{-dx, a.X - r.X}, {dx, r.X + r.W - a.X}, {-dy, a.Y - r.Y}, {dy, r.Y + r.H - a.Y}} {
		pp, q := c[0], c[1]
		if pp == 0 {
			if q < 0 {
				return false
			}
			continue
		}
		t := q / pp
		if pp < 0 {
			if t > t1 {
				return false
			}
			t0 = math.Max(t0, t)
		} else {
			if t < t0 {
				return false
			}
			t1 = math.Min(t1, t)
		}
	}
	return t0 <= t1
}

// StateFigureStyle is the CSS of the state figure, shared by the page and the SVG file.
const StateFigureStyle = `.sa-sm{font-family:system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif}
.sa-sm-node rect{fill:var(--bg,#fff);stroke:var(--fg,#111827);stroke-width:1.3}
.sa-sm-node text{font-weight:600;fill:var(--fg,#111827)}
.sa-sm-edge polyline{fill:none;stroke:var(--muted,#4b5563);stroke-width:1.4}
.sa-sm-edge polygon{fill:var(--muted,#4b5563)}
.sa-sm-note polyline{stroke-dasharray:6 4}
.sa-sm-label rect{fill:var(--bg,#fff);opacity:.92}
.sa-sm-label text{fill:var(--fg,#111827)}
.sa-sm-label line{stroke:var(--fg,#111827);stroke-width:.8}
.sa-sm-lit-0 rect{fill:var(--c0,#2563eb);stroke:var(--c0,#2563eb)}
.sa-sm-lit-1 rect{fill:var(--c1,#b45309);stroke:var(--c1,#b45309)}
.sa-sm-lit-0 text,.sa-sm-lit-1 text{fill:var(--bg,#fff)}
.sa-sm-lit-0.sa-sm-lit-1 rect{fill:var(--c0,#2563eb);stroke:var(--c1,#b45309);stroke-width:5}
.sa-sm-taken-0 polyline{stroke:var(--c0,#2563eb);stroke-width:3.5}
.sa-sm-taken-0 polygon{fill:var(--c0,#2563eb)}
.sa-sm-taken-1 polyline{stroke:var(--c1,#b45309);stroke-width:3.5}
.sa-sm-taken-1 polygon{fill:var(--c1,#b45309)}
.sa-sm-taken-0 .sa-sm-label rect{fill:var(--hl,#fde047);stroke:var(--c0,#2563eb);stroke-width:2;opacity:1}
.sa-sm-taken-1 .sa-sm-label rect{fill:var(--hl,#fde047);stroke:var(--c1,#b45309);stroke-width:2;opacity:1}
.sa-sm-taken-0 polyline,.sa-sm-taken-1 polyline{stroke-dasharray:9 5}
.sa-sm-from-0 rect{stroke:var(--c0,#2563eb);stroke-width:3;stroke-dasharray:5 3}
.sa-sm-from-1 rect{stroke:var(--c1,#b45309);stroke-width:3;stroke-dasharray:5 3}
.sa-sm-scroll{overflow:auto;contain:inline-size;max-height:45vh;overscroll-behavior:contain;border:1px solid var(--line,#e5e7eb);border-radius:.4rem;background:var(--bg,#fff)}
.sa-sm-scroll:focus-visible{outline:2px solid var(--focus,#f59e0b)}
.sa-sm-scroll svg{display:block;width:760px;max-width:none;height:auto;margin:0 auto}
.sa-sm-large .sa-sm-scroll{max-height:none}
.sa-sm-large .sa-sm-scroll svg{width:max(760px,min(100%,1000px))}
.sa-sm-dialog .sa-sm-scroll svg{width:max(640px,min(100%,1000px,calc((96vh - 10rem)*.99)))}
@media (min-width:601px) and (max-width:800px){.sa-sm-dialog .sa-sm-scroll svg{width:760px}}
.sa-sm-dialog{width:min(1040px,96vw);max-width:none;max-height:96vh;padding:.6rem;border:1px solid var(--line,#e5e7eb);border-radius:.6rem;background:var(--card,#f8fafc);color:var(--fg,#111827)}
.sa-sm-dialog::backdrop{background:rgb(0 0 0/.45)}
.sa-sm-dialog .sa-sm-scroll{max-height:calc(96vh - 8rem)}
.sa-sm-tools{display:flex;justify-content:flex-end;margin:0 0 .3rem}
.sa-sm-tools button{font-size:.8rem}
.sa-sm-hint{font-size:.8rem;margin:0 0 .3rem;color:var(--muted,#4b5563)}
.sa-sm-now{font-size:.9rem;margin:.4rem 0;min-height:1.4em}
.sa-sm-legend{list-style:none;padding:0;margin:.3rem 0;font-size:.8rem;display:flex;flex-wrap:wrap;gap:.2rem .9rem;align-items:center}
.sa-sm-chip{display:inline-block;padding:0 .35em;border-radius:.3em;font-weight:700;color:var(--bg,#fff)}
.sa-sm-chip-0{background:var(--c0,#2563eb)}.sa-sm-chip-1{background:var(--c1,#b45309)}
@media (max-width:600px){.sa-sm-dialog .sa-sm-scroll svg{width:100%}}
.sa-sm-sw{display:inline-block;width:.8em;height:.8em;border-radius:.2em;margin-right:.35em;vertical-align:-.05em}
.sa-sm-sw-0{background:var(--c0,#2563eb)}.sa-sm-sw-1{background:var(--c1,#b45309)}
.sa-sm-sw-taken{background:var(--hl,#fde047);box-shadow:inset 0 0 0 2px var(--muted,#4b5563)}
.sa-sm-notes{font-size:.75rem;color:var(--muted,#4b5563);margin:.2rem 0 0}`

// WriteStateSVG writes the figure as a standalone SVG document, with a title and a
// description for screen readers and each label as text.
func WriteStateSVG(w io.Writer, f StateFigure) error {
	bw := bufio.NewWriter(w)
	esc := html.EscapeString
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" class="sa-sm" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-labelledby="sa-sm-title" aria-describedby="sa-sm-desc" lang="%s">`,
		f.Width, f.Height, f.Width, f.Height, htmlLangOf(f.Lang))
	fmt.Fprintf(bw, `<title id="sa-sm-title">%s</title><desc id="sa-sm-desc">%s</desc><style>%s</style>`, esc(f.Title), esc(f.Desc), StateFigureStyle)
	// Edges first, so boxes and labels sit on top of the lines.
	for _, e := range f.Edges {
		class := "sa-sm-edge"
		if e.Note != "" {
			class += " sa-sm-note"
		}
		fmt.Fprintf(bw, `<g class="%s" data-edge="%s"><polyline points="%s"/><polygon points="%s"/></g>`,
			class, esc(e.ID), smPoints(e.Points), smPoints(e.Arrow[:]))
	}
	for _, n := range f.Nodes {
		fmt.Fprintf(bw, `<g class="sa-sm-node" data-node="%s" data-state="%s"><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="6"/><text x="%.1f" y="%.1f" text-anchor="middle" font-size="%.0f">%s</text></g>`,
			esc(n.ID), esc(n.State), n.X, n.Y, n.W, n.H, n.TextX, n.TextY, f.NodeFont, esc(n.State))
	}
	for _, e := range f.Edges {
		l := e.Label
		fmt.Fprintf(bw, `<g class="sa-sm-edge-label" data-edge="%s"><g class="sa-sm-label"><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="3"/><text x="%.1f" y="%.1f" text-anchor="middle" font-size="%.0f">%s</text>`,
			esc(e.ID), l.X, l.Y, l.W, l.H, l.CX, l.EventY, f.LabelFont, esc(l.Event))
		if l.Action != "" {
			fmt.Fprintf(bw, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/><text x="%.1f" y="%.1f" text-anchor="middle" font-size="%.0f">%s</text>`,
				l.RuleX1, l.RuleX2, l.RuleY, l.RuleY, l.CX, l.ActY, f.LabelFont, esc(l.Action))
		}
		fmt.Fprint(bw, `</g></g>`)
	}
	fmt.Fprint(bw, `</svg>`)
	return bw.Flush()
}

func htmlLangOf(lang string) string {
	if lang == "zh" {
		return "zh-CN"
	}
	return "en"
}

func smPoints(ps []SMPoint) string {
	var b strings.Builder
	for i, pt := range ps {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.1f,%.1f", pt.X, pt.Y)
	}
	return b.String()
}
