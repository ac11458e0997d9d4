package diagram

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"strings"
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
.sa-seg:focus-visible line{stroke-width:3.5}
.sa-state rect{opacity:.9}
.sa-state text{font:600 11px system-ui,sans-serif;fill:#111827}
.sa-st-closed rect{fill:#d1d5db}.sa-st-listen rect{fill:#c7d2fe}
.sa-st-syn rect{fill:#fde68a}.sa-st-est rect{fill:#86efac}
.sa-st-close rect{fill:#bfdbfe}.sa-st-tw rect{fill:#ddd6fe}
.sa-timer path{stroke:var(--sa-timer,#6b7280);stroke-width:1.2;fill:none}
.sa-timer text,.sa-app text,.sa-note text,.sa-queue text{font:11px system-ui,sans-serif;fill:var(--sa-muted,#374151)}
.sa-app text{font-weight:600;fill:var(--sa-app,#065f46)}
.sa-note text{font-style:italic}
.sa-gap rect{fill:var(--sa-gap,#f3f4f6)}
.sa-gap text{font:600 12px system-ui,sans-serif;fill:var(--sa-muted,#4b5563)}
.sa-tick text{font:11px ui-monospace,monospace;fill:var(--sa-muted,#6b7280)}
.sa-tick line{stroke:var(--sa-grid,#e5e7eb)}
.sa-queue rect.sa-q-bg{fill:none;stroke:var(--sa-muted,#6b7280)}
.sa-queue rect.sa-q-fill{fill:#f87171}
.sa-hidden{display:none}
@media (prefers-color-scheme:dark){
:root{--sa-bg:#0f172a;--sa-lane:#64748b;--sa-head:#e2e8f0;--sa-head-text:#0f172a;--sa-muted:#cbd5e1;--sa-seg:#93c5fd;--sa-seg2:#fcd34d;--sa-seg3:#fda4af;--sa-text:#f1f5f9;--sa-drop:#f87171;--sa-timer:#94a3b8;--sa-app:#6ee7b7;--sa-gap:#1e293b;--sa-grid:#1e293b}}
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
	return strings.Join(c, " ")
}

// WriteSVG writes the layout as a standalone SVG document.
func WriteSVG(w io.Writer, l *Layout, opt SVGOptions) error {
	bw := bufio.NewWriter(w)
	zh := opt.Lang == "zh"
	pick := func(en, z string) string {
		if zh {
			return z
		}
		return en
	}
	esc := html.EscapeString
	title := opt.Title
	if title == "" {
		title = l.Scenario
	}
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="group" aria-labelledby="sa-title" data-scenario="%s">`,
		l.Width, l.Height, l.Width, l.Height, esc(l.Scenario))
	fmt.Fprintf(bw, `<title id="sa-title">%s</title><style>%s</style>`, esc(title), Style)
	bw.WriteString(`<defs><marker id="sa-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="context-stroke"/></marker></defs>`)
	fmt.Fprintf(bw, `<rect class="sa-bg" x="0" y="0" width="%.0f" height="%.0f"/>`, l.Width, l.Height)
	visible := func(step int) bool { return opt.UpTo < 0 || step <= opt.UpTo }
	for _, t := range l.Ticks {
		fmt.Fprintf(bw, `<g class="sa-tick"><line x1="0" x2="%.1f" y1="%.1f" y2="%.1f"/><text x="4" y="%.1f">%s</text></g>`, l.Width, t.Y, t.Y, t.Y-3, esc(t.Label))
	}
	for _, g := range l.Gaps {
		mid := (g.Y1 + g.Y2) / 2
		fmt.Fprintf(bw, `<g class="sa-gap"><rect x="60" y="%.1f" width="%.1f" height="%.1f" rx="4"/><text x="%.1f" y="%.1f" text-anchor="middle">%s</text><title>%s</title></g>`,
			g.Y1, l.Width-120, max(g.Y2-g.Y1, 1), l.Width/2, mid+4, esc("⋯ "+g.Real+" ⋯"),
			esc(pick("compressed: "+g.Real+" of idle time", "已压缩："+g.Real+" 的空闲时间")))
	}
	roleOf := map[string]string{}
	for _, ln := range l.Lanes {
		roleOf[ln.Name] = ln.Role
		fmt.Fprintf(bw, `<line class="sa-lane" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, ln.X, ln.X, top-20, l.Height-bottom)
		fmt.Fprintf(bw, `<g class="sa-lane-label"><rect class="sa-lane-head" x="%.1f" y="8" width="130" height="26" rx="6"/><text class="sa-lane-name" x="%.1f" y="26" text-anchor="middle">%s</text><text class="sa-lane-addr" x="%.1f" y="50" text-anchor="middle">%s</text></g>`,
			ln.X-65, ln.X, esc(ln.Name), ln.X, esc(ln.Addr))
	}
	for i := range l.Items {
		it := &l.Items[i]
		if !visible(it.Step) {
			continue
		}
		switch it.Kind {
		case "state":
			y2 := it.Y2
			if it.End >= 0 && !visible(it.End) || it.End < 0 {
				if opt.UpTo >= 0 && opt.UpTo < len(l.Steps) {
					y2 = l.Steps[opt.UpTo].Y
				}
			}
			fmt.Fprintf(bw, `<g class="sa-state %s" data-state="%s" data-lane="%s"><rect x="%.1f" y="%.1f" width="8" height="%.1f"/><text x="%.1f" y="%.1f" text-anchor="%s">%s</text><title>%s</title></g>`,
				StateClass(it.State), it.State, esc(it.Lane), it.X1-4, it.Y1, max(y2-it.Y1, 2),
				it.LX, it.LY+4, anchor(it.Side), it.State,
				esc(fmt.Sprintf("%s: %s", it.Lane, it.State)))
		case "segment":
			label := it.Label
			if opt.Relative {
				label = it.LabelRel
			}
			title := l.Steps[it.Step].Text.In(opt.Lang)
			fmt.Fprintf(bw, `<g class="%s" data-segment="%s" data-id="%d" tabindex="0" role="button" aria-label="%s">`,
				SegmentClass(it, roleOf), esc(strings.Join(it.Flags, " ")), it.ID, esc(title))
			marker := ` marker-end="url(#sa-arrow)"`
			if it.Fate != "delivered" {
				marker = ""
			}
			fmt.Fprintf(bw, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"%s/>`, it.X1, it.Y1, it.X2, it.Y2, marker)
			if it.Fate != "delivered" {
				fmt.Fprintf(bw, `<path class="sa-cross" d="M%.1f,%.1fl10,10m0,-10l-10,10"/>`, it.X2-5, it.Y2-5)
			}
			if label != "" {
				if it.Extra != "" {
					label += " · " + it.Extra
				}
				fmt.Fprintf(bw, `<text x="%.1f" y="%.1f" text-anchor="middle" transform="rotate(%.1f %.1f %.1f)">%s</text>`,
					it.LX, it.LY, it.Angle, it.LX, it.LY, esc(label))
			}
			fmt.Fprintf(bw, `<title>%s</title></g>`, esc(title))
		case "timer":
			x := it.X1 + float64(it.Side)*175
			y2 := max(it.Y2, it.Y1+2)
			mid := (it.Y1 + y2) / 2
			fmt.Fprintf(bw, `<g class="sa-timer" data-timer="%s"><path d="M%.1f,%.1fh%.1fV%.1fh%.1f"/><text x="%.1f" y="%.1f" text-anchor="middle" transform="rotate(-90 %.1f %.1f)">%s</text><title>%s</title></g>`,
				esc(it.State), x-4*float64(it.Side), it.Y1, 4*float64(it.Side), y2, -4*float64(it.Side),
				x+float64(it.Side)*10, mid, x+float64(it.Side)*10, mid, esc(it.State+" "+it.Label), esc(it.Text.In(opt.Lang)+" "+it.Label))
		case "app", "note":
			t := it.Text.In(opt.Lang)
			fmt.Fprintf(bw, `<g class="sa-%s"><text x="%.1f" y="%.1f" text-anchor="%s">%s</text></g>`,
				it.Kind, it.LX+float64(it.Side)*92, it.LY+4, anchor(it.Side), esc(t))
		case "queue":
			x := it.LX + float64(it.Side)*100
			if it.Side < 0 {
				x -= 60
			}
			w := 60.0
			frac := 0.0
			if it.ID > 0 {
				frac = min(it.X2/float64(it.ID), 1)
			}
			fmt.Fprintf(bw, `<g class="sa-queue" data-syn-queue="%.0f"><rect class="sa-q-bg" x="%.1f" y="%.1f" width="%.1f" height="8"/><rect class="sa-q-fill" x="%.1f" y="%.1f" width="%.1f" height="8"/><text x="%.1f" y="%.1f">%s</text><title>%s</title></g>`,
				it.X2, x, it.LY-4, w, x, it.LY-4, w*frac, x+w+4, it.LY+4, esc(it.Label),
				esc(pick("SYN queue "+it.Label+", accept queue "+it.LabelRel, "半连接队列 "+it.Label+"，全连接队列 "+it.LabelRel)))
		}
	}
	if l.Truncated > 0 {
		fmt.Fprintf(bw, `<text x="%.1f" y="%.1f" text-anchor="middle" class="sa-lane-addr">%s</text>`, l.Width/2, l.Height-12,
			esc(pick(fmt.Sprintf("%d more segments not drawn", l.Truncated), fmt.Sprintf("另有 %d 个报文未绘出", l.Truncated))))
	}
	bw.WriteString(`</svg>`)
	return bw.Flush()
}

func anchor(side int) string {
	if side < 0 {
		return "end"
	}
	return "start"
}

// Transcript returns one line per step in the given language.
func Transcript(l *Layout, lang string) []string {
	out := make([]string, len(l.Steps))
	for i, s := range l.Steps {
		out[i] = s.Text.In(lang)
	}
	return out
}
