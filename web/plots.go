package web

import (
	"bytes"
	"net/http"

	"synack/engine/diagram"
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
