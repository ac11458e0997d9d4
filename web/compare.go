package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"synack/engine"
	"synack/engine/carry"
	"synack/engine/catalog"
	"synack/engine/diagram"
	"synack/engine/handshakes"
	"synack/templates"
)

// CompareView is the comparison at one RTT: what the page renders and /compare.json sends.
type CompareView struct {
	RTTms    int          `json:"rtt_ms"`
	Lose     bool         `json:"lose"`
	Problems []string     `json:"problems,omitempty"`
	Rows     []CompareRow `json:"rows"`
	// BarRTTs is the round trips the table's bars span (barScale), so the page's refresh
	// draws them as the server does.
	BarRTTs int `json:"bar_rtts"`
}

// CompareRow is one variant: its measured numbers, its drawing and a text transcript.
type CompareRow struct {
	carry.Result
	Title      string   `json:"title"`
	SVG        string   `json:"svg"`
	Transcript []string `json:"transcript"`
	PlayerURL  string   `json:"player_url"`
}

// parseCompare reads ?rtt= and ?lose=; a bad value is replaced by the default and said.
func parseCompare(q url.Values, lang string) (time.Duration, bool, []string) {
	var problems []string
	rtt := engine.DefaultParams().RTT
	if s := q.Get("rtt"); s != "" {
		var problem *engine.Text
		rtt, problem = parseRTT(s, rtt, handshakes.MinCompareRTT, handshakes.MaxCompareRTT)
		if problem != nil {
			problems = append(problems, problem.In(lang))
		}
		rtt = rtt.Round(time.Millisecond) // the slider moves in whole milliseconds
	}
	lose := false
	switch s := q.Get("lose"); s {
	case "", "0", "false", "off":
	case "1", "true", "on":
		lose = true
	default:
		problems = append(problems, catalog.F("param.lose.bad", s).In(lang))
	}
	return rtt, lose, problems
}

// buildCompare runs every variant and draws it.
func buildCompare(rtt time.Duration, lose bool, lang string) (CompareView, error) {
	rows, err := handshakes.Compare(rtt, lose)
	if err != nil {
		return CompareView{}, err
	}
	v := CompareView{RTTms: int(rtt / time.Millisecond), Lose: lose}
	var slowest int64
	for _, r := range rows {
		slowest = max(slowest, r.FirstByteAtUs)
	}
	scale := diagram.ColumnScale(slowest)
	for _, r := range rows {
		q := url.Values{"rtt": {fmt.Sprintf("%dms", v.RTTms)}, "lang": {lang}}
		cr := CompareRow{Result: r.Result, Title: r.Title.In(lang), PlayerURL: "/lessons/" + r.ID + "?" + q.Encode()}
		var svg bytes.Buffer
		cr.Transcript = diagram.WriteColumn(&svg, r.Trace, diagram.ColumnOptions{RequestUs: r.RequestAtUs, FirstByteUs: r.FirstByteAtUs,
			RTT: rtt, PxPerUs: scale, Title: cr.Title, Lang: lang})
		cr.SVG = svg.String()
		v.Rows = append(v.Rows, cr)
	}
	v.BarRTTs = barScale(v.Rows)
	return v, nil
}

func (s *Server) handleCompare(embed bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { s.compare(w, r, embed) }
}

// compare renders the comparison; embedded, for a course page's iframe, it has no site
// navigation and links back to the full page.
func (s *Server) compare(w http.ResponseWriter, r *http.Request, embed bool) {
	p := page(w, r, catalog.In(mustLang(r), "compare.title"), embed)
	rtt, lose, problems := parseCompare(r.URL.Query(), p.Lang)
	v, err := buildCompare(rtt, lose, p.Lang)
	if err != nil {
		httpFail(w, r, http.StatusBadRequest, "error.compare", err)
		return
	}
	v.Problems = problems
	vm := toCompareVM(p, v)
	for i := range vm.Rows {
		if ls := s.tellers(vm.Rows[i].ID); len(ls) > 0 {
			vm.Rows[i].LessonURL, vm.Rows[i].LessonTitle = "/lessons/"+ls[0].ID+"?lang="+p.Lang, ls[0].Title.In(p.Lang)
		}
	}
	q := url.Values{"rtt": {fmt.Sprintf("%dms", v.RTTms)}, "lang": {p.Lang}}
	if lose {
		q.Set("lose", "1")
	}
	vm.OpenURL = "/compare?" + q.Encode()
	render(w, r, http.StatusOK, templates.ComparePage(vm))
}

func (s *Server) handleCompareJSON(w http.ResponseWriter, r *http.Request) {
	lang, _ := pickLang(r)
	rtt, lose, problems := parseCompare(r.URL.Query(), lang)
	v, err := buildCompare(rtt, lose, lang)
	if err != nil {
		httpFail(w, r, http.StatusBadRequest, "error.compare", err)
		return
	}
	v.Problems = problems
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// barScale is the round trips the table's bars span: the slowest row's, rounded up, and at
// least MinBarRTTs so a fast run does not fill the bars.
func barScale(rows []CompareRow) int {
	m := MinBarRTTs
	for _, r := range rows {
		m = max(m, int(math.Ceil(r.RTTsToFirstResponseByte-1e-9)))
	}
	return m
}

// MinBarRTTs is the shortest scale of the table's round-trip bars.
const MinBarRTTs = 4

func mustLang(r *http.Request) string {
	l, _ := pickLang(r)
	return l
}

func toCompareVM(p templates.Page, v CompareView) templates.Compare {
	c := templates.Compare{Page: p, RTTms: v.RTTms, Lose: v.Lose, Problems: v.Problems,
		MinRTTms: int(handshakes.MinCompareRTT / time.Millisecond), MaxRTTms: int(handshakes.MaxCompareRTT / time.Millisecond)}
	for _, r := range v.Rows {
		c.Rows = append(c.Rows, templates.CompareRow{
			Bar: fmt.Sprintf("--r:%.3f;--m:%d", r.RTTsToFirstResponseByte, v.BarRTTs),
			ID:  r.ID, Title: r.Title, Modelled: r.Modelled,
			Packets: strconv.Itoa(r.HandshakePackets), Before: fmt.Sprintf("%.2f", r.RTTsBeforeRequest),
			First: fmt.Sprintf("%.2f", r.RTTsToFirstResponseByte), Bytes: strconv.Itoa(r.HandshakeBytes),
			FirstMs: fmt.Sprintf("%.0f", float64(r.FirstByteAtUs)/1000), SVG: r.SVG, Transcript: r.Transcript, PlayerURL: r.PlayerURL,
		})
	}
	return c
}
