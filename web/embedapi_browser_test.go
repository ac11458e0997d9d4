package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// coursePage is a parent page that frames src, records every message its frame sends
// (window.got) and sends commands to it (window.send), pinned to the embed's origin.
func coursePage(src, embedOrigin string) string {
	return fmt.Sprintf(`<!doctype html><meta charset="utf-8"><title>course</title>
<iframe id="f" src="%s" width="1000" height="700" style="border:0"></iframe>
<script>
window.got = [];
addEventListener("message", (e) => {
  const f = document.getElementById("f");
  if (e.source !== f.contentWindow) return;
  got.push(typeof e.data === "string" ? JSON.parse(e.data) : e.data);
  if (e.data && e.data.type === "synack:height") f.height = e.data.height;
});
window.send = (m) => document.getElementById("f").contentWindow.postMessage(m, %q);
window.last = (type) => got.filter((m) => m.type === type).pop();
</script>`, src, embedOrigin)
}

// TestBrowserEmbedAPI drives an embed from a course page on another origin
// (localhost framing 127.0.0.1): ready and height arrive, seek/step/play/pause move the
// player and come back as step events, an answer comes out as an answer event, a
// command from a frame that is not the parent is ignored, and set reloads the embed
// with new parameters.
func TestBrowserEmbedAPI(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	embed := ts.URL + "/embed/lessons/three-way-handshake?lang=en&view=diagram"
	var course *httptest.Server
	course = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/intruder":
			// A sibling frame of another page's making: it tries to drive the embed.
			fmt.Fprint(w, `<!doctype html><script>parent.frames[0].postMessage({type: "synack:seek", step: 1}, "*"); document.title = "sent";</script>`)
		case "/lti":
			fmt.Fprint(w, coursePage(embed+"#lti=", ts.URL))
		default:
			fmt.Fprint(w, coursePage(embed, ts.URL))
		}
	}))
	defer course.Close()
	parent := strings.Replace(course.URL, "127.0.0.1", "localhost", 1)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(parent)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!!last("synack:ready") && !!last("synack:height")`)
	ready := evalJS[map[string]any](t, ctx, `last("synack:ready")`)
	if ready["steps"].(float64) < 10 || ready["playing"] != false {
		t.Errorf("ready = %v", ready)
	}
	if h := evalJS[float64](t, ctx, `last("synack:height").height`); h < 200 || h > SlideHeight {
		t.Errorf("the diagram view says it is %.0f px tall; want it to fit a %d px slide", h, SlideHeight)
	}
	step := func() float64 { return evalJS[float64](t, ctx, `last("synack:step").step`) }
	// Seek to step 3 (counted from 1, as ?step= is), then one forward and one back.
	evalJS[chromedp.Void](t, ctx, `send({type: "synack:seek", step: 3})`)
	waitJS(t, ctx, `!!last("synack:step") && last("synack:step").step === 3`)
	evalJS[chromedp.Void](t, ctx, `send({type: "synack:step"})`)
	waitJS(t, ctx, `last("synack:step").step === 4`)
	evalJS[chromedp.Void](t, ctx, `send({type: "synack:step", by: -1})`)
	waitJS(t, ctx, `last("synack:step").step === 3`)
	// The embed is cross-site (localhost frames 127.0.0.1): Chromium runs it as its own
	// target, which a context attaches to (chromedp docs/API.md §19).
	inFrame := func(cond string) {
		t.Helper()
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, info := range infos {
			if info.Type == "iframe" && strings.HasPrefix(info.URL, ts.URL+"/embed/") {
				fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
				defer cancel()
				if _, err := chromedp.Run(fctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
					t.Fatalf("in the embed, waiting for %s: %v", cond, err)
				}
				return
			}
		}
		t.Fatalf("no cross-site iframe target for the embed among %d targets", len(infos))
	}
	inFrame(`document.querySelector("[data-testid=stepno]").textContent.startsWith("Step 3 ")`)

	// A frame that is not the parent sends a seek to step 1: ignored. The parent's next
	// step then goes from 3 to 4.
	evalJS[chromedp.Void](t, ctx, `(() => { const i = document.createElement("iframe"); i.id = "intruder"; i.src = "/intruder"; document.body.appendChild(i); })()`)
	waitJS(t, ctx, `(() => { try { return document.getElementById("intruder").contentDocument.title === "sent" } catch { return false } })()`)
	evalJS[chromedp.Void](t, ctx, `send({type: "synack:step"})`)
	waitJS(t, ctx, `last("synack:step").step !== 3`)
	if s := step(); s != 4 {
		t.Errorf("after a stranger's seek to 1 and the parent's step: step %v, want 4", s)
	}

	// Play and pause come back as step events with playing set.
	evalJS[chromedp.Void](t, ctx, `send({type: "synack:play"})`)
	waitJS(t, ctx, `last("synack:step").playing === true`)
	evalJS[chromedp.Void](t, ctx, `send({type: "synack:pause"})`)
	waitJS(t, ctx, `last("synack:step").playing === false`)

	// The first question (the server's state after its SYN-ACK): answered in the embed,
	// it comes out as an answer event.
	evalJS[chromedp.Void](t, ctx, `send({type: "synack:play"})`)
	inFrame(`!document.querySelector("#question").hidden && !!document.querySelector("#question input")`)
	inFrame(`(() => { document.querySelector('#question input[value="SYN-RECEIVED"]').click(); document.querySelector("[data-testid=check]").click(); return true })()`)
	waitJS(t, ctx, `!!last("synack:answer")`)
	ans := evalJS[map[string]any](t, ctx, `last("synack:answer")`)
	if ans["question"] != 0.0 || ans["choice"] != "SYN-RECEIVED" || ans["correct"] != true {
		t.Errorf("answer event = %v", ans)
	}

	// set: a new run is a new address; the embed reloads itself with it.
	evalJS[chromedp.Void](t, ctx, `got.length = 0; send({type: "synack:set", params: {rtt: "200ms", lang: "zh"}})`)
	waitJS(t, ctx, `!!last("synack:ready")`)
	inFrame(`new URL(location.href).searchParams.get("rtt") === "200ms" && document.documentElement.lang === "zh-CN"`)

	// Launched through LTI (#lti= in the address), the embed also sends Canvas's
	// lti.frameResize, and takes the token out of its address.
	if err := chromedp.Do(ctx, chromedp.Navigate(parent+"/lti")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `got.some((m) => m.subject === "lti.frameResize" && m.height > 0) && !!last("synack:height")`)
	inFrame(`location.hash === ""`)
}

// TestBrowserCompactHeights: the compact views fit a 1280×720 slide in both languages.
func TestBrowserCompactHeights(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	for _, path := range []string{"/embed/lessons/three-way-handshake?view=diagram", "/embed/lessons/syn-flood?view=diagram", "/embed/lab?view=lab"} {
		for _, lang := range []string{"en", "zh"} {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, SlideHeight), chromedp.Navigate(ts.URL+path+"&lang="+lang)); err != nil {
				t.Fatal(err)
			}
			waitJS(t, ctx, `!!document.querySelector("svg.sa-live")`)
			if strings.Contains(path, "lab") {
				// A lab with a whole connection drawn, so its diagram is at its tallest.
				for _, b := range []string{"lab-server-listen", "lab-client-connect", "lab-client-close", "lab-server-close"} {
					if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid="`+b+`"]`))); err != nil {
						t.Fatal(err)
					}
				}
				waitJS(t, ctx, `[...document.querySelectorAll('svg.sa-live [data-state="TIME-WAIT"]')].some(e => !e.classList.contains("sa-hidden"))`)
			}
			if h := evalJS[float64](t, ctx, `document.documentElement.scrollHeight`); h > SlideHeight {
				t.Errorf("%s in %s: %.0f px tall, more than a %d px slide", path, lang, h, SlideHeight)
			}
			if !strings.Contains(path, "lab") && !evalJS[bool](t, ctx, `!!document.querySelector("[data-testid=controls]").offsetHeight && !!document.querySelector("[data-testid=diagram]").offsetHeight`) {
				t.Errorf("%s in %s: controls or diagram not shown", path, lang)
			}
		}
	}
}
