package web

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"synack/engine"
	"synack/engine/diagram"
	"synack/lessons/stories"
)

// overlapsJS returns, for every <svg> matching sel, the pairs of text elements whose
// rendered boxes (rotation included) overlap by more than a pixel, and the texts that
// leave their figure, as "a | b" lines.
const overlapsJS = `(sel) => {
  const out = [];
  for (const svg of document.querySelectorAll(sel)) {
    const vb = svg.viewBox.baseVal;
    const quads = [];
    for (const t of svg.querySelectorAll("text")) {
      if (!t.textContent || t.closest(".sa-hidden")) continue;
      const b = t.getBBox();
      const m = t.getCTM(), root = svg.getCTM().inverse();
      const pts = [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]].map(([x, y]) => {
        let p = new DOMPoint(x, y).matrixTransform(m).matrixTransform(root);
        return [p.x, p.y];
      });
      quads.push({ t: t.textContent, pts });
      for (const [x, y] of pts) if (x < vb.x - 1 || y < vb.y - 1 || x > vb.x + vb.width + 1 || y > vb.y + vb.height + 1) { out.push("outside: " + t.textContent); break; }
    }
    // Separating axis test on the two quads, each shrunk by a pixel.
    const shrink = (q) => { const cx = q.reduce((s, p) => s + p[0], 0) / 4, cy = q.reduce((s, p) => s + p[1], 0) / 4;
      return q.map(([x, y]) => { const dx = x - cx, dy = y - cy, l = Math.hypot(dx, dy) || 1; return [x - dx / l * 1.2, y - dy / l * 1.2]; }); };
    const sep = (a, b) => { for (const q of [a, b]) for (let i = 0; i < 4; i++) {
        const [x1, y1] = q[i], [x2, y2] = q[(i + 1) % 4]; const nx = y2 - y1, ny = x1 - x2;
        const pa = a.map(([x, y]) => x * nx + y * ny), pb = b.map(([x, y]) => x * nx + y * ny);
        if (Math.max(...pa) <= Math.min(...pb) || Math.max(...pb) <= Math.min(...pa)) return true; }
      return false; };
    for (let i = 0; i < quads.length; i++) for (let j = i + 1; j < quads.length; j++)
      if (!sep(shrink(quads[i].pts), shrink(quads[j].pts))) out.push(quads[i].t + " | " + quads[j].t);
  }
  return out;
}`

// The texts Chromium really draws (its fonts, not the layout's estimate) do not overlap
// and stay in their figure: the diagrams the issue named, in both languages, and the
// comparison columns with a lost packet at a short and a long round trip.
func TestBrowserDiagramTextsDoNotOverlap(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	check := func(url, sel string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(ts.URL+url)); err != nil {
			t.Fatal(err)
		}
		waitJS(t, ctx, `document.querySelectorAll("`+sel+`").length > 0`)
		if n := evalJS[int](t, ctx, `document.querySelectorAll("`+sel+` text").length`); n < 10 {
			t.Fatalf("%s: only %d texts", url, n)
		}
		bad := evalJS[[]string](t, ctx, "("+overlapsJS+")(`"+sel+"`)")
		if len(bad) > 0 {
			t.Errorf("%s: %d texts overlap or leave the figure:\n%s", url, len(bad), strings.Join(bad[:min(len(bad), 8)], "\n"))
		}
	}
	// The check itself finds an overlap, a rotated one and a text outside the figure.
	if err := chromedp.Do(ctx, chromedp.Navigate(`data:image/svg+xml,<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100"><text x="10" y="20">overlapping</text><text x="40" y="24">text</text><text x="100" y="60" transform="rotate(40 100 60)">rotated text</text><text x="150" y="66">here</text><text x="190" y="90">out</text></svg>`)); err != nil {
		t.Fatal(err)
	}
	if bad := evalJS[[]string](t, ctx, "("+overlapsJS+")(`svg`)"); len(bad) != 3 {
		t.Fatalf("the overlap check found %q in a figure with two overlaps and a text outside", bad)
	}
	for _, id := range []string{"https-tls13", "https-tls12", "simultaneous-open", "syn-cookies", "syn-flood", "lost-final-ack", "tcp-fast-open"} {
		for _, q := range []string{"lang=en", "lang=zh", "lang=en&width=narrow", "lang=en&drop=2&loss=0.2"} {
			check("/lessons/"+id+"/diagram.svg?"+q, "svg")
		}
	}
	// The data stories, whose fans and folds crowd a window's labels, under both
	// profiles (sack-recovery's last ACKs' labels overlapped at 1280×900).
	for _, id := range []string{"bulk-transfer", "sack-recovery", "tail-loss-probe", "rto-backoff", "zero-window", "nagle-delayed-ack"} {
		for _, q := range []string{"lang=en", "lang=zh", "lang=zh&width=narrow", "lang=en&profile=rfc", "lang=zh&profile=rfc&width=narrow"} {
			check("/lessons/"+id+"/diagram.svg?"+q, "svg")
		}
	}
	for _, q := range []string{"rtt=10ms&lose=1", "rtt=400ms&lose=1", "rtt=100ms&lang=zh"} {
		check("/compare?"+q, "svg.cmp")
	}
}

