package diagram_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"synack/engine"
	"synack/engine/diagram"
	"synack/engine/handshakes"
	"synack/lessons"
	"synack/lessons/stories"
)

// checkBoxes fails if two texts of l overlap or one leaves the figure.
func checkBoxes(t *testing.T, name string, l *diagram.Layout) {
	t.Helper()
	checkTexts(t, name, diagram.Boxes(l), l.Width, l.Height)
}

// checkTexts fails if two of bs overlap or one leaves [0,w]×[0,h].
func checkTexts(t *testing.T, name string, bs []diagram.TestBox, w, h float64) {
	t.Helper()
	bad := 0
	for i, a := range bs {
		x1, y1, x2, y2 := a.Bounds()
		if x1 < 0 || y1 < 0 || x2 > w || y2 > h {
			t.Errorf("%s: %q leaves the %.0f×%.0f figure (%.0f,%.0f–%.0f,%.0f)", name, a.What, w, h, x1, y1, x2, y2)
			bad++
		}
		for _, b := range bs[i+1:] {
			_, by1, _, by2 := b.Bounds()
			if by1 > y2+1 || by2 < y1-1 {
				continue
			}
			if a.Overlaps(b) {
				t.Errorf("%s: %q overlaps %q", name, a.What, b.What)
				bad++
			}
		}
		if bad > 5 {
			t.Fatalf("%s: and more", name)
		}
	}
}

// No two texts of any diagram overlap and none leaves the figure: every scenario, both
// profiles, round trips from 1 ms to 2 s, with and without loss, wide and narrow.
func TestNoTextCollides(t *testing.T) {
	rtts := []time.Duration{time.Millisecond, 10 * time.Millisecond, 100 * time.Millisecond, 500 * time.Millisecond, 2 * time.Second}
	if testing.Short() {
		rtts = []time.Duration{10 * time.Millisecond, 500 * time.Millisecond}
	}
	for _, sc := range stories.Default().Stories() {
		for _, prof := range []string{"linux", "rfc"} {
			for _, rtt := range rtts {
				for _, loss := range []bool{false, true} {
					p := engine.DefaultParams()
					p.Profile, p.RTT = prof, rtt
					if loss {
						p.Drop, p.Loss, p.Seed = []int{2}, 0.2, 7
					}
					tr, err := stories.Default().Run(sc.ID, p)
					if err != nil {
						t.Fatalf("%s/%s/%v/loss=%v: %v", sc.ID, prof, rtt, loss, err)
					}
					for _, w := range []float64{0, diagram.NarrowWidth} {
						name := fmt.Sprintf("%s/%s/%v/loss=%v/w=%.0f", sc.ID, prof, rtt, loss, w)
						checkBoxes(t, name, diagram.Build(tr, diagram.Options{Width: w}))
					}
				}
			}
		}
	}
}

// A text beside a lane (a state, call, timer or note) is placed knowing the arrows sent
// at its instant and keeps off them: on a phone the handshake's "RTO 1 s" used to sit on
// the SYN it times. Checked on every story's default run (what a link opens), both
// profiles, wide and narrow. Where neither side of its lane has room near its moment, a
// text goes just above the moment (a probe's or a retransmission's note, the arrow
// leaving below it), or in its short form ("ETIMEDOUT", "lost: resent (fast recovery)"),
// whose whole form is the item's title.
func TestSideTextsKeepOffTheirArrows(t *testing.T) {
	eachStoryLayout(t, func(name string, l *diagram.Layout) {
		if on := diagram.SideTextOnArrow(l); len(on) > 0 {
			t.Errorf("%s: %d texts on their arrows: %q", name, len(on), on)
		}
	})
}

// No arrow's label lies on another arrow (a segment's line or a bundle's): a window's
// burst fans out a pixel apart, so its arrows share one label (fan.go), and a label with
// no room beside its own arrow goes beside the fan's other side, across a band, or
// shortened, before it would sit on a line. Every story's default run, both profiles,
// wide and narrow: web's TestBrowserPhoneLabelsClearOfArrows counts the same in the
// drawn SVG at 390×844.
func TestArrowLabelsClearOfOtherArrows(t *testing.T) {
	fanned := 0
	eachStoryLayout(t, func(name string, l *diagram.Layout) {
		if on := diagram.ArrowTextOnOtherArrow(l); len(on) > 0 {
			t.Errorf("%s: %d labels on other arrows:\n%s", name, len(on), strings.Join(on[:min(len(on), 6)], "\n"))
		}
		for _, it := range l.Items {
			// A window's ten segments: one label for the burst.
			if it.Kind == "segment" && it.T != nil && strings.HasSuffix(it.T.EN, " +9") {
				fanned++
			}
		}
	})
	if fanned == 0 {
		t.Fatal("no arrow's label stands for others: the burst the test is about is gone")
	}
}

