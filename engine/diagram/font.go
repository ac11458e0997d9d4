package diagram

import (
	_ "embed"
	"sync"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
)

// The PNG's fonts. Latin text is drawn with the Go fonts (BSD-licensed, in
// golang.org/x/image); every other rune with a subset of Noto Sans CJK SC (SIL Open
// Font License 1.1, font/OFL.txt) holding only the runes diagrams draw (font/chars.txt,
// made by font/subset.sh), about 150 KB instead of 16 MB.
//
//go:embed font/NotoSansSC-diagram.otf
var cjkSubset []byte

// fontSet is the faces a PNG draws with.
type fontSet struct {
	sans, bold, italic, mono, cjk *sfnt.Font
}

var pngFonts = sync.OnceValue(func() *fontSet {
	parse := func(b []byte) *sfnt.Font {
		f, err := sfnt.Parse(b)
		if err != nil {
			panic("diagram: an embedded font does not parse: " + err.Error()) // TestFontCoversDiagrams catches this first
		}
		return f
	}
	return &fontSet{sans: parse(goregular.TTF), bold: parse(gobold.TTF), italic: parse(goitalic.TTF),
		mono: parse(gomono.TTF), cjk: parse(cjkSubset)}
})

// has reports whether some face draws r.
func (fs *fontSet) has(r rune) bool {
	var b sfnt.Buffer
	for _, f := range []*sfnt.Font{fs.sans, fs.cjk} {
		if i, err := f.GlyphIndex(&b, r); err == nil && i != 0 {
			return true
		}
	}
	return false
}
