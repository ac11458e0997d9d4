package diagram

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
	"strings"

	"synack/engine/catalog"
)

// SVGOptions shape the server-side rendering.
type SVGOptions struct {
	Lang     string // "en" or "zh"
	Relative bool   // relative sequence numbers
	UpTo     int    // draw items up to this step; -1 for all
	Title    string
}

// Style is the CSS the diagram's classes use, shared by the standalone SVG and the page.
const Style = `
.sa-bg{fill:var(--sa-bg,#fff)}
.sa-lane{stroke:var(--sa-lane,#8a94a6);stroke-width:1.5}
.sa-lane-head{fill:var(--sa-head,#1f2937)}
.sa-lane-name{fill:var(--sa-head-text,#fff);font:600 14px system-ui,sans-serif}
.sa-lane-addr{fill:var(--sa-muted,#4b5563);font:12px ui-monospace,monospace}
.sa-seg line{stroke:var(--sa-seg,#1d4ed8);stroke-width:1.8}
.sa-seg.sa-from-server line{stroke:var(--sa-seg2,#b45309)}
.sa-seg.sa-from-attacker line{stroke:var(--sa-seg3,#9f1239);stroke-width:1}
.sa-seg.sa-retransmit line{stroke-dasharray:6 4}
.sa-seg.sa-dropped line{stroke:var(--sa-drop,#dc2626)}
.sa-seg .sa-cross{stroke:var(--sa-drop,#dc2626);stroke-width:3}
.sa-seg text{fill:var(--sa-text,#111827);font:12px ui-monospace,monospace;paint-order:stroke;stroke:var(--sa-bg,#fff);stroke-width:4px}
.sa-seg:focus,.sa-seg.sa-selected{outline:none}
.sa-seg.sa-selected line{stroke-width:3.5}
.sa-seg:focus-visible line{stroke-width:3.5;filter:drop-shadow(0 0 2px var(--sa-focus,#f59e0b)) drop-shadow(0 0 1px var(--sa-focus,#f59e0b))}
.sa-seg:focus-visible text{text-decoration:underline dashed var(--sa-focus,#f59e0b)}
.sa-state rect{opacity:.9}
.sa-state text{font:600 11px system-ui,sans-serif;fill:var(--sa-text,#111827)}
.sa-st-closed rect{fill:#d1d5db}.sa-st-listen rect{fill:#c7d2fe}
.sa-st-syn rect{fill:#fde68a}.sa-st-est rect{fill:#86efac}
.sa-st-close rect{fill:#bfdbfe}.sa-st-tw rect{fill:#ddd6fe}
.sa-timer path{stroke:var(--sa-timer,#6b7280);stroke-width:1.2;fill:none}
.sa-timer text,.sa-app text,.sa-note text,.sa-queue text{font:11px system-ui,sans-serif;fill:var(--sa-muted,#374151)}
.sa-state text,.sa-timer text,.sa-app text,.sa-note text,.sa-queue text,.sa-tick text{paint-order:stroke;stroke:var(--sa-bg,#fff);stroke-width:3px;stroke-linejoin:round}
.sa-app text{font-weight:600;fill:var(--sa-app,#065f46)}
.sa-note text{font-style:italic}
.sa-gap rect{fill:var(--sa-gap,#f3f4f6)}
.sa-gap text{font:600 12px system-ui,sans-serif;fill:var(--sa-muted,#4b5563)}
.sa-tick text{font:11px ui-monospace,monospace;fill:var(--sa-muted,#6b7280)}
.sa-tick line{stroke:var(--sa-grid,#e5e7eb)}
.sa-queue rect.sa-q-bg{fill:none;stroke:var(--sa-muted,#6b7280)}
.sa-queue rect.sa-q-fill{fill:#f87171}
.sa-bundle rect{fill:var(--sa-bundle,#fee2e2);fill-opacity:.3;stroke:var(--sa-seg3,#9f1239);stroke-dasharray:3 3}
.sa-bundle line{stroke:var(--sa-seg3,#9f1239);stroke-width:1.5}
.sa-bundle text{font:600 11px system-ui,sans-serif;fill:var(--sa-text,#111827);paint-order:stroke;stroke:var(--sa-bg,#fff);stroke-width:3px}
.sa-hidden{display:none}
.sa-seg.sa-mismatch line{stroke:var(--sa-fail,#b91c1c);stroke-width:2.4}
.sa-ghost line{stroke:var(--sa-fail,#b91c1c);stroke-width:2;stroke-dasharray:7 5;fill:none}
.sa-ghost text{fill:var(--sa-fail,#b91c1c);font:600 12px ui-monospace,monospace;paint-order:stroke;stroke:var(--sa-bg,#fff);stroke-width:4px}
@media (prefers-color-scheme:dark){
:root{--sa-bg:#0f172a;--sa-lane:#64748b;--sa-head:#e2e8f0;--sa-head-text:#0f172a;--sa-muted:#cbd5e1;--sa-seg:#93c5fd;--sa-seg2:#fcd34d;--sa-seg3:#fda4af;--sa-text:#f1f5f9;--sa-drop:#f87171;--sa-fail:#fca5a5;--sa-timer:#94a3b8;--sa-app:#6ee7b7;--sa-gap:#1e293b;--sa-grid:#1e293b;--sa-bundle:#4c0519}}
@media print{
:root{--sa-bg:#fff;--sa-lane:#8a94a6;--sa-head:#1f2937;--sa-head-text:#fff;--sa-muted:#374151;--sa-seg:#1d4ed8;--sa-seg2:#b45309;--sa-seg3:#9f1239;--sa-text:#111827;--sa-drop:#dc2626;--sa-timer:#6b7280;--sa-app:#065f46;--sa-gap:#f3f4f6;--sa-grid:#e5e7eb;--sa-bundle:#fee2e2}
.sa-draw{stroke-dasharray:none!important;stroke-dashoffset:0!important;animation:none!important}}
`

