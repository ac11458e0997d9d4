package web

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// ccSync is a script that reads how the side-by-side's four figures stand against its
// time slider: each figure's cursor line at the stop's x, and exactly the marks left of
// it shown. It returns "" when all agree, else what does not.
const ccSync = `(() => {
	const data = JSON.parse(document.getElementById("labcc").textContent);
	const s = data.cursor[Number(document.getElementById("cc-time").value)];
	const out = [];
	for (const side of ["rfc", "linux"]) for (const kind of ["tsg", "cwnd"]) {
		const svg = document.querySelector("[data-cc-box='" + side + "/" + kind + "'] svg");
		if (!svg) { out.push(side + " " + kind + ": not drawn"); continue; }
		const x = Number(svg.querySelector(".sa-pl-cursor").getAttribute("x1"));
		if (Math.abs(x - s.x) > 0.01) out.push(side + " " + kind + ": cursor at " + x + ", want " + s.x);
		const shown = [...svg.querySelectorAll("[data-step]")].filter((e) => e.style.display !== "none").length;
		const want = (data[side][kind].marks || []).filter((m) => m.x <= s.x).length;
		if (shown !== want) out.push(side + " " + kind + ": " + shown + " marks shown, want " + want);
	}
	if (!document.getElementById("cc-time-out").textContent.includes(s.l)) out.push("the time reads " + document.getElementById("cc-time-out").textContent + ", want " + s.l);
	return out.join("; ");
})()`

// ccPlace says where the two sides are: side by side on a wide screen, one above the
// other on a phone.
const ccPlace = `(() => {
	const a = document.querySelector("[data-testid=cc-side-rfc]").getBoundingClientRect();
	const b = document.querySelector("[data-testid=cc-side-linux]").getBoundingClientRect();
	if (Math.abs(a.top - b.top) < 2 && a.right <= b.left + 1) return "beside";
	if (b.top >= a.bottom - 1) return "above";
	return "overlap " + JSON.stringify([a, b]);
})()`

func setScheme(t *testing.T, ctx context.Context, scheme string) {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	}); err != nil {
		t.Fatal(err)
	}
}

func shoot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("SYNACK_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
}

