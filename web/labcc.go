package web

import (
	"bytes"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/go-chi/chi/v5"

	"synack/engine"
	"synack/engine/catalog"
	"synack/engine/diagram"
	"synack/engine/tcp"
	"synack/templates"
)

// The lab's side-by-side of the two congestion controls (/lab/cc): one data story, with
// the same seed, RTT, losses and bottleneck, run under the rfc profile (Reno, RFC 5681,
// with RFC 6675's SACK recovery) and the linux profile (CUBIC with RACK-TLP and PRR),
// their figures drawn on one common time axis and value scale, and what each run came
// to, computed from the traces. It lives under /lab because it is the lab's network
// (a student's loss, rate and queue carry over from /lab) applied to two stacks at
// once; /compare is the handshakes' comparison and takes other parameters.

// ccStories are the stories the side-by-side can run, in the catalogue's order; the
// first one that loses something is the default.
var ccStories = []string{"bulk-transfer", "sack-recovery", "tail-loss-probe", "rto-backoff", "zero-window", "nagle-delayed-ack"}

// DefaultCCStory is the story /lab/cc runs when the address names none: one loss in
// the middle of a window, where the two profiles' answers to a loss differ most.
const DefaultCCStory = "sack-recovery"

// ccProfiles are the two sides, left (above on a phone) to right.
var ccProfiles = [2]string{"rfc", "linux"}

// CCCursorStops is how many places the side-by-side's time slider stops at.
const CCCursorStops = 200

// ccSide is one profile's run of the side-by-side, with its figures in the common frame.
type ccSide struct {
	profile   string
	rn        *run
	sum       engine.TransferSummary
	tsg, cwnd *diagram.Plot
}

// ccView is what the side-by-side's address says, checked.
type ccView struct {
	story string
	view  View
}

// parseCC reads the side-by-side's address: story, and the parameters a view has (the
// profile is not one: both run). A bad value is replaced and said, as ParseView does.
func parseCC(q url.Values, lang string) ccView {
	v := ParseView(q, lang, EngineBounds())
	v.Params.Profile = engine.DefaultParams().Profile
	v.Step = -1
	c := ccView{story: DefaultCCStory, view: v}
	if s := q.Get("story"); s != "" {
		if slices.Contains(ccStories, s) {
			c.story = s
		} else {
			c.view.Problems = append(c.view.Problems, Problem{Param: "story", Text: catalog.F("cc.err.story", s, DefaultCCStory)})
		}
	}
	if s := q.Get("profile"); s != "" {
		c.view.Problems = append(c.view.Problems, Problem{Param: "profile", Text: catalog.F("cc.err.profile", s)})
	}
	return c
}

// query is the side-by-side's canonical address query.
func (c ccView) query() url.Values {
	q := c.view.Query()
	q.Del("profile")
	if c.story != DefaultCCStory {
		q.Set("story", c.story)
	}
	return q
}

