package web

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// recordShifts makes every document the test opens add up its layout shifts (the CLS
// sum) in window.synackCLS, from the first paint on.
func recordShifts(t *testing.T, ctx context.Context) {
	t.Helper()
	_, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: `window.synackCLS = 0;
new PerformanceObserver((l) => { for (const e of l.getEntries()) if (!e.hadRecentInput) window.synackCLS += e.value; })
  .observe({ type: "layout-shift", buffered: true });`})
	if err != nil {
		t.Fatal(err)
	}
}

// settle waits two animation frames, so that layout shifts of the last change are counted.
func settle(t *testing.T, ctx context.Context) {
	t.Helper()
	evalJS[chromedp.Void](t, ctx, `(() => { window.synackSettled = false; requestAnimationFrame(() => requestAnimationFrame(() => { window.synackSettled = true; })); })()`)
	waitJS(t, ctx, `window.synackSettled === true`)
}

// A lesson opens where its story starts (its first narrated step, before any question),
// drawn, with that step in view and the page at the top, with no layout shift when the
// live player takes over; ?step=N opens on "Step N". At 390×844 the diagram
// starts on the first screen and nothing scrolls sideways.
func TestBrowserFirstPaintIsTheStart(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	recordShifts(t, ctx)
	for _, tc := range []struct {
		id   string
		w, h int64
	}{
		{"four-way-close", 1280, 900},
		{"time-wait", 1280, 900},
		{"connect-timeout", 1280, 900},
		{"three-way-handshake", 390, 844},
		{"four-way-close", 390, 844},
	} {
		t.Run(fmt.Sprintf("%s-%d", tc.id, tc.w), func(t *testing.T) {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(tc.w, tc.h), chromedp.Navigate(ts.URL+"/lessons/"+tc.id+"?lang=en")); err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("Step %d of ", int(evalJS[float64](t, ctx, `JSON.parse(document.getElementById("boot").textContent).step`))+1)
			if got := evalJS[string](t, ctx, `document.querySelector("[data-testid=stepno]").textContent`); !strings.HasPrefix(got, want) {
				t.Errorf("the page arrives at %q, want %q", got, want)
			}
			if evalJS[bool](t, ctx, `(() => { const b = JSON.parse(document.getElementById("boot").textContent); return b.step >= b.layout.steps.length - 1; })()`) {
				t.Error("the page opens at the end of the story")
			}
			waitJS(t, ctx, `!!document.querySelector("svg.sa-live")`)
			// The inline script runs: the policy allows it by its hash.
			if !evalJS[bool](t, ctx, `document.documentElement.classList.contains("js")`) {
				t.Error(`the inline script that marks the page as scripted did not run (the policy's hash?)`)
			}
			settle(t, ctx)
			if cls := evalJS[float64](t, ctx, `window.synackCLS`); cls > 0.02 {
				t.Errorf("layout shift %.3f while the live player took over, want ≤ 0.02", cls)
			}
			if y := evalJS[float64](t, ctx, `window.scrollY`); y != 0 {
				t.Errorf("the page scrolled by %.0f px at the first step", y)
			}
			if !evalJS[bool](t, ctx, `(() => { const c = document.querySelector("svg.sa-live .sa-current"); if (!c) return true; const r = c.getBoundingClientRect(), d = document.getElementById("diagram").getBoundingClientRect(); return r.bottom > d.top && r.top < d.bottom; })()`) {
				t.Error("the current step is not in view in the diagram")
			}
			if !evalJS[bool](t, ctx, `document.querySelector("svg.sa-live .sa-state:not(.sa-hidden), svg.sa-live .sa-app:not(.sa-hidden), svg.sa-live .sa-seg:not(.sa-hidden)") !== null`) {
				t.Error("nothing of the story is drawn at step 1")
			}
			if tc.w < 600 {
				// A phone gets the narrow layout before its first paint, and the live player
				// adopts that drawing. Chromium says its width in a client hint, so the page
				// is narrow from the first request and its address has no width (a browser
				// without client hints reloads it with width=narrow).
				if got := evalJS[string](t, ctx, `new URL(location.href).searchParams.get("width") + "|" + document.querySelector("svg.sa-live").getAttribute("viewBox")`); !strings.HasPrefix(got, "null|0 0 360 ") {
					t.Errorf("on a phone the page is %q, want no width (no reload) and a 360-wide diagram", got)
				}
				if top := evalJS[float64](t, ctx, `document.getElementById("diagram").getBoundingClientRect().top`); top > float64(tc.h)-200 {
					t.Errorf("on a phone the diagram starts at %.0f px, below the first screen", top)
				}
				if !evalJS[bool](t, ctx, `document.documentElement.scrollWidth <= innerWidth && document.getElementById("diagram").scrollWidth <= document.getElementById("diagram").clientWidth`) {
					t.Error("on a phone the page or the diagram scrolls sideways")
				}
				if evalJS[bool](t, ctx, `getComputedStyle(document.querySelector(".keys")).display !== "none"`) {
					t.Error("keyboard hints shown without a fine pointer")
				}
			}
		})
	}
	// ?step=5 is "Step 5", in the counter, the transcript and the URL.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(ts.URL+"/lessons/four-way-close?lang=en&step=5")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!!document.querySelector("svg.sa-live")`)
	if got := evalJS[string](t, ctx, `document.querySelector("[data-testid=stepno]").textContent + "|" + document.querySelector("#transcript li.current").id + "|" + new URL(location.href).searchParams.get("step")`); !strings.HasPrefix(got, "Step 5 of ") || !strings.HasSuffix(got, "|step-5|5") {
		t.Errorf("?step=5 shows %q, want Step 5, transcript line 5, step=5", got)
	}
	// The lane names stay in view while the diagram scrolls.
	evalJS[chromedp.Void](t, ctx, `document.getElementById("diagram").scrollTop = 600`)
	waitJS(t, ctx, `getComputedStyle(document.querySelector(".lane-heads")).opacity === "1" && window.scrollY === 0`)
}

