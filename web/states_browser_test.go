package web

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The state panel draws RFC 9293 Figure 5 in the page's language: every label's rendered
// text fits its box and no label or box overlaps another in the real font; after a
// handshake in the lab, both endpoints are lit on ESTABLISHED with the edge each took
// highlighted and named in the live caption.
func TestBrowserStateFigure(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(ts.URL+"/lab?lang=zh")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.querySelectorAll("#states svg.sa-sm .sa-sm-node").length === 12 && !!document.querySelector("svg.sa-live")`)
	if n := evalJS[int](t, ctx, `document.querySelectorAll("#states svg.sa-sm .sa-sm-edge").length`); n != 21 {
		t.Errorf("%d edges drawn, want 21", n)
	}
	overlaps := evalJS[[]string](t, ctx, `(() => {
		const out = [];
		const r = (e) => e.getBoundingClientRect();
		const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
		const boxes = [];
		for (const g of document.querySelectorAll("#states .sa-sm-node")) boxes.push(["box " + g.dataset.node, r(g.querySelector("rect"))]);
		for (const g of document.querySelectorAll("#states .sa-sm-edge-label")) {
			const box = r(g.querySelector("rect"));
			for (const t of g.querySelectorAll("text")) {
				const b = r(t);
				if (b.left < box.left - 0.5 || b.right > box.right + 0.5) out.push("text " + t.textContent + " of " + g.dataset.edge + " leaves its box");
			}
			boxes.push(["label " + g.dataset.edge, box]);
		}
		for (let i = 0; i < boxes.length; i++)
			for (let j = i + 1; j < boxes.length; j++)
				if (hit(boxes[i][1], boxes[j][1])) out.push(boxes[i][0] + " overlaps " + boxes[j][0]);
		return out;
	})()`)
	for _, o := range overlaps {
		t.Error(o)
	}
	if !evalJS[bool](t, ctx, `document.querySelector("#states svg.sa-sm title").textContent.includes("图 5")`) {
		t.Error("the figure's title is not in Chinese")
	}
	for _, id := range []string{"lab-server-listen", "lab-client-connect"} {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid="`+id+`"]`))); err != nil {
			t.Fatal(err)
		}
	}
	waitJS(t, ctx, `(() => { const g = document.querySelector('#states [data-node="ESTABLISHED"]'); return !!g && g.classList.contains("sa-sm-lit-0") && g.classList.contains("sa-sm-lit-1"); })()`)
	for _, c := range []struct{ edge, class string }{{"SYN-SENT>ESTABLISHED", "sa-sm-taken-0"}, {"LISTEN>SYN-RECEIVED", ""}, {"SYN-RECEIVED>ESTABLISHED", "sa-sm-taken-1"}} {
		got := evalJS[string](t, ctx, `document.querySelector('#states .sa-sm-edge[data-edge="`+c.edge+`"]').getAttribute("class")`)
		if c.class != "" && !strings.Contains(got, c.class) || c.class == "" && strings.Contains(got, "taken") {
			t.Errorf("edge %s has class %q, want %q", c.edge, got, c.class)
		}
	}
	now := evalJS[string](t, ctx, `document.querySelector("[data-testid=states-now]").textContent`)
	for _, want := range []string{"客户端", "服务器", "收到 SYN,ACK / 发送 ACK"} {
		if !strings.Contains(now, want) {
			t.Errorf("live caption %q lacks %q", now, want)
		}
	}
	if legend := evalJS[string](t, ctx, `document.querySelector("#states .sa-sm-legend").textContent`); !strings.Contains(legend, "客户端") || !strings.Contains(legend, "服务器") {
		t.Errorf("legend %q is not in Chinese", legend)
	}
}

