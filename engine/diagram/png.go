package diagram

import (
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"strconv"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// PNGOptions shape the server-side PNG.
type PNGOptions struct {
	Lang     string
	Relative bool
	UpTo     int     // draw items up to this step; -1 for all
	Scale    float64 // device pixels per layout unit (1 when zero; at most MaxPNGScale)
}

// MaxPNGScale bounds the PNG's scale (2 draws a slide-sharp image; more is only bigger).
const MaxPNGScale = 3.0

// MaxPNGPixels bounds the PNG's area; a taller diagram is drawn at a smaller scale.
const MaxPNGPixels = 24 << 20

// Colours of the light theme of Style, which the PNG draws with.
var (
	pngBG       = rgb(0xffffff)
	pngLane     = rgb(0x8a94a6)
	pngHead     = rgb(0x1f2937)
	pngHeadText = rgb(0xffffff)
	pngMuted    = rgb(0x4b5563)
	pngText     = rgb(0x111827)
	pngSeg      = rgb(0x1d4ed8)
	pngSeg2     = rgb(0xb45309)
	pngSeg3     = rgb(0x9f1239)
	pngDrop     = rgb(0xdc2626)
	pngTimer    = rgb(0x6b7280)
	pngSide     = rgb(0x374151)
	pngApp      = rgb(0x065f46)
	pngGap      = rgb(0xf3f4f6)
	pngGrid     = rgb(0xe5e7eb)
	pngQueue    = rgb(0xf87171)
	pngBundle   = color.NRGBA{0xfe, 0xe2, 0xe2, 0x4d} // #fee2e2 at .3
)

func rgb(v uint32) color.NRGBA {
	return color.NRGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 0xff}
}

// stateFill is the band colour of StateClass.
var stateFill = map[string]color.NRGBA{
	"sa-st-closed": rgb(0xd1d5db), "sa-st-listen": rgb(0xc7d2fe), "sa-st-syn": rgb(0xfde68a),
	"sa-st-est": rgb(0x86efac), "sa-st-close": rgb(0xbfdbfe), "sa-st-tw": rgb(0xddd6fe),
}

// SegmentColour is the colour an arrow is drawn in, as Style colours it: by the sender's
// role, red when the segment was lost.
func SegmentColour(it *Item, roleOf map[string]string) color.NRGBA {
	switch {
	case it.Fate != "delivered":
		return pngDrop
	case roleOf[it.Src] == "server":
		return pngSeg2
	case roleOf[it.Src] == "attacker":
		return pngSeg3
	}
	return pngSeg
}

