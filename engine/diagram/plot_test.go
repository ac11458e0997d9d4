package diagram

import (
	"bytes"
	"encoding/xml"
	"html"
	"strings"
	"testing"

	"synack/engine"
	"synack/engine/tcp"
)

func runPlots(t *testing.T, st engine.Story, prof string, width float64) (*engine.Trace, *Layout, *Plot, *Plot) {
	t.Helper()
	tr, err := st.Run("plot", engine.Params{Profile: prof})
	if err != nil {
		t.Fatal(err)
	}
	l := Build(tr, Options{Width: width})
	o := PlotOptions{Width: width}
	return tr, l, BuildTSG(tr, l, o), BuildCwnd(tr, l, o)
}

// The time-sequence graph draws every data segment of the sender once, as a bar as tall
// as its payload, at the time it was sent (left to right in sending order); the lost one
// is marked lost.
func TestTSGDrawsEveryDataSegment(t *testing.T) {
	tr, l, p, _ := runPlots(t, engine.SACKRecovery, "linux", 0)
	if p.Sender != "server" {
		t.Fatalf("sender %q, want server (the story is a download)", p.Sender)
	}
	marks := map[int]PlotMark{}
	for _, m := range p.Marks {
		switch m.Class {
		case "data", "retransmit", "dropped":
			if _, dup := marks[m.ID]; dup {
				t.Fatalf("segment %d drawn twice", m.ID)
			}
			marks[m.ID] = m
		}
	}
	var lastX float64
	var lost int
	for _, s := range tr.Segments() {
		if s.Src != "server" || len(s.Seg.Payload) == 0 {
			continue
		}
		m, ok := marks[s.ID]
		if !ok {
			t.Fatalf("data segment %d not drawn", s.ID)
		}
		if m.X < lastX {
			t.Errorf("segment %d drawn at x %v, left of the one sent before it (%v)", s.ID, m.X, lastX)
		}
		lastX = m.X
		if m.Y2 >= m.Y {
			t.Errorf("segment %d: bar from %v up to %v; a higher sequence number is drawn higher", s.ID, m.Y, m.Y2)
		}
		want := "data"
		if s.Fate == tcp.Dropped {
			want = "dropped"
			lost++
		} else if s.Retransmit {
			want = "retransmit"
		}
		if m.Class != want {
			t.Errorf("segment %d drawn as %s, want %s", s.ID, m.Class, want)
		}
	}
	if lost != 1 {
		t.Errorf("%d segments lost, want 1", lost)
	}
	if len(p.CursorX) != len(l.Steps) {
		t.Fatalf("%d cursor positions for %d steps", len(p.CursorX), len(l.Steps))
	}
	for i := 1; i < len(p.CursorX); i++ {
		if p.CursorX[i] < p.CursorX[i-1] {
			t.Fatalf("cursor goes back at step %d: %v after %v", i, p.CursorX[i], p.CursorX[i-1])
		}
	}
}

// The ACK line is cumulative (RFC 9293 §3.4): it never goes down; drawn in SVG
// coordinates its y never grows.
func TestTSGAckLineNeverFalls(t *testing.T) {
	for _, st := range []engine.Story{engine.SACKRecovery, engine.RTOBackoff, engine.ZeroWindow} {
		_, _, p, _ := runPlots(t, st, "rfc", NarrowWidth)
		for _, ln := range p.Lines {
			if ln.Class != "ack" {
				continue
			}
			for i := 1; i < len(ln.Points); i++ {
				if ln.Points[i][1] > ln.Points[i-1][1] {
					t.Fatalf("ACK line falls at point %d: y %v after %v", i, ln.Points[i][1], ln.Points[i-1][1])
				}
				if ln.Points[i][0] < ln.Points[i-1][0] {
					t.Fatalf("ACK line goes back in time at point %d", i)
				}
			}
		}
	}
}

// The cwnd plot's first sample is the initial window: 10 segments on Linux (RFC 6928,
// TCP_INIT_CWND), 3 in the RFC profile (RFC 5681 §3.1: 4380 bytes at most for an SMSS
// of 1448), and the table says so in bytes.
func TestCwndPlotStartsAtTheInitialWindow(t *testing.T) {
	for _, tc := range []struct {
		prof string
		want string
	}{{"linux", "14480"}, {"rfc", "4344"}} {
		t.Run(tc.prof, func(t *testing.T) {
			_, _, _, p := runPlots(t, engine.BulkTransfer, tc.prof, 0)
			if len(p.Rows) == 0 {
				t.Fatal("no rows")
			}
			if got := p.Rows[0].Cells[1]; got != tc.want {
				t.Errorf("first cwnd %s bytes, want %s", got, tc.want)
			}
			if got := p.Rows[0].Cells[2]; got != "∞" {
				t.Errorf("first ssthresh %s, want ∞ (no loss yet)", got)
			}
		})
	}
}

// The standalone SVG is well-formed XML, carries its title and description in the
// reader's language, and draws only what happened up to the step asked for.
func TestPlotSVG(t *testing.T) {
	_, l, tsg, cwnd := runPlots(t, engine.SACKRecovery, "linux", NarrowWidth)
	for _, p := range []*Plot{tsg, cwnd} {
		for _, lang := range []string{"en", "zh"} {
			var all, some bytes.Buffer
			WritePlotSVG(&all, p, lang, -1)
			WritePlotSVG(&some, p, lang, len(l.Steps)/4)
			for _, b := range []*bytes.Buffer{&all, &some} {
				d := xml.NewDecoder(bytes.NewReader(b.Bytes()))
				for {
					if _, err := d.Token(); err != nil {
						if err.Error() != "EOF" {
							t.Fatalf("%s %s: %v", p.Kind, lang, err)
						}
						break
					}
				}
			}
			if !strings.Contains(all.String(), "<title id=\"t\">"+html.EscapeString(PlotTitle(p, lang))) {
				t.Errorf("%s %s: no title", p.Kind, lang)
			}
			if lang == "zh" && !strings.Contains(all.String(), "时间") {
				t.Errorf("%s zh: axis title not translated", p.Kind)
			}
			if some.Len() >= all.Len() {
				t.Errorf("%s %s: the drawing up to a quarter of the steps is not smaller than the whole", p.Kind, lang)
			}
		}
	}
}
