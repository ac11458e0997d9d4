package web

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"

	"synack/engine/catalog"
	"synack/engine/diagram"
	"synack/templates"
)

// plotStories are the stories whose player shows the data phase's figures (the
// time-sequence graph and the cwnd plot) under the diagram. Every story's figures are
// served at /lessons/{id}/tsg.svg and cwnd.svg.
var plotStories = map[string]bool{
	"bulk-transfer": true, "sack-recovery": true, "tail-loss-probe": true, "rto-backoff": true,
	"zero-window": true, "nagle-delayed-ack": true,
}

// plots returns the run's two figures, laid out once at its diagram's width.
func (r *run) plots() (tsg, cwnd *diagram.Plot) {
	r.plotOnce.Do(func() {
		o := diagram.PlotOptions{Width: r.layout.Width}
		r.tsg = diagram.BuildTSG(r.tr, r.layout, o)
		r.cwnd = diagram.BuildCwnd(r.tr, r.layout, o)
	})
	return r.tsg, r.cwnd
}

// handlePlotSVG serves one of a run's figures as SVG, drawn up to the view's step.
func (s *Server) handlePlotSVG(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, v, rn, ok := s.runFor(w, r)
		if !ok {
			return
		}
		tsg, cwnd := rn.plots()
		p := tsg
		if kind == "cwnd" {
			p = cwnd
		}
		var buf bytes.Buffer
		diagram.WritePlotSVG(&buf, p, v.Lang, drawnUpTo(v, rn.layout))
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Write(buf.Bytes())
	}
}

// MaxPlotTableRows bounds a figure's table: a longer one keeps every row that marks
// something (a loss, a retransmission, a duplicate ACK, a change of ssthresh) and an
// even sample of the rest, and says so.
const MaxPlotTableRows = 240

// plotsVM is the view of a run's figures for the player page.
func plotsVM(id string, q url.Values, rn *run, lang string, T func(string) string) *templates.Plots {
	tsg, cwnd := rn.plots()
	base := url.Values{}
	for k, vs := range q {
		if k != "step" {
			base[k] = vs
		}
	}
	return &templates.Plots{Data: map[string]*diagram.Plot{"tsg": tsg, "cwnd": cwnd},
		Figures: plotFigures(id, base, tsg, cwnd, lang, T, func(kind string) string {
			sq := url.Values{}
			for k, vs := range base {
				sq[k] = vs
			}
			sq.Set("lang", lang)
			return "/lessons/" + id + "/" + kind + ".svg?" + sq.Encode()
		})}
}

// plotFigures are the figures of story id's run (the player at the view base, without
// a step), each with its title, its SVG's address (svgURL) and its table, whose rows
// open the player at their step.
func plotFigures(id string, base url.Values, tsg, cwnd *diagram.Plot, lang string, T func(string) string, svgURL func(kind string) string) []templates.PlotFigure {
	var out []templates.PlotFigure
	for _, p := range []*diagram.Plot{tsg, cwnd} {
		f := templates.PlotFigure{Kind: p.Kind, Title: diagram.PlotTitle(p, lang), Desc: diagram.PlotDesc(p, lang),
			SVGURL: svgURL(p.Kind)}
		if p.Kind == "tsg" {
			f.Head = []string{T("plot.col.time"), T("plot.col.what"), T("plot.col.segment"), T("plot.col.from"), T("plot.col.to")}
		} else {
			f.Head = []string{T("plot.col.time"), T("plot.col.segment"), T("plot.cwnd.cwnd"), T("plot.cwnd.ssthresh"),
				T("plot.cwnd.flight"), T("plot.cwnd.rwnd")}
		}
		rows := pickRows(p.Rows, MaxPlotTableRows)
		if len(rows) < len(p.Rows) {
			f.Note = catalog.F("plot.rows", len(rows), len(p.Rows)).In(lang)
		}
		for _, r := range rows {
			sq := url.Values{}
			for k, vs := range base {
				sq[k] = vs
			}
			sq.Set("step", strconv.Itoa(r.Step+1))
			cells := []string{strconv.FormatFloat(float64(r.AtUs)/1e6, 'f', 6, 64)}
			if r.What.EN != "" {
				cells = append(cells, r.What.In(lang))
			}
			f.Rows = append(f.Rows, templates.PlotRow{Step: r.Step, URL: "/lessons/" + id + "?" + sq.Encode(),
				Cells: append(cells, r.Cells...)})
		}
		out = append(out, f)
	}
	return out
}

// pickRows keeps at most n rows: every row that marks something, and an even sample of
// the ordinary ones, in order.
func pickRows(rows []diagram.PlotRow, n int) []diagram.PlotRow {
	if len(rows) <= n {
		return rows
	}
	ordinary := func(r diagram.PlotRow) bool {
		return r.What.EN == "" || r.What.EN == catalog.T("plot.tsg.data").EN || r.What.EN == catalog.T("plot.tsg.ack").EN
	}
	special := 0
	for _, r := range rows {
		if !ordinary(r) {
			special++
		}
	}
	room := max(n-special, 1)
	every := (len(rows)-special+room-1)/room + 0
	out := make([]diagram.PlotRow, 0, n)
	k := 0
	for _, r := range rows {
		if !ordinary(r) {
			out = append(out, r)
			continue
		}
		if k%every == 0 {
			out = append(out, r)
		}
		k++
	}
	return out
}

// plotsView adds a data story's figures to the player's view, and says what its folds
// are (a transfer's, not a flood's).
func plotsView(r *http.Request, rn *run, id string, p templates.Page, expanded bool, vm *templates.Player) {
	vm.Plots = plotsVM(id, r.URL.Query(), rn, p.Lang, p.T)
	vm.Plots.CCURL = ccLink(id, r.URL.Query(), p.Lang)
	switch {
	case vm.ExpandURL != "" && !expanded:
		vm.ExpandNote = catalog.In(p.Lang, "player.folded")
	case expanded:
		vm.ExpandNote = catalog.In(p.Lang, "player.unfolded")
	}
}
