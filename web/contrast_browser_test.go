package web

import (
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// contrastJS returns every visible text under the elements matching sel whose contrast
// against what is behind it is under min (WCAG 2.x: (L1 + 0.05) / (L2 + 0.05) of the
// relative luminances), as "text: ratio (fg on bg)" lines. The background of an SVG text
// is its own halo when it is painted stroke-first with a wide stroke (the diagram's
// labels are), else the filled shapes and boxes under the text's centre, composited
// (elementsFromPoint), down to an opaque one; the background of an HTML text is the
// first opaque background of it or its ancestors.
const contrastJS = `(sel, min) => {
  const parse = (c) => {
    if (!c || c === "none" || c === "transparent") return null;
    const m = /rgba?\(([^)]+)\)/.exec(c);
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, below) => ({ r: top.r * top.a + below.r * (1 - top.a), g: top.g * top.a + below.g * (1 - top.a), b: top.b * top.a + below.b * (1 - top.a), a: 1 });
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const canvas = parse(getComputedStyle(document.body).backgroundColor) || { r: 255, g: 255, b: 255, a: 1 };
  const hex = (c) => "#" + [c.r, c.g, c.b].map((v) => Math.round(v).toString(16).padStart(2, "0")).join("");
  const paintOf = (e) => {
    const cs = getComputedStyle(e);
    if (e instanceof SVGElement) {
      if (!["rect", "path", "polygon", "circle", "ellipse"].includes(e.localName)) return null;
      const f = parse(cs.fill);
      if (!f) return null;
      f.a *= Number(cs.fillOpacity) * Number(cs.opacity);
      return f.a > 0.02 ? f : null;
    }
    const b = parse(cs.backgroundColor);
    if (!b || b.a < 0.02) return null;
    b.a *= Number(cs.opacity);
    return b;
  };
  const compose = (layers) => { let c = canvas; for (let i = layers.length - 1; i >= 0; i--) c = over(layers[i], c); return c; };
  const svgBg = (t) => {
    const cs = getComputedStyle(t);
    const halo = parse(cs.stroke);
    if (halo && halo.a === 1 && parseFloat(cs.strokeWidth) >= 3 && cs.paintOrder.startsWith("stroke")) return halo;
    t.scrollIntoView({ block: "center", inline: "center" });
    const r = t.getBoundingClientRect();
    const layers = [];
    for (const e of document.elementsFromPoint(r.left + r.width / 2, r.top + r.height / 2)) {
      if (e === t || e.closest("text")) continue;
      const p = paintOf(e);
      if (!p) continue;
      layers.push(p);
      if (p.a >= 0.999) break;
    }
    return compose(layers);
  };
  const htmlBg = (e) => {
    const layers = [];
    for (let x = e; x; x = x.parentElement) {
      const p = paintOf(x);
      if (!p) continue;
      layers.push(p);
      if (p.a >= 0.999) break;
    }
    return compose(layers);
  };
  const out = [];
  let n = 0;
  for (const root of document.querySelectorAll(sel)) {
    const texts = [...root.querySelectorAll("text")];
    for (const e of root.querySelectorAll("*")) {
      if (e instanceof SVGElement) continue;
      if ([...e.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim())) texts.push(e);
    }
    if (root.matches("text") || [...root.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim())) texts.push(root);
    for (const t of texts) {
      if (!t.textContent.trim() || !t.getClientRects().length) continue;
      const cs = getComputedStyle(t);
      if (cs.visibility === "hidden" || t.closest("[aria-hidden=true] *, .sa-hidden, [hidden]")) continue;
      const fg = parse(t instanceof SVGElement ? cs.fill : cs.color);
      if (!fg) continue;
      const bg = t instanceof SVGElement ? svgBg(t) : htmlBg(t);
      const k = ratio(over(fg, bg), bg);
      n++;
      if (k < min) out.push(t.textContent.trim().slice(0, 40) + ": " + k.toFixed(2) + " (" + hex(fg) + " on " + hex(bg) + ")");
    }
  }
  return { n, out };
}`

type contrastResult struct {
	N   int      `json:"n"`
	Out []string `json:"out"`
}

// Every text of every figure reads at 4.5:1 or better against what is behind it, in the
// dark scheme many phones default to and in the light one: the sequence diagram (its
// state names, labels, timers and notes), the state figure with both endpoints lit, the
// header figure of a selected segment and the comparison page.
func TestBrowserContrast(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	// The check itself: white on #777 is 4.48:1, black on #777 is 4.69:1.
	if err := chromedp.Do(ctx, chromedp.Navigate(`data:text/html,<body style="background:%23fff"><p id=a style="background:%23777;color:%23fff">low</p><p id=b style="background:%23777;color:%23000">fine</p><svg width=200 height=50><rect width=200 height=50 fill="%23777"/><text x=5 y=20 fill="%23fff">svg low</text></svg></body>`)); err != nil {
		t.Fatal(err)
	}
	self := evalJS[contrastResult](t, ctx, "("+contrastJS+`)("body", 4.5)`)
	if j := strings.Join(self.Out, "|"); self.N != 3 || len(self.Out) != 2 || !strings.Contains(j, "svg low: 4.48 (#ffffff on #777777)") || !strings.Contains(j, "|low: 4.48") && !strings.HasPrefix(j, "low: 4.48") {
		t.Fatalf("the contrast check on a page with two low texts and one fine found %+v", self)
	}
	for _, scheme := range []string{"dark", "light"} {
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			url, wait string
			roots     []string
		}{
			{"/lessons/three-way-handshake?lang=en&step=999", `(document.querySelector('svg.sa-live [data-segment="SYN ACK"]') || {dispatchEvent() {}}).dispatchEvent(new MouseEvent("click")), document.querySelectorAll("#inspector .insp-cell").length > 10 && !!document.querySelector("#states svg .sa-sm-lit-0")`,
				[]string{"#diagram svg", "#states", "#inspector"}},
			// The server alone in LISTEN, lit in its own colour.
			{"/lessons/three-way-handshake?lang=zh&step=2", `!!document.querySelector("#states svg .sa-sm-lit-1:not(.sa-sm-lit-0)")`,
				[]string{"#states"}},
			{"/lessons/four-way-close?lang=zh&step=999", `!!document.querySelector("#states svg .sa-sm-lit-1")`,
				[]string{"#diagram svg", "#states"}},
			{"/lessons/syn-cookies?lang=en&step=999", `!!document.querySelector("svg.sa-live")`,
				[]string{"#diagram svg"}},
			{"/lessons/tcp-header?lang=zh", `document.querySelectorAll("#inspector .insp-cell").length > 10`,
				[]string{"#inspector"}},
			{"/compare?lang=zh", `!!document.querySelector("svg.cmp")`,
				[]string{"main"}},
		} {
			t.Run(scheme+tc.url, func(t *testing.T) {
				if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(ts.URL+tc.url)); err != nil {
					t.Fatal(err)
				}
				waitJS(t, ctx, tc.wait)
				for _, root := range tc.roots {
					got := evalJS[contrastResult](t, ctx, "("+contrastJS+")("+jsString(root)+", 4.5)")
					if got.N < 5 {
						t.Errorf("%s: only %d texts checked", root, got.N)
					}
					if len(got.Out) > 0 {
						t.Errorf("%s: %d of %d texts under 4.5:1:\n%s", root, len(got.Out), got.N, strings.Join(got.Out[:min(len(got.Out), 12)], "\n"))
					}
				}
			})
		}
	}
}

func jsString(s string) string {
	return "`" + strings.ReplaceAll(s, "`", "\\`") + "`"
}
