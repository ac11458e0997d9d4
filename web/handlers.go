package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"synack/engine"
	"synack/engine/capture"
	"synack/engine/catalog"
	"synack/engine/diagram"
	"synack/engine/tcp"
	"synack/lessons"
	"synack/static"
	"synack/templates"
)

var _ embed.FS

func staticHandler() http.Handler {
	sub, _ := fs.Sub(static.FS, ".")
	fsrv := http.StripPrefix("/static/", http.FileServer(http.FS(sub)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Files only: a directory is not listed (and not redirected to a listing).
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if st, err := fs.Stat(sub, strings.TrimSuffix(name, "/")); name == "" || strings.HasSuffix(name, "/") || err != nil || st.IsDir() {
			notFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		fsrv.ServeHTTP(w, r)
	})
}

// page builds the common view model and remembers an explicit language choice.
func page(w http.ResponseWriter, r *http.Request, title string, embed bool) templates.Page {
	lang, explicit := pickLang(r)
	if explicit {
		http.SetCookie(w, &http.Cookie{Name: LangCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode})
	}
	q := r.URL.Query()
	other := "zh"
	if lang == "zh" {
		other = "en"
	}
	q.Set("lang", other)
	return templates.Page{Lang: lang, Title: title, Embed: embed,
		OtherLangURL: r.URL.Path + "?" + q.Encode(), View: compactView(r, embed),
		T: func(k string) string { return catalog.In(lang, k) }}
}

func render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		httpError(w, r, http.StatusInternalServerError, "error.render")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	p := page(w, r, "synack", false)
	v := templates.Index{Page: p, Groups: s.catalogue(p.Lang, s.thumbs())}
	render(w, r, http.StatusOK, templates.IndexPage(v))
}

// Thumbnail size of a catalogue card's picture, in px (the card stretches it to its
// width).
const thumbW, thumbH = 240, 96

// drawThumbs draws the catalogue's pictures: each lesson's and story's default run, as
// its page first shows it. A story that fails to run gets no picture (its page says why).
func (s *Server) drawThumbs() map[string]string {
	out := map[string]string{}
	add := func(id string, run func(engine.Params) (*engine.Trace, error)) {
		if _, ok := out[id]; ok {
			return
		}
		tr, err := run(engine.DefaultParams())
		if err != nil {
			s.log.Warn("catalogue picture", "story", id, "err", err)
			return
		}
		out[id] = diagram.Thumbnail(diagram.Build(tr, diagram.Options{}), thumbW, thumbH)
	}
	for _, l := range s.cfg.Lessons.All() {
		add(l.ID, l.Run)
	}
	for _, sc := range s.cfg.Stories.Stories() {
		if st, ok := s.lookup(sc.ID); ok {
			add(sc.ID, st.run)
		}
	}
	return out
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	p := page(w, r, "404", false)
	render(w, r, http.StatusNotFound, templates.NotFoundPage(templates.NotFound{Page: p}))
}

// story is what /lessons/{id} shows: a lesson, or a bare scenario.
type story struct {
	title   engine.Text
	summary engine.Text
	lesson  *lessons.Lesson
	run     func(engine.Params) (*engine.Trace, error)
}

func (s *Server) lookup(id string) (story, bool) {
	if l, ok := s.cfg.Lessons.Get(id); ok {
		return story{title: l.Title, summary: l.Summary, lesson: l, run: l.Run}, true
	}
	if st, ok := s.cfg.Stories.Lookup(id); ok {
		return story{title: st.Title, summary: st.Summary, run: func(p engine.Params) (*engine.Trace, error) { return s.cfg.Stories.Run(id, p) }}, true
	}
	return story{}, false
}

// LessonBoot is a lesson as the player's script gets it: narration and questions placed on
// the layout's steps, in the reader's language.
type LessonBoot struct {
	Intro     string           `json:"intro"` // shown before the first narration step
	Steps     []LessonStep     `json:"steps"`
	Questions []LessonQuestion `json:"questions"`
	Sources   string           `json:"sources"` // the RFC sections and Linux sources the lesson relies on
	// Omitted says why a step or question of the lesson is not shown on this run.
	Omitted []string `json:"omitted,omitempty"`
}