// A flood's band starts a moment after the server's listen(): the texts of that instant
// (listen(), LISTEN, the queue) go beside the band, not under it. Every story with a
// bundle, both profiles, wide and narrow. On a phone three lanes 80 px apart leave no
// room beside the server for "SYN queue full: SYN dropped" but a line or two below, and
// the client's "connect() = ETIMEDOUT" is drawn as "ETIMEDOUT" left of its lane.
func TestSideTextsKeepOffBundles(t *testing.T) {
	bundled := 0
	eachStoryLayout(t, func(name string, l *diagram.Layout) {
		for _, it := range l.Items {
			if it.Kind == "bundle" {
				bundled++
				break
			}
		}
		// A bundle's own label keeps off the arrow across its band.
		if on := diagram.BundleTextOnArrow(l); len(on) > 0 {
			t.Errorf("%s: %q", name, on)
		}
		if on := diagram.SideTextOnBundle(l); len(on) > 0 {
			t.Errorf("%s: %d texts on a band: %q", name, len(on), on)
		}
	})
	if bundled == 0 {
		t.Fatal("no story drew a bundle: the test checks nothing")
	}
}

// Every comparison column the slider can show (10 to 500 ms in steps of 10, with and
// without a lost first packet) has no overlapping text and none outside the column.
func TestNoColumnTextCollides(t *testing.T) {
	step := 10 * time.Millisecond
	if testing.Short() {
		step = 70 * time.Millisecond
	}
	for rtt := handshakes.MinCompareRTT; rtt <= handshakes.MaxCompareRTT; rtt += step {
		for _, lose := range []bool{false, true} {
			rows, err := handshakes.Compare(rtt, lose)
			if err != nil {
				t.Fatal(err)
			}
			var slowest int64
			for _, r := range rows {
				slowest = max(slowest, r.FirstByteAtUs)
			}
			for _, r := range rows {
				for _, lang := range []string{"en", "zh"} {
					o := diagram.ColumnOptions{RequestUs: r.RequestAtUs, FirstByteUs: r.FirstByteAtUs, RTT: rtt,
						PxPerUs: diagram.ColumnScale(slowest), Lang: lang}
					name := fmt.Sprintf("compare/%v/lose=%v/%s/%s", rtt, lose, r.ID, lang)
					checkTexts(t, name, diagram.ColumnBoxes(r.Trace, o), diagram.ColumnWidth, diagram.ColumnHeight)
				}
			}
		}
	}
}

// MaxTickSpacing is the most px of time axis a reader scrolls without a labelled tick,
// where the axis has an instant there to label.
const MaxTickSpacing = 360.0

