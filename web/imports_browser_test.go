package web

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"synack/engine"
	"synack/lessons/stories"
)

// shots writes screenshots of the page now shown at a phone's and a desktop's size when
// SYNACK_SCREENSHOTS names a folder; ready is what must be true before each is taken.
func shots(t *testing.T, ctx context.Context, name, ready string) {
	dir := os.Getenv("SYNACK_SCREENSHOTS")
	if dir == "" {
		return
	}
	for _, vp := range []struct {
		name string
		w, h int64
	}{{"phone", 390, 844}, {"desktop", 1280, 900}} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(vp.w, vp.h)); err != nil {
			t.Fatal(err)
		}
		waitJS(t, ctx, ready)
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, name+"-"+vp.name+".png"), png, 0o644)
	}
}

// A reader picks a capture with the file input (and, again, drops one on the page),
// sees its connection listed with each end's states and its anomalies, and opens it.
func TestBrowserImport(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	tr, err := stories.Default().Run("lost-final-ack", engine.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	// The capture's first packet carries an IP checksum no encoder writes (0xdead), so the
	// inspector shows the bytes as captured or it fails.
	pcap, _ := lostFinalAckPCAP(t)
	file := filepath.Join(t.TempDir(), "lost-final-ack.pcap")
	if err := os.WriteFile(file, pcap, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "zh"} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(ts.URL+"/import?lang="+lang)); err != nil {
			t.Fatal(err)
		}
		// The file picker is reached from the keyboard: Tab from the page's start lands on it
		// within the header's links.
		reached := false
		for range 12 {
			if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
				t.Fatal(err)
			}
			if evalJS[string](t, ctx, `document.activeElement.id`) == "import-file" {
				reached = true
				break
			}
		}
		if !reached {
			t.Errorf("%s: Tab never reaches the file picker", lang)
		}
		if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{file})); err != nil {
			t.Fatal(err)
		}
		waitJS(t, ctx, `document.querySelectorAll("[data-testid=import-conn]").length === 1`)
		row := evalJS[string](t, ctx, `document.querySelector("[data-testid=import-conn]").textContent`)
		for _, want := range []string{"LISTEN → SYN-RECEIVED → ESTABLISHED"} {
			if !strings.Contains(row, want) {
				t.Errorf("%s: the row %q does not say %q", lang, row, want)
			}
		}
		if !strings.Contains(row, anomalyNameEN("retransmission", lang)) {
			t.Errorf("%s: the row %q names no retransmission", lang, row)
		}
		shots(t, ctx, "import-"+lang, `document.querySelectorAll("[data-testid=import-conn]").length === 1`)
		// Share: the link carries the capture; opened afresh, it lists the same connection.
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("[data-testid=import-share]"))); err != nil {
			t.Fatal(err)
		}
		waitJS(t, ctx, `location.hash.startsWith("#c=")`)
		link := evalJS[string](t, ctx, `location.href`)
		if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/healthz")); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(link)); err != nil {
			t.Fatal(err)
		}
		waitAfterLoad(t, ctx, `document.getElementById("import-status").textContent.startsWith("shared.pcap")`)
		if got := evalJS[string](t, ctx, `document.querySelector("[data-testid=import-conn]").textContent`); got != row {
			t.Errorf("%s: the shared link lists %q, the upload %q", lang, got, row)
		}
		// Drop the same capture on the page.
		evalJS[bool](t, ctx, `(async () => {
			const b = Uint8Array.from(atob("`+base64.StdEncoding.EncodeToString(pcap)+`"), (c) => c.charCodeAt(0));
			const dt = new DataTransfer(); dt.items.add(new File([b], "dropped.pcap"));
			document.querySelector("[data-testid=import-drop]").dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
		})(); true`)
		waitJS(t, ctx, `document.getElementById("import-status").textContent.startsWith("dropped.pcap")`)
		waitJS(t, ctx, `document.querySelectorAll("[data-testid=import-conn]").length === 1`)
		href := evalJS[string](t, ctx, `document.querySelector("[data-testid=import-conn] a").href`)
		if err := chromedp.Do(ctx, chromedp.Navigate(href)); err != nil {
			t.Fatal(err)
		}
		// It opens in the player: the live diagram at the first arrow, the inspector with
		// that packet's bytes.
		waitAfterLoad(t, ctx, `document.documentElement.dataset.player === "ready" && !!document.querySelector("svg.sa-live")`)
		waitJS(t, ctx, `document.querySelectorAll("#inspector .insp-hex span").length >= 40`)
		if got := evalJS[string](t, ctx, `[...document.querySelectorAll("#inspector .insp-hex span")].slice(10, 12).map((s) => s.textContent).join("")`); got != "dead" {
			t.Errorf("%s: the inspector shows the first packet's IP checksum as %q, want the captured dead", lang, got)
		}
		if n := evalJS[int](t, ctx, `document.querySelectorAll("svg.sa-live [data-segment]").length`); n != len(tr.Segments()) {
			t.Errorf("%s: %d arrows, want the capture's %d", lang, n, len(tr.Segments()))
		}
		// Step through it from the keyboard until the narration explains a flagged
		// packet, with the link to the lesson about it.
		linked := false
		for range 60 {
			if evalJS[bool](t, ctx, `!!document.querySelector("#narration-text [data-testid=narration-link]")`) {
				linked = true
				break
			}
			if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.ArrowRight)); err != nil {
				t.Fatal(err)
			}
		}
		if !linked {
			t.Fatalf("%s: stepping through the connection, no narration links a lesson", lang)
		}
		wantWhy, wantLink := "is a retransmission", "Lesson: "
		if lang == "zh" {
			wantWhy, wantLink = "是重传", "相关课程："
		}
		if got := evalJS[string](t, ctx, `document.getElementById("narration-text").textContent`); !strings.Contains(got, wantWhy) {
			t.Errorf("%s: the narration says %q, want %q", lang, got, wantWhy)
		}
		lk := evalJS[[]string](t, ctx, `(() => { const a = document.querySelector("#narration-text [data-testid=narration-link]"); return [a.getAttribute("href"), a.textContent]; })()`)
		if !strings.HasPrefix(lk[0], "/lessons/time-wait?lang="+lang) || !strings.HasPrefix(lk[1], wantLink) {
			t.Errorf("%s: the narration's link is %q", lang, lk)
		}
		// The step shown is the flagged packet's arrow, and its bytes are in the inspector.
		if got := evalJS[string](t, ctx, `document.querySelector("[data-testid=stepno]").textContent`); strings.Contains(got, " 1 ") {
			t.Errorf("%s: the counter still says %q", lang, got)
		}
		shots(t, ctx, "import-conn-"+lang, `!!document.querySelector("#narration-text [data-testid=narration-link]")`)
		contrastIn(t, ctx, "#diagram svg", "[data-testid=narration]")
		// Share: a link that carries this connection's capture; followed afresh, it opens
		// the connection in the player again, from the link alone.
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("details.share summary")), chromedp.Click(chromedp.CSS("[data-testid=share-capture]"))); err != nil {
			t.Fatal(err)
		}
		waitJS(t, ctx, `!!document.querySelector("[data-testid=share-output]").dataset.link`)
		shared := evalJS[string](t, ctx, `document.querySelector("[data-testid=share-output]").dataset.link`)
		if !strings.Contains(shared, "/import?lang="+lang+"#c=") || !strings.HasSuffix(shared, "&open=0") {
			t.Errorf("%s: the shared link is %q", lang, shared)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/healthz")); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(shared)); err != nil {
			t.Fatal(err)
		}
		waitAfterLoad(t, ctx, `location.pathname.startsWith("/import/") && document.documentElement.dataset.player === "ready" && !!document.querySelector("svg.sa-live")`)
		if n := evalJS[int](t, ctx, `document.querySelectorAll("svg.sa-live [data-segment]").length`); n != len(tr.Segments()) {
			t.Errorf("%s: the shared link opens %d arrows, want %d", lang, n, len(tr.Segments()))
		}
	}
}