// WritePNG draws the layout as a PNG, from the same geometry as the SVG: every line,
// box and text where the layout placed it, in Style's light colours.
func WritePNG(w io.Writer, l *Layout, opt PNGOptions) error {
	return (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(w, RenderPNG(l, opt))
}

// PNGScale is the scale RenderPNG draws l at for opt.
func PNGScale(l *Layout, opt PNGOptions) float64 {
	s := opt.Scale
	if s <= 0 {
		s = 1
	}
	s = min(s, MaxPNGScale)
	if a := l.Width * l.Height * s * s; a > MaxPNGPixels {
		s *= math.Sqrt(MaxPNGPixels / a)
	}
	return s
}

// RenderPNG draws the layout as an image.
func RenderPNG(l *Layout, opt PNGOptions) *image.RGBA {
	s := PNGScale(l, opt)
	W, H := int(math.Ceil(l.Width*s)), int(math.Ceil(l.Height*s))
	c := &canvas{img: image.NewRGBA(image.Rect(0, 0, max(W, 1), max(H, 1))), s: s, fonts: pngFonts(), lang: opt.Lang, relative: opt.Relative}
	draw.Draw(c.img, c.img.Bounds(), image.NewUniform(pngBG), image.Point{}, draw.Src)
	clipH := l.Height
	if opt.UpTo >= 0 && opt.UpTo < len(l.Steps) {
		clipH = l.Steps[opt.UpTo].Y + ClipBelow
	}
	for _, t := range l.Ticks {
		c.line(0, t.Y, l.Width, t.Y, 1, pngGrid, nil)
		c.text(t.T, fontTick, c.fonts.mono, pngTimer, 3)
	}
	for _, g := range l.Gaps {
		c.rect(g.X, g.Y1, g.W, max(g.Y2-g.Y1, 1), 4, pngGap)
		c.text(g.T, fontGap, c.fonts.bold, pngMuted, 0)
	}
	roleOf := map[string]string{}
	for _, ln := range l.Lanes {
		roleOf[ln.Name] = ln.Role
		c.line(ln.X, l.LaneTop, ln.X, l.LaneBottom, 1.5, pngLane, nil)
		c.rect(ln.Head[0], ln.Head[1], ln.Head[2], ln.Head[3], 6, pngHead)
		c.text(ln.NameL, fontLane, c.fonts.bold, pngHeadText, 0)
		c.text(ln.AddrL, fontAddr, c.fonts.mono, pngMuted, 0)
	}
	for i := range l.Items {
		it := &l.Items[i]
		if opt.UpTo >= 0 && it.Step > opt.UpTo {
			continue
		}
		switch it.Kind {
		case "state":
			h := min(it.BH, clipH-it.Y1)
			if h > 0 {
				fill := stateFill[StateClass(it.State)]
				fill.A = 0xe6 // opacity .9
				c.rect(it.BX, it.Y1, 8, h, 0, fill)
			}
			c.text(it.T, fontSide, c.fonts.bold, pngText, 1.5)
		case "segment":
			col := SegmentColour(it, roleOf)
			w := 1.8
			if roleOf[it.Src] == "attacker" {
				w = 1
			}
			var dash []float64
			if it.Retransmit {
				dash = []float64{6, 4}
			}
			c.line(it.X1, it.Y1, it.X2, it.Y2, w, col, dash)
			if it.Fate == "delivered" {
				c.arrowHead(it.X1, it.Y1, it.X2, it.Y2, w, col)
			}
			if it.D != "" {
				c.path(it.D, 3, pngDrop, l.Height)
			}
			c.text(it.T, fontSeg, c.fonts.mono, pngText, 2)
		case "timer":
			c.path(it.D, 1.2, pngTimer, clipH)
			c.text(it.T, fontSide, c.fonts.sans, pngSide, 1.5)
		case "app":
			c.text(it.T, fontSide, c.fonts.bold, pngApp, 1.5)
		case "note":
			c.text(it.T, fontSide, c.fonts.italic, pngSide, 1.5)
		case "queue":
			if it.BX >= 0 {
				c.strokeRect(it.BX, it.BY, GaugeW, 8, 1, pngTimer)
				c.rect(it.BX, it.BY, it.BW, 8, 0, pngQueue)
			}
			c.text(it.T, fontSide, c.fonts.sans, pngSide, 1.5)
		case "bundle":
			c.rect(it.BX, it.Y1, it.BW, it.BH, 3, pngBundle)
			c.strokeRect(it.BX, it.Y1, it.BW, it.BH, 1, pngSeg3)
			c.line(it.X1, it.Y1, it.X2, it.Y2, 1.5, pngSeg3, nil)
			c.arrowHead(it.X1, it.Y1, it.X2, it.Y2, 1.5, pngSeg3)
			c.text(it.T, fontSide, c.fonts.bold, pngText, 1.5)
		}
	}
	if l.TruncL != nil {
		c.text(l.TruncL, fontAddr, c.fonts.mono, pngMuted, 0)
	}
	return c.img
}

// canvas draws in layout units onto an image scaled by s.
type canvas struct {
	img      *image.RGBA
	s        float64
	r        vector.Rasterizer
	buf      sfnt.Buffer
	fonts    *fontSet
	lang     string
	relative bool
	// Reused by text: a label's outlines in its own frame, and one pass of them.
	textOps     []pathOp
	textOutline outline
	src         image.Uniform
}

// outline is one filled outline in layout units.
type outline struct {
	ops  []pathOp
	minX float64
	minY float64
	maxX float64
	maxY float64
}

type pathOp struct {
	op   byte // 'M', 'L', 'Q', 'C'
	args [3][2]float64
}

func newOutline() *outline {
	return &outline{minX: math.Inf(1), minY: math.Inf(1), maxX: math.Inf(-1), maxY: math.Inf(-1)}
}

func (sh *outline) add(op byte, pts ...[2]float64) {
	var o pathOp
	o.op = op
	for i, p := range pts {
		o.args[i] = p
		sh.minX, sh.maxX = min(sh.minX, p[0]), max(sh.maxX, p[0])
		sh.minY, sh.maxY = min(sh.minY, p[1]), max(sh.maxY, p[1])
	}
	sh.ops = append(sh.ops, o)
}

// fill rasterizes the shape (in device pixels already) with col, within its bounds.
func (c *canvas) fill(sh *outline, col color.Color) {
	if len(sh.ops) == 0 {
		return
	}
	b := c.img.Bounds()
	x0, y0 := max(int(math.Floor(sh.minX))-1, b.Min.X), max(int(math.Floor(sh.minY))-1, b.Min.Y)
	x1, y1 := min(int(math.Ceil(sh.maxX))+1, b.Max.X), min(int(math.Ceil(sh.maxY))+1, b.Max.Y)
	if x1 <= x0 || y1 <= y0 {
		return
	}
	c.r.Reset(x1-x0, y1-y0)
	fx, fy := float32(x0), float32(y0)
	for i, o := range sh.ops {
		a := o.args
		switch o.op {
		case 'M':
			if i > 0 {
				c.r.ClosePath() // each contour is closed, as SVG fills close them
			}
			c.r.MoveTo(float32(a[0][0])-fx, float32(a[0][1])-fy)
		case 'L':
			c.r.LineTo(float32(a[0][0])-fx, float32(a[0][1])-fy)
		case 'Q':
			c.r.QuadTo(float32(a[0][0])-fx, float32(a[0][1])-fy, float32(a[1][0])-fx, float32(a[1][1])-fy)
		case 'C':
			c.r.CubeTo(float32(a[0][0])-fx, float32(a[0][1])-fy, float32(a[1][0])-fx, float32(a[1][1])-fy, float32(a[2][0])-fx, float32(a[2][1])-fy)
		}
	}
	c.r.ClosePath()
	c.r.DrawOp = draw.Over
	c.src.C = col
	c.r.Draw(c.img, image.Rect(x0, y0, x1, y1), &c.src, image.Point{})
}

func (c *canvas) pt(x, y float64) [2]float64 { return [2]float64{x * c.s, y * c.s} }

// rect fills a rectangle with corner radius rx.
func (c *canvas) rect(x, y, w, h, rx float64, col color.Color) {
	if w <= 0 || h <= 0 {
		return
	}
	rx = min(rx, w/2, h/2)
	sh := newOutline()
	if rx <= 0 {
		sh.add('M', c.pt(x, y))
		sh.add('L', c.pt(x+w, y))
		sh.add('L', c.pt(x+w, y+h))
		sh.add('L', c.pt(x, y+h))
	} else {
		sh.add('M', c.pt(x+rx, y))
		sh.add('L', c.pt(x+w-rx, y))
		sh.add('Q', c.pt(x+w, y), c.pt(x+w, y+rx))
		sh.add('L', c.pt(x+w, y+h-rx))
		sh.add('Q', c.pt(x+w, y+h), c.pt(x+w-rx, y+h))
		sh.add('L', c.pt(x+rx, y+h))
		sh.add('Q', c.pt(x, y+h), c.pt(x, y+h-rx))
		sh.add('L', c.pt(x, y+rx))
		sh.add('Q', c.pt(x, y), c.pt(x+rx, y))
	}
	c.fill(sh, col)
}

// strokeRect draws a rectangle's outline.
func (c *canvas) strokeRect(x, y, w, h, sw float64, col color.Color) {
	c.line(x, y, x+w, y, sw, col, nil)
	c.line(x+w, y, x+w, y+h, sw, col, nil)
	c.line(x+w, y+h, x, y+h, sw, col, nil)
	c.line(x, y+h, x, y, sw, col, nil)
}

// line strokes a straight line of width sw with butt ends, dashed when dash is set.
func (c *canvas) line(x1, y1, x2, y2, sw float64, col color.Color, dash []float64) {
	dx, dy := x2-x1, y2-y1
	n := math.Hypot(dx, dy)
	if n == 0 {
		return
	}
	ux, uy := dx/n, dy/n
	if len(dash) == 0 {
		c.quad(x1, y1, x2, y2, ux, uy, sw, col)
		return
	}
	for at, k := 0.0, 0; at < n; k++ {
		l := dash[k%len(dash)]
		if k%2 == 0 {
			e := min(at+l, n)
			c.quad(x1+ux*at, y1+uy*at, x1+ux*e, y1+uy*e, ux, uy, sw, col)
		}
		at += l
	}
}

func (c *canvas) quad(x1, y1, x2, y2, ux, uy, sw float64, col color.Color) {
	nx, ny := -uy*sw/2, ux*sw/2
	sh := newOutline()
	sh.add('M', c.pt(x1+nx, y1+ny))
	sh.add('L', c.pt(x2+nx, y2+ny))
	sh.add('L', c.pt(x2-nx, y2-ny))
	sh.add('L', c.pt(x1-nx, y1-ny))
	c.fill(sh, col)
}

// arrowHead draws Style's marker at the end of a line: a triangle 8 stroke widths long
// and wide whose point (10,5) of its 10×10 box lies one tenth past the line's end
// (refX 9).
func (c *canvas) arrowHead(x1, y1, x2, y2, sw float64, col color.Color) {
	n := math.Hypot(x2-x1, y2-y1)
	if n == 0 {
		return
	}
	ux, uy := (x2-x1)/n, (y2-y1)/n
	size := 8 * sw
	tipX, tipY := x2+ux*size*0.1, y2+uy*size*0.1
	bx, by := tipX-ux*size, tipY-uy*size
	nx, ny := -uy*size/2, ux*size/2
	sh := newOutline()
	sh.add('M', c.pt(tipX, tipY))
	sh.add('L', c.pt(bx+nx, by+ny))
	sh.add('L', c.pt(bx-nx, by-ny))
	c.fill(sh, col)
}

// path strokes the layout's simple SVG paths (M, L, H, V and their relative forms, as
// layout.go writes timer brackets and loss crosses), clipped below clipY.
func (c *canvas) path(d string, sw float64, col color.Color, clipY float64) {
	var x, y float64
	f := strings.FieldsFunc(d, func(r rune) bool { return r == ',' || r == ' ' })
	var toks []string
	for _, s := range f { // split "M1.5" and "l10" into letter and number
		for s != "" {
			if strings.ContainsRune("MmLlHhVv", rune(s[0])) {
				toks = append(toks, s[:1])
				s = s[1:]
				continue
			}
			i := 1
			for i < len(s) && !strings.ContainsRune("MmLlHhVv", rune(s[i])) && (s[i] != '-' || s[i-1] == 'e') {
				i++
			}
			toks = append(toks, s[:i])
			s = s[i:]
		}
	}
	num := func(i int) float64 {
		if i >= len(toks) {
			return 0
		}
		v, _ := strconv.ParseFloat(toks[i], 64)
		return v
	}
	seg := func(nx, ny float64) {
		ax, ay, bx, by := x, y, nx, ny
		if ay > clipY && by > clipY {
			return
		}
		if by > clipY { // cut at the clip, as the SVG's clip-path does
			bx = ax + (bx-ax)*(clipY-ay)/(by-ay)
			by = clipY
		} else if ay > clipY {
			ax = bx + (ax-bx)*(clipY-by)/(ay-by)
			ay = clipY
		}
		c.line(ax, ay, bx, by, sw, col, nil)
	}
	var cmd string
	for i := 0; i < len(toks); {
		if strings.ContainsRune("MmLlHhVv", rune(toks[i][0])) && len(toks[i]) == 1 {
			cmd = toks[i]
			i++
		}
		switch cmd {
		case "M":
			x, y = num(i), num(i+1)
			i += 2
			cmd = "L"
		case "m":
			x, y = x+num(i), y+num(i+1)
			i += 2
			cmd = "l"
		case "L":
			nx, ny := num(i), num(i+1)
			seg(nx, ny)
			x, y = nx, ny
			i += 2
		case "l":
			nx, ny := x+num(i), y+num(i+1)
			seg(nx, ny)
			x, y = nx, ny
			i += 2
		case "H", "h":
			nx := num(i)
			if cmd == "h" {
				nx += x
			}
			seg(nx, y)
			x = nx
			i++
		case "V", "v":
			ny := num(i)
			if cmd == "v" {
				ny += y
			}
			seg(x, ny)
			y = ny
			i++
		default:
			return
		}
	}
}

// face picks the font a rune is drawn with: the chosen Latin face, else the CJK subset.
func (c *canvas) face(f *sfnt.Font, r rune) (*sfnt.Font, sfnt.GlyphIndex) {
	if i, err := f.GlyphIndex(&c.buf, r); err == nil && i != 0 {
		return f, i
	}
	if i, err := c.fonts.cjk.GlyphIndex(&c.buf, r); err == nil && i != 0 {
		return c.fonts.cjk, i
	}
	i, _ := f.GlyphIndex(&c.buf, r)
	return f, i
}

// measure is the advance width of s at size px (layout units).
func (c *canvas) measure(s string, f *sfnt.Font, size float64) float64 {
	ppem := fixed.Int26_6(size * 64)
	w := 0.0
	for _, r := range s {
		ff, gi := c.face(f, r)
		adv, err := ff.GlyphAdvance(&c.buf, gi, ppem, font.HintingNone)
		if err == nil {
			w += float64(adv) / 64
		}
	}
	return w
}

// text draws a label where the layout placed it (anchor, rotation), with a halo of the
// background colour halo units wide around each glyph, as Style's paint-order stroke.
// The glyph outlines are loaded once; the halo is the same outlines filled at eight
// offsets, each pass one fill for the whole text.
func (c *canvas) text(lb *Label, size float64, f *sfnt.Font, col color.Color, halo float64) {
	if lb == nil {
		return
	}
	s := lb.Pick(c.lang, c.relative)
	if s == "" {
		return
	}
	w := c.measure(s, f, size)
	var left float64
	switch lb.Anchor {
	case "middle":
		left = -w / 2
	case "end":
		left = -w
	}
	// The outlines in the text's own frame: x along the baseline from the anchor.
	ppem := fixed.Int26_6(size * 64)
	ops := c.textOps[:0]
	pen := left
	for _, r := range s {
		ff, gi := c.face(f, r)
		if segs, err := ff.LoadGlyph(&c.buf, gi, ppem, nil); err == nil {
			for _, sg := range segs {
				var o pathOp
				n := 1
				switch sg.Op {
				case sfnt.SegmentOpMoveTo:
					o.op = 'M'
				case sfnt.SegmentOpLineTo:
					o.op = 'L'
				case sfnt.SegmentOpQuadTo:
					o.op, n = 'Q', 2
				case sfnt.SegmentOpCubeTo:
					o.op, n = 'C', 3
				}
				for k := 0; k < n; k++ {
					o.args[k] = [2]float64{pen + float64(sg.Args[k].X)/64, float64(sg.Args[k].Y) / 64}
				}
				ops = append(ops, o)
			}
		}
		if adv, err := ff.GlyphAdvance(&c.buf, gi, ppem, font.HintingNone); err == nil {
			pen += float64(adv) / 64
		}
	}
	c.textOps = ops
	rad := lb.Rot * math.Pi / 180
	sin, cos := math.Sin(rad), math.Cos(rad)
	pass := func(ox, oy float64, col color.Color) {
		sh := &c.textOutline
		sh.ops = sh.ops[:0]
		sh.minX, sh.minY, sh.maxX, sh.maxY = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, o := range ops {
			d := pathOp{op: o.op}
			for k := range argCount(o.op) {
				px, py := o.args[k][0], o.args[k][1]
				x, y := (lb.X+px*cos-py*sin+ox)*c.s, (lb.Y+px*sin+py*cos+oy)*c.s
				d.args[k] = [2]float64{x, y}
				sh.minX, sh.maxX = min(sh.minX, x), max(sh.maxX, x)
				sh.minY, sh.maxY = min(sh.minY, y), max(sh.maxY, y)
			}
			sh.ops = append(sh.ops, d)
		}
		c.fill(sh, col)
	}
	if halo > 0 {
		for k := 0; k < 8; k++ {
			a := float64(k) * math.Pi / 4
			pass(halo*math.Cos(a), halo*math.Sin(a), pngBG)
		}
	}
	pass(0, 0, col)
}

// argCount is how many points a path op takes.
func argCount(op byte) int {
	switch op {
	case 'Q':
		return 2
	case 'C':
		return 3
	}
	return 1
}
