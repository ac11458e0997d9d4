package diagram

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
	"testing"

	"synack/engine"
	"synack/lessons/stories"
)

func near(a color.Color, b color.NRGBA, tol int) bool {
	r, g, bl, _ := a.RGBA()
	d := func(x uint32, y uint8) int { return int(x>>8) - int(y) }
	return d(r, b.R)*d(r, b.R)+d(g, b.G)*d(g, b.G)+d(bl, b.B)*d(bl, b.B) <= tol*tol
}

// inkNear reports whether a pixel within rad px of (x, y) has colour col.
func inkNear(img *image.RGBA, x, y float64, rad int, col color.NRGBA) bool {
	cx, cy := int(math.Round(x)), int(math.Round(y))
	for dy := -rad; dy <= rad; dy++ {
		for dx := -rad; dx <= rad; dx++ {
			if p := image.Pt(cx+dx, cy+dy); p.In(img.Bounds()) && near(img.At(p.X, p.Y), col, 60) {
				return true
			}
		}
	}
	return false
}

// distToSegment is the distance from (px, py) to the segment a-b.
func distToSegment(px, py, ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	t := max(0, min(1, ((px-ax)*dx+(py-ay)*dy)/(dx*dx+dy*dy)))
	return math.Hypot(px-ax-t*dx, py-ay-t*dy)
}