// waitAfterLoad is waitJS just after a navigation (or while the page navigates on its
// own): a poll that lands while the old document is being replaced is tried again, a
// bounded number of times.
func waitAfterLoad(t *testing.T, ctx context.Context, cond string) {
	t.Helper()
	for range 5 {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(20*time.Second)))
		if err == nil {
			return
		}
		if !strings.Contains(err.Error(), "Cannot find context") && !strings.Contains(err.Error(), "navigated or closed") {
			t.Fatalf("waiting for %s: %v", cond, err)
		}
	}
	t.Fatalf("waiting for %s: the page kept changing", cond)
}

// contrastIn requires every text under roots to read at 4.5:1 or better, in the dark
// scheme and in the light one (contrastJS, as TestBrowserContrast).
func contrastIn(t *testing.T, ctx context.Context, roots ...string) {
	t.Helper()
	for _, scheme := range []string{"dark", "light"} {
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		}); err != nil {
			t.Fatal(err)
		}
		for _, root := range roots {
			got := evalJS[contrastResult](t, ctx, "("+contrastJS+")("+jsString(root)+", 4.5)")
			if got.N == 0 {
				t.Errorf("%s, %s: no text checked", scheme, root)
			}
			if len(got.Out) > 0 {
				t.Errorf("%s, %s: %d of %d texts under 4.5:1:\n%s", scheme, root, len(got.Out), got.N, strings.Join(got.Out[:min(len(got.Out), 12)], "\n"))
			}
		}
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
		t.Fatal(err)
	}
}

