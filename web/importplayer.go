package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"synack/engine"
	"synack/engine/catalog"
	"synack/engine/diagram"
	"synack/engine/passive"
	"synack/engine/tcp"
	"synack/templates"
)

// An imported connection opens in the player stories use: the diagram, the inspector
// with the bytes as captured, the tcpdump view, the state figure, and narration that
// names each anomaly where it happens with the lesson that explains it. Its run is
// built from the upload (never simulated) and kept in a cache of its own, under the
// upload's unguessable id: a page and its socket share it, nobody else can name it.

// ImportRunEntries bounds the imported connections kept laid out for the player (each
// holds its trace, layout and captured bytes); the least recently used goes first.
const ImportRunEntries = 16

// importScenarioPrefix starts the name a player's socket asks for an imported
// connection by: "import/{upload}/{conn}".
const importScenarioPrefix = "import/"

func isImportScenario(id string) bool { return strings.HasPrefix(id, importScenarioPrefix) }

// parseImportScenario reads "import/{upload}/{conn}".
func parseImportScenario(id string) (up string, n int, ok bool) {
	rest, ok := strings.CutPrefix(id, importScenarioPrefix)
	if !ok {
		return "", 0, false
	}
	up, ns, ok := strings.Cut(rest, "/")
	if !ok {
		return "", 0, false
	}
	n, err := strconv.Atoi(ns)
	return up, n, err == nil && n >= 0
}

// errImportGone is an upload no longer in the cache (or a connection it does not have).
var errImportGone = errors.New("this upload is no longer here: upload the file again")

// importRun returns connection n of upload up laid out with o, read from the upload at
// most once while it stays in the cache.
func (s *Server) importRun(ctx context.Context, up string, n int, o diagram.Options) (*run, error) {
	e, ok := s.imports.get(up)
	if !ok || n < 0 || n >= e.conns {
		return nil, errImportGone
	}
	key := fmt.Sprintf("%s/%d\x00%g\x00%v", up, n, o.Width, o.Expand)
	return s.importRuns.getRun(key, func() (*run, error) {
		res, err := readUpload(ctx, e.data, n)
		if err != nil {
			return nil, fmt.Errorf("the upload no longer reads: %w", err)
		}
		if n >= len(res.Conns) {
			return nil, errImportGone
		}
		c := res.Conns[n]
		r := newRun(c.Trace(res.KeyLog), o)
		frames := make([][]byte, len(c.Frames)) // segment ID i+1 is frame i
		for i, f := range c.Frames {
			frames[i] = f.IP
		}
		r.raw = func(id int) []byte {
			if id < 1 || id > len(frames) {
				return nil
			}
			return frames[id-1]
		}
		return r, nil
	})
}

// startImport is the socket's start command for an imported connection: as a story's,
// the layout (unless the page brought it) and the steps the page needs first.
func (ss *session) startImport(ctx context.Context, m clientMsg) error {
	up, n, ok := parseImportScenario(m.Scenario)
	if !ok {
		return fmt.Errorf("unknown imported connection %q", m.Scenario)
	}
	q, err := url.ParseQuery(m.Query)
	if err != nil {
		return fmt.Errorf("bad query: %v", err)
	}
	r, err := ss.s.importRun(ctx, up, n, DiagramOptions(q))
	if err != nil {
		return err
	}
	ss.begin(ctx, r, m)
	return nil
}

// anomalyByKey is the anomaly a trace note "capture-<key>" names.
func anomalyByKey(key string) (passive.Anomaly, bool) {
	for a := passive.Anomaly(0); a < passive.NumAnomalies; a++ {
		if a.Key() == key {
			return a, true
		}
	}
	return 0, false
}

