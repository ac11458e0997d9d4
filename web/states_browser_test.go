package web

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The state panel draws RFC 9293 Figure 5 in the page's language: every label's rendered
// text fits its box and no label or box overlaps another in the real font; as the
// handshake plays, both endpoints end lit on ESTABLISHED with the edge each took
// highlighted and named in the live caption.
func TestBrowserStateFigure(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(ts.URL+"/lessons/three-way-handshake?lang=zh&step=999")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.querySelectorAll("#states svg.sa-sm .sa-sm-node").length === 12`)
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
	// Step until both endpoints are ESTABLISHED (the lesson may open at its first step).
	lit := `(() => { const g = document.querySelector('#states [data-node="ESTABLISHED"]'); return !!g && g.classList.contains("sa-sm-lit-0") && g.classList.contains("sa-sm-lit-1"); })()`
	stepno := `document.querySelector("[data-testid=stepno]").textContent`
	for i := 0; i < 30 && !evalJS[bool](t, ctx, lit); i++ {
		before := evalJS[string](t, ctx, stepno)
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.ArrowRight)); err != nil {
			t.Fatal(err)
		}
		waitJS(t, ctx, stepno+` !== `+strconv.Quote(before)+` || `+lit)
	}
	waitJS(t, ctx, lit)
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
