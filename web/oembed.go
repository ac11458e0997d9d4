package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"synack/engine/catalog"
	"synack/engine/diagram"
	"synack/templates"
)

// Compact views of an embed: the diagram with its controls and narration, and the lab's
// actions with its diagram. Both fit a 16:9 slide (SlideHeight at 1280 px wide).
const (
	ViewDiagram = "diagram"
	ViewLab     = "lab"
	// SlideHeight is the most a compact embed is tall, in CSS px: a 720p slide.
	SlideHeight = 720
)

// compactView reads ?view= on an embed; anything else is the whole page.
func compactView(r *http.Request, embed bool) string {
	if !embed {
		return ""
	}
	switch v := r.URL.Query().Get("view"); v {
	case ViewDiagram, ViewLab:
		return v
	}
	return ""
}

// publicBase is the site's address as the client reached it, for links that must be
// absolute (og:image, oEmbed). The render cache keys on it too.
func publicBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// shareLinks fills a player's exports and discovery links: the PNG and Mermaid
// diagrams, the oEmbed link and the og:image preview.
func shareLinks(r *http.Request, vm *templates.Player, id string, q url.Values) {
	base := publicBase(r)
	vm.PNGURL = "/lessons/" + id + "/diagram.png?" + q.Encode()
	vm.MMDURL = "/lessons/" + id + "/diagram.mmd?" + q.Encode()
	page := url.URL{Path: "/lessons/" + id, RawQuery: r.URL.RawQuery}
	vm.Page.OEmbedURL = base + "/oembed?" + url.Values{"url": {base + page.String()}, "format": {"json"}}.Encode()
	vm.Page.OGImage = base + vm.PNGURL
	vm.Page.OGImageAlt = catalog.In(vm.Lang, "share.ogalt") + " " + vm.Title
}

// oEmbed sizes (oEmbed 1.0 §2.2): the frame's default size and the least a consumer's
// maxwidth/maxheight may ask for.
const (
	OEmbedWidth     = 880
	OEmbedHeight    = 720
	OEmbedMinWidth  = 300
	OEmbedMinHeight = 240
)

// OEmbed is an oEmbed 1.0 "rich" response.
type OEmbed struct {
	Version         string `json:"version"`
	Type            string `json:"type"`
	Title           string `json:"title"`
	ProviderName    string `json:"provider_name"`
	ProviderURL     string `json:"provider_url"`
	HTML            string `json:"html"`
	Width           int    `json:"width"`
	Height          int    `json:"height"`
	ThumbnailURL    string `json:"thumbnail_url,omitempty"`
	ThumbnailWidth  int    `json:"thumbnail_width,omitempty"`
	ThumbnailHeight int    `json:"thumbnail_height,omitempty"`
}

// handleOEmbed answers /oembed?url=…&format=json for a lesson or scenario page of this
// site (or its embed): an iframe to the embed with the same query.
func (s *Server) handleOEmbed(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if f := q.Get("format"); f != "" && f != "json" {
		http.Error(w, "format "+strconv.Quote(f)+" is not served: only json", http.StatusNotImplemented)
		return
	}
	u, err := url.Parse(q.Get("url"))
	if err != nil || q.Get("url") == "" {
		http.Error(w, "url: give the address of a lesson page of this site", http.StatusBadRequest)
		return
	}
	if u.Host != "" && u.Host != r.Host {
		http.Error(w, "url: "+u.Host+" is not this site ("+r.Host+")", http.StatusNotFound)
		return
	}
	path := strings.TrimPrefix(u.Path, "/embed")
	id, ok := strings.CutPrefix(path, "/lessons/")
	st, found := s.lookup(id)
	if !ok || !found || strings.Contains(id, "/") {
		http.Error(w, "url: "+strconv.Quote(u.Path)+" is not a lesson or scenario page", http.StatusNotFound)
		return
	}
	width, height := OEmbedWidth, OEmbedHeight
	if u.Query().Get("view") == ViewDiagram {
		height = SlideHeight * 3 / 4
	}
	for _, lim := range []struct {
		key string
		v   *int
		min int
	}{{"maxwidth", &width, OEmbedMinWidth}, {"maxheight", &height, OEmbedMinHeight}} {
		if x := q.Get(lim.key); x != "" {
			n, err := strconv.Atoi(x)
			if err != nil || n < 1 {
				http.Error(w, lim.key+": "+strconv.Quote(x)+" is not a number of pixels", http.StatusBadRequest)
				return
			}
			*lim.v = max(min(*lim.v, n), lim.min)
		}
	}
	lang := u.Query().Get("lang")
	if normLang(lang) == "" {
		lang, _ = pickLang(r)
	}
	lang = normLang(lang)
	base := publicBase(r)
	eq := u.Query()
	src := base + "/embed/lessons/" + id + "?" + eq.Encode()
	title := st.title.In(lang)
	pq := url.Values{}
	for k, x := range eq {
		if k != "step" && k != "view" && k != "autoplay" && k != "speed" {
			pq[k] = x
		}
	}
	// The thumbnail is the diagram's PNG; its size is the layout's.
	_, rn, err := s.runView(id, st, pq, lang)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	l := rn.layout
	res := OEmbed{Version: "1.0", Type: "rich", Title: title, ProviderName: "synack", ProviderURL: base + "/",
		Width: width, Height: height,
		HTML: fmt.Sprintf(`<iframe src="%s" width="%d" height="%d" style="border:0;max-width:100%%" title="%s" loading="lazy" allow="clipboard-write"></iframe>`,
			html.EscapeString(src), width, height, html.EscapeString(title)),
		ThumbnailURL: base + "/lessons/" + id + "/diagram.png?" + pq.Encode(), ThumbnailWidth: int(math.Ceil(l.Width)), ThumbnailHeight: int(math.Ceil(l.Height))}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(res)
}

// handlePNG draws the diagram as a PNG on the server, from the same layout as
// diagram.svg: the same width, expand and step parameters, and scale (1 to
// diagram.MaxPNGScale) for sharper slides.
func (s *Server) handlePNG(w http.ResponseWriter, r *http.Request) {
	_, v, rn, ok := s.runFor(w, r)
	if !ok {
		return
	}
	l := rn.layout
	upTo := drawnUpTo(v, l)
	scale := 1.0
	if x := r.URL.Query().Get("scale"); x != "" {
		if f, err := strconv.ParseFloat(x, 64); err == nil && f >= 1 && f <= diagram.MaxPNGScale {
			scale = f
		}
	}
	var buf bytes.Buffer
	if err := diagram.WritePNG(&buf, l, diagram.PNGOptions{Lang: v.Lang, Relative: v.Relative, UpTo: upTo, Scale: scale}); err != nil {
		http.Error(w, "drawing failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(buf.Bytes())
}

// handleMermaid writes the diagram as a Mermaid sequenceDiagram.
func (s *Server) handleMermaid(w http.ResponseWriter, r *http.Request) {
	st, v, rn, ok := s.runFor(w, r)
	if !ok {
		return
	}
	var buf bytes.Buffer
	diagram.WriteMermaid(&buf, rn.layout, diagram.MermaidOptions{Lang: v.Lang, Relative: v.Relative, Title: st.title.In(v.Lang)})
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="`+url.PathEscape(rn.tr.Meta.Scenario)+`.mmd"`)
	w.Write(buf.Bytes())
}

func (s *Server) handleLabEmbed(w http.ResponseWriter, r *http.Request) { s.lab(w, r, true) }