// Every tick the time axis draws has its label, no two tick labels overlap (nor any
// other text: TestNoTextCollides), none lies under a gap's band (drawn over the grid),
// and no long stretch of axis with instants in it goes without one: every story's
// default run, wide and on a phone, where middle ticks used to be drawn without a time.
func TestEveryTickLabelled(t *testing.T) {
	for _, sc := range stories.Default().Stories() {
		tr, err := stories.Default().Run(sc.ID, engine.DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []float64{0, diagram.NarrowWidth} {
			l := diagram.Build(tr, diagram.Options{Width: w})
			name := fmt.Sprintf("%s/w=%.0f", sc.ID, w)
			if len(l.Ticks) == 0 {
				t.Errorf("%s: no ticks", name)
				continue
			}
			for i, tk := range l.Ticks {
				if tk.T == nil {
					t.Errorf("%s: the tick at %.0f px (%s) has no label", name, tk.Y, tk.Label)
					continue
				}
				if tk.T.Cut || tk.T.EN != tk.Label {
					t.Errorf("%s: tick %s labelled %q", name, tk.Label, tk.T.EN)
				}
				lb := diagram.TickBox(tk)
				for _, g := range l.Gaps {
					if x1, y1, x2, y2 := lb.Bounds(); y2 > g.Y1 && y1 < g.Y2 && x2 > g.X && x1 < g.X+g.W {
						t.Errorf("%s: tick %s lies under the band of the %s gap", name, tk.Label, g.Real)
					}
				}
				if i > 0 {
					if a, b := l.Ticks[i-1], tk; b.Y-a.Y > MaxTickSpacing {
						// Allowed only where no instant lies between to label.
						for _, st := range l.Steps {
							if st.Y > a.Y+120 && st.Y < b.Y-120 {
								t.Errorf("%s: %.0f px of axis between ticks %s and %s, with events between", name, b.Y-a.Y, a.Label, b.Label)
								break
							}
						}
					}
				}
			}
		}
	}
}

// An arrow that carries named messages (TLS records, QUIC packets) names them whole,
// wide and on a phone, in every story's default run: "ServerH…" says nothing. Where its
// label had to cross another line to stay whole, the browser test of a phone's labels
// (web's TestBrowserPhoneLabelsClearOfArrows) counts it.
func TestMessageNamesWhole(t *testing.T) {
	named := 0
	for _, sc := range stories.Default().Stories() {
		tr, err := stories.Default().Run(sc.ID, engine.DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []float64{0, diagram.NarrowWidth} {
			for _, it := range diagram.Build(tr, diagram.Options{Width: w}).Items {
				if it.Kind != "segment" || it.Extra == "" || it.T == nil {
					continue
				}
				named++
				if it.T.Cut {
					t.Errorf("%s/w=%.0f: segment %d (%s) is labelled %q, cut", sc.ID, w, it.ID, it.Extra, it.T.EN)
				}
			}
		}
	}
	if named == 0 {
		t.Fatal("no story has an arrow with named messages: the test checks nothing")
	}
}

// No text beside a lane lies on the band of a compressed gap: a moment whose texts run
// down past its line (a state, a call and a queue's length at one instant) gets the room
// they need before the band, so none seems to happen in the idle time that follows
// (close-with-unread-data's ESTABLISHED sat on its "240 ms" band on a phone). Every
// story's and every lesson's default run, both profiles, wide and narrow.
func TestSideTextsOffGaps(t *testing.T) {
	check := func(name string, l *diagram.Layout) {
		if on := diagram.TextsOnGaps(l); len(on) > 0 {
			t.Errorf("%s: %d texts on gaps: %q", name, len(on), on)
		}
	}
	eachStoryLayout(t, check)
	cat, err := lessons.Load(lessons.Files(), stories.Default())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range cat.All() {
		for _, prof := range []string{"linux", "rfc"} {
			p := engine.DefaultParams()
			p.Profile = prof
			if ok, _ := l.Allows(p); !ok {
				continue
			}
			tr, err := l.Run(p)
			if err != nil {
				t.Fatalf("lesson %s/%s: %v", l.ID, prof, err)
			}
			for _, w := range []float64{0, diagram.NarrowWidth} {
				check(fmt.Sprintf("lesson %s/%s/w=%.0f", l.ID, prof, w), diagram.Build(tr, diagram.Options{Width: w}))
			}
		}
	}
}

// eachStoryLayout calls f with every story's default run (what a link opens) under both
// profiles, laid out wide and on a phone, named story/profile/w=width.
func eachStoryLayout(t *testing.T, f func(name string, l *diagram.Layout)) {
	t.Helper()
	for _, sc := range stories.Default().Stories() {
		for _, prof := range []string{"linux", "rfc"} {
			p := engine.DefaultParams()
			p.Profile = prof
			tr, err := stories.Default().Run(sc.ID, p)
			if err != nil {
				t.Fatalf("%s/%s: %v", sc.ID, prof, err)
			}
			for _, w := range []float64{0, diagram.NarrowWidth} {
				f(fmt.Sprintf("%s/%s/w=%.0f", sc.ID, prof, w), diagram.Build(tr, diagram.Options{Width: w}))
			}
		}
	}
}

// A timer's bracket is labelled in Chinese by its name without the transcript's gloss
// ("坚持计时器 300 ms", not "坚持计时器（零窗口探测） 300 ms"), short enough to stand
// beside a phone's lane: zero-window's persist timers used to fall back to the English
// "PERSIST 300 ms" in the Chinese figure.
func TestTimerBracketsNamedInChinese(t *testing.T) {
	p := engine.DefaultParams()
	tr, err := stories.Default().Run("zero-window", p)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []float64{0, diagram.NarrowWidth} {
		l := diagram.Build(tr, diagram.Options{Width: w})
		n := 0
		for _, it := range l.Items {
			if it.Kind != "timer" || it.T == nil || !strings.HasPrefix(it.T.EN, "PERSIST") {
				continue
			}
			n++
			if !strings.HasPrefix(it.T.ZH, "坚持计时器 ") {
				t.Errorf("w=%.0f: persist timer at y %.0f drawn %q in Chinese", w, it.T.Y, it.T.ZH)
			}
		}
		if n == 0 {
			t.Errorf("w=%.0f: no persist timer drawn", w)
		}
	}
}