// The side-by-side in Chromium: the two runs beside each other on a wide screen and one
// above the other on a phone; the slider moves the cursor of all four figures to one
// time and shows exactly what happened before it; a click on a mark moves the slider to
// that mark's time; every text reads at 4.5:1 or better, in the light and the dark
// scheme, in English and Chinese.
func TestBrowserLabCC(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	for _, vp := range []struct {
		name  string
		w, h  int64
		place string
	}{{"desktop", 1280, 900, "beside"}, {"phone", 390, 844, "above"}} {
		for _, lang := range []string{"en", "zh"} {
			for _, scheme := range []string{"light", "dark"} {
				name := fmt.Sprintf("%s %s %s", vp.name, lang, scheme)
				setScheme(t, ctx, scheme)
				if err := chromedp.Do(ctx, chromedp.EmulateViewport(vp.w, vp.h), chromedp.Navigate(ts.URL+"/lab/cc?lang="+lang)); err != nil {
					t.Fatal(err)
				}
				waitJS(t, ctx, `document.documentElement.dataset.player === "ready" && document.querySelectorAll("[data-cc-box] svg").length === 4`)
				if got := evalJS[string](t, ctx, ccPlace); got != vp.place {
					t.Errorf("%s: the sides are %s, want %s", name, got, vp.place)
				}
				// Side by side, one figure's axis is at one height on both sides; one above
				// the other, the time slider stays in view over the lower run's figures.
				if vp.place == "beside" {
					if d := evalJS[float64](t, ctx, `(() => { const top = (s) => document.querySelector("[data-cc-box='" + s + "/cwnd'] svg").getBoundingClientRect().bottom; return Math.abs(top("rfc") - top("linux")); })()`); d > 1 {
						t.Errorf("%s: the two cwnd figures' bottoms are %v px apart", name, d)
					}
				} else {
					top := evalJS[float64](t, ctx, `(document.querySelector("[data-cc-box='linux/cwnd']").scrollIntoView(), document.getElementById("cc-time").getBoundingClientRect().top)`)
					if top < -1 || top > 80 {
						t.Errorf("%s: over the linux run's cwnd figure the slider is at %v px, out of view", name, top)
					}
				}
				if w := evalJS[float64](t, ctx, `document.documentElement.scrollWidth`); w > float64(vp.w)+1 {
					t.Errorf("%s: the page is %v px wide in a %d px window", name, w, vp.w)
				}
				// The slider, by keyboard: Home, then a few steps right.
				for _, k := range []string{kb.Home, kb.ArrowRight, kb.ArrowRight, kb.ArrowRight} {
					if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS("#cc-time")), chromedp.KeyEvent(k)); err != nil {
						t.Fatal(err)
					}
				}
				if v := evalJS[string](t, ctx, `document.getElementById("cc-time").value`); v != "3" {
					t.Errorf("%s: the slider is at %s after Home and three steps right, want 3", name, v)
				}
				waitJS(t, ctx, ccSync+` === ""`)
				// A click on the linux side's last data bar moves the slider to its time.
				want := evalJS[int](t, ctx, `(() => {
					const data = JSON.parse(document.getElementById("labcc").textContent);
					const m = data.linux.tsg.marks.filter((m) => m.c === "data").at(-1);
					const svg = document.querySelector("[data-cc-box='linux/tsg'] svg");
					svg.scrollIntoView({ block: "center" });
					const r = svg.getBoundingClientRect(), k = r.width / svg.viewBox.baseVal.width;
					svg.dispatchEvent(new MouseEvent("click", { bubbles: true, clientX: r.left + m.x * k, clientY: r.top + (m.y + m.y2) / 2 * k }));
					let best = 0;
					data.cursor.forEach((s, i) => { if (Math.abs(s.x - m.x) < Math.abs(data.cursor[best].x - m.x)) best = i; });
					return best;
				})()`)
				waitJS(t, ctx, fmt.Sprintf(`document.getElementById("cc-time").value === "%d"`, want))
				waitJS(t, ctx, ccSync+` === ""`)
				got := evalJS[contrastResult](t, ctx, "("+contrastJS+`)("main", 4.5)`)
				if got.N < 20 || len(got.Out) > 0 {
					t.Errorf("%s: %d of %d texts under 4.5:1:\n%s", name, len(got.Out), got.N, strings.Join(got.Out[:min(len(got.Out), 12)], "\n"))
				}
				evalJS[bool](t, ctx, `(document.querySelector("[data-testid=cc-why]").scrollIntoView(), true)`)
				shoot(t, ctx, "labcc-"+lang+"-"+vp.name+"-"+scheme+"-summary")
				evalJS[bool](t, ctx, `(document.querySelector("[data-testid=cc-time]").scrollIntoView(), true)`)
				shoot(t, ctx, "labcc-"+lang+"-"+vp.name+"-"+scheme+"-figures")
			}
		}
	}
	setScheme(t, ctx, "light")
}

// The lab's figures in Chromium: once the server has sent data they appear under the
// diagram, follow the lab's cursor (Home and the arrow keys, as the lesson pages'
// figures do), and a click on a mark moves the cursor to its step; their tables are
// filled in the page's language.
func TestBrowserLabFigures(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	for _, vp := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		for _, lang := range []string{"en", "zh"} {
			for _, scheme := range []string{"light", "dark"} {
				name := fmt.Sprintf("%s %s %s", vp.name, lang, scheme)
				setScheme(t, ctx, scheme)
				labWithData(t, ctx, ts.URL+"/lab?rtt=40ms&rate=20&queue=20&lang="+lang, vp.w, vp.h)
				for _, key := range []string{kb.Home, kb.ArrowRight, kb.End, kb.ArrowLeft} {
					if err := chromedp.Do(ctx, chromedp.KeyEvent(key)); err != nil {
						t.Fatal(err)
					}
					waitJS(t, ctx, plotSync+` === ""`)
				}
				step := evalJS[int](t, ctx, `(() => {
					const m = JSON.parse(document.getElementById("plots").textContent).tsg.marks[3];
					const svg = document.querySelector("[data-plot-box=tsg] svg");
					svg.scrollIntoView({ block: "center" });
					const r = svg.getBoundingClientRect(), k = r.width / svg.viewBox.baseVal.width;
					svg.dispatchEvent(new MouseEvent("click", { bubbles: true, clientX: r.left + m.x * k, clientY: r.top + (m.y + m.y2) / 2 * k }));
					return m.s;
				})()`)
				waitJS(t, ctx, fmt.Sprintf(`document.querySelector("[data-testid=stepno]").textContent.includes(" %d ")`, step+1))
				waitJS(t, ctx, plotSync+` === ""`)
				rows := evalJS[int](t, ctx, `document.querySelectorAll("[data-testid=plot-table-tsg] tbody tr").length`)
				head := evalJS[string](t, ctx, `document.querySelector("[data-testid=plot-table-cwnd] thead").textContent`)
				if wantHead := map[string]string{"en": "cwnd", "zh": "拥塞窗口"}[lang]; rows < 40 || !strings.Contains(head, wantHead) {
					t.Errorf("%s: the tables have %d rows and the head %q", name, rows, head)
				}
				got := evalJS[contrastResult](t, ctx, "("+contrastJS+`)("#figures", 4.5)`)
				if got.N < 10 || len(got.Out) > 0 {
					t.Errorf("%s: %d of %d texts under 4.5:1:\n%s", name, len(got.Out), got.N, strings.Join(got.Out[:min(len(got.Out), 12)], "\n"))
				}
				// Pressed as the button's own click: a pointer click computed while the page
				// still scrolls to the figure (above) could land beside it on a loaded machine.
				evalJS[bool](t, ctx, `(document.querySelector('[data-testid="now"]').click(), true)`)
				waitJS(t, ctx, `(() => { const m = document.querySelector("[data-testid=stepno]").textContent.match(/(\d+)\D+(\d+)/); return !!m && m[1] === m[2]; })()`)
				waitJS(t, ctx, plotSync+` === ""`)
				evalJS[bool](t, ctx, `(document.getElementById("figures").scrollIntoView(), true)`)
				shoot(t, ctx, "lab-figures-"+lang+"-"+vp.name+"-"+scheme)
			}
		}
	}
	setScheme(t, ctx, "light")
}

