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

// crossingsJS lists, for the <svg> matching sel, each arrow label that another arrow's
// line crosses: label quads from the rendered boxes, rotation included, each edge moved
// in by the halo's 1.5 px (a box's top is the font's ascent, above the capitals); a line
// crosses a quad if it has a point inside or cuts an edge. A line drawn where the label's
// own arrow is (a segment that left and arrived with it, and that its label counts:
// "+1") is not another arrow.
const crossingsJS = `(sel) => {
  const svg = document.querySelector(sel);
  const root = svg.getCTM().inverse();
  const pt = (e, x, y) => { const p = new DOMPoint(x, y).matrixTransform(e.getCTM()).matrixTransform(root); return [p.x, p.y]; };
  const labels = [], lines = [];
  for (const g of svg.querySelectorAll(".sa-seg, .sa-bundle")) {
    if (g.closest(".sa-hidden")) continue;
    for (const l of g.querySelectorAll("line")) lines.push({ g, a: pt(l, l.x1.baseVal.value, l.y1.baseVal.value), b: pt(l, l.x2.baseVal.value, l.y2.baseVal.value) });
    for (const t of g.querySelectorAll("text")) {
      if (!t.textContent) continue;
      const b = t.getBBox();
      const x1 = b.x + 1.5, y1 = b.y + 1.5, x2 = b.x + b.width - 1.5, y2 = b.y + b.height - 1.5;
      const q = [[x1, y1], [x2, y1], [x2, y2], [x1, y2]].map(([x, y]) => pt(t, x, y));
      labels.push({ g, t: t.textContent, q });
    }
  }
  const cross = (p1, p2, p3, p4) => {
    const d = (a, b, c) => (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
    const d1 = d(p3, p4, p1), d2 = d(p3, p4, p2), d3 = d(p1, p2, p3), d4 = d(p1, p2, p4);
    return ((d1 > 0) !== (d2 > 0)) && ((d3 > 0) !== (d4 > 0));
  };
  const inside = (p, q) => { let s = 0; for (let i = 0; i < 4; i++) { const a = q[i], b = q[(i + 1) % 4]; const c = (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]); if (c !== 0) { if (s === 0) s = Math.sign(c); else if (Math.sign(c) !== s) return false; } } return true; };
  const out = [];
  const same = (l, m) => Math.hypot(l.a[0] - m.a[0], l.a[1] - m.a[1]) < 0.5 && Math.hypot(l.b[0] - m.b[0], l.b[1] - m.b[1]) < 0.5;
  for (const lb of labels) for (const ln of lines) {
    if (ln.g === lb.g || lines.some((m) => m.g === lb.g && same(m, ln))) continue;
    let hit = inside(ln.a, lb.q) || inside(ln.b, lb.q);
    for (let i = 0; i < 4 && !hit; i++) hit = cross(ln.a, ln.b, lb.q[i], lb.q[(i + 1) % 4]);
    if (hit) { out.push(lb.t + " ⨯ " + (ln.g.querySelector("title") || {}).textContent); }
  }
  return out;
}`

// On a phone (the two-lane drawing a 390×844 screen gets) no arrow's label lies on
// another arrow, in any story, in either language: the data phase's bursts too, whose
// arrows fan out a pixel apart (engine/diagram's TestArrowLabelsClearOfOtherArrows
// checks the layout itself, both profiles and the wide drawing).
func TestBrowserPhoneLabelsClearOfArrows(t *testing.T) {
	ctx := browser(t)
	s, ts := newTestServer(t, Config{})
	// The check itself finds a label that a line crosses, and passes one beside it and
	// a line that lies on the label's own.
	if err := chromedp.Do(ctx, chromedp.Navigate(`data:image/svg+xml,<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 100"><g class="sa-seg"><title>a</title><line x1="0" y1="10" x2="300" y2="90"/><text x="100" y="45">label on b</text></g><g class="sa-seg"><title>b</title><line x1="120" y1="0" x2="120" y2="100"/><text x="200" y="20">free</text></g><g class="sa-seg"><title>c</title><line x1="0" y1="10" x2="300" y2="90"/></g></svg>`)); err != nil {
		t.Fatal(err)
	}
	if got := evalJS[[]string](t, ctx, "("+crossingsJS+")(`svg`)"); len(got) != 1 || got[0] != "label on b ⨯ b" {
		t.Fatalf("the crossing check found %q, want one label on b", got)
	}
	total := 0
	for _, st := range s.cfg.Stories.Stories() {
		for _, lang := range Languages {
			// The phone's drawing in both profiles; the desktop's for the data stories,
			// whose long labels crowd there too.
			for _, q := range []string{"width=narrow", "width=narrow&profile=rfc", "profile=linux", "profile=rfc"} {
				if !strings.HasPrefix(q, "width") && !plotStories[st.ID] {
					continue
				}
				if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(ts.URL+"/lessons/"+st.ID+"/diagram.svg?"+q+"&lang="+lang)); err != nil {
					t.Fatal(err)
				}
				waitJS(t, ctx, `!!document.querySelector("svg")`)
				got := evalJS[[]string](t, ctx, "("+crossingsJS+")(`svg`)")
				total += len(got)
				if len(got) > 0 {
					t.Errorf("%s (%s, %s): %d labels lie on other arrows:\n%s", st.ID, q, lang, len(got), strings.Join(got[:min(len(got), 6)], "\n"))
				}
			}
		}
	}
	t.Logf("%d labels on other arrows in all", total)
}

