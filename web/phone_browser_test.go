package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// offscreenJS lists the controls under sel that a reader cannot reach without scrolling
// sideways: outside the window's width, cut by a box that scrolls or clips, or covered
// (the element at its centre, once scrolled into view vertically, is not it).
const offscreenJS = `(sel) => {
  const out = [];
  const W = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > W + 1) out.push("the page scrolls sideways: " + document.documentElement.scrollWidth + " > " + W);
  for (const e of document.querySelectorAll(sel)) {
    if (!e.getClientRects().length) continue;
    e.scrollIntoView({ block: "center", inline: "nearest" });
    const r = e.getBoundingClientRect();
    const name = (e.textContent || e.getAttribute("aria-label") || e.tagName).trim();
    if (r.left < -0.5 || r.right > W + 0.5) { out.push(name + ": x " + Math.round(r.left) + "–" + Math.round(r.right)); continue; }
    for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
      const cs = getComputedStyle(p);
      if (cs.overflowX !== "visible" && p.scrollWidth > p.clientWidth + 1) { out.push(name + ": in a box that scrolls sideways"); break; }
    }
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    if (!hit || !(hit === e || e.contains(hit))) out.push(name + ": covered by " + (hit ? hit.tagName + "." + hit.className : "nothing"));
  }
  return out;
}`

// On a phone every control of the lab is on the screen: the rows wrap, none scrolls
// sideways with buttons hidden past its edge.
func TestBrowserLabOnAPhone(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	for _, lang := range Languages {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(ts.URL+"/lab?lang="+lang)); err != nil {
			t.Fatal(err)
		}
		waitJS(t, ctx, `document.querySelectorAll(".lab-actions button").length >= 20`)
		n := evalJS[int](t, ctx, `document.querySelectorAll(".lab-actions button, .lab-actions select").length`)
		if bad := evalJS[[]string](t, ctx, "("+offscreenJS+`)(".lab-actions button, .lab-actions select")`); len(bad) > 0 {
			t.Errorf("%s: %d of %d lab controls cannot be reached on a phone:\n%s", lang, len(bad), n, strings.Join(bad, "\n"))
		}
	}
}