// TestPNGArrowsFollowLayout samples the PNG along every arrow the layout places: the
// arrow's colour is there (where no label or other arrow covers it), and it is not 5
// units to either side, so the PNG draws each arrow where the SVG does.
func TestPNGArrowsFollowLayout(t *testing.T) {
	for _, id := range []string{"three-way-handshake", "lost-final-ack", "simultaneous-open", "syn-flood"} {
		tr, err := stories.Default().Run(id, engine.DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []float64{0, NarrowWidth} {
			l := Build(tr, Options{Width: w})
			for _, scale := range []float64{1, 2} {
				img := RenderPNG(l, PNGOptions{Lang: "zh", UpTo: -1, Scale: scale})
				if got, want := img.Bounds().Dx(), int(math.Ceil(l.Width*scale)); got != want {
					t.Fatalf("%s: PNG width %d, want %d", id, got, want)
				}
				checkArrows(t, id, l, img, scale)
			}
		}
	}
}

func checkArrows(t *testing.T, id string, l *Layout, img *image.RGBA, s float64) {
	t.Helper()
	roleOf := map[string]string{}
	for _, ln := range l.Lanes {
		roleOf[ln.Name] = ln.Role
	}
	var boxes []box
	forEachLabel(l, func(lb *Label) { boxes = append(boxes, labelBox(lb)) })
	covered := func(it *Item, x, y float64) bool {
		for _, b := range boxes {
			x1, y1, x2, y2 := b.bounds()
			if x >= x1-3 && x <= x2+3 && y >= y1-3 && y <= y2+3 {
				return true
			}
		}
		for j := range l.Items {
			o := &l.Items[j]
			if o == it || (o.Kind != "segment" && o.Kind != "bundle" && o.Kind != "state" && o.Kind != "timer" && o.Kind != "queue") {
				continue
			}
			if o.Kind == "state" || o.Kind == "queue" {
				if x >= o.BX-3 && x <= o.BX+max(o.BW, 8)+3 && y >= min(o.Y1, o.BY)-3 && y <= o.Y1+max(o.BH, 8)+3 {
					return true
				}
				continue
			}
			if o.Kind == "bundle" && x >= o.BX-3 && x <= o.BX+o.BW+3 && y >= o.Y1-3 && y <= o.Y1+o.BH+3 {
				return true
			}
			if distToSegment(x, y, o.X1, o.Y1, o.X2, o.Y2) < 4 {
				return true
			}
		}
		for _, ln := range l.Lanes {
			if math.Abs(x-ln.X) < 6 {
				return true
			}
		}
		return false
	}
	arrows := 0
	for i := range l.Items {
		it := &l.Items[i]
		if it.Kind != "segment" || it.Retransmit {
			continue // a dashed line has gaps by design
		}
		col := SegmentColour(it, roleOf)
		on, onN, off, offN := 0, 0, 0, 0
		n := math.Hypot(it.X2-it.X1, it.Y2-it.Y1)
		nx, ny := -(it.Y2-it.Y1)/n, (it.X2-it.X1)/n
		for f := 0.08; f <= 0.85; f += 0.01 {
			x, y := it.X1+(it.X2-it.X1)*f, it.Y1+(it.Y2-it.Y1)*f
			if !covered(it, x, y) {
				onN++
				if inkNear(img, x*s, y*s, 1, col) {
					on++
				}
			}
			for _, side := range []float64{-5, 5} {
				ox, oy := x+nx*side, y+ny*side
				if !covered(it, ox, oy) {
					offN++
					if inkNear(img, ox*s, oy*s, 0, col) {
						off++
					}
				}
			}
		}
		if onN < 5 {
			continue // nearly all of it under labels: nothing to sample
		}
		arrows++
		if on*10 < onN*9 {
			t.Errorf("%s (scale %g): segment %d: its colour found at %d of %d points on its line", id, s, it.ID, on, onN)
		}
		if off*10 > offN {
			t.Errorf("%s (scale %g): segment %d: its colour found at %d of %d points 5 units beside its line", id, s, it.ID, off, offN)
		}
	}
	if arrows == 0 {
		t.Errorf("%s: no arrow could be sampled", id)
	}
}

// TestPNGDrawsCJK: the Chinese lane names are drawn (white ink in the dark lane heads),
// not left blank for want of a glyph.
func TestPNGDrawsCJK(t *testing.T) {
	tr, _ := stories.Default().Run("three-way-handshake", engine.DefaultParams())
	l := Build(tr, Options{})
	var buf bytes.Buffer
	if err := WritePNG(&buf, l, PNGOptions{Lang: "zh", UpTo: -1}); err != nil {
		t.Fatal(err)
	}
	dec, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, ln := range l.Lanes {
		if ln.NameL == nil || ln.NameL.ZH == "" || ln.NameL.ZH == ln.NameL.EN {
			t.Fatalf("lane %s has no Chinese name to draw", ln.Name)
		}
		ink := 0
		for y := int(ln.Head[1]); y < int(ln.Head[1]+ln.Head[3]); y++ {
			for x := int(ln.Head[0]); x < int(ln.Head[0]+ln.Head[2]); x++ {
				if near(dec.At(x, y), pngHeadText, 40) {
					ink++
				}
			}
		}
		// 3 CJK glyphs at 14 px: each a few dozen solid pixels.
		if ink < 40 {
			t.Errorf("lane %s: %d white pixels in its head, want its name %q drawn", ln.Name, ink, ln.NameL.ZH)
		}
	}
}

func TestPNGScaleLimits(t *testing.T) {
	l := &Layout{Width: 1000, Height: float64(MaxPNGPixels) / 1000}
	if s := PNGScale(l, PNGOptions{Scale: 1}); s != 1 {
		t.Errorf("a layout of exactly MaxPNGPixels: scale %g, want 1", s)
	}
	l.Height++
	if s := PNGScale(l, PNGOptions{Scale: 1}); s >= 1 || l.Width*l.Height*s*s > MaxPNGPixels*1.0000001 {
		t.Errorf("one row over MaxPNGPixels: scale %g, want the area brought back under", s)
	}
	small := &Layout{Width: 100, Height: 100}
	if s := PNGScale(small, PNGOptions{Scale: MaxPNGScale + 1}); s != MaxPNGScale {
		t.Errorf("scale %g asked: %g, want MaxPNGScale", MaxPNGScale+1, s)
	}
	if s := PNGScale(small, PNGOptions{}); s != 1 {
		t.Errorf("no scale: %g, want 1", s)
	}
}

// TestPNGColoursAreStyles: the PNG's arrow colours are the light colours Style gives
// the SVG's arrows.
func TestPNGColoursAreStyles(t *testing.T) {
	hex := func(c color.NRGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }
	roleOf := map[string]string{"c": "client", "s": "server", "a": "attacker"}
	for _, tc := range []struct {
		it   Item
		rule string
	}{
		{Item{Src: "c", Fate: "delivered"}, ".sa-seg line{stroke:var(--sa-seg,%s)"},
		{Item{Src: "s", Fate: "delivered"}, ".sa-seg.sa-from-server line{stroke:var(--sa-seg2,%s)}"},
		{Item{Src: "a", Fate: "delivered"}, ".sa-seg.sa-from-attacker line{stroke:var(--sa-seg3,%s)"},
		{Item{Src: "c", Fate: "dropped"}, ".sa-seg.sa-dropped line{stroke:var(--sa-drop,%s)}"},
	} {
		if rule := fmt.Sprintf(tc.rule, hex(SegmentColour(&tc.it, roleOf))); !strings.Contains(Style, rule) {
			t.Errorf("Style has no %q", rule)
		}
	}
}

// BenchmarkWritePNG draws the handshake (a small diagram) and the SYN flood (a tall one)
// as PNGs at scale 1 and 2, as /lessons/{id}/diagram.png does.
func BenchmarkWritePNG(b *testing.B) {
	for _, id := range []string{"three-way-handshake", "syn-flood"} {
		tr, err := stories.Default().Run(id, engine.DefaultParams())
		if err != nil {
			b.Fatal(err)
		}
		l := Build(tr, Options{})
		for _, scale := range []float64{1, 2} {
			b.Run(fmt.Sprintf("%s/scale=%g", id, scale), func(b *testing.B) {
				var buf bytes.Buffer
				for b.Loop() {
					buf.Reset()
					if err := WritePNG(&buf, l, PNGOptions{Lang: "zh", UpTo: -1, Scale: scale}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(buf.Len()), "png-bytes")
			})
		}
	}
}