// LessonStep is narration shown from Step on.
type LessonStep struct {
	Step int    `json:"step"`
	Text string `json:"text"`
	// Links are lessons the narration points to (an imported connection's anomalies).
	Links []LessonLink `json:"links,omitempty"`
}

// LessonLink is a link a narration step shows after its text.
type LessonLink struct {
	URL  string `json:"url"`
	Text string `json:"text"`
}

// LessonQuestion is asked before Step is shown: the player pauses with the steps before
// it drawn, none of which gives the answer away. Reveal is the step that does.
type LessonQuestion struct {
	Step    int      `json:"step"`
	Reveal  int      `json:"reveal"`
	Ask     string   `json:"ask"`
	Choices []string `json:"choices"`
	Answer  string   `json:"answer"`
	Explain string   `json:"explain"`
}

// placeLesson resolves a lesson on this run.
func placeLesson(les *lessons.Lesson, tr *engine.Trace, l *diagram.Layout, p engine.Params, lang string) *LessonBoot {
	pl := les.Place(tr, l, p)
	b := &LessonBoot{Intro: les.Summary.In(lang), Sources: pl.Sources.In(lang)}
	for _, st := range pl.Steps {
		b.Steps = append(b.Steps, LessonStep{Step: st.Step, Text: st.Text.In(lang)})
	}
	for _, o := range pl.Omitted {
		b.Omitted = append(b.Omitted, o.Why.In(lang))
	}
	for _, q := range pl.Questions {
		b.Questions = append(b.Questions, LessonQuestion{Step: q.Step, Reveal: q.Reveal, Ask: q.Ask.In(lang), Choices: q.Choices,
			Answer: q.Answer, Explain: q.Explain.In(lang)})
	}
	return b
}

var speeds = []float64{0.25, 0.5, 1, 2, 4, 8}

// storyStart is the step a page opens at when its address names none: the lesson's
// first narrated step, or the first arrow if that comes later (or there is no
// narration), so the first screen already shows a segment — but never at or past the
// first question's step, so nothing a question asks about is drawn before it is asked.
func storyStart(l *diagram.Layout, lb *LessonBoot) int {
	start := -1
	if lb != nil && len(lb.Steps) > 0 {
		start = lb.Steps[0].Step
	}
	for _, st := range l.Steps {
		if st.Kind == "segment" {
			start = max(start, st.Index)
			break
		}
	}
	if lb != nil {
		for _, q := range lb.Questions {
			if q.Step <= start {
				start = q.Step - 1
			}
		}
	}
	return min(max(start, 0), max(len(l.Steps)-1, 0))
}

// maxInlineLayout is the largest layout (JSON bytes) sent inside the page.
const maxInlineLayout = 48 << 10

// Boot is the data the player's script starts from.
type Boot struct {
	Mode     string            `json:"mode"` // "player" or "lab"
	Scenario string            `json:"scenario,omitempty"`
	Query    string            `json:"query,omitempty"` // the view's parameters, for the socket's start command
	Step     int               `json:"step"`            // the first step shown, counted from 0
	Speed    float64           `json:"speed"`
	Autoplay bool              `json:"autoplay"`
	Relative bool              `json:"relative"`
	Lang     string            `json:"lang"`
	Embed    bool              `json:"embed"`
	Strings  map[string]string `json:"strings"`
	Layout   *diagram.Layout   `json:"layout,omitempty"`
	Lesson   *LessonBoot       `json:"lesson,omitempty"`
	Tcpdump  []TcpdumpLine     `json:"tcpdump,omitempty"`
	// StateFigure is RFC 9293's Figure 5 as the state panel draws it: in the page, so the
	// panel is drawn at once, with no request and no shift when it arrives.
	StateFigure *diagram.StateFigure `json:"stateFigure,omitempty"`
	// Class is set on a classroom's view of the player.
	Class *ClassBoot `json:"class,omitempty"`
	// InitialStates is each end's state before the first step, where it is not CLOSED
	// (an imported connection's server was already listening).
	InitialStates map[string]string `json:"initialStates,omitempty"`
}