// ?autoplay=1&speed=8 plays at 8× from the first frame: the speed control says so and
// the story moves on by itself.
func TestBrowserAutoplaySpeed(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/lessons/syn-to-closed-port?lang=en&autoplay=1&speed=8")); err != nil {
		t.Fatal(err)
	}
	if got := evalJS[string](t, ctx, `document.querySelector("[data-action=speed]").value`); got != "8" {
		t.Errorf("speed control shows %s, want 8", got)
	}
	// It plays on by itself to the end or to the lesson's first question.
	waitJS(t, ctx, `(() => { const m = document.querySelector("[data-testid=stepno]").textContent.match(/(\d+) of (\d+)/); return m && (m[1] === m[2] || !document.querySelector("#question").hidden); })()`)
	if got := evalJS[string](t, ctx, `new URL(location.href).searchParams.get("speed")`); got != "8" {
		t.Errorf("the URL lost the speed: %q", got)
	}
}

// After quick clicks in the lab, "Show now" brings the diagram, the legends and the
// transcript to the same moment at once, and they agree.
func TestBrowserLabKeepsUp(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/lab?lang=en")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!!document.querySelector("svg.sa-live")`)
	for _, id := range []string{"lab-server-listen", "lab-client-connect", "lab-client-send", "lab-server-read", "lab-client-close", "lab-server-close"} {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid="`+id+`"]`))); err != nil {
			t.Fatal(err)
		}
	}
	// The last action has been answered when the server's legend says LAST-ACK or later.
	waitJS(t, ctx, `document.querySelectorAll("#transcript li").length > 10`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid="now"]`))); err != nil {
		t.Fatal(err)
	}
	agree := `(() => {
  const shown = (lane) => { const v = [...document.querySelectorAll('svg.sa-live [data-lane="' + lane + '"][data-state]:not(.sa-hidden)')]; return v.length ? v[v.length - 1].dataset.state : "CLOSED"; };
  const lis = document.querySelectorAll("#transcript li");
  const last = lis[lis.length - 1];
  return ["client", "server"].every((k) => document.querySelector("[data-state-of=" + k + "]").textContent === shown(k)) && last.classList.contains("current");
})()`
	waitJS(t, ctx, agree)
	if got := evalJS[string](t, ctx, `document.querySelector("[data-state-of=client]").textContent`); got == "CLOSED" || got == "ESTABLISHED" {
		t.Errorf("after the client's close the client is %s", got)
	}
}