// liveCheckJS mounts layouts with diagram.js next to what engine/diagram wrote and
// reports the differences: the server-rendered live element must be adopted (same node)
// and match a fresh JS drawing attribute for attribute; a lab layout patched with Diff
// must match a fresh drawing of the later layout.
const liveCheckJS = `async (liveSVG, L, P, N, PATCH, S) => {
  const { mountDiagram } = await import("/static/js/diagram.js?" + Date.now());
  const out = [];
  const norm = (svg) => [svg, ...svg.querySelectorAll("*")].map((e) => e.tagName + " " +
    [...e.attributes].filter((x) => !["class", "data-step", "data-relative", "tabindex", "role", "id"].includes(x.name))
      .map((x) => x.name + "=" + x.value).sort().join(" ") + " " + (e.children.length ? "" : e.textContent));
  const diff = (what, a, b) => { for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) { out.push(what + ": " + a[i] + " ≠ " + b[i]); return; } };
  const box = () => document.body.appendChild(document.createElement("div"));
  const a = box(); a.innerHTML = liveSVG;
  const before = a.querySelector("svg");
  const va = mountDiagram(a, L, { lang: "en", strings: S });
  if (a.querySelector("svg") !== before) out.push("the server's live SVG was not adopted");
  if (va.current !== 5) out.push("adopted at step " + va.current);
  const b = box();
  const vb = mountDiagram(b, JSON.parse(JSON.stringify(L)), { lang: "en", strings: S, title: before.querySelector("title").textContent });
  vb.show(5); // the adopted element is compared as the server wrote it
  diff("live vs JS", norm(a.querySelector("svg")), norm(b.querySelector("svg")));
  const c = box(), d = box();
  const vc = mountDiagram(c, P, { lang: "en", strings: S, title: "t" });
  vc.show(P.steps.length - 1);
  vc.patch(PATCH);
  vc.show(N.steps.length - 1);
  mountDiagram(d, N, { lang: "en", strings: S, title: "t" }).show(N.steps.length - 1);
  diff("patched vs fresh", norm(c.querySelector("svg")), norm(d.querySelector("svg")));
  return out;
}`

func TestBrowserLiveDiagramAdoptsAndPatches(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	tr, err := stories.Default().Run("https-tls13", engine.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	l := diagram.Build(tr, diagram.Options{})
	var live bytes.Buffer
	diagram.WriteLive(&live, l, diagram.LiveOptions{Step: 5, Lang: "en", Title: "TLS 1.3"})
	lab, err := engine.NewLab(engine.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	lab.Do(engine.LabAction{Endpoint: "server", Op: "listen"})
	prev := diagram.Build(lab.Trace(), diagram.Options{})
	prevJSON, _ := json.Marshal(prev) // before the trace grows under it
	lab.Do(engine.LabAction{Endpoint: "client", Op: "connect"})
	lab.Do(engine.LabAction{Endpoint: "client", Op: "send", Bytes: 10})
	next := diagram.Build(lab.Trace(), diagram.Options{})
	args := []any{live.String(), l, json.RawMessage(prevJSON), next, diagram.Diff(prev, next), pageStrings("en")}
	var parts []string
	for _, a := range args {
		b, _ := json.Marshal(a)
		parts = append(parts, string(b))
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/healthz")); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string]("("+liveCheckJS+")("+strings.Join(parts, ",")+")",
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range got {
		t.Error(g)
	}
}