// TcpdumpLine is one segment as tcpdump prints it, with -S (Abs) and without (Rel).
type TcpdumpLine struct {
	Step int    `json:"step"`
	Abs  string `json:"abs"`
	Rel  string `json:"rel"`
}

// tcpdumpLines gives the run's segments as tcpdump prints them, each at its layout step.
func tcpdumpLines(tr *engine.Trace, l *diagram.Layout) ([]templates.Line, []TcpdumpLine) {
	abs, rel := tr.TcpdumpLines(false), tr.TcpdumpLines(true)
	var lines []templates.Line
	var boot []TcpdumpLine
	for _, st := range l.Steps {
		if st.Kind != "segment" {
			continue
		}
		lines = append(lines, templates.Line{Index: st.Index, Text: abs[st.Segment]})
		boot = append(boot, TcpdumpLine{Step: st.Index, Abs: abs[st.Segment], Rel: rel[st.Segment]})
	}
	return lines, boot
}

// handlePlayer is the player's page: the story's run (from the run cache the page's
// socket and exports share) drawn at its first step, with the view model built by
// playerView.
func (s *Server) handlePlayer(embed bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		st, ok := s.lookup(id)
		if !ok {
			s.handleNotFound(w, r)
			return
		}
		p := page(w, r, "", embed)
		p.Title = st.title.In(p.Lang)
		v, rn, err := s.runView(id, st, r.URL.Query(), p.Lang)
		if err != nil {
			httpFail(w, r, http.StatusBadRequest, "error.run", err)
			return
		}
		vm := s.playerView(r, id, st, p, v, rn)
		render(w, r, http.StatusOK, templates.PlayerPage(vm))
	}
}

// playerView is the player page's view model for story id's run rn, seen as v.
func (s *Server) playerView(r *http.Request, id string, st story, p templates.Page, v View, rn *run) templates.Player {
	tr, l := rn.tr, rn.layout
	// The diagram's width is part of the view: width=narrow (which the page asks for
	// itself on a phone, before its first paint) lays the lanes out for a small screen.
	dq := url.Values{}
	for _, k := range []string{"width", "expand"} {
		if x := r.URL.Query().Get(k); x != "" {
			dq.Set(k, x)
		}
	}
	p.FitWidth = dq.Get("width") == ""
	var lb *LessonBoot
	if st.lesson != nil {
		lb = placeLesson(st.lesson, tr, l, v.Params, p.Lang)
	}
	start := firstStep(&v, l, lb)
	vm := playerBase(p, id, st, v, rn, start)
	q := v.Query()
	q.Del("step")
	q.Del("speed")
	vm.SVGURL = "/lessons/" + id + "/diagram.svg?" + q.Encode()
	vm.PcapURL = "/lessons/" + id + "/capture.pcap?" + q.Encode()
	vm.PcapngURL = "/lessons/" + id + "/capture.pcapng?" + q.Encode()
	vm.OpenURL = "/lessons/" + id + "?" + v.Query().Encode()
	var tcpdump []TcpdumpLine
	vm.Tcpdump, tcpdump = tcpdumpLines(tr, l)
	// The socket lays the run out as the page did, so the player adopts the page's drawing.
	sq := maps.Clone(q) // q stays the export links' query
	for k, x := range dq {
		sq[k] = x
	}
	boot := Boot{Mode: "player", Tcpdump: tcpdump, Scenario: id, Query: sq.Encode(), Step: start, Speed: v.Speed, Autoplay: v.Autoplay,
		Relative: v.Relative, Lang: p.Lang, Embed: p.Embed, Strings: pageStrings(p.Lang)}
	// A small layout travels in the page, so the player starts its clock without
	// waiting for the socket; a big one (a flood) comes over the socket only.
	if b, err := json.Marshal(l); err == nil && len(b) <= maxInlineLayout {
		boot.Layout = l
	}
	expandLink(r, l, dq.Get("expand") == "1", p.Lang, &vm)
	if plotStories[tr.Meta.Scenario] {
		plotsView(r, rn, id, p, dq.Get("expand") == "1", &vm) // the data phase's figures (plots.go)
	}
	if !vm.NoStates {
		fig := diagram.StateMachine(p.Lang)
		boot.StateFigure = &fig
	}
	if st.lesson == nil {
		for _, l := range s.tellers(id) {
			vm.Tellers = append(vm.Tellers, templates.Card{ID: l.ID, Title: l.Title.In(p.Lang), URL: "/lessons/" + l.ID + "?lang=" + p.Lang})
		}
	}
	if lb != nil {
		boot.Lesson = lb
		s.lessonView(&vm, id, st.lesson, lb, v, start)
	}
	classify(r, &vm, &boot) // a classroom's view of the player (class.go)
	vm.Boot = boot
	shareLinks(r, &vm, id, q)
	return vm
}