// A course page opened from disk (file://) frames an embedded lesson; the embed tells it
// its height.
func TestBrowserEmbedFromFile(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	course := filepath.Join(t.TempDir(), "course.html")
	html := fmt.Sprintf(`<!doctype html><title>course</title>
<iframe id="synack" src="%s/embed/lessons/three-way-handshake?lang=en" width="100%%" height="300" style="border:0"></iframe>
<script>addEventListener("message", (e) => { if (e.data && e.data.type === "synack:height") { document.getElementById("synack").height = e.data.height; window.synackHeight = e.data.height; } });</script>`, ts.URL)
	if err := os.WriteFile(course, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate("file://"+course)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `window.synackHeight > 600`)
	if !evalJS[bool](t, ctx, `document.getElementById("synack").getBoundingClientRect().height === window.synackHeight`) {
		t.Error("the course page did not size the iframe from the message")
	}
}

//go:embed testdata/axe/axe.min.js
var axeSource string

// axe-core finds no serious or critical violation on the home page, a lesson, the lab
// and the comparison, in both languages, on a desktop screen and on a phone (where a
// page reloads itself with the narrow drawing).
func TestBrowserAxe(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	for _, vp := range []struct{ w, h int64 }{{1280, 900}, {390, 844}} {
		for _, path := range []string{"/", "/lessons/three-way-handshake", "/lab", "/compare"} {
			for _, lang := range Languages {
				t.Run(fmt.Sprintf("%s-%s-%d", path, lang, vp.w), func(t *testing.T) {
					axePage(t, ctx, vp.w, vp.h, ts.URL+path+"?lang="+lang, path != "/" && path != "/compare")
				})
			}
		}
	}
}

