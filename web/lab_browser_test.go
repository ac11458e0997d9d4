package web

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"synack/engine/catalog"
)

// A lab action the lab refuses is said on the page in the page's language: in Chinese
// on /lab?lang=zh, as the catalogue words it, and in English on /lab?lang=en.
func TestBrowserLabErrorInBothLanguages(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	for _, lang := range []string{"en", "zh"} {
		for _, vp := range []struct {
			name string
			w, h int64
		}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(vp.w, vp.h), chromedp.Navigate(ts.URL+"/lab?lang="+lang)); err != nil {
				t.Fatal(err)
			}
			waitJS(t, ctx, `document.documentElement.dataset.player === "ready" && !!document.querySelector("svg.sa-live")`)
			// send() before any connect(): the client has no connection to send on.
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid="lab-client-send"]`))); err != nil {
				t.Fatal(err)
			}
			want := catalog.F("lab.err.no-conn", catalog.T("lane.client"), "send").In(lang)
			waitJS(t, ctx, `document.querySelector("[data-testid=lab-error]").textContent === `+jsString(want))
			if dir := os.Getenv("SYNACK_SCREENSHOTS"); dir != "" {
				png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(filepath.Join(dir, "lab-error-"+lang+"-"+vp.name+".png"), png, 0o644)
			}
		}
	}
}