func anomalyNameEN(key, lang string) string {
	if lang == "zh" {
		return "重传"
	}
	return "retransmission"
}

// A pasted script that fails shows its failing line; Share puts it in the address, and
// that address opens the page with the script run again.
func TestBrowserScript(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	for _, lang := range []string{"en", "zh"} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(ts.URL+"/script?lang="+lang),
			chromedp.SetValue(chromedp.CSS("#script-src"), okScript),
			chromedp.Click(chromedp.CSS("[data-testid=script-run]"))); err != nil {
			t.Fatal(err)
		}
		waitJS(t, ctx, `!!document.querySelector("[data-testid=script-bad-line]")`)
		if got := evalJS[string](t, ctx, `document.querySelector("[data-testid=script-bad-line]").textContent`); !strings.Contains(got, "> S. 0:0(0) ack 1") {
			t.Errorf("%s: the failing line shown is %q", lang, got)
		}
		waitJS(t, ctx, `!!document.querySelector("#script-diagram svg")`)
		// On the diagram itself: the expected segment as a ghost arrow with the script's
		// line, the one sent instead marked; the message in the page's language.
		wantGhost, wantMsg := "line 6 expected: +0 > S. 0:0(0) ack 1", "expected options <"
		if lang == "zh" {
			wantGhost, wantMsg = "第 6 行期望：+0 > S. 0:0(0) ack 1", "期望选项 <"
		}
		if got := evalJS[string](t, ctx, `(document.querySelector("#script-diagram .sa-ghost text") || {}).textContent || ""`); !strings.HasPrefix(got, wantGhost) {
			t.Errorf("%s: the ghost arrow says %q, want %q", lang, got, wantGhost)
		}
		if n := evalJS[int](t, ctx, `document.querySelectorAll("#script-diagram .sa-seg.sa-mismatch[data-segment='SYN ACK']").length`); n != 1 {
			t.Errorf("%s: %d SYN-ACKs marked as sent instead, want 1", lang, n)
		}
		if got := evalJS[string](t, ctx, `document.getElementById("script-status").textContent`); !strings.Contains(got, wantMsg) {
			t.Errorf("%s: the status says %q, want %q", lang, got, wantMsg)
		}
		shots(t, ctx, "script-"+lang, `!!document.querySelector("#script-diagram svg")`)
		// The ghost, the marked arrow and the rest read at 4.5:1 in both schemes.
		contrastIn(t, ctx, "#script-diagram svg", "#script-status")
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("[data-testid=script-share]"))); err != nil {
			t.Fatal(err)
		}
		waitJS(t, ctx, `location.hash.startsWith("#s=")`)
		// Open the link afresh: the script comes from the address alone.
		link := evalJS[string](t, ctx, `location.href`)
		if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/healthz")); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(link)); err != nil {
			t.Fatal(err)
		}
		waitAfterLoad(t, ctx, `!!document.querySelector("[data-testid=script-bad-line]")`)
		if got := evalJS[string](t, ctx, `document.getElementById("script-src").value`); got != okScript {
			t.Errorf("%s: the shared link opened with %q", lang, got)
		}
	}
}