// StateClass returns the CSS class that colours a state band.
func StateClass(s string) string {
	switch s {
	case "CLOSED":
		return "sa-st-closed"
	case "LISTEN":
		return "sa-st-listen"
	case "SYN-SENT", "SYN-RECEIVED":
		return "sa-st-syn"
	case "ESTABLISHED":
		return "sa-st-est"
	case "TIME-WAIT":
		return "sa-st-tw"
	}
	return "sa-st-close"
}

// SegmentClass returns the classes of a segment arrow.
func SegmentClass(it *Item, roleOf map[string]string) string {
	c := []string{"sa-seg", "sa-from-" + roleOf[it.Src]}
	if it.Retransmit {
		c = append(c, "sa-retransmit")
	}
	if it.Fate != "delivered" {
		c = append(c, "sa-dropped")
	}
	if it.Mark == MarkSent {
		c = append(c, "sa-mismatch")
	}
	return strings.Join(c, " ")
}

// WriteSVG writes the layout as a standalone SVG document.
func WriteSVG(w io.Writer, l *Layout, opt SVGOptions) error {
	return write(w, l, renderOpts{lang: opt.Lang, relative: opt.Relative, upTo: opt.UpTo, title: opt.Title})
}

// LiveOptions shape the server rendering of the live player's diagram.
type LiveOptions struct {
	Step     int // the step shown; later items carry the hidden class (-1: none shown yet)
	Lang     string
	Relative bool
	Title    string
}

// WriteLive writes the <svg class="sa-live"> element the browser's mountDiagram builds
// (static/js/diagram.js), showing step opt.Step, so a page's first paint is the diagram
// at its starting step and the live player adopts that DOM instead of rebuilding it.
// Each item's element carries data-item (its index in l.Items).
func WriteLive(w io.Writer, l *Layout, opt LiveOptions) error {
	return write(w, l, renderOpts{lang: opt.Lang, relative: opt.Relative, upTo: opt.Step, title: opt.Title, live: true})
}

type renderOpts struct {
	lang     string
	relative bool
	upTo     int
	title    string
	live     bool
}

// ClipBelow is how far below the current step's y the clip that grows state bands and
// timer brackets reaches, so a band starting at the current step shows.
const ClipBelow = 2.0