// firstStep is the step the page opens at: the address's, else where the story starts.
// Its first paint is that step, and the live player goes on from there. A step past
// the run's end shows the last, with a note in v's problems.
func firstStep(v *View, l *diagram.Layout, lb *LessonBoot) int {
	start := min(max(v.Step, 0), max(len(l.Steps)-1, 0))
	if v.Step < 0 {
		start = storyStart(l, lb)
	} else if v.Step > start {
		// The README's promise: a bad value is clamped with a visible note.
		v.Problems = append(v.Problems, Problem{Param: "step", Text: catalog.F("param.step.high", v.Step+1, len(l.Steps))})
	}
	return start
}

// playerBase is the part of the player's view model every story has: the live
// diagram's DOM at the first step (the player adopts it: nothing is replaced and
// nothing moves), the parameters and the transcript.
func playerBase(p templates.Page, id string, st story, v View, rn *run, start int) templates.Player {
	tr, l := rn.tr, rn.layout
	var svg bytes.Buffer
	diagram.WriteLive(&svg, l, diagram.LiveOptions{Step: start, Lang: p.Lang, Relative: v.Relative, Title: p.Title})
	vm := templates.Player{Page: p, ID: id, Title: p.Title, Summary: st.summary.In(p.Lang), Lang: p.Lang,
		RTTms: strconv.FormatFloat(float64(v.Params.RTT)/float64(time.Millisecond), 'g', -1, 64),
		Seed:  strconv.FormatUint(v.Params.Seed, 10), SVG: templ.Raw(svg.String()), Steps: len(l.Steps),
		StepText: fmt.Sprintf("%s %d %s %d", catalog.In(p.Lang, "player.step"), start+1, catalog.In(p.Lang, "player.of"), len(l.Steps)),
		Lanes:    laneHeads(l, p.Lang), Speeds: speedOptions(v.Speed), NoStates: true,
		OpensOnSegment: start < len(l.Steps) && l.Steps[start].Kind == "segment"}
	for _, e := range tr.Scan() {
		if e.Kind == tcp.EventState {
			vm.NoStates = false
			break
		}
	}
	drops := make([]string, len(v.Params.Drop))
	for i, d := range v.Params.Drop {
		drops[i] = strconv.Itoa(d)
	}
	vm.Drop = strings.Join(drops, ",")
	for _, pr := range v.Problems {
		vm.Problems = append(vm.Problems, pr.Text.In(p.Lang))
	}
	for _, name := range tcp.ProfileNames {
		vm.Profiles = append(vm.Profiles, templates.Option{Value: name, Label: catalog.In(p.Lang, "profile."+name), Selected: name == v.Params.Profile})
		if name == v.Params.Profile {
			vm.ProfileLabel = catalog.In(p.Lang, "profile."+name)
		}
	}
	for i, line := range diagram.Transcript(l, p.Lang) {
		v.Step = i
		ln := templates.Line{Index: i, Text: line, URL: "/lessons/" + id + "?" + v.Query().Encode()}
		switch {
		case i == start:
			ln.Class = "current"
		case i > start:
			ln.Class = "future"
		}
		vm.Lines = append(vm.Lines, ln)
	}
	return vm
}

