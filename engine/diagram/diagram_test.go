package diagram

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"synack/engine"
	"synack/engine/catalog"
	"synack/engine/tcp"
	"synack/lessons/stories"
)

func build(t *testing.T, id string) (*engine.Trace, *Layout) {
	t.Helper()
	tr, err := stories.Default().Run(id, engine.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	return tr, Build(tr, Options{})
}

// Every scenario lays out with time flowing down, one arrow per segment between the
// right lanes, and steps in trace order; the SVG is well-formed XML.
func TestEveryScenarioLaysOut(t *testing.T) {
	for _, sc := range stories.Default().Stories() {
		t.Run(sc.ID, func(t *testing.T) {
			tr, l := build(t, sc.ID)
			x := map[string]float64{}
			for _, ln := range l.Lanes {
				x[ln.Name] = ln.X
			}
			segs := 0
			for _, it := range l.Items {
				if it.Kind == "bundle" {
					segs += it.Count
				}
				if it.Kind != "segment" {
					continue
				}
				segs++
				if it.X1 != x[it.Src] {
					t.Errorf("segment %d starts at x=%.0f, the %s lane is at %.0f", it.ID, it.X1, it.Src, x[it.Src])
				}
				if it.Y2 < it.Y1 {
					t.Errorf("segment %d goes up the page (%.0f → %.0f)", it.ID, it.Y1, it.Y2)
				}
				if it.Fate == "delivered" && it.X2 != x[it.Dst] {
					t.Errorf("delivered segment %d ends at x=%.0f, not on the %s lane", it.ID, it.X2, it.Dst)
				}
				if it.Fate != "delivered" && it.X2 != (x[it.Src]+x[it.Dst])/2 {
					t.Errorf("lost segment %d ends at x=%.0f, want halfway", it.ID, it.X2)
				}
			}
			if segs+l.Truncated != len(tr.Segments()) {
				t.Errorf("%d arrows and bundled segments (+%d summarised) for %d segments", segs, l.Truncated, len(tr.Segments()))
			}
			for i := 1; i < len(l.Steps); i++ {
				if l.Steps[i].Y < l.Steps[i-1].Y || l.Steps[i].Event <= l.Steps[i-1].Event {
					t.Fatalf("step %d is out of order", i)
				}
			}
			var buf bytes.Buffer
			if err := WriteSVG(&buf, l, SVGOptions{Lang: "en", UpTo: -1}); err != nil {
				t.Fatal(err)
			}
			dec := xml.NewDecoder(&buf)
			for {
				if _, err := dec.Token(); err == io.EOF {
					break
				} else if err != nil {
					t.Fatalf("SVG is not well-formed: %v", err)
				}
			}
		})
	}
}

// The handshake's arrows carry data-segment flags and its states data-state, so tests
// and screen readers can find them.
func TestHandshakeSVGHooks(t *testing.T) {
	_, l := build(t, "three-way-handshake")
	var buf bytes.Buffer
	WriteSVG(&buf, l, SVGOptions{Lang: "zh", UpTo: -1})
	s := buf.String()
	for _, want := range []string{`data-segment="SYN"`, `data-segment="SYN ACK"`, `data-segment="ACK"`,
		`data-state="SYN-SENT"`, `data-state="SYN-RECEIVED"`, `data-state="ESTABLISHED"`, "到达"} {
		if !strings.Contains(s, want) {
			t.Errorf("SVG lacks %s", want)
		}
	}
	if os.Getenv("SYNACK_SVG_DIR") != "" {
		os.WriteFile(filepath.Join(os.Getenv("SYNACK_SVG_DIR"), "handshake.svg"), buf.Bytes(), 0o644)
	}
}

// TIME-WAIT's 60 s must not take 60 s worth of round trips of height: the gap is
// compressed and marked with its real length, and order is kept.
func TestLongGapsAreCompressedAndMarked(t *testing.T) {
	_, l := build(t, "four-way-close")
	if l.Height > 2500 {
		t.Fatalf("height %.0f: the 60 s TIME-WAIT was not compressed", l.Height)
	}
	found := false
	for _, g := range l.Gaps {
		if g.Real == "60 s" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no gap marked 60 s in %+v", l.Gaps)
	}
	// A round trip keeps its scale: SYN sent at 10 ms arrives 50 ms later = half of 150 px.
	for _, it := range l.Items {
		if it.Kind == "segment" && it.ID == 1 {
			if d := it.Y2 - it.Y1; d < 74 || d > 76 {
				t.Fatalf("a 50 ms one-way trip is %.1f px, want 75", d)
			}
		}
	}
}

// The connect-timeout backoff's gaps (1,1,1,1,1,2,4,8,16,32 s) keep growing on the page.
func TestBackoffGapsGrow(t *testing.T) {
	_, l := build(t, "connect-timeout")
	var ys []float64
	for _, it := range l.Items {
		if it.Kind == "segment" {
			ys = append(ys, it.Y1)
		}
	}
	for i := 5; i+1 < len(ys); i++ {
		if ys[i+1]-ys[i] <= ys[i]-ys[i-1] {
			t.Fatalf("gap %d (%.0f px) is not larger than gap %d (%.0f px)", i, ys[i+1]-ys[i], i-1, ys[i]-ys[i-1])
		}
	}
}

// In a simultaneous open the two SYNs cross: their time spans overlap and they run in
// opposite directions.
func TestSimultaneousOpenArrowsCross(t *testing.T) {
	_, l := build(t, "simultaneous-open")
	var a, b *Item
	for i := range l.Items {
		it := &l.Items[i]
		if it.Kind == "segment" && len(it.Flags) == 1 && it.Flags[0] == "SYN" {
			if a == nil {
				a = it
			} else {
				b = it
			}
		}
	}
	if a == nil || b == nil {
		t.Fatal("want two SYNs")
	}
	if !(a.Y1 < b.Y2 && b.Y1 < a.Y2) || (a.X2-a.X1)*(b.X2-b.X1) >= 0 {
		t.Fatalf("SYN arrows do not cross: %+v %+v", a, b)
	}
}

func BenchmarkBuildFlood(b *testing.B) {
	tr, _ := stories.Default().Run("syn-flood", engine.DefaultParams())
	for i := 0; i < b.N; i++ {
		Build(tr, Options{})
	}
}

// A flood draws its runs of spoofed traffic as bundles: the figure stays under 4,000 px
// and 200 KB, every segment is still counted, and Expand draws them all again.
func TestFloodIsBundled(t *testing.T) {
	tr, l := build(t, "syn-flood")
	var buf bytes.Buffer
	if err := WriteSVG(&buf, l, SVGOptions{Lang: "en", UpTo: -1}); err != nil {
		t.Fatal(err)
	}
	if l.Height > 4000 || buf.Len() > 200_000 {
		t.Errorf("syn-flood is %.0f px tall and %d bytes; want ≤ 4000 px and ≤ 200 KB", l.Height, buf.Len())
	}
	bundles := 0
	for _, it := range l.Items {
		if it.Kind == "bundle" {
			bundles++
			if it.T == nil || !strings.HasPrefix(it.T.EN, "×") || !strings.HasPrefix(it.T.ZH, "×") {
				t.Errorf("bundle without its ×N label: %+v", it.T)
			}
		}
	}
	if bundles == 0 {
		t.Fatal("no bundle in the flood")
	}
	full := Build(tr, Options{Expand: true})
	if len(full.Steps) <= 2*len(l.Steps) {
		t.Errorf("expanded: %d steps, bundled: %d", len(full.Steps), len(l.Steps))
	}
	// Every trace event a bundle swallowed maps to the bundle's step (Event is its last).
	for _, st := range l.Steps {
		if st.Kind == "bundle" && !(st.First < st.Event) {
			t.Errorf("bundle step %d covers events %d..%d", st.Index, st.First, st.Event)
		}
	}
}

// WriteLive writes the live player's DOM: every item with its data-item index, the items
// after the step hidden, the clip at the step's y.
func TestWriteLiveShowsAStep(t *testing.T) {
	_, l := build(t, "three-way-handshake")
	step := 4
	var buf bytes.Buffer
	if err := WriteLive(&buf, l, LiveOptions{Step: step, Lang: "en"}); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	hidden := 0
	for _, it := range l.Items {
		if it.Step > step {
			hidden++
		}
	}
	if got := strings.Count(s, "data-item="); got != len(l.Items) {
		t.Errorf("%d data-item elements for %d items", got, len(l.Items))
	}
	if got := strings.Count(s, "sa-hidden"); got != hidden {
		t.Errorf("%d hidden elements, want %d", got, hidden)
	}
	if !strings.HasPrefix(s, `<svg class="sa-live"`) || !strings.Contains(s, `data-step="4"`) {
		t.Errorf("not the live element: %.120s", s)
	}
	clip := `<clipPath id="sa-now-live"><rect x="0" y="0" width="880" height="` + num(l.Steps[step].Y+ClipBelow) + `"/>`
	if !strings.Contains(s, clip) {
		t.Errorf("no clip at step %d's y: want %s", step, clip)
	}
	dec := xml.NewDecoder(&buf)
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("live SVG is not well-formed: %v", err)
		}
	}
}