func write(w io.Writer, l *Layout, o renderOpts) error {
	bw := bufio.NewWriter(w)
	esc := html.EscapeString
	title := o.title
	if title == "" {
		title = l.Scenario
	}
	arrow, now := "sa-arrow", "sa-now"
	if o.live {
		arrow, now = "sa-arrow-live", "sa-now-live"
		fmt.Fprintf(bw, `<svg class="sa-live" viewBox="0 0 %s %s" width="%s" height="%s" role="group" data-scenario="%s" data-step="%d" data-relative="%s">`,
			num(l.Width), num(l.Height), num(l.Width), num(l.Height), esc(l.Scenario), o.upTo, map[bool]string{true: "1", false: "0"}[o.relative])
		fmt.Fprintf(bw, `<title>%s</title>`, esc(title))
	} else {
		fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" width="%s" height="%s" role="group" aria-labelledby="sa-title" data-scenario="%s">`,
			num(l.Width), num(l.Height), num(l.Width), num(l.Height), esc(l.Scenario))
		fmt.Fprintf(bw, `<title id="sa-title">%s</title><style>%s</style>`, esc(title), Style)
	}
	clipH := l.Height
	if o.upTo >= 0 && o.upTo < len(l.Steps) {
		clipH = l.Steps[o.upTo].Y + ClipBelow
	} else if o.live && o.upTo < 0 {
		clipH = 0
	}
	fmt.Fprintf(bw, `<defs><marker id="%s" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="context-stroke"/></marker><clipPath id="%s"><rect x="0" y="0" width="%s" height="%s"/></clipPath></defs>`,
		arrow, now, num(l.Width), num(clipH))
	fmt.Fprintf(bw, `<rect class="sa-bg" x="0" y="0" width="%s" height="%s"/>`, num(l.Width), num(l.Height))
	bw.WriteString(`<g class="sa-grid">`)
	for _, t := range l.Ticks {
		fmt.Fprintf(bw, `<g class="sa-tick"><line x1="0" x2="%s" y1="%s" y2="%s"/>`, num(l.Width), num(t.Y), num(t.Y))
		writeLabel(bw, t.T, o)
		bw.WriteString(`</g>`)
	}
	for _, g := range l.Gaps {
		fmt.Fprintf(bw, `<g class="sa-gap"><rect x="%s" y="%s" width="%s" height="%s" rx="4"/>`, num(g.X), num(g.Y1), num(g.W), num(max(g.Y2-g.Y1, 1)))
		writeLabel(bw, g.T, o)
		fmt.Fprintf(bw, `<title>%s</title></g>`, esc(catalog.F("diagram.gap", g.Real).In(o.lang)))
	}
	bw.WriteString(`</g>`)
	roleOf := map[string]string{}
	for _, ln := range l.Lanes {
		roleOf[ln.Name] = ln.Role
		fmt.Fprintf(bw, `<line class="sa-lane" x1="%s" x2="%s" y1="%s" y2="%s"/>`, num(ln.X), num(ln.X), num(l.LaneTop), num(l.LaneBottom))
		fmt.Fprintf(bw, `<g class="sa-lane-label"><rect class="sa-lane-head" x="%s" y="%s" width="%s" height="%s" rx="6"/>`,
			num(ln.Head[0]), num(ln.Head[1]), num(ln.Head[2]), num(ln.Head[3]))
		writeClassLabel(bw, ln.NameL, o, "sa-lane-name")
		writeClassLabel(bw, ln.AddrL, o, "sa-lane-addr")
		bw.WriteString(`</g>`)
	}
	for i := range l.Items {
		it := &l.Items[i]
		if !o.live && o.upTo >= 0 && it.Step > o.upTo {
			continue
		}
		cls := itemClass(it, roleOf)
		if o.live {
			if o.upTo < it.Step {
				cls += " sa-hidden"
			} else if o.upTo == it.Step {
				cls += " sa-current"
			}
		}
		data := ""
		if o.live {
			data = fmt.Sprintf(` data-item="%d"`, i)
		}
		switch it.Kind {
		case "state":
			fmt.Fprintf(bw, `<g class="%s"%s data-state="%s" data-lane="%s"><rect clip-path="url(#%s)" x="%s" y="%s" width="8" height="%s"/>`,
				cls, data, it.State, esc(it.Lane), now, num(it.BX), num(it.Y1), num(it.BH))
			writeLabel(bw, it.T, o)
			fmt.Fprintf(bw, `<title>%s</title></g>`, esc(catalog.F("diagram.lane-state", LaneText(it.Lane), it.State).In(o.lang)))
		case "segment":
			t := l.Steps[it.Step].Text.In(o.lang)
			fmt.Fprintf(bw, `<g class="%s"%s data-segment="%s" data-id="%d" tabindex="0" role="button" aria-label="%s">`,
				cls, data, esc(strings.Join(it.Flags, " ")), it.ID, esc(t))
			marker := fmt.Sprintf(` marker-end="url(#%s)"`, arrow)
			if it.Fate != "delivered" {
				marker = ""
			}
			fmt.Fprintf(bw, `<line x1="%s" y1="%s" x2="%s" y2="%s"%s style="--len:%s"/>`, num(it.X1), num(it.Y1), num(it.X2), num(it.Y2), marker, num(it.Len))
			if it.D != "" {
				fmt.Fprintf(bw, `<path class="sa-cross" d="%s"/>`, it.D)
			}
			writeLabel(bw, it.T, o)
			if it.Mark == MarkSent {
				t += " — " + it.Text.In(o.lang)
			}
			fmt.Fprintf(bw, `<title>%s</title></g>`, esc(t))
		case "ghost":
			// What the script expected and the engine did not send: no marker of a sent
			// segment, a dashed line, the script's line as its label.
			why := it.Text.In(o.lang)
			fmt.Fprintf(bw, `<g class="%s"%s data-mark="%s" tabindex="0" role="img" aria-label="%s">`, cls, data, it.Mark, esc(why))
			fmt.Fprintf(bw, `<line x1="%s" y1="%s" x2="%s" y2="%s" marker-end="url(#%s)"/>`, num(it.X1), num(it.Y1), num(it.X2), num(it.Y2), arrow)
			writeLabel(bw, it.T, o)
			fmt.Fprintf(bw, `<title>%s</title></g>`, esc(why))
		case "timer":
			fmt.Fprintf(bw, `<g class="%s"%s data-timer="%s"><path clip-path="url(#%s)" d="%s"/>`, cls, data, esc(it.State), now, it.D)
			writeLabel(bw, it.T, o)
			fmt.Fprintf(bw, `<title>%s</title></g>`, esc(it.Text.In(o.lang)))
		case "app", "note":
			fmt.Fprintf(bw, `<g class="%s"%s>`, cls, data)
			writeLabel(bw, it.T, o)
			fmt.Fprintf(bw, `<title>%s</title></g>`, esc(it.Text.In(o.lang)))
		case "queue":
			fmt.Fprintf(bw, `<g class="%s"%s data-syn-queue="%d">`, cls, data, it.SynQueue)
			if it.BX >= 0 {
				fmt.Fprintf(bw, `<rect class="sa-q-bg" x="%s" y="%s" width="%s" height="8"/><rect class="sa-q-fill" x="%s" y="%s" width="%s" height="8"/>`,
					num(it.BX), num(it.BY), num(GaugeW), num(it.BX), num(it.BY), num(it.BW))
			}
			writeLabel(bw, it.T, o)
			title := catalog.F("diagram.queue", it.SynQueue, it.Backlog, it.Accept)
			if queueOver(it.SynQueue, it.Backlog) {
				title = catalog.F("diagram.queue.over", it.SynQueue, it.Backlog, it.Accept)
			}
			fmt.Fprintf(bw, `<title>%s</title></g>`, esc(title.In(o.lang)))
		case "bundle":
			fmt.Fprintf(bw, `<g class="%s"%s data-count="%d"><rect x="%s" y="%s" width="%s" height="%s" rx="3"/><line x1="%s" y1="%s" x2="%s" y2="%s" marker-end="url(#%s)"/>`,
				cls, data, it.Count, num(it.BX), num(it.Y1), num(it.BW), num(it.BH), num(it.X1), num(it.Y1), num(it.X2), num(it.Y2), arrow)
			writeLabel(bw, it.T, o)
			fmt.Fprintf(bw, `<title>%s</title></g>`, esc(l.Steps[it.Step].Text.In(o.lang)))
		}
	}
	if l.TruncL != nil {
		writeClassLabel(bw, l.TruncL, o, "sa-lane-addr sa-trunc")
	}
	bw.WriteString(`</svg>`)
	return bw.Flush()
}

