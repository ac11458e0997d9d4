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
	o, bad := s.parseOEmbed(r)
	if bad != nil {
		bad.write(w, r)
		return
	}
	base := publicBase(r)
	src := base + "/embed/lessons/" + o.id + "?" + o.page.Encode()
	title := o.st.title.In(o.lang)
	pq := url.Values{}
	for k, x := range o.page {
		if k != "step" && k != "view" && k != "autoplay" && k != "speed" {
			pq[k] = x
		}
	}
	// The thumbnail is the diagram's PNG; its size is the layout's.
	_, rn, err := s.runView(o.id, o.st, pq, o.lang)
	if err != nil {
		httpFail(w, r, http.StatusBadRequest, "error.run", err)
		return
	}
	l := rn.layout
	res := OEmbed{Version: "1.0", Type: "rich", Title: title, ProviderName: "synack", ProviderURL: base + "/",
		Width: o.width, Height: o.height,
		HTML: fmt.Sprintf(`<iframe src="%s" width="%d" height="%d" style="border:0;max-width:100%%" title="%s" loading="lazy" allow="clipboard-write"></iframe>`,
			html.EscapeString(src), o.width, o.height, html.EscapeString(title)),
		ThumbnailURL: base + "/lessons/" + o.id + "/diagram.png?" + pq.Encode(), ThumbnailWidth: int(math.Ceil(l.Width)), ThumbnailHeight: int(math.Ceil(l.Height))}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(res)
}

// oembedAsk is an oEmbed request read and checked: the page asked about (its story and
// query), the frame's size and the language of its title.
type oembedAsk struct {
	id            string
	st            story
	page          url.Values
	width, height int
	lang          string
}

// parseOEmbed reads an oEmbed request, or says why it is refused.
func (s *Server) parseOEmbed(r *http.Request) (oembedAsk, *refused) {
	q := r.URL.Query()
	if f := q.Get("format"); f != "" && f != "json" {
		return oembedAsk{}, refuse(http.StatusNotImplemented, "oembed.err.format", f)
	}
	u, err := url.Parse(q.Get("url"))
	if err != nil || q.Get("url") == "" {
		return oembedAsk{}, refuse(http.StatusBadRequest, "oembed.err.url")
	}
	if u.Host != "" && u.Host != r.Host {
		return oembedAsk{}, refuse(http.StatusNotFound, "oembed.err.host", u.Host, r.Host)
	}
	path := strings.TrimPrefix(u.Path, "/embed")
	id, ok := strings.CutPrefix(path, "/lessons/")
	st, found := s.lookup(id)
	if !ok || !found || strings.Contains(id, "/") {
		return oembedAsk{}, refuse(http.StatusNotFound, "oembed.err.page", u.Path)
	}
	o := oembedAsk{id: id, st: st, page: u.Query(), width: OEmbedWidth, height: OEmbedHeight}
	if o.page.Get("view") == ViewDiagram {
		o.height = SlideHeight * 3 / 4
	}
	for _, lim := range []struct {
		key string
		v   *int
		min int
	}{{"maxwidth", &o.width, OEmbedMinWidth}, {"maxheight", &o.height, OEmbedMinHeight}} {
		if x := q.Get(lim.key); x != "" {
			n, err := strconv.Atoi(x)
			if err != nil || n < 1 {
				return oembedAsk{}, refuse(http.StatusBadRequest, "oembed.err.pixels", lim.key, x)
			}
			*lim.v = max(min(*lim.v, n), lim.min)
		}
	}
	o.lang = normLang(o.page.Get("lang"))
	if o.lang == "" {
		o.lang, _ = pickLang(r)
	}
	return o, nil
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
		httpError(w, r, http.StatusInternalServerError, "error.render")
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
