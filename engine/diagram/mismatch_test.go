package diagram

import (
	"bytes"
	"strings"
	"testing"

	"synack/engine"
	"synack/engine/tcp"
)

// A script's failure is drawn on the diagram: the segment sent instead is marked, the
// one expected is a ghost arrow between the same lanes, never on top of an arrow that
// was drawn at the same instant, its label (the script's line) placed; nothing else
// moves.
func TestMismatchDrawsAGhostAndMarksTheSegmentSent(t *testing.T) {
	tr, plain := build(t, "three-way-handshake")
	var synack *tcp.Event
	for _, e := range tr.Scan() {
		if e.Kind == tcp.EventSegment && e.Segment.Seg.Flags == tcp.SYN|tcp.ACK {
			synack = e
			break
		}
	}
	if synack == nil {
		t.Fatal("no SYN-ACK in the story")
	}
	s := synack.Segment
	m := &Mismatch{Expected: true, Src: s.Src, Dst: s.Dst, At: synack.At, Arrive: s.Arrive, Got: s.ID,
		Label: engine.Text{EN: "line 6 expected: +0 > R 0:0(0)", ZH: "第 6 行期望：+0 > R 0:0(0)"},
		Why:   engine.Text{EN: "flags differ", ZH: "标志位不同"}}
	l := Build(tr, Options{Mismatch: m})
	var ghost, sent *Item
	for i := range l.Items {
		it := &l.Items[i]
		switch {
		case it.Kind == "ghost":
			ghost = it
		case it.Kind == "segment" && it.Mark == MarkSent:
			if sent != nil {
				t.Errorf("segments %d and %d both marked as sent instead", sent.ID, it.ID)
			}
			sent = it
		}
	}
	if sent == nil || sent.ID != s.ID {
		t.Fatalf("marked %+v, want segment %d", sent, s.ID)
	}
	if ghost == nil {
		t.Fatal("no ghost arrow")
	}
	lane := map[string]float64{}
	for _, ln := range l.Lanes {
		lane[ln.Name] = ln.X
	}
	if ghost.X1 != lane[s.Src] || ghost.X2 != lane[s.Dst] {
		t.Errorf("ghost from x=%.0f to %.0f, want the %s lane to the %s lane", ghost.X1, ghost.X2, s.Src, s.Dst)
	}
	if d := ghost.Y1 - sent.Y1; d < ghostDrop/2 {
		t.Errorf("ghost at y=%.1f, the segment sent at %.1f: on top of each other", ghost.Y1, sent.Y1)
	}
	if ghost.T == nil || ghost.T.EN != m.Label.EN || ghost.T.ZH != m.Label.ZH {
		t.Errorf("ghost label %+v, want the script's line in both languages", ghost.T)
	}
	if ghost.Step != sent.Step {
		t.Errorf("ghost shown from step %d, the segment sent from %d", ghost.Step, sent.Step)
	}
	if len(l.Steps) != len(plain.Steps) {
		t.Errorf("%d steps with the mismatch, %d without: a ghost is not a step", len(l.Steps), len(plain.Steps))
	}
	var svg bytes.Buffer
	WriteSVG(&svg, l, SVGOptions{Lang: "zh", UpTo: -1})
	for _, want := range []string{`class="sa-ghost"`, `sa-mismatch"`, "第 6 行期望", "标志位不同"} {
		if !strings.Contains(svg.String(), want) {
			t.Errorf("the SVG lacks %q", want)
		}
	}
}