func BenchmarkBuildFloodExpanded(b *testing.B) {
	tr, _ := stories.Default().Run("syn-flood", engine.DefaultParams())
	for i := 0; i < b.N; i++ {
		Build(tr, Options{Expand: true})
	}
}

func BenchmarkBuildHandshake(b *testing.B) {
	tr, _ := stories.Default().Run("lost-final-ack", engine.DefaultParams())
	for i := 0; i < b.N; i++ {
		Build(tr, Options{})
	}
}

func TestFitRunes(t *testing.T) {
	for _, tc := range []struct {
		s    string
		w    float64
		want string
	}{
		{"SYN seq 1", 200, "SYN seq 1"},
		{"abcdefghij", TextWidth("abcdef…", 10), "abcdef…"},
		{"abcdefghij", TextWidth("abc…", 10), ""},
		{"半连接队列已满", TextWidth("半连接队…", 10), "半连接队…"},
		// A fan's or a stack's count survives the cut: the label still says it stands for ten.
		{"ACK seq 1 ack 2 +9", TextWidth("ACK seq… +9", 10), "ACK seq… +9"},
		{"ACK seq 1 ack 2 +9", TextWidth("ACK …", 10), "ACK …"}, // no room for both
		{"x +", TextWidth("x", 10), ""},
	} {
		if got := fitRunes(tc.s, tc.w, 10); got != tc.want {
			t.Errorf("fitRunes(%q, %.1f) = %q, want %q", tc.s, tc.w, got, tc.want)
		}
	}
}