// /compare keeps its texts in their boxes: no card's caption runs past its card, and no
// column header is broken into a character a line (the zh headers on a phone were).
func TestBrowserCompareTextsInTheirBoxes(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	for _, vp := range []struct{ w, h int64 }{{1280, 900}, {390, 844}} {
		for _, lang := range Languages {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(vp.w, vp.h), chromedp.Navigate(ts.URL+"/compare?lang="+lang)); err != nil {
				t.Fatal(err)
			}
			waitJS(t, ctx, `document.querySelectorAll("figure.cmp-col").length >= 8`)
			bad := evalJS[[]string](t, ctx, `(() => {
  const out = [];
  for (const f of document.querySelectorAll("figure.cmp-col")) {
    const r = f.getBoundingClientRect();
    for (const e of f.querySelectorAll("figcaption, figcaption *")) {
      const q = e.getBoundingClientRect();
      if (q.right > r.right + 0.5 || q.left < r.left - 0.5) out.push(f.dataset.variant + ": " + e.textContent.trim().slice(0, 30) + " runs " + Math.round(q.right - r.right) + " px past its card");
    }
  }
  for (const th of document.querySelectorAll(".cmp-table thead th")) {
    const range = document.createRange();
    range.selectNodeContents(th);
    const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top))).size;
    const chars = [...th.textContent.trim()].length;
    if (lines > 1 && lines * 2 >= chars) out.push("header " + th.textContent.trim() + " takes " + lines + " lines");
  }
  return out;
})()`)
			if len(bad) > 0 {
				t.Errorf("%dx%d %s:\n%s", vp.w, vp.h, lang, strings.Join(bad, "\n"))
			}
		}
	}
}

// On a phone every time tick of the live diagram says its time, and no two tick labels
// overlap (the middle ticks used to be drawn bare).
func TestBrowserPhoneTicksLabelled(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	for _, id := range []string{"three-way-handshake", "tcp-fast-open", "connect-timeout", "syn-cookies"} {
		for _, lang := range Languages {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(ts.URL+"/lessons/"+id+"?lang="+lang)); err != nil {
				t.Fatal(err)
			}
			waitJS(t, ctx, `document.documentElement.dataset.player === "ready"`)
			bad := evalJS[[]string](t, ctx, `(() => {
  const out = [], boxes = [];
  const ticks = document.querySelectorAll("svg.sa-live .sa-tick");
  if (ticks.length < 2) out.push("only " + ticks.length + " ticks");
  for (const g of ticks) {
    const t = g.querySelector("text");
    if (!t || !t.textContent.trim()) { out.push("a tick at y " + g.querySelector("line").getAttribute("y1") + " has no label"); continue; }
    const r = t.getBoundingClientRect();
    for (const [s, q] of boxes) if (r.left < q.right - 0.5 && q.left < r.right - 0.5 && r.top < q.bottom - 0.5 && q.top < r.bottom - 0.5) out.push(t.textContent + " overlaps " + s);
    boxes.push([t.textContent, r]);
  }
  return out;
})()`)
			if len(bad) > 0 {
				t.Errorf("%s (%s) at 390×844:\n%s", id, lang, strings.Join(bad, "\n"))
			}
		}
	}
}
