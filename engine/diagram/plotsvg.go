package diagram

import (
	"bufio"
	"html"
	"io"
	"strconv"
	"strings"

	"synack/engine/catalog"
)

// PlotStyle is the CSS of the figures' classes, shared by the standalone SVG and the
// page. Lines and marks keep a 3:1 contrast on white, text 4.5:1.
const PlotStyle = `
.sa-pl{font:11px system-ui,-apple-system,"Segoe UI","PingFang SC","Noto Sans CJK SC",sans-serif}
.sa-pl-bg{fill:var(--sa-bg,#fff)}
.sa-pl-frame{fill:none;stroke:#6b7280;stroke-width:1}
.sa-pl-grid{stroke:#e5e7eb;stroke-width:1}
.sa-pl-tick,.sa-pl-title,.sa-pl-legend text{fill:var(--sa-text,#111827)}
.sa-pl-title{font-weight:600}
.sa-pl line,.sa-pl polyline{fill:none}
.sa-pl-data{stroke:#1d4ed8;stroke-width:1.6}
.sa-pl-retransmit{stroke:#b45309;stroke-width:2.6}
.sa-pl-dropped{stroke:#dc2626;stroke-width:3;stroke-dasharray:3 2}
.sa-pl-ack{stroke:#047857;stroke-width:1.6}
.sa-pl-window{stroke:#7c3aed;stroke-width:1.4;stroke-dasharray:5 3}
.sa-pl-sack{stroke:#0e7490;stroke-width:3.4;stroke-opacity:.8}
.sa-pl-dupack{fill:#be185d;stroke:none}
.sa-pl-cwnd{stroke:#1d4ed8;stroke-width:2.2}
.sa-pl-ssthresh{stroke:#dc2626;stroke-width:1.6;stroke-dasharray:6 3}
.sa-pl-flight{stroke:#047857;stroke-width:1.4}
.sa-pl-rwnd{stroke:#7c3aed;stroke-width:1.4;stroke-dasharray:5 3}
.sa-pl-cursor{stroke:#374151;stroke-width:1.6;stroke-dasharray:4 2}
.sa-pl-hit{stroke:transparent;stroke-width:9;cursor:pointer}
.sa-pl-hit:focus-visible{stroke:#f59e0b;stroke-opacity:.5;outline:none}
@media (prefers-reduced-motion:no-preference){.sa-pl-cursor{transition:transform .15s}}
`

// PlotTitle is the figure's title in a language: what it shows and whose data.
func PlotTitle(p *Plot, lang string) string {
	who := p.Sender
	if lang == "zh" {
		who = laneNameZH(who)
	}
	if p.Kind == "cwnd" {
		return catalog.F("plot.cwnd.title", who).In(lang)
	}
	return catalog.F("plot.tsg.title", who).In(lang)
}

// PlotDesc is the figure's description in a language.
func PlotDesc(p *Plot, lang string) string {
	if p.Sender == "" {
		return catalog.T("plot.nodata").In(lang)
	}
	if p.Kind == "cwnd" {
		return catalog.T("plot.cwnd.desc").In(lang)
	}
	return catalog.T("plot.tsg.desc").In(lang)
}