// ccLink is the side-by-side's address for story id ("": the default) with the
// network a page's query sets: the knobs that both runs share, not the profile.
func ccLink(id string, q url.Values, lang string) string {
	out := url.Values{}
	for _, k := range []string{"rtt", "seed", "loss", "rate", "queue"} {
		if v := q.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	if id != "" {
		out.Set("story", id)
	}
	out.Set("lang", lang)
	return "/lab/cc?" + out.Encode()
}

// buildCC runs the story under both profiles (each run shared with the players' run
// cache) and lays their figures out in one frame, width units wide.
func (s *Server) buildCC(c ccView, width float64) ([2]*ccSide, error) {
	var sides [2]*ccSide
	st, ok := s.lookup(c.story)
	if !ok {
		return sides, catalog.Errorf("cc.err.story", c.story, DefaultCCStory)
	}
	var frame [2]diagram.PlotExtent // tsg, cwnd
	for i, prof := range ccProfiles {
		p := c.view.Params
		p.Profile = prof
		rn, err := s.runs.get(c.story, p, diagram.Options{}, st.run)
		if err != nil {
			return sides, err
		}
		sd := &ccSide{profile: prof, rn: rn}
		sd.sum, _ = engine.SummarizeTransfer(rn.tr)
		// Each run's own extent first; then both are laid out in the union of the two.
		o := diagram.PlotOptions{Width: width}
		frame[0] = frame[0].Union(diagram.BuildTSG(rn.tr, rn.layout, o).Extent)
		frame[1] = frame[1].Union(diagram.BuildCwnd(rn.tr, rn.layout, o).Extent)
		sides[i] = sd
	}
	// Both figures of both runs share one time axis; each kind its value scale.
	t := frame[0].Union(frame[1])
	frame[0].From, frame[0].Until = t.From, t.Until
	frame[1].From, frame[1].Until = t.From, t.Until
	for _, sd := range sides {
		sd.tsg = diagram.BuildTSG(sd.rn.tr, sd.rn.layout, diagram.PlotOptions{Width: width, Frame: frame[0]})
		sd.cwnd = diagram.BuildCwnd(sd.rn.tr, sd.rn.layout, diagram.PlotOptions{Width: width, Frame: frame[1]})
	}
	return sides, nil
}

// ccPlotWidth is the figures' width for a page: a phone's (width=narrow) or half a
// desktop page each.
func ccPlotWidth(q url.Values) float64 {
	if q.Get("width") == "narrow" {
		return diagram.NarrowWidth
	}
	return 600
}

func (s *Server) handleLabCC(w http.ResponseWriter, r *http.Request) {
	p := page(w, r, "", false)
	p.Title = catalog.In(p.Lang, "cc.title")
	q := r.URL.Query()
	p.FitWidth = q.Get("width") == ""
	c := parseCC(q, p.Lang)
	sides, err := s.buildCC(c, ccPlotWidth(q))
	if err != nil {
		httpFail(w, r, http.StatusBadRequest, "error.run", err)
		return
	}
	render(w, r, http.StatusOK, templates.LabCCPage(s.ccVM(p, c, sides, q)))
}

// handleLabCCPlot serves one profile's figure of the side-by-side as SVG, in the
// common frame: the page's figures for readers without scripts, and to download.
func (s *Server) handleLabCCPlot(w http.ResponseWriter, r *http.Request) {
	lang, _ := pickLang(r)
	q := r.URL.Query()
	kind := chi.URLParam(r, "kind")
	prof := q.Get("side")
	k := slices.Index(ccProfiles[:], prof)
	if k < 0 {
		httpError(w, r, http.StatusBadRequest, "cc.err.side", prof)
		return
	}
	q.Del("side")
	c := parseCC(q, lang)
	sides, err := s.buildCC(c, ccPlotWidth(q))
	if err != nil {
		httpFail(w, r, http.StatusBadRequest, "error.run", err)
		return
	}
	pl := sides[k].tsg
	if kind == "cwnd" {
		pl = sides[k].cwnd
	}
	var buf bytes.Buffer
	diagram.WritePlotSVG(&buf, pl, lang, -1)
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Write(buf.Bytes())
}

// ccVM is the side-by-side's view model.
func (s *Server) ccVM(p templates.Page, c ccView, sides [2]*ccSide, q url.Values) templates.LabCC {
	lang := p.Lang
	base := c.query()
	base.Set("lang", lang)
	vm := templates.LabCC{Page: p, Story: c.story, Stops: CCCursorStops}
	for _, pr := range c.view.Problems {
		vm.Problems = append(vm.Problems, pr.Text.In(lang))
	}
	for _, id := range ccStories {
		if st, ok := s.lookup(id); ok {
			vm.Stories = append(vm.Stories, templates.Option{Value: id, Label: st.title.In(lang), Selected: id == c.story})
		}
	}
	pa := c.view.Params
	vm.RTT = strconv.FormatFloat(float64(pa.RTT.Microseconds())/1000, 'g', -1, 64)
	vm.Seed = strconv.FormatUint(pa.Seed, 10)
	nq := url.Values{}
	networkQuery(pa, nq)
	vm.Loss, vm.Rate, vm.Queue = nq.Get("loss"), nq.Get("rate"), nq.Get("queue")
	lab := c.view.Query() // the lab takes the same knobs (not the story)
	lab.Del("profile")
	lab.Set("lang", lang)
	vm.LabURL = "/lab?" + lab.Encode()
	vm.ShareURL = "/lab/cc?" + base.Encode()
	data := map[string]any{}
	for _, sd := range sides {
		pq := c.view.Query()
		pq.Set("profile", sd.profile)
		pq.Set("lang", lang)
		title, about := catalog.In(lang, "cc.side.rfc"), catalog.In(lang, "cc.about.rfc")
		if sd.profile == "linux" {
			title, about = catalog.In(lang, "cc.side.linux"), catalog.In(lang, "cc.about.linux")
		}
		side := templates.CCSide{Profile: sd.profile, Title: title, About: about, PlayerURL: "/lessons/" + c.story + "?" + pq.Encode()}
		sq := maps.Clone(base)
		sq.Set("side", sd.profile)
		side.Figures = plotFigures(c.story, pq, sd.tsg, sd.cwnd, lang, p.T, func(kind string) string {
			return "/lab/cc/" + kind + ".svg?" + sq.Encode()
		})
		vm.Sides = append(vm.Sides, side)
		data[sd.profile] = map[string]*diagram.Plot{"tsg": sd.tsg, "cwnd": sd.cwnd}
	}
	vm.Rows, vm.Why = ccSummary(sides, lang)
	data["cursor"] = ccCursor(sides)
	vm.Data = data
	return vm
}

// ccStop is one stop of the time slider: where its line is and the time it reads.
type ccStop struct {
	X     float64 `json:"x"`
	Label string  `json:"l"`
}

// ccCursor gives the time slider its stops, evenly over the common time axis (every
// figure has the same x for the same instant: one frame, one width).
func ccCursor(sides [2]*ccSide) []ccStop {
	p := sides[0].tsg
	x0, x1 := p.Area[0], p.Area[2]
	fr := p.Frame
	out := make([]ccStop, CCCursorStops)
	for i := range out {
		f := float64(i) / float64(CCCursorStops-1)
		t := fr.From + tcp.Time(f*float64(fr.Until-fr.From))
		out[i] = ccStop{X: math.Round((x0+f*(x1-x0))*10) / 10, Label: strconv.FormatFloat(float64(t)/1e6, 'f', 3, 64)}
	}
	return out
}