// expandLink offers a flood's bundles opened (the same view with expand=1), or closed
// again when expanded is set.
func expandLink(r *http.Request, l *diagram.Layout, expanded bool, lang string, vm *templates.Player) {
	bundled := false
	for i := range l.Items {
		if l.Items[i].Kind == "bundle" {
			bundled = true
			break
		}
	}
	if !bundled && !expanded {
		return
	}
	eq := r.URL.Query()
	eq.Del("step")
	if bundled {
		eq.Set("expand", "1")
		vm.ExpandNote, vm.ExpandLink = catalog.In(lang, "player.bundled"), catalog.In(lang, "player.expand")
	} else {
		eq.Del("expand")
		vm.ExpandNote, vm.ExpandLink = catalog.In(lang, "player.expanded"), catalog.In(lang, "player.bundle")
	}
	vm.ExpandURL = r.URL.Path + "?" + eq.Encode()
}

// lessonView adds a lesson's narration, questions and related pages to the view model.
func (s *Server) lessonView(vm *templates.Player, id string, les *lessons.Lesson, lb *LessonBoot, v View, start int) {
	lang := vm.Lang
	vm.StatesLarge = les.StatesLarge
	vm.NarrationNow = lb.Intro
	vm.Sources = lb.Sources
	vm.Omitted = lb.Omitted
	for _, n := range lb.Steps {
		if n.Step <= start {
			vm.NarrationNow = n.Text
		}
		v.Step = n.Step
		vm.Narration = append(vm.Narration, templates.Line{Index: n.Step, Text: n.Text, URL: "/lessons/" + id + "?" + v.Query().Encode()})
	}
	for _, qq := range lb.Questions {
		vm.Questions = append(vm.Questions, templates.QuestionView{Step: qq.Step, Ask: qq.Ask, Choices: qq.Choices, Answer: qq.Answer, Explain: qq.Explain})
	}
	for _, rid := range les.Related {
		// A lesson, or a story told without one (the loader checked it is either).
		if rs, ok := s.lookup(rid); ok {
			vm.Related = append(vm.Related, templates.Card{ID: rid, Title: rs.title.In(lang), URL: "/lessons/" + rid + "?lang=" + lang})
		}
	}
}

// laneHeads places the lane names above the diagram, in percent of its width, so they
// stay in view while the diagram scrolls.
// laneHeads are the lane names that stay in view while the diagram scrolls, in the
// page's language.
func laneHeads(l *diagram.Layout, lang string) []templates.LaneHead {
	var out []templates.LaneHead
	for _, ln := range l.Lanes {
		if l.Width <= 0 {
			break
		}
		out = append(out, templates.LaneHead{Name: diagram.LaneText(ln.Name).In(lang), Addr: ln.Addr, Left: strconv.FormatFloat(100*ln.X/l.Width, 'f', 2, 64) + "%"})
	}
	return out
}

func speedOptions(chosen float64) []templates.Option {
	var out []templates.Option
	for _, sp := range speeds {
		f := strconv.FormatFloat(sp, 'g', -1, 64)
		out = append(out, templates.Option{Value: f, Label: f + "×", Selected: sp == chosen})
	}
	return out
}

func (s *Server) handleLab(w http.ResponseWriter, r *http.Request) { s.lab(w, r, false) }

func (s *Server) lab(w http.ResponseWriter, r *http.Request, embed bool) {
	p := page(w, r, "", embed)
	p.Title = catalog.In(p.Lang, "lab.title")
	v := ParseView(r.URL.Query(), p.Lang, EngineBounds())
	q := v.Query()
	q.Del("step")
	if x := r.URL.Query().Get("width"); x != "" {
		q.Set("width", x) // the socket lays the lab out as wide as the page asked
	} else {
		p.FitWidth = true
	}
	lv := templates.Lab{Page: p, Speeds: speedOptions(v.Speed),
		Boot: Boot{Mode: "lab", Query: q.Encode(), Step: -1, Speed: v.Speed, Lang: p.Lang, Embed: embed, Strings: pageStrings(p.Lang)}}
	lv.Loss, lv.Rate, lv.Queue = q.Get("loss"), q.Get("rate"), q.Get("queue") // the network knobs (network.go)
	lv.CCURL = ccLink("", r.URL.Query(), p.Lang)
	render(w, r, http.StatusOK, templates.LabPage(lv))
}