// itemClass is the class list of an item's group.
func itemClass(it *Item, roleOf map[string]string) string {
	switch it.Kind {
	case "segment":
		return SegmentClass(it, roleOf)
	case "state":
		return "sa-state " + StateClass(it.State)
	}
	return "sa-" + it.Kind
}

func writeLabel(bw *bufio.Writer, lb *Label, o renderOpts) { writeClassLabel(bw, lb, o, "") }

// writeClassLabel writes a placed text; nothing for nil (no room: the title tells it).
func writeClassLabel(bw *bufio.Writer, lb *Label, o renderOpts, class string) {
	if lb == nil {
		return
	}
	bw.WriteString(`<text`)
	if class != "" {
		fmt.Fprintf(bw, ` class="%s"`, class)
	}
	fmt.Fprintf(bw, ` x="%s" y="%s"`, num(lb.X), num(lb.Y))
	if lb.Anchor != "" {
		fmt.Fprintf(bw, ` text-anchor="%s"`, lb.Anchor)
	}
	if lb.Rot != 0 {
		fmt.Fprintf(bw, ` transform="rotate(%s %s %s)"`, num(lb.Rot), num(lb.X), num(lb.Y))
	}
	fmt.Fprintf(bw, `>%s</text>`, html.EscapeString(lb.Pick(o.lang, o.relative)))
}

// num writes a coordinate with at most one decimal, as JavaScript would print it.
func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// Transcript returns one line per step in the given language.
func Transcript(l *Layout, lang string) []string {
	out := make([]string, len(l.Steps))
	for i, s := range l.Steps {
		out[i] = s.Text.In(lang)
	}
	return out
}