// labWithData opens the lab, connects, has the server send 64 kB and shows it all.
func labWithData(t *testing.T, ctx context.Context, url string, w, h int64) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, h), chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.documentElement.dataset.player === "ready" && !!document.querySelector("svg.sa-live")`)
	if !evalJS[bool](t, ctx, `document.querySelector("[data-testid=plots]").hidden`) {
		t.Error("the lab shows figures before any data")
	}
	for _, b := range []string{"lab-server-listen", "lab-client-connect", "lab-server-sendbulk"} {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid="`+b+`"]`))); err != nil {
			t.Fatal(err)
		}
		waitJS(t, ctx, `document.querySelector("[data-testid=lab-error]").textContent === ""`)
	}
	waitJS(t, ctx, `!document.querySelector("[data-testid=plots]").hidden && document.querySelectorAll(".plot-box svg").length === 2`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid="now"]`))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `(() => { const m = document.querySelector("[data-testid=stepno]").textContent.match(/(\d+)\D+(\d+)/); return !!m && m[1] === m[2]; })()`)
	waitJS(t, ctx, plotSync+` === ""`)
}

// In Firefox the side-by-side draws its four figures and its slider moves all four
// cursors; the lab's figures appear with data and follow the lab's cursor.
func TestBrowserFirefoxLabCC(t *testing.T) {
	b := firefox(t)
	_, ts := newTestServer(t, Config{})
	b.navigate(ts.URL + "/lab/cc?lang=zh&story=tail-loss-probe")
	b.waitFor(`document.documentElement.dataset.player === "ready" && document.querySelectorAll("[data-cc-box] svg").length === 4`)
	b.eval(`(() => { const s = document.getElementById("cc-time"); s.value = 120; s.dispatchEvent(new Event("input")); return true; })()`)
	b.waitFor(ccSync + ` === ""`)

	b.navigate(ts.URL + "/lab?lang=en&rtt=40ms")
	b.waitFor(`document.documentElement.dataset.player === "ready" && !!document.querySelector("svg.sa-live")`)
	for _, id := range []string{"lab-server-listen", "lab-client-connect", "lab-server-sendbulk"} {
		b.eval(`(document.querySelector("[data-testid=` + id + `]").click(), true)`)
		b.waitFor(`document.querySelector("[data-testid=lab-error]").textContent === ""`)
	}
	b.waitFor(`!document.querySelector("[data-testid=plots]").hidden && document.querySelectorAll(".plot-box svg").length === 2`)
	b.eval(`(document.querySelector("[data-testid=now]").click(), true)`)
	b.waitFor(plotSync + ` === ""`)
	// A row of the table moves the lab's cursor to its step.
	step := b.eval(`(() => { const a = document.querySelectorAll("[data-testid=plot-table-tsg] tbody a")[5]; a.click(); return Number(a.dataset.plotStep) + 1; })()`)
	b.waitFor(fmt.Sprintf(`document.querySelector("[data-testid=stepno]").textContent.includes(" %v ")`, step))
	b.waitFor(plotSync + ` === ""`)
}