// Every note a story's trace holds, with either profile, has its own text in both
// languages (NoteText falls back to the bare key), and so has every short form.
func TestEveryNoteHasText(t *testing.T) {
	for _, sc := range stories.Default().Stories() {
		for _, prof := range []string{"linux", "rfc"} {
			p := engine.DefaultParams()
			p.Profile = prof
			tr, err := stories.Default().Run(sc.ID, p)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range tr.All() {
				if e.Kind != tcp.EventNote {
					continue
				}
				if !catalog.Has("note." + e.Note) {
					t.Errorf("%s/%s: note %q has no text (note.%s in the catalogue)", sc.ID, prof, e.Note, e.Note)
				}
			}
		}
	}
	entries, err := catalog.Entries()
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if k, ok := strings.CutPrefix(en.Key, "note.short."); ok && !catalog.Has("note."+k) {
			t.Errorf("short form of %q, a note with no text", k)
		}
	}
}

// BenchmarkBuildPhone lays out the stories a phone's drawing crowds most (three lanes,
// Fast Open, TLS): the ones laid out again with room after their crowded instants.
func BenchmarkBuildPhone(b *testing.B) {
	for _, id := range []string{"syn-flood", "syn-cookies", "tcp-fast-open", "https-tls13-fast-open"} {
		tr, _ := stories.Default().Run(id, engine.DefaultParams())
		b.Run(id, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				Build(tr, Options{Width: NarrowWidth})
			}
		})
	}
}

// A lossy bulk transfer, as /lab/cc's first example runs it: 80 ms, 5 Mbit/s with a
// 40-packet queue, 1 % loss, seed 3, both profiles. Every one of its ~1,000 arrows'
// labels is placed against the arrows near it.
func BenchmarkBuildLossyBulk(b *testing.B) {
	for _, prof := range []string{"rfc", "linux"} {
		p := engine.DefaultParams()
		p.Profile, p.RTT, p.Seed, p.Loss, p.Rate, p.Queue = prof, 80*time.Millisecond, 3, 0.01, 5_000_000, 40
		tr, err := stories.Default().Run("bulk-transfer", p)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(prof, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				Build(tr, Options{})
			}
		})
	}
}
