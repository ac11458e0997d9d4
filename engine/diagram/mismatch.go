package diagram

import (
	"math"

	"synack/engine"
	"synack/engine/tcp"
)

// Mismatch is where a packetdrill script's expectation failed, to be drawn on the
// diagram itself: the packet line the script expected, as a ghost arrow at the time it
// was expected (nothing the engine did: dashed, in the failure's colour, labelled with
// the script line), and the segment the stack sent instead, marked.
type Mismatch struct {
	// Expected says whether there is a ghost to draw (false: the failure is about a
	// segment sent that no line expected).
	Expected bool
	Src, Dst string   // the lanes of the expected segment
	At       tcp.Time // when it was expected to leave
	Arrive   tcp.Time // and to arrive (the run's own delay)
	// Label is the ghost's text ("line 6 expected: > R 0:0(0)"), Why the failure in
	// full (its title), each in both languages.
	Label, Why engine.Text
	// Got is the ID of the segment sent instead (0: nothing was sent).
	Got int
}

// Marks of segment items: the ghost of an expected segment, and the segment sent
// instead of it.
const (
	MarkExpected = "expected"
	MarkSent     = "sent"
)

// ghostDrop is how far below an arrow at the same place a ghost is drawn, so the two
// never lie on one line.
const ghostDrop = 22.0

// mismatch marks the segment sent instead and draws the ghost, its label placed clear
// of every other text.
func (b *builder) mismatch(m *Mismatch) {
	gotStep := -1
	for i := range b.l.Items {
		if it := &b.l.Items[i]; it.Kind == "segment" && m.Got != 0 && it.ID == m.Got {
			it.Mark, it.Text = MarkSent, m.Why
			gotStep = it.Step
		}
	}
	if !m.Expected {
		return
	}
	x1, x2 := b.laneX[m.Src], b.laneX[m.Dst]
	y1, y2 := round1(b.ax.y(m.At)), round1(b.ax.y(m.Arrive))
	for moved := true; moved; {
		moved = false
		for _, it := range b.l.Items {
			if it.Kind == "segment" && math.Abs(it.Y1-y1) < ghostDrop/2 && math.Abs(it.Y2-y2) < ghostDrop/2 {
				y1, y2, moved = y1+ghostDrop, y2+ghostDrop, true
			}
		}
	}
	step := len(b.l.Steps) - 1
	if gotStep >= 0 {
		step = gotStep
	} else {
		for _, s := range b.l.Steps {
			if s.AtUs <= int64(m.At) {
				step = s.Index
			}
		}
	}
	it := Item{Kind: "ghost", Mark: MarkExpected, Step: max(step, 0), End: -1, X1: x1, Y1: y1, X2: x2, Y2: y2,
		Src: m.Src, Dst: m.Dst, Text: m.Why}
	it.T = b.arrowText(x1, y1, x2, y2, []string{m.Label.EN, m.Label.ZH}, fontSeg)
	b.pl.line(x1, y1, x2, y2)
	b.l.Items = append(b.l.Items, it)
}