// runView reads the view of story id (st) from a query, its parameters validated and
// fitted to the story's lesson, and returns it with its run: simulated at most once
// while it stays in the run cache, which the page, its exports and its socket share.
func (s *Server) runView(id string, st story, q url.Values, lang string) (View, *run, error) {
	v := ParseView(q, lang, LessonBounds(st.lesson))
	rn, err := s.runs.get(id, v.Params, DiagramOptions(q), st.run)
	return v, rn, err
}

// runFor is runView for an export's request: it answers 404 or 400 itself when there is
// nothing to export.
func (s *Server) runFor(w http.ResponseWriter, r *http.Request) (story, View, *run, bool) {
	id := chi.URLParam(r, "id")
	lang, _ := pickLang(r)
	st, ok := s.lookup(id)
	if !ok {
		httpError(w, r, http.StatusNotFound, "error.notfound.id", id)
		return story{}, View{}, nil, false
	}
	v, rn, err := s.runView(id, st, r.URL.Query(), lang)
	if err != nil {
		httpFail(w, r, http.StatusBadRequest, "error.run", err)
		return st, v, nil, false
	}
	return st, v, rn, true
}

// DiagramOptions reads how a diagram is laid out from a query: width=narrow (a phone's
// two lanes, diagram.NarrowWidth) or a width in px (300 to 1600), and expand=1 (every
// segment of a flood drawn, not bundled). A bad value is ignored: the default layout.
func DiagramOptions(q url.Values) diagram.Options {
	var o diagram.Options
	switch w := q.Get("width"); w {
	case "":
	case "narrow":
		o.Width = diagram.NarrowWidth
	default:
		if n, err := strconv.Atoi(w); err == nil && n >= 300 && n <= 1600 {
			o.Width = float64(n)
		}
	}
	o.Expand = q.Get("expand") == "1"
	return o
}

// drawnUpTo is the last step a still drawing (SVG, PNG) shows: the view's step when the
// layout has it, else -1 for the whole story.
func drawnUpTo(v View, l *diagram.Layout) int {
	if v.Step >= 0 && v.Step < len(l.Steps) {
		return v.Step
	}
	return -1
}

func (s *Server) handleSVG(w http.ResponseWriter, r *http.Request) {
	st, v, rn, ok := s.runFor(w, r)
	if !ok {
		return
	}
	l := rn.layout
	upTo := drawnUpTo(v, l)
	var buf bytes.Buffer
	diagram.WriteSVG(&buf, l, diagram.SVGOptions{Lang: v.Lang, Relative: v.Relative, UpTo: upTo, Title: st.title.In(v.Lang)})
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Write(buf.Bytes())
}

// captureFormat is one way of exporting a run as a capture file.
type captureFormat struct {
	ext, contentType string
	write            func(io.Writer, *engine.Trace) error
}

var (
	pcapFormat = captureFormat{ext: "pcap", contentType: "application/vnd.tcpdump.pcap", write: capture.WritePCAP}
	// pcapng embeds a TLS or QUIC run's key log in a Decryption Secrets Block, so
	// Wireshark shows the handshake decrypted.
	pcapngFormat = captureFormat{ext: "pcapng", contentType: "application/x-pcapng",
		write: func(w io.Writer, tr *engine.Trace) error { return capture.WritePCAPNG(w, tr, []byte(tr.Meta.KeyLog)) }}
)

// handleCapture exports the run as a capture file in format f.
func (s *Server) handleCapture(f captureFormat) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _, rn, ok := s.runFor(w, r)
		if !ok {
			return
		}
		var buf bytes.Buffer
		if err := f.write(&buf, rn.tr); err != nil {
			httpError(w, r, http.StatusInternalServerError, "error.capture")
			return
		}
		w.Header().Set("Content-Type", f.contentType)
		w.Header().Set("Content-Disposition", `attachment; filename="`+url.PathEscape(rn.tr.Meta.Scenario)+"."+f.ext+`"`)
		w.Write(buf.Bytes())
	}
}

var errClosing = errors.New("server shutting down")