// importNarration tells an imported connection: an introduction on its first step,
// then, on the arrow of each packet Wireshark's TCP analysis would flag, what the flag
// means, with the lesson that explains it.
func (s *Server) importNarration(tr *engine.Trace, l *diagram.Layout, title string, lang string) *LessonBoot {
	segs := len(tr.Segments())
	intro := catalog.F("import.conn.intro", title, segs).In(lang)
	lb := &LessonBoot{Intro: intro, Steps: []LessonStep{{Step: 0, Text: intro}}, Questions: []LessonQuestion{}}
	lastSeg := -1
	for _, st := range l.Steps {
		switch st.Kind {
		case "segment":
			lastSeg = st.Index
			continue
		case "note":
		default:
			continue
		}
		e := tr.Event(st.Event)
		key, ok := strings.CutPrefix(e.Note, "capture-")
		a, known := anomalyByKey(key)
		if !ok || !known {
			continue
		}
		var frame int
		fmt.Sscanf(e.Detail, "frame %d", &frame)
		at := st.Index
		if lastSeg >= 0 && l.Steps[lastSeg].AtUs == st.AtUs {
			at = lastSeg // on the packet's own arrow: its notes come at the same instant
		}
		text := catalog.F("import.why."+key, frame).In(lang)
		var links []LessonLink
		var flags tcp.Flags
		if lastSeg >= 0 {
			if se := tr.Event(l.Steps[lastSeg].Event); se.Kind == tcp.EventSegment {
				flags = se.Segment.Seg.Flags
			}
		}
		if id := packetLesson(a, flags); id != "" {
			if les, ok := s.lookup(id); ok {
				links = append(links, LessonLink{URL: "/lessons/" + id + "?lang=" + lang, Text: catalog.F("import.lessonlink", les.title.In(lang)).In(lang)})
			}
		}
		if n := len(lb.Steps); lb.Steps[n-1].Step == at {
			// A second flag on the same packet: one narration says both.
			prev := &lb.Steps[n-1]
			prev.Text += " " + text
			for _, k := range links {
				if !slices.ContainsFunc(prev.Links, func(l LessonLink) bool { return l.URL == k.URL }) {
					prev.Links = append(prev.Links, k)
				}
			}
			continue
		}
		lb.Steps = append(lb.Steps, LessonStep{Step: at, Text: text, Links: links})
	}
	return lb
}

// packetLesson is the lesson that explains anomaly a on a packet with flags: a
// retransmitted SYN is a connect() waiting (connect-timeout), a SYN-ACK the server's
// side of it (syn-ack-lost), a FIN the lost last ACK of a close (time-wait); the rest
// as the connection list says (anomalyLessons).
func packetLesson(a passive.Anomaly, flags tcp.Flags) string {
	if a == passive.Retransmission || a == passive.SpuriousRetransmission {
		switch {
		case flags&(tcp.SYN|tcp.ACK) == tcp.SYN|tcp.ACK:
			return "syn-ack-lost"
		case flags&tcp.SYN != 0:
			return "connect-timeout"
		case flags&tcp.FIN != 0:
			return "time-wait"
		}
	}
	return anomalyLessons[a]
}

