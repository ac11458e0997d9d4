package diagram

import (
	"fmt"
	"strings"
)

// MaxThumbArrows bounds the arrows a thumbnail draws; a story with more is drawn up to
// there (its bundles already fold a flood into a few items).
const MaxThumbArrows = 120

// Thumbnail returns a small picture of the layout for a catalogue card: the lanes, every
// arrow (coloured by its sender's role, lost ones red, retransmissions dashed) and every
// bundle, and no text. It is the same geometry as the diagram, squeezed into w×h px: time
// runs down the card at whatever scale fits, so its angles are not the diagram's. The
// card's title and summary say what it shows, so the picture is hidden from screen
// readers.
func Thumbnail(l *Layout, w, h int) string {
	top, bot := l.LaneTop, l.LaneBottom
	if bot <= top {
		bot = top + 1
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="sa-thumb" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 %s %s %s" preserveAspectRatio="none" aria-hidden="true" focusable="false">`,
		w, h, num(top), num(l.Width), num(bot-top))
	roleOf := map[string]string{}
	for _, ln := range l.Lanes {
		roleOf[ln.Name] = ln.Role
		fmt.Fprintf(&b, `<line class="sa-lane" x1="%s" x2="%s" y1="%s" y2="%s"/>`, num(ln.X), num(ln.X), num(top), num(bot))
	}
	n := 0
	for i := range l.Items {
		it := &l.Items[i]
		switch it.Kind {
		case "segment":
			if n >= MaxThumbArrows {
				continue
			}
			n++
			fmt.Fprintf(&b, `<g class="%s"><line x1="%s" y1="%s" x2="%s" y2="%s"/></g>`,
				SegmentClass(it, roleOf), num(it.X1), num(it.Y1), num(it.X2), num(it.Y2))
		case "bundle":
			fmt.Fprintf(&b, `<g class="sa-bundle"><rect x="%s" y="%s" width="%s" height="%s"/><line x1="%s" y1="%s" x2="%s" y2="%s"/></g>`,
				num(it.BX), num(it.Y1), num(it.BW), num(it.BH), num(it.X1), num(it.Y1), num(it.X2), num(it.Y2))
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}
