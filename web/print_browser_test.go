package web

import (
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// Printed, a lesson is a handout: the whole diagram (every step drawn, whatever step the
// page was on, in no box that scrolls), the whole transcript, and the questions with
// their answers at the end; the controls are left out. Checked under print media on
// syn-flood, whose diagram and transcript are the longest, and on a lesson opened at its
// start.
func TestBrowserPrintHandout(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	for _, tc := range []struct{ url string }{
		{"/lessons/syn-flood?lang=en&step=3"},
		{"/lessons/three-way-handshake?lang=zh"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate("about:blank"), chromedp.Navigate(ts.URL+tc.url)); err != nil {
				t.Fatal(err)
			}
			waitJS(t, ctx, `!!document.querySelector("svg.sa-live [data-item]")`)
			if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
				t.Fatal(err)
			}
			got := evalJS[map[string]any](t, ctx, `(() => {
  const shown = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility === "visible";
  const box = document.querySelector("#diagram"), ol = document.querySelector("#transcript");
  const items = [...document.querySelectorAll("svg.sa-live [data-item]")];
  const clipped = [...document.querySelectorAll("svg.sa-live [clip-path]")].filter(e => getComputedStyle(e).clipPath !== "none").length;
  const lis = [...ol.children];
  const qs = JSON.parse(document.getElementById("boot").textContent).lesson.questions.length;
  const answers = document.querySelectorAll("[data-testid=print-answers] li");
  return {
    diagramCut: box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1,
    svgInBox: document.querySelector("#diagram svg").getBoundingClientRect().width <= box.getBoundingClientRect().width + 1,
    hiddenItems: items.filter(e => !shown(e)).length, items: items.length, clipped,
    transcriptCut: ol.scrollHeight > ol.clientHeight + 1, lines: lis.length, linesShown: lis.filter(shown).length,
    questions: qs, answers: answers.length, answersShown: [...answers].filter(shown).length,
    answersAfterTranscript: !!(document.querySelector(".transcript ol").compareDocumentPosition(document.querySelector("[data-testid=print-answers]")) & Node.DOCUMENT_POSITION_FOLLOWING),
    controls: shown(document.querySelector("[data-testid=controls]")),
    header: !!document.querySelector("header.site") && shown(document.querySelector("header.site")),
  };
})()`)
			bad := func(k string) { t.Errorf("%s: %v (all: %v)", k, got[k], got) }
			for _, k := range []string{"diagramCut", "transcriptCut", "controls", "header"} {
				if got[k] != false {
					bad(k)
				}
			}
			for _, k := range []string{"svgInBox", "answersAfterTranscript"} {
				if got[k] != true {
					bad(k)
				}
			}
			if got["hiddenItems"] != float64(0) || got["clipped"] != float64(0) {
				t.Errorf("the printed diagram leaves %v of %v items undrawn and %v bands clipped", got["hiddenItems"], got["items"], got["clipped"])
			}
			if got["linesShown"] != got["lines"] {
				t.Errorf("the printed transcript shows %v of %v lines", got["linesShown"], got["lines"])
			}
			if got["questions"] == float64(0) || got["answers"] != got["questions"] || got["answersShown"] != got["questions"] {
				t.Errorf("the handout shows %v answers of %v questions", got["answersShown"], got["questions"])
			}
			if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}