func ff(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// WritePlotSVG writes a figure as a standalone SVG, with the items up to step upTo
// (-1: all) and the cursor there.
func WritePlotSVG(w io.Writer, p *Plot, lang string, upTo int) error {
	b := bufio.NewWriter(w)
	esc := html.EscapeString
	title := PlotTitle(p, lang)
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" class="sa-pl" role="img" aria-labelledby="t d" viewBox="0 0 ` +
		ff(p.Width) + " " + ff(p.Height) + `" width="` + ff(p.Width) + `" height="` + ff(p.Height) + `">`)
	b.WriteString(`<title id="t">` + esc(title) + `</title><desc id="d">` + esc(PlotDesc(p, lang)) + `</desc>`)
	b.WriteString("<style>" + PlotStyle + "</style>")
	b.WriteString(`<rect class="sa-pl-bg" width="100%" height="100%"/>`)
	WritePlotBody(b, p, lang, upTo)
	b.WriteString("</svg>\n")
	return b.Flush()
}

// WritePlotBody writes the figure's elements (no <svg> element): the page embeds them.
func WritePlotBody(b *bufio.Writer, p *Plot, lang string, upTo int) {
	esc := html.EscapeString
	a := p.Area
	shown := func(step int) bool { return upTo < 0 || step <= upTo }
	for _, t := range p.XTicks {
		b.WriteString(`<line class="sa-pl-grid" x1="` + ff(t.Pos) + `" y1="` + ff(a[1]) + `" x2="` + ff(t.Pos) + `" y2="` + ff(a[3]) + `"/>`)
		b.WriteString(`<text class="sa-pl-tick" x="` + ff(t.Pos) + `" y="` + ff(a[3]+14) + `" text-anchor="middle">` + esc(t.Label) + `</text>`)
	}
	for _, t := range p.YTicks {
		b.WriteString(`<line class="sa-pl-grid" x1="` + ff(a[0]) + `" y1="` + ff(t.Pos) + `" x2="` + ff(a[2]) + `" y2="` + ff(t.Pos) + `"/>`)
		b.WriteString(`<text class="sa-pl-tick" x="` + ff(a[0]-4) + `" y="` + ff(t.Pos+4) + `" text-anchor="end">` + esc(t.Label) + `</text>`)
	}
	b.WriteString(`<rect class="sa-pl-frame" x="` + ff(a[0]) + `" y="` + ff(a[1]) + `" width="` + ff(a[2]-a[0]) + `" height="` + ff(a[3]-a[1]) + `"/>`)
	b.WriteString(`<text class="sa-pl-title" x="` + ff((a[0]+a[2])/2) + `" y="` + ff(p.Height-6) + `" text-anchor="middle">` + esc(p.XTitle.In(lang)) + `</text>`)
	b.WriteString(`<text class="sa-pl-title" transform="translate(12 ` + ff((a[1]+a[3])/2) + `) rotate(-90)" text-anchor="middle">` + esc(p.YTitle.In(lang)) + `</text>`)
	b.WriteString(`<g class="sa-pl-legend">`)
	for _, e := range p.Legend {
		y := e.Y
		if e.Class == "dupack" {
			b.WriteString(`<circle class="sa-pl-dupack" cx="` + ff(e.X+9) + `" cy="` + ff(y-4) + `" r="3"/>`)
		} else {
			b.WriteString(`<line class="sa-pl-` + e.Class + `" x1="` + ff(e.X) + `" y1="` + ff(y-4) + `" x2="` + ff(e.X+18) + `" y2="` + ff(y-4) + `"/>`)
		}
		b.WriteString(`<text x="` + ff(e.X+22) + `" y="` + ff(y) + `">` + esc(e.Text.In(lang)) + `</text>`)
	}
	b.WriteString(`</g>`)
	for _, ln := range p.Lines {
		var pts strings.Builder
		prevY := -1.0
		for i, pt := range ln.Points {
			if !shown(int(pt[2])) {
				break
			}
			if i > 0 { // a step line: across at the old value, then up or down
				pts.WriteString(ff(pt[0]) + "," + ff(prevY) + " ")
			}
			pts.WriteString(ff(pt[0]) + "," + ff(pt[1]) + " ")
			prevY = pt[1]
		}
		if pts.Len() > 0 {
			b.WriteString(`<polyline class="sa-pl-` + ln.Class + `" points="` + strings.TrimSpace(pts.String()) + `"/>`)
		}
	}
	for _, m := range p.Marks {
		if !shown(m.Step) {
			continue
		}
		t := `<title>` + esc(m.Title.In(lang)) + `</title>`
		if m.Class == "dupack" {
			b.WriteString(`<circle class="sa-pl-dupack" cx="` + ff(m.X) + `" cy="` + ff(m.Y) + `" r="2.5">` + t + `</circle>`)
			continue
		}
		b.WriteString(`<line class="sa-pl-` + m.Class + `" x1="` + ff(m.X) + `" y1="` + ff(m.Y) + `" x2="` + ff(m.X) + `" y2="` + ff(m.Y2) + `">` + t + `</line>`)
	}
	if upTo >= 0 && upTo < len(p.CursorX) {
		x := p.CursorX[upTo]
		b.WriteString(`<line class="sa-pl-cursor" x1="` + ff(x) + `" y1="` + ff(a[1]) + `" x2="` + ff(x) + `" y2="` + ff(a[3]) + `"/>`)
	}
	if p.Omitted > 0 {
		b.WriteString(`<text class="sa-pl-tick" x="` + ff(a[2]) + `" y="` + ff(a[1]-4) + `" text-anchor="end">` +
			esc(catalog.F("plot.omitted", p.Omitted).In(lang)) + `</text>`)
	}
}
