package web

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// plotSync is a script that reads how the figures stand against the player: for each
// figure, whether its cursor line is at the server's x for the player's step, and
// whether exactly the marks of the steps up to it are shown. It returns "" when all
// agree, else what does not.
const plotSync = `(() => {
	const plots = JSON.parse(document.getElementById("plots").textContent);
	const n = document.querySelector("[data-testid=stepno]").textContent.match(/\d+/);
	if (!n) return "no step number";
	const cur = Number(n[0]) - 1;
	const out = [];
	for (const kind of ["tsg", "cwnd"]) {
		const p = plots[kind];
		const svg = document.querySelector("[data-plot-box=" + kind + "] svg");
		if (!svg) { out.push(kind + ": not drawn"); continue; }
		const x = Number(svg.querySelector(".sa-pl-cursor").getAttribute("x1"));
		if (Math.abs(x - p.cx[cur]) > 0.01) out.push(kind + ": cursor at x " + x + ", want " + p.cx[cur] + " (step " + (cur + 1) + ")");
		const shown = [...svg.querySelectorAll("[data-step]")].filter((e) => e.style.display !== "none").length;
		const want = (p.marks || []).filter((m) => m.s <= cur).length;
		if (shown !== want) out.push(kind + ": " + shown + " marks shown at step " + (cur + 1) + ", want " + want);
	}
	return out.join("; ");
})()`

// The time-sequence graph and the cwnd plot follow the player's cursor (stepping and
// seeking move their cursor line and reveal exactly the marks up to the step), and
// clicking a mark moves the player to that mark's step. Checked in both languages, wide
// and on a phone; SYNACK_SCREENSHOTS keeps the pictures.
func TestBrowserPlotsFollowTheCursor(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	for _, vp := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		for _, lang := range []string{"en", "zh"} {
			url := ts.URL + "/lessons/sack-recovery?lang=" + lang + "&step=10"
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(vp.w, vp.h), chromedp.Navigate(url)); err != nil {
				t.Fatal(err)
			}
			waitJS(t, ctx, `document.documentElement.dataset.player === "ready" && document.querySelectorAll(".plot-box svg").length === 2`)
			if msg := evalJS[string](t, ctx, plotSync); msg != "" {
				t.Errorf("%s %s at step 10: %s", vp.name, lang, msg)
			}
			// The player's own controls: End, then back one step.
			for _, key := range []string{kb.End, kb.ArrowLeft} {
				if err := chromedp.Do(ctx, chromedp.KeyEvent(key)); err != nil {
					t.Fatal(err)
				}
				waitJS(t, ctx, plotSync+` === ""`)
			}
			// A click on the earliest mark seeks the player back to its step.
			step := evalJS[int](t, ctx, `(() => {
				const m = JSON.parse(document.getElementById("plots").textContent).tsg.marks.reduce((a, b) => (b.s < a.s ? b : a)); // backwards: a lesson's question may hold the cursor from going on
				const svg = document.querySelector("[data-plot-box=tsg] svg");
				svg.scrollIntoView({ block: "center" });
				const r = svg.getBoundingClientRect(), k = r.width / svg.viewBox.baseVal.width;
				svg.dispatchEvent(new MouseEvent("click", { bubbles: true, clientX: r.left + m.x * k, clientY: r.top + (m.y + m.y2) / 2 * k }));
				return m.s;
			})()`)
			waitJS(t, ctx, fmt.Sprintf(`document.querySelector("[data-testid=stepno]").textContent.includes("%d")`, step+1))
			waitJS(t, ctx, plotSync+` === ""`)
			if title := evalJS[string](t, ctx, `document.querySelector("[data-testid=plot-tsg] figcaption strong").textContent`); lang == "zh" && title == "" {
				t.Error("no Chinese title")
			}
			if dir := os.Getenv("SYNACK_SCREENSHOTS"); dir != "" {
				evalJS[bool](t, ctx, `(document.getElementById("figures").scrollIntoView(), true)`)
				png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(filepath.Join(dir, "plots-"+lang+"-"+vp.name+".png"), png, 0o644)
			}
		}
	}
}

// In Firefox the figures are drawn and follow the player's cursor too.
func TestBrowserFirefoxPlots(t *testing.T) {
	b := firefox(t)
	_, ts := newTestServer(t, Config{})
	b.navigate(ts.URL + "/lessons/sack-recovery?lang=zh&step=12")
	b.waitFor(`document.documentElement.dataset.player === "ready" && document.querySelectorAll(".plot-box svg").length === 2`)
	if msg, _ := b.eval(plotSync).(string); msg != "" {
		t.Errorf("at step 12: %s", msg)
	}
	b.eval(`(() => { const n = JSON.parse(document.getElementById("plots").textContent).tsg.cx.length;
		window.plotSeek = 5; // backwards: a lesson's question may hold the cursor from going on
		document.dispatchEvent(new CustomEvent("synack:command", { detail: { cmd: "seek", step: window.plotSeek } })); return true; })()`)
	b.waitFor(`document.querySelector("[data-testid=stepno]").textContent.includes(" " + window.plotSeek + " ")`)
	b.waitFor(plotSync + ` === ""`)
}
