package diagram

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"synack/engine"
	"synack/engine/tcp"
	"synack/lessons/stories"
)

var updateFontChars = flag.Bool("update-font-chars", false, "rewrite font/chars.txt, the runes the PNG's CJK subset must hold")

// drawnRunes are the runes, outside ASCII, that diagrams can draw: every label of every
// story (at its defaults and with the other profile), and every non-ASCII rune in the
// Go sources and catalogue entries (engine/catalog/diagram.json) that make diagram text:
// a text built from parameters draws from these.
func drawnRunes(t *testing.T) []rune {
	t.Helper()
	set := map[rune]bool{}
	add := func(s string) {
		for _, r := range s {
			if r >= 0x80 && !unicode.IsControl(r) {
				set[r] = true
			}
		}
	}
	cat := stories.Default()
	for _, sc := range cat.Stories() {
		for _, prof := range tcp.ProfileNames {
			p := engine.DefaultParams()
			p.Profile = prof
			tr, err := cat.Run(sc.ID, p)
			if err != nil {
				continue
			}
			for _, w := range []float64{0, NarrowWidth} {
				forEachLabel(Build(tr, Options{Width: w}), func(lb *Label) { add(lb.EN); add(lb.ZH); add(lb.Rel) })
			}
		}
	}
	for _, pattern := range []string{"*.go", "../*.go", "../catalog/diagram.json"} {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Split(string(b), "\n") {
				if i := strings.Index(line, "//"); i >= 0 && !strings.Contains(line[:i], `"`) {
					line = line[:i] // a comment, not a string
				}
				add(line)
			}
		}
	}
	out := make([]rune, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

// forEachLabel calls f on every text a layout draws.
func forEachLabel(l *Layout, f func(*Label)) {
	for i := range l.Lanes {
		for _, lb := range []*Label{l.Lanes[i].NameL, l.Lanes[i].AddrL} {
			if lb != nil {
				f(lb)
			}
		}
	}
	for i := range l.Items {
		if l.Items[i].T != nil {
			f(l.Items[i].T)
		}
	}
	for i := range l.Gaps {
		if l.Gaps[i].T != nil {
			f(l.Gaps[i].T)
		}
	}
	for i := range l.Ticks {
		if l.Ticks[i].T != nil {
			f(l.Ticks[i].T)
		}
	}
	if l.TruncL != nil {
		f(l.TruncL)
	}
}

// TestFontCoversDiagrams: every rune a diagram can draw has a glyph in the PNG's fonts
// (Go's fonts for Latin, the embedded Noto Sans SC subset for the rest). When a new
// text adds a rune, run `go test ./engine/diagram -run TestFontCoversDiagrams
// -update-font-chars`, then font/subset.sh.
func TestFontCoversDiagrams(t *testing.T) {
	runes := drawnRunes(t)
	if *updateFontChars {
		if err := os.WriteFile("font/chars.txt", []byte(string(runes)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var missing []rune
	for _, r := range runes {
		if !pngFonts().has(r) {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d runes have no glyph in the PNG fonts: %q; rerun with -update-font-chars, then font/subset.sh", len(missing), string(missing))
	}
}
