package diagram

import (
	"strings"
	"testing"

	"synack/engine"
	"synack/lessons/stories"
)

// A Fast Open arrow's words are the catalogue's in each language, with absolute and
// with relative numbers, on a wide diagram and a phone's: RFC 7413's first SYN asks for
// a cookie (an empty Fast Open option), the SYN-ACK brings one.
func TestFastOpenArrowInBothLanguages(t *testing.T) {
	tr, err := stories.Default().Run("tcp-fast-open", engine.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []Options{{}, {Width: NarrowWidth}} {
		l := Build(tr, o)
		request, cookie := "TFO cookie request", "cookie"
		requestZH := "TFO 请求 cookie"
		if o.Width == NarrowWidth {
			request, requestZH = "cookie request", "请求 cookie"
		}
		var syn, synack *Item
		for i := range l.Items {
			it := &l.Items[i]
			if it.Kind != "segment" || it.T == nil {
				continue
			}
			switch strings.Join(it.Flags, " ") {
			case "SYN":
				if syn == nil {
					syn = it
				}
			case "SYN ACK":
				if synack == nil {
					synack = it
				}
			}
		}
		if syn == nil || synack == nil {
			t.Fatalf("width %v: no labelled SYN and SYN-ACK", o.Width)
		}
		checked := 0
		for _, c := range []struct {
			it       *Item
			lang     string
			relative bool
			want     string
		}{
			{syn, "en", false, request}, {syn, "en", true, request},
			{syn, "zh", false, requestZH}, {syn, "zh", true, requestZH},
			{synack, "en", false, cookie}, {synack, "zh", true, cookie},
		} {
			got := c.it.T.Pick(c.lang, c.relative)
			if c.it.T.Cut {
				continue // shortened to fit: the words may be cut
			}
			checked++
			if !strings.HasSuffix(got, " · "+c.want) {
				t.Errorf("width %v, %s, relative %v: %s arrow says %q, want it to end %q", o.Width, c.lang, c.relative, strings.Join(c.it.Flags, " "), got, " · "+c.want)
			}
			if c.lang == "en" && strings.ContainsRune(got, '请') {
				t.Errorf("English arrow %q has Chinese", got)
			}
		}
		if checked < 4 {
			t.Errorf("width %v: only %d of 6 arrow texts whole; the check says little", o.Width, checked)
		}
	}
}