// handleImportConn opens connection {conn} of upload {upload} in the player.
func (s *Server) handleImportConn(w http.ResponseWriter, r *http.Request) {
	p := page(w, r, "", false)
	w.Header().Set("Cache-Control", "no-store")
	up := chi.URLParam(r, "upload")
	n, err := strconv.Atoi(chi.URLParam(r, "conn"))
	if err != nil {
		n = -1
	}
	q := r.URL.Query()
	rn, err := s.importRun(r.Context(), up, n, DiagramOptions(q))
	if err != nil {
		p.Title = catalog.In(p.Lang, "import.gone")
		status := http.StatusNotFound
		if !errors.Is(err, errImportGone) {
			status = http.StatusUnprocessableEntity
		}
		render(w, r, status, templates.ImportGonePage(p))
		return
	}
	tr, l := rn.tr, rn.layout
	var addrs []string
	for _, ep := range tr.Meta.Endpoints {
		addrs = append(addrs, ep.Addr)
	}
	title := strings.Join(addrs, " ↔ ")
	p.Title = title
	base := "/import/" + up + "/" + strconv.Itoa(n)
	dq := url.Values{}
	for _, k := range []string{"width", "expand"} {
		if x := q.Get(k); x != "" {
			dq.Set(k, x)
		}
	}
	p.FitWidth = dq.Get("width") == ""
	lb := s.importNarration(tr, l, title, p.Lang)
	start := storyStart(l, nil) // the first arrow
	if st, err := strconv.Atoi(q.Get("step")); err == nil && st >= 1 && st <= len(l.Steps) {
		start = st - 1
	}
	relative := q.Get("numbers") == "relative"
	speed := 1.0
	if x, err := strconv.ParseFloat(q.Get("speed"), 64); err == nil && slices.Contains(speeds, x) {
		speed = x
	}
	var svg bytes.Buffer
	diagram.WriteLive(&svg, l, diagram.LiveOptions{Step: start, Lang: p.Lang, Relative: relative, Title: title})
	vm := templates.Player{Page: p, ID: "import", Title: title, Summary: lb.Intro, Lang: p.Lang, Import: true,
		SVG: templ.Raw(svg.String()), Steps: len(l.Steps), Lanes: laneHeads(l, p.Lang), Speeds: speedOptions(speed),
		StepText: fmt.Sprintf("%s %d %s %d", catalog.In(p.Lang, "player.step"), start+1, catalog.In(p.Lang, "player.of"), len(l.Steps))}
	vm.NoStates = true
	for _, e := range tr.Scan() {
		if e.Kind == tcp.EventState {
			vm.NoStates = false
			break
		}
	}
	stepURL := func(i int) string {
		u := url.Values{"lang": {p.Lang}, "step": {strconv.Itoa(i + 1)}}
		for k, x := range dq {
			u[k] = x
		}
		return base + "?" + u.Encode()
	}
	for i, line := range diagram.Transcript(l, p.Lang) {
		ln := templates.Line{Index: i, Text: line, URL: stepURL(i)}
		switch {
		case i == start:
			ln.Class = "current"
		case i > start:
			ln.Class = "future"
		}
		vm.Lines = append(vm.Lines, ln)
	}
	vm.NarrationNow = lb.Intro
	for _, st := range lb.Steps {
		if st.Step <= start {
			vm.NarrationNow = st.Text
		}
		ln := templates.Line{Index: st.Step, Text: st.Text, URL: stepURL(st.Step)}
		for _, k := range st.Links {
			ln.Links = append(ln.Links, templates.Card{Title: k.Text, URL: k.URL})
		}
		vm.Narration = append(vm.Narration, ln)
	}
	vm.SVGURL = base + "/diagram.svg?lang=" + p.Lang
	vm.PcapngURL = base + "/capture.pcapng"
	vm.OpenURL = base + "?lang=" + p.Lang
	var tcpdump []TcpdumpLine
	vm.Tcpdump, tcpdump = tcpdumpLines(tr, l)
	sq := url.Values{"lang": {p.Lang}}
	for k, x := range dq {
		sq[k] = x
	}
	boot := Boot{Mode: "player", Scenario: importScenarioPrefix + up + "/" + strconv.Itoa(n), Query: sq.Encode(), Step: start,
		Speed: speed, Autoplay: q.Get("autoplay") == "1", Relative: relative, Lang: p.Lang, Strings: pageStrings(p.Lang), Lesson: lb, Tcpdump: tcpdump}
	if b, err := json.Marshal(l); err == nil && len(b) <= maxInlineLayout {
		boot.Layout = l
	}
	if !vm.NoStates {
		fig := diagram.StateMachine(p.Lang)
		boot.StateFigure = &fig
		// Each end was, before the capture showed it change, in the state it changed
		// from: a server is LISTEN before the SYN arrives, not CLOSED.
		boot.InitialStates = map[string]string{}
		for _, e := range tr.Scan() {
			if _, seen := boot.InitialStates[e.Endpoint]; e.Kind == tcp.EventState && !seen {
				boot.InitialStates[e.Endpoint] = e.From.String()
			}
		}
	}
	vm.OpensOnSegment = start < len(l.Steps) && l.Steps[start].Kind == "segment"
	vm.Boot = boot
	render(w, r, http.StatusOK, templates.PlayerPage(vm))
}

// handleImportSVG draws an imported connection as a standalone SVG, for slides.
func (s *Server) handleImportSVG(w http.ResponseWriter, r *http.Request) {
	lang, _ := pickLang(r)
	n, err := strconv.Atoi(chi.URLParam(r, "conn"))
	if err != nil {
		n = -1
	}
	rn, err := s.importRun(r.Context(), chi.URLParam(r, "upload"), n, DiagramOptions(r.URL.Query()))
	if err != nil {
		httpError(w, r, http.StatusNotFound, "import.gone.text")
		return
	}
	var addrs []string
	for _, ep := range rn.tr.Meta.Endpoints {
		addrs = append(addrs, ep.Addr)
	}
	var buf bytes.Buffer
	diagram.WriteSVG(&buf, rn.layout, diagram.SVGOptions{Lang: lang, Relative: r.URL.Query().Get("numbers") == "relative", UpTo: -1, Title: strings.Join(addrs, " ↔ ")})
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}