// A SYN answered by a RST takes SYN-SENT to CLOSED, which Figure 5 does not draw (its
// SYN-SENT → CLOSED edge is CLOSE): the panel must not light that edge for it. The lab
// shows it: the client connects while nobody listens.
func TestBrowserStateFigureRST(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(ts.URL+"/lab?lang=en")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.querySelectorAll("#states svg.sa-sm .sa-sm-node").length === 12 && !!document.querySelector("svg.sa-live")`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid="lab-client-connect"]`))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.querySelector("[data-testid=states-now]").textContent.includes("SYN-SENT → CLOSED")`)
	if cls := evalJS[string](t, ctx, `document.querySelector('#states .sa-sm-edge[data-edge="SYN-SENT>CLOSED"]').getAttribute("class")`); strings.Contains(cls, "taken") {
		t.Errorf("the CLOSE edge SYN-SENT>CLOSED is lit for a RST: class %q", cls)
	}
	if now := evalJS[string](t, ctx, `document.querySelector("[data-testid=states-now]").textContent`); strings.Contains(now, "CLOSE / delete TCB") {
		t.Errorf("caption %q names the CLOSE edge for a RST", now)
	}
}

// A page that opens on a transition shows it in the side panel: the words above the
// figure, and the figure scrolled to the edge just taken — the endpoint that changed
// last, not the first one listed. four-way-close opens on the client's close().
func TestBrowserStatePanelShowsTheTransitionJustTaken(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(ts.URL+"/lessons/four-way-close?lang=en")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.querySelectorAll("#states svg.sa-sm .sa-sm-node").length === 12`)
	waitJS(t, ctx, `document.querySelector("[data-testid=states-now]").textContent.includes("ESTABLISHED → FIN-WAIT-1")`)
	inView := evalJS[bool](t, ctx, `(() => {
		const box = document.querySelector("#states .sa-sm-scroll").getBoundingClientRect();
		const l = document.querySelector('#states .sa-sm-edge-label[data-edge="ESTABLISHED>FIN-WAIT-1"]').getBoundingClientRect();
		return l.left >= box.left && l.right <= box.right && l.top >= box.top && l.bottom <= box.bottom && l.bottom <= innerHeight;
	})()`)
	if !inView {
		t.Error("the label of the edge just taken (ESTABLISHED>FIN-WAIT-1) is not in the panel's view on the first screen")
	}
	if above := evalJS[bool](t, ctx, `document.querySelector("[data-testid=states-now]").getBoundingClientRect().bottom <= document.querySelector("#states .sa-sm-scroll").getBoundingClientRect().top`); !above {
		t.Error("the words for the transition are not above the figure")
	}
}

// Both endpoints' states are on the screen at once in the state panel, each in its
// colour, on a desktop and on a phone: here the client in FIN-WAIT-2 and the server in
// CLOSE-WAIT, two boxes far apart in the figure.
func TestBrowserStatePanelShowsBothEndpoints(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	for _, vp := range []struct{ w, h int64 }{{1280, 900}, {390, 844}} {
		for _, lang := range Languages {
			url := ts.URL + "/lessons/four-way-close?lang=" + lang + "&width=narrow"
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(vp.w, vp.h), chromedp.Navigate("about:blank"), chromedp.Navigate(url)); err != nil {
				t.Fatal(err)
			}
			waitJS(t, ctx, `!!document.querySelector("#states svg")`)
			step := evalJS[int](t, ctx, `JSON.parse(document.getElementById("boot").textContent).layout.steps.findIndex(s => s.kind === "state" && s.lane === "client" && s.state === "FIN-WAIT-2") + 1`)
			if step < 1 {
				t.Fatal("four-way-close has no FIN-WAIT-2 step")
			}
			if err := chromedp.Do(ctx, chromedp.Navigate("about:blank"), chromedp.Navigate(url+"&step="+strconv.Itoa(step))); err != nil {
				t.Fatal(err)
			}
			waitJS(t, ctx, `!!document.querySelector("[data-testid=states-of-1] .sa-sm-chip")`)
			got := evalJS[[]any](t, ctx, `(() => {
  const a = document.querySelector("[data-testid=states-of-0]"), b = document.querySelector("[data-testid=states-of-1]");
  a.scrollIntoView({ block: "center" });
  const inView = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth; };
  return [a.querySelector(".sa-sm-chip").textContent, b.querySelector(".sa-sm-chip").textContent, inView(a) && inView(b)];
})()`)
			if got[0] != "FIN-WAIT-2" || got[1] != "CLOSE-WAIT" || got[2] != true {
				t.Errorf("%dx%d %s: the panel shows %v; want FIN-WAIT-2 and CLOSE-WAIT, both in view", vp.w, vp.h, lang, got)
			}
		}
	}
}