// axePage opens url at w×h (a phone's as a phone: touch, mobile) and fails the test on
// axe-core's serious and critical findings; live says the page has a live player to wait
// for.
func axePage(t *testing.T, ctx context.Context, w, h int64, url string, live bool) {
	t.Helper()
	var emu []chromedp.EmulateViewportOption
	if w < 600 {
		emu = append(emu, chromedp.EmulateMobile)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, h, emu...), chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	if live {
		waitJS(t, ctx, `document.documentElement.dataset.player === "ready"`)
	}
	evalJS[chromedp.Void](t, ctx, axeSource+";void 0")
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]map[string]any](`axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations
  .filter((v) => v.impact === "serious" || v.impact === "critical")
  .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) })))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range got {
		t.Errorf("axe: %v %v on %v", v["impact"], v["id"], v["nodes"])
	}
	if n := evalJS[int](t, ctx, `document.querySelectorAll("main, [role=main]").length`); n == 0 {
		t.Error("axe ran on a page with no main landmark: not the page meant")
	}
}

// BenchmarkBrowserFirstArrow measures, on loopback, how long after navigation starts a
// lesson opened with ?autoplay=1&speed=8 shows its first segment arrow (the player marks
// that moment with performance.mark: the first paint, when the page arrived with the arrow
// drawn), in one browser whose cache is warm. Reported as ms/first-arrow.
func BenchmarkBrowserFirstArrow(b *testing.B) {
	ctx := browser(b)
	_, ts := newTestServer(b, Config{})
	srv := ts.URL
	var total, paint, play float64
	for i := 0; i < b.N; i++ {
		if err := chromedp.Do(ctx, chromedp.Navigate("about:blank"), chromedp.Navigate(srv+"/lessons/three-way-handshake?lang=en&autoplay=1&speed=8")); err != nil {
			b.Fatal(err)
		}
		// performance.now() at the marks: milliseconds since navigation started.
		var v []float64
		var err error
		for try := 0; try < 5; try++ { // the poll can meet the context of the page navigated away from
			v, err = chromedp.Run(ctx, chromedp.Poll[[]float64](`(() => {
  const at = (n) => (performance.getEntriesByName(n)[0] || {}).startTime;
  return at("synack-first-arrow") && [at("synack-first-arrow"), at("first-contentful-paint"), at("synack-play")];
})()`, chromedp.WithPollingTimeout(20*time.Second)))
			if err == nil || !strings.Contains(err.Error(), "Cannot find context") {
				break
			}
		}
		if err != nil {
			b.Fatal(err)
		}
		total += v[0]
		paint += v[1]
		play += v[2]
	}
	b.ReportMetric(paint/float64(b.N), "ms/first-paint")
	b.ReportMetric(play/float64(b.N), "ms/clock-start")
	b.ReportMetric(total/float64(b.N), "ms/first-arrow")
}

// BenchmarkBrowserFirstArrowCold is BenchmarkBrowserFirstArrow with a new Chromium (an
// empty profile and cache) for every navigation, the server's page cache warm: what a
// first visitor waits. The page arrives with its first arrow drawn, so that is its first
// contentful paint. Besides the marks it reports the median first arrow, when the HTML
// had arrived and when the document was parsed (DOMContentLoaded), in ms since navigation
// started; SYNACK_TIMELINE=1 logs every performance entry of each run.
func BenchmarkBrowserFirstArrowCold(b *testing.B) {
	_, ts := newTestServer(b, Config{})
	url := ts.URL + "/lessons/three-way-handshake?lang=en&autoplay=1&speed=8"
	if resp, err := ts.Client().Get(url); err == nil {
		resp.Body.Close()
	}
	var sum [5]float64
	var arrows []float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ctx := browser(b)
		if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
			b.Fatal(err)
		}
		v, err := chromedp.Run(ctx, chromedp.Poll[[]float64](`(() => {
  const at = (n) => (performance.getEntriesByName(n)[0] || {}).startTime;
  const nav = performance.getEntriesByType("navigation")[0];
  return at("synack-first-arrow") && [at("synack-first-arrow"), at("first-contentful-paint") || 0, at("synack-play") || 0, nav.responseEnd, nav.domContentLoadedEventEnd];
})()`, chromedp.WithPollingTimeout(20*time.Second)))
		if err != nil {
			b.Fatal(err)
		}
		if os.Getenv("SYNACK_TIMELINE") != "" {
			b.Log(evalJS[string](b, ctx, `performance.getEntries().map((e) => e.entryType + " " + e.name.replace(location.origin, "") + " " + Math.round(e.startTime) + "–" + Math.round(e.responseEnd || (e.startTime + e.duration))).join("\n")`))
		}
		b.Logf("run %d: first arrow %.0f ms, first paint %.0f, clock start %.0f, HTML %.0f, DOMContentLoaded %.0f", i+1, v[0], v[1], v[2], v[3], v[4])
		for k := range sum {
			sum[k] += v[k]
		}
		arrows = append(arrows, v[0])
	}
	n := float64(b.N)
	slices.Sort(arrows)
	b.ReportMetric(arrows[len(arrows)/2], "ms/first-arrow-median")
	b.ReportMetric(sum[0]/n, "ms/first-arrow")
	b.ReportMetric(sum[1]/n, "ms/first-paint")
	b.ReportMetric(sum[2]/n, "ms/clock-start")
	b.ReportMetric(sum[3]/n, "ms/html")
	b.ReportMetric(sum[4]/n, "ms/dcl")
}

var cdppageAdd = cdppage.AddScriptToEvaluateOnNewDocument

func cdppageParams(src string) cdppage.AddScriptToEvaluateOnNewDocumentParams {
	return cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: src}
}
