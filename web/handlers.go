package web

import (
	"bytes"
	"embed"
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"synack/engine"
	"synack/engine/capture"
	"synack/engine/diagram"
	"synack/static"
	"synack/templates"
)

var _ embed.FS

func staticHandler() http.Handler {
	sub, _ := fs.Sub(static.FS, ".")
	fsrv := http.StripPrefix("/static/", http.FileServer(http.FS(sub)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
		OtherLangURL: r.URL.Path + "?" + q.Encode(),
		T:            func(k string) string { return T(lang, k) }}
}

func render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		http.Error(w, "rendering failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	p := page(w, r, "synack", false)
	v := templates.Index{Page: p}
	for _, sc := range engine.Scenarios() {
		v.Cards = append(v.Cards, templates.Card{ID: sc.ID, Title: sc.Title.In(p.Lang), Summary: sc.Summary.In(p.Lang),
			URL: "/lessons/" + sc.ID + "?lang=" + p.Lang})
	}
	render(w, r, http.StatusOK, templates.IndexPage(v))
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	p := page(w, r, "404", false)
	render(w, r, http.StatusNotFound, templates.NotFoundPage(templates.NotFound{Page: p}))
}

// runView runs the scenario a URL names.
func runView(id string, v View) (*engine.Trace, error) {
	return engine.Run(id, v.Params)
}

var speeds = []float64{0.25, 0.5, 1, 2, 4, 8}

// Boot is the data the player's script starts from.
type Boot struct {
	Mode     string            `json:"mode"` // "player" or "lab"
	Scenario string            `json:"scenario,omitempty"`
	Query    string            `json:"query,omitempty"` // the view's parameters, for the socket's start command
	Step     int               `json:"step"`
	Speed    float64           `json:"speed"`
	Autoplay bool              `json:"autoplay"`
	Relative bool              `json:"relative"`
	Lang     string            `json:"lang"`
	Embed    bool              `json:"embed"`
	Strings  map[string]string `json:"strings"`
	Layout   *diagram.Layout   `json:"layout,omitempty"`
}

func bootStrings(lang string) map[string]string {
	m := make(map[string]string, len(Strings))
	for k, t := range Strings {
		m[k] = t.In(lang)
	}
	return m
}

func (s *Server) handlePlayer(embed bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		info, ok := engine.LookupScenario(id)
		if !ok {
			s.handleNotFound(w, r)
			return
		}
		p := page(w, r, "", embed)
		p.Title = info.Title.In(p.Lang)
		v := ParseView(r.URL.Query(), p.Lang)
		tr, err := runView(id, v)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		l := diagram.Build(tr, diagram.Options{})
		upTo := -1
		if v.Step >= 0 && v.Step < len(l.Steps) {
			upTo = v.Step
		}
		var svg bytes.Buffer
		diagram.WriteSVG(&svg, l, diagram.SVGOptions{Lang: p.Lang, Relative: v.Relative, UpTo: upTo, Title: p.Title})
		vm := templates.Player{Page: p, ID: id, Title: p.Title, Summary: info.Summary.In(p.Lang), Lang: p.Lang,
			RTTms: strconv.FormatFloat(float64(v.Params.RTT)/float64(time.Millisecond), 'g', -1, 64),
			Seed:  strconv.FormatUint(v.Params.Seed, 10), SVG: templ.Raw(svg.String()), Steps: len(l.Steps)}
		for _, d := range v.Params.Drop {
			if vm.Drop != "" {
				vm.Drop += ","
			}
			vm.Drop += strconv.Itoa(d)
		}
		for _, pr := range v.Problems {
			vm.Problems = append(vm.Problems, pr.Text.In(p.Lang))
		}
		for _, name := range engine.ProfileNames {
			vm.Profiles = append(vm.Profiles, templates.Option{Value: name, Label: T(p.Lang, "player."+name), Selected: name == v.Params.Profile})
		}
		for _, sp := range speeds {
			f := strconv.FormatFloat(sp, 'g', -1, 64)
			vm.Speeds = append(vm.Speeds, templates.Option{Value: f, Label: f + "×", Selected: sp == v.Speed})
		}
		base := v
		for i, line := range diagram.Transcript(l, p.Lang) {
			base.Step = i
			vm.Lines = append(vm.Lines, templates.Line{Index: i, Text: line, URL: "/lessons/" + id + "?" + base.Query().Encode()})
		}
		q := v.Query()
		q.Del("step")
		q.Del("speed")
		vm.SVGURL = "/lessons/" + id + "/diagram.svg?" + v.Query().Encode()
		vm.PcapURL = "/lessons/" + id + "/capture.pcap?" + q.Encode()
		vm.OpenURL = "/lessons/" + id + "?" + v.Query().Encode()
		vm.Boot = Boot{Mode: "player", Scenario: id, Query: q.Encode(), Step: v.Step, Speed: v.Speed, Autoplay: v.Autoplay,
			Relative: v.Relative, Lang: p.Lang, Embed: embed, Strings: bootStrings(p.Lang)}
		render(w, r, http.StatusOK, templates.PlayerPage(vm))
	}
}

func (s *Server) handleLab(w http.ResponseWriter, r *http.Request) {
	p := page(w, r, "", false)
	p.Title = T(p.Lang, "lab.title")
	v := ParseView(r.URL.Query(), p.Lang)
	q := v.Query()
	q.Del("step")
	render(w, r, http.StatusOK, templates.LabPage(templates.Lab{Page: p,
		Boot: Boot{Mode: "lab", Query: q.Encode(), Step: -1, Speed: v.Speed, Lang: p.Lang, Strings: bootStrings(p.Lang)}}))
}

func (s *Server) traceFor(w http.ResponseWriter, r *http.Request) (*engine.Trace, View, bool) {
	id := chi.URLParam(r, "id")
	if _, ok := engine.LookupScenario(id); !ok {
		http.Error(w, "unknown scenario "+strconv.Quote(id), http.StatusNotFound)
		return nil, View{}, false
	}
	lang, _ := pickLang(r)
	v := ParseView(r.URL.Query(), lang)
	tr, err := runView(id, v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return nil, v, false
	}
	return tr, v, true
}

func (s *Server) handleSVG(w http.ResponseWriter, r *http.Request) {
	tr, v, ok := s.traceFor(w, r)
	if !ok {
		return
	}
	l := diagram.Build(tr, diagram.Options{})
	upTo := -1
	if v.Step >= 0 && v.Step < len(l.Steps) {
		upTo = v.Step
	}
	title := tr.Meta.Scenario
	if info, ok := engine.LookupScenario(tr.Meta.Scenario); ok {
		title = info.Title.In(v.Lang)
	}
	var buf bytes.Buffer
	diagram.WriteSVG(&buf, l, diagram.SVGOptions{Lang: v.Lang, Relative: v.Relative, UpTo: upTo, Title: title})
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Write(buf.Bytes())
}

func (s *Server) handlePcap(w http.ResponseWriter, r *http.Request) {
	tr, _, ok := s.traceFor(w, r)
	if !ok {
		return
	}
	var buf bytes.Buffer
	if err := capture.WritePCAP(&buf, tr); err != nil {
		http.Error(w, "capture failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.tcpdump.pcap")
	w.Header().Set("Content-Disposition", `attachment; filename="`+url.PathEscape(tr.Meta.Scenario)+`.pcap"`)
	w.Write(buf.Bytes())
}

var errClosing = errors.New("server shutting down")

var _ = strings.TrimSpace
