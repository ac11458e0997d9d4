package web

import (
	"net/http"
	"strconv"
	"strings"
)

// NarrowBelow is the viewport width, in CSS px, under which a player page is laid out
// for a phone (width=narrow); templates.ScriptFitWidth uses the same number.
const NarrowBelow = 600

// viewportHint is the header a browser that supports client hints sends with the width
// of its layout viewport, once the site has asked for it (Accept-CH).
const viewportHint = "Sec-CH-Viewport-Width"

// fitViewport lays a player page out for a phone from the first request, where the
// browser says how wide its screen is: a player page (a lesson, the lab, and their
// embeds) without a width asks for the Sec-CH-Viewport-Width client hint as critical
// (Critical-CH), so a browser that supports it sends the request again at once with
// the hint, before anything is drawn; one narrower than NarrowBelow is then served as
// width=narrow. The address the reader sees keeps no width, so a link shared from a
// phone opens wide on a desktop. A browser without client hints gets the wide page,
// whose first script reloads it with width=narrow (templates.ScriptFitWidth). It runs
// before the render cache, so the two layouts are cached apart.
func fitViewport(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !playerPage(r.URL.Path) || r.URL.Query().Get("width") != "" {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Accept-CH", viewportHint)
		h.Set("Critical-CH", viewportHint)
		h.Add("Vary", viewportHint)
		if vw, err := strconv.ParseFloat(r.Header.Get(viewportHint), 64); err == nil && vw > 0 && vw < NarrowBelow {
			q := r.URL.Query()
			q.Set("width", "narrow")
			r2 := r.Clone(r.Context())
			r2.URL.RawQuery = q.Encode()
			r = r2
		}
		next.ServeHTTP(w, r)
	})
}

// playerPage tells whether path is a page with the live player: a lesson or story, the
// lab, or either embedded.
func playerPage(path string) bool {
	path = strings.TrimPrefix(path, "/embed")
	if path == "/lab" {
		return true
	}
	rest, ok := strings.CutPrefix(path, "/lessons/")
	return ok && rest != "" && !strings.Contains(rest, "/")
}
