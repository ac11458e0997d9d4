package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// A link or embed code made on a phone carries nothing of the phone's screen (no width),
// and the embed code carries the current step only when asked to.
func TestBrowserShareLeavesTheScreenOut(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(ts.URL+"/lessons/three-way-handshake?lang=en&step=4&rtt=80ms")); err != nil {
		t.Fatal(err)
	}
	// The phone's narrow drawing: served so from the first request (the viewport hint),
	// or after the page reloaded itself with width=narrow.
	waitJS(t, ctx, `!!document.querySelector("svg.sa-live") && document.querySelector("svg.sa-live").getAttribute("viewBox").startsWith("0 0 360 ")`)
	evalJS[chromedp.Void](t, ctx, `(() => { navigator.clipboard.writeText = (s) => { window.synackCopied = s; return Promise.resolve(); }; document.querySelector(".share").open = true; })()`)
	copied := func(action string) string {
		t.Helper()
		evalJS[chromedp.Void](t, ctx, `window.synackCopied = ""; document.querySelector('[data-action=`+action+`]').click()`)
		waitJS(t, ctx, `!!window.synackCopied`)
		return evalJS[string](t, ctx, `window.synackCopied`)
	}
	link := copied("copy-link")
	if strings.Contains(link, "width") || !strings.Contains(link, "step=4") || !strings.Contains(link, "rtt=80ms") {
		t.Errorf("the shared link is %q: want its step and rtt, and no width", link)
	}
	embed := copied("copy-embed")
	if strings.Contains(embed, "width=narrow") || strings.Contains(embed, "step=") || !strings.Contains(embed, "/embed/lessons/three-way-handshake?") {
		t.Errorf("the embed code is %q: want the embed address without width or step", embed)
	}
	evalJS[chromedp.Void](t, ctx, `document.querySelector("[data-testid=embed-step]").click()`)
	if embed := copied("copy-embed"); !strings.Contains(embed, "step=4") || strings.Contains(embed, "width=narrow") {
		t.Errorf("asked to start at this step, the embed code is %q", embed)
	}
}

// A question can be skipped, and playback goes on past it; the narration shown is the
// current step's: past a narrated step's instant, the current step's own line is shown
// and the narration is kept under it as an earlier step's.
func TestBrowserSkipAndCurrentNarration(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	for _, lang := range Languages {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate("about:blank"), chromedp.Navigate(ts.URL+"/lessons/three-way-handshake?lang="+lang+"&step=1&speed=8")); err != nil {
			t.Fatal(err)
		}
		waitJS(t, ctx, `!!document.querySelector("svg.sa-live")`)
		q := int(evalJS[float64](t, ctx, `JSON.parse(document.getElementById("boot").textContent).lesson.questions[0].step`))
		evalJS[chromedp.Void](t, ctx, `document.querySelector("[data-testid=play]").click()`)
		waitJS(t, ctx, `!document.querySelector("#question").hidden && !!document.querySelector("[data-testid=skip]")`)
		if got, want := evalJS[string](t, ctx, `document.querySelector("[data-testid=skip]").textContent`), T(lang, "lesson.skip"); got != want {
			t.Errorf("%s: the skip button reads %q, want %q", lang, got, want)
		}
		evalJS[chromedp.Void](t, ctx, `document.querySelector("[data-testid=skip]").click()`)
		waitJS(t, ctx, fmt.Sprintf(`document.querySelector("#question").hidden && /\b(%d|%d) /.test(document.querySelector("[data-testid=stepno]").textContent.replace(/\D+/g, " "))`, q+1, q+2))
	}
	// A narration is not passed off as the current text on a later step of
	// another instant: the first such step after a narrated one shows its own line, and
	// the narration under it, marked as an earlier step's.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank"), chromedp.Navigate(ts.URL+"/lessons/four-way-close?lang=en&step=1")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!!document.querySelector("svg.sa-live")`)
	stale := int(evalJS[float64](t, ctx, `(() => {
  const b = JSON.parse(document.getElementById("boot").textContent), steps = b.layout ? b.layout.steps : null;
  if (!steps) return -1;
  const ns = b.lesson.steps, narrated = new Set(ns.map(s => s.step));
  for (let k = ns[0].step + 1; k < steps.length; k++) {
    const cur = ns.filter(s => s.step <= k).pop();
    if (!narrated.has(k) && steps[cur.step].at_us !== steps[k].at_us) return k;
  }
  return -1;
})()`))
	if stale < 0 {
		t.Fatal("four-way-close has no step past a narration's instant (or no inline layout)")
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank"), chromedp.Navigate(fmt.Sprintf("%s/lessons/four-way-close?lang=en&step=%d", ts.URL, stale+1))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!!document.querySelector("svg.sa-live")`)
	got := evalJS[[]string](t, ctx, `[document.querySelector("#narration-text").textContent, document.querySelector("[data-testid=narration-earlier]").hidden ? "" : document.querySelector("[data-testid=narration-earlier]").textContent]`)
	if !strings.HasPrefix(got[0], fmt.Sprintf("Step %d: ", stale+1)) || !strings.HasPrefix(got[1], "Earlier, at step ") {
		t.Errorf("at step %d of four-way-close the narration reads %q", stale+1, got)
	}
	// On a narrated step, its narration is the text.
	n := evalJS[[]any](t, ctx, `(() => { const s = JSON.parse(document.getElementById("boot").textContent).lesson.steps[1]; return [s.step, s.text]; })()`)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank"), chromedp.Navigate(fmt.Sprintf("%s/lessons/four-way-close?lang=en&step=%d", ts.URL, int(n[0].(float64))+1))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!!document.querySelector("svg.sa-live")`)
	if got := evalJS[string](t, ctx, `document.querySelector("#narration-text").textContent`); got != n[1] {
		t.Errorf("on its own step the narration reads %q, want %q", got, n[1])
	}
}

// While an arrow is being drawn its head is not there yet; once the line has arrived,
// every delivered arrow has its head.
func TestBrowserArrowheadAfterItsLine(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(ts.URL+"/lessons/four-way-close?lang=en&step=1&speed=2")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!!document.querySelector("svg.sa-live")`)
	evalJS[chromedp.Void](t, ctx, `document.querySelector("[data-testid=play]").click()`)
	// Caught mid-draw: the line animates and has no head.
	waitJS(t, ctx, `[...document.querySelectorAll("svg.sa-live .sa-seg:not(.sa-hidden) line.sa-draw")].some(l => !l.hasAttribute("marker-end") && parseFloat(getComputedStyle(l).strokeDashoffset) > 1)`)
	evalJS[chromedp.Void](t, ctx, `document.querySelector("[data-testid=play]").click()`)
	waitJS(t, ctx, `[...document.querySelectorAll("svg.sa-live .sa-seg:not(.sa-hidden):not(.sa-dropped) line")].every(l => l.hasAttribute("marker-end"))`)
}
