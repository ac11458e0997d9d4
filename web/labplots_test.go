package web

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"synack/engine/diagram"
	"synack/templates"
)

// The lab's figures: a run without data sends none (the page hides them); once the
// server has sent data, each action sends both figures laid out on the diagram's steps
// (one cursor x per step, so they follow the lab's cursor), with their titles and tables
// in the page's language.
func TestWSLabPlots(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	w, _, _ := dial(t, ts, "")
	defer w.close()
	w.c.SetReadLimit(1 << 24) // the figures of 64 kB are larger than the default's 32 kB
	w.send(map[string]any{"type": "lab-start", "query": "rtt=50ms&lang=zh"})
	w.next("init")
	if m := w.next("plots"); m["plots"] != nil {
		t.Fatalf("an empty lab sent figures: %s", m["plots"])
	}
	steps := 0
	act := func(endpoint, op string, bytes int) map[string]json.RawMessage {
		t.Helper()
		w.send(map[string]any{"type": "lab", "action": map[string]any{"endpoint": endpoint, "op": op, "bytes": bytes}})
		// A patch of the layout, or the whole layout when a patch cannot say it; then
		// the steps, then the figures.
		for {
			_, b, err := w.c.Read(w.ctx)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]json.RawMessage
			json.Unmarshal(b, &m)
			switch string(m["type"]) {
			case `"patch"`:
				var p diagram.Patch
				json.Unmarshal(m["patch"], &p)
				steps = p.FromStep + len(p.NewSteps)
			case `"init"`:
				var l struct{ Steps []json.RawMessage }
				json.Unmarshal(m["layout"], &l)
				steps = len(l.Steps)
			case `"plots"`:
				return m
			}
		}
	}
	act("server", "listen", 0)
	if m := act("client", "connect", 0); m["plots"] != nil {
		t.Fatalf("a handshake sent figures: %s", m["plots"])
	}
	m := act("server", "send", 65536)
	var plots map[string]*diagram.Plot
	var figs []templates.PlotFigure
	if err := json.Unmarshal(m["plots"], &plots); err != nil || plots["tsg"] == nil || plots["cwnd"] == nil {
		t.Fatalf("after the server's 64 kB: %v %s", err, m["plots"])
	}
	if err := json.Unmarshal(m["figures"], &figs); err != nil || len(figs) != 2 {
		t.Fatalf("figures: %v %d", err, len(figs))
	}
	for _, k := range []string{"tsg", "cwnd"} {
		if p := plots[k]; p.Sender != "server" || len(p.CursorX) != steps {
			t.Errorf("%s: sender %q, %d cursor places for %d steps", k, p.Sender, len(p.CursorX), steps)
		}
	}
	if figs[0].Kind != "tsg" || !strings.Contains(figs[0].Title, "服务器") || figs[1].Head[0] != "时间（秒）" {
		t.Errorf("figures not in the page's language: %q %q", figs[0].Title, figs[1].Head)
	}
	// No loss: the bars tile the bytes sent from 0, in order, none above the MSS (1460
	// less 12 bytes of timestamps), and no more than the 64 kB written.
	var end int
	for _, r := range figs[0].Rows {
		if len(r.Cells) < 5 || r.Cells[1] != "数据报文段" {
			continue
		}
		from, _ := strconv.Atoi(r.Cells[3])
		to, _ := strconv.Atoi(r.Cells[4])
		if from != end || to-from > 1448 || to <= from {
			t.Fatalf("bar %v after byte %d", r.Cells, end)
		}
		end = to
	}
	if end < 60000 || end > 65536 {
		t.Errorf("the bars end at byte %d, want most of the 64 kB sent", end)
	}
}
