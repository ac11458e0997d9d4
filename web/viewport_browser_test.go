package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// pageRequest is one navigation request the server saw for a player page: its query
// and the viewport hint it carried ("" when none).
type pageRequest struct{ query, hint string }

// hintRecorder serves s and notes every navigation request for path; with strip, it
// first removes the viewport hint, as if the browser never sent it.
type hintRecorder struct {
	s     http.Handler
	path  string
	strip bool
	mu    sync.Mutex
	seen  []pageRequest
}

func (h *hintRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.strip {
		r.Header.Del(viewportHint)
	}
	if r.URL.Path == h.path && r.Header.Get("Sec-Fetch-Mode") == "navigate" {
		h.mu.Lock()
		h.seen = append(h.seen, pageRequest{r.URL.RawQuery, r.Header.Get(viewportHint)})
		h.mu.Unlock()
	}
	h.s.ServeHTTP(w, r)
}

func (h *hintRecorder) requests() []pageRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]pageRequest(nil), h.seen...)
}

// A first visitor's browser has never been asked for the viewport hint, so its first
// request carries none. Where the browser supports client hints, the server's
// Critical-CH makes it send that request once more, with the hint, before anything is
// drawn (the Client Hints Infrastructure's Critical-CH restart, at most once per
// navigation; Navigation Timing's criticalCHRestart says when): a phone then gets the narrow drawing, a desktop the wide one, in two requests
// and with no width in the address. A browser that never sends the hint (here the
// header is taken off before the server sees it) restarts once as well, is served the
// wide page, and that page's first script reloads it once with width=narrow: three
// requests in all, and the narrow drawing. Each case starts a new browser (an empty
// profile: no hint remembered from an earlier visit).
func TestBrowserViewportHintRestart(t *testing.T) {
	const path = "/lessons/three-way-handshake"
	narrow := `document.querySelector("svg.sa-live").getAttribute("viewBox").startsWith("0 0 360 ")`
	for _, tc := range []struct {
		name       string
		w, h       int64
		strip      bool
		wantNarrow bool
		want       []pageRequest
		wantWidth  string // the width in the address at the end
	}{
		{"phone", 390, 844, false, true, []pageRequest{{"lang=en", ""}, {"lang=en", "390"}}, ""},
		{"desktop", 1280, 900, false, false, []pageRequest{{"lang=en", ""}, {"lang=en", "1280"}}, ""},
		{"phone-without-hints", 390, 844, true, true, []pageRequest{{"lang=en", ""}, {"lang=en", ""}, {"lang=en&width=narrow", ""}}, "narrow"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := browser(t)
			s := NewServer(Config{})
			rec := &hintRecorder{s: s, path: path, strip: tc.strip}
			ts := httptest.NewServer(rec)
			t.Cleanup(func() { s.CloseSessions(); ts.Close() })
			var emu []chromedp.EmulateViewportOption
			if tc.w < 600 {
				emu = append(emu, chromedp.EmulateMobile)
			}
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(tc.w, tc.h, emu...), chromedp.Navigate(ts.URL+path+"?lang=en")); err != nil {
				t.Fatal(err)
			}
			// The reload of a page without hints ends in its own document; wait for the
			// address it ends at before the player.
			if tc.wantWidth != "" {
				waitJS(t, ctx, fmt.Sprintf(`new URL(location.href).searchParams.get("width") === %q`, tc.wantWidth))
			}
			waitJS(t, ctx, `document.documentElement.dataset.player === "ready" && !!document.querySelector("svg.sa-live")`)
			if got := evalJS[bool](t, ctx, narrow); got != tc.wantNarrow {
				t.Errorf("narrow drawing %v, want %v (viewBox %q)", got, tc.wantNarrow, evalJS[string](t, ctx, `document.querySelector("svg.sa-live").getAttribute("viewBox")`))
			}
			if got := evalJS[string](t, ctx, `new URL(location.href).searchParams.get("width") || ""`); got != tc.wantWidth {
				t.Errorf("the address ends with width %q, want %q", got, tc.wantWidth)
			}
			if restart := evalJS[float64](t, ctx, `performance.getEntriesByType("navigation")[0].criticalCHRestart || 0`); (restart > 0) != !tc.strip {
				t.Errorf("the last navigation's criticalCHRestart is %.0f ms", restart)
			}
			got := rec.requests()
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("the server saw the requests (query, hint) %v, want %v", got, tc.want)
			}
			// Once asked, the browser keeps sending the hint: the next visit is one request.
			if !tc.strip {
				if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+path+"?lang=zh")); err != nil {
					t.Fatal(err)
				}
				waitJS(t, ctx, `document.documentElement.dataset.player === "ready" && !!document.querySelector("svg.sa-live")`)
				after := rec.requests()[len(got):]
				if want := fmt.Sprint([]pageRequest{{"lang=zh", fmt.Sprint(tc.w)}}); fmt.Sprint(after) != want {
					t.Errorf("the second visit made the requests %v, want %v", after, want)
				}
				if got := evalJS[bool](t, ctx, narrow); got != tc.wantNarrow {
					t.Errorf("second visit: narrow drawing %v, want %v", got, tc.wantNarrow)
				}
			}
			if t.Failed() {
				t.Log("requests:", strings.ReplaceAll(fmt.Sprint(rec.requests()), "} {", "}, {"))
			}
		})
	}
}
