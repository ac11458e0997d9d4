package web

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"synack/engine/handshakes"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// browser starts headless Chromium for a test, or skips when there is none (except under
// CI=true, where the browser tests must run).
func browser(t testing.TB) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are skipped in -short mode (the fast loop); run go test ./... for them")
	}
	path := ""
	for _, p := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if found, err := exec.LookPath(p); err == nil {
			path = found
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("Chromium is required under CI=true (apt-get install -y chromium)")
		}
		t.Skip("no Chromium found: apt-get install -y chromium to run the browser tests")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	// No page may throw or log an error: every uncaught exception and console.error of
	// every page the test opens fails it.
	var mu sync.Mutex
	var problems []string
	listen := func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg = d.Exception.Description
			}
			problems = append(problems, fmt.Sprintf("uncaught exception at %s:%d: %s", d.URL, d.LineNumber, msg))
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				problems = append(problems, "console.error: "+strings.Join(args, " "))
			}
		}
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx, chromedp.WithListener(listen))
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		cancelT()
		cancelC()
		cancelA()
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			t.Error(p)
		}
	})
	return ctx
}

func waitJS(t *testing.T, ctx context.Context, cond string) {
	t.Helper()
	var err error
	// A poll that starts while the page is still replacing its document (a navigation's
	// last moments on a loaded machine) meets a context that is gone: it is asked again
	// in the new document.
	for try := 0; try < 3; try++ {
		if _, err = chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(20*time.Second))); err == nil || !strings.Contains(err.Error(), "Cannot find context") {
			break
		}
	}
	if err != nil {
		t.Fatalf("waiting for %s: %v", cond, err)
	}
}

func evalJS[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// The handshake lesson draws SYN, SYN ACK and ACK live, both lifelines reach
// ESTABLISHED, stepping works both ways, and a clicked arrow shows its fields and bytes.
func TestBrowserHandshakeLesson(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1440, 900), chromedp.Navigate(ts.URL+"/lessons/three-way-handshake?lang=en&step=999")); err != nil {
		t.Fatal(err)
	}
	live := `svg.sa-live `
	waitJS(t, ctx, `!!document.querySelector("svg.sa-live")`)
	for _, flags := range []string{"SYN", "SYN ACK", "ACK"} {
		waitJS(t, ctx, fmt.Sprintf(`[...document.querySelectorAll('%s[data-segment="%s"]')].some(e => !e.classList.contains("sa-hidden"))`, live, flags))
	}
	for _, lane := range []string{"client", "server"} {
		waitJS(t, ctx, fmt.Sprintf(`[...document.querySelectorAll('%s[data-state="ESTABLISHED"][data-lane="%s"]')].some(e => !e.classList.contains("sa-hidden"))`, live, lane))
	}
	stepText := func() string {
		return evalJS[string](t, ctx, `document.querySelector("[data-testid=stepno]").textContent`)
	}
	end := stepText()
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.ArrowLeft)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, fmt.Sprintf(`document.querySelector("[data-testid=stepno]").textContent !== %q`, end))
	back := stepText()
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.ArrowRight)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, fmt.Sprintf(`document.querySelector("[data-testid=stepno]").textContent === %q`, end))
	if back == end {
		t.Fatal("stepping back did not change the step")
	}
	if got := evalJS[string](t, ctx, `"Step " + new URL(location.href).searchParams.get("step") + " of"`); !strings.HasPrefix(end, got) {
		t.Errorf("the URL says %q where the counter says %q", got, end)
	}
	evalJS[chromedp.Void](t, ctx, `document.querySelector('svg.sa-live [data-segment="SYN ACK"]').scrollIntoView({block:"center"})`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(live+`[data-segment="SYN ACK"] text`))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!!document.querySelector('#inspector tr[data-field="tcp.flags.syn"]')`)
	if got := evalJS[string](t, ctx, `document.querySelector('#inspector tr[data-field="tcp.flags.syn"] td:last-child').textContent`); got != "1" {
		t.Fatalf("inspector shows SYN bit %q, want 1", got)
	}
	if n := evalJS[int](t, ctx, `document.querySelectorAll("#inspector .insp-hex span").length`); n < 40 {
		t.Fatalf("inspector shows %d bytes, want the whole packet", n)
	}
	screenshots(t, ctx, ts.URL+"/lessons/three-way-handshake?lang=zh", "lesson")
}

// In the lab a user listens, connects and closes, and sees FIN-WAIT-2 and TIME-WAIT.
func TestBrowserLab(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/lab?lang=en")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!!document.querySelector("svg.sa-live")`)
	click := func(id string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid="`+id+`"]`))); err != nil {
			t.Fatal(err)
		}
	}
	// An empty lab says how to begin, and stops saying it once something is drawn.
	waitJS(t, ctx, `(() => { const h = document.querySelector("[data-testid=lab-hint]"); return !h.hidden && h.getBoundingClientRect().height > 0 && h.textContent.includes("listen()") })()`)
	click("lab-server-listen")
	waitJS(t, ctx, `document.querySelector("[data-state-of=server]").textContent === "LISTEN"`)
	waitJS(t, ctx, `document.querySelector("[data-testid=lab-hint]").hidden`)
	click("lab-client-connect")
	waitJS(t, ctx, `document.querySelector("[data-state-of=client]").textContent === "ESTABLISHED"`)
	click("lab-client-close")
	waitJS(t, ctx, `[...document.querySelectorAll('svg.sa-live [data-state="FIN-WAIT-2"]')].some(e => !e.classList.contains("sa-hidden"))`)
	click("lab-server-close")
	waitJS(t, ctx, `[...document.querySelectorAll('svg.sa-live [data-state="TIME-WAIT"]')].some(e => !e.classList.contains("sa-hidden"))`)
}

// A course page on another origin embeds the simultaneous-close lesson in an iframe.
func TestBrowserEmbedInAnotherOrigin(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	course := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>course</title><iframe id="f" src="%s/embed/lessons/simultaneous-close?autoplay=1&speed=8" width="900" height="700"></iframe>`, ts.URL)
	}))
	defer course.Close()
	if err := chromedp.Do(ctx, chromedp.Navigate(course.URL)); err != nil {
		t.Fatal(err)
	}
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("#f")))
	if err != nil || len(nodes) == 0 {
		t.Fatalf("no iframe: %v", err)
	}
	// Autoplay runs the handshake and both FINs, then stops at the lesson's first
	// question: predict-then-reveal works in the embed too.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`[...document.querySelectorAll('svg.sa-live [data-segment="FIN ACK"]')].some(e => !e.classList.contains("sa-hidden")) && !document.querySelector("#question").hidden && !document.querySelector(".site")`,
		chromedp.WithPollingInFrame(nodes[0]), chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("the embedded lesson did not play to its first question: %v", err)
	}
}

// screenshots writes phone and desktop screenshots when SYNACK_SCREENSHOTS names a folder.
func screenshots(t *testing.T, ctx context.Context, url, name string) {
	dir := os.Getenv("SYNACK_SCREENSHOTS")
	if dir == "" {
		return
	}
	for _, vp := range []struct {
		name string
		w, h int64
	}{{"phone", 390, 844}, {"desktop", 1440, 900}} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(vp.w, vp.h), chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
		waitJS(t, ctx, `!!document.querySelector("svg.sa-live [data-segment]")`)
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, name+"-"+vp.name+".png"), png, 0o644)
	}
}

// A reader opens lessons in both languages, plays, is stopped by a question, answers it
// and sees the reveal; then playback goes on.
func TestBrowserLessonQuestions(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	for _, tc := range []struct{ id, lang, word string }{
		{"three-way-handshake", "zh", "答对了"},
		{"four-way-close", "en", "Correct"},
		{"resets", "zh", "答对了"},
	} {
		t.Run(tc.id+"-"+tc.lang, func(t *testing.T) {
			if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/lessons/"+tc.id+"?lang="+tc.lang+"&step=0&speed=8")); err != nil {
				t.Fatal(err)
			}
			waitJS(t, ctx, `document.documentElement.dataset.player === "ready" && !!document.querySelector("svg.sa-live") && document.querySelector("[data-testid=stepno]").textContent.includes("1 ")`)
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid="play"]`))); err != nil {
				t.Fatal(err)
			}
			waitJS(t, ctx, `!document.querySelector("#question").hidden && !!document.querySelector('#question input')`)
			// Before the reveal, the question's step is not shown yet.
			q := evalJS[map[string]any](t, ctx, `JSON.parse(document.getElementById("boot").textContent).lesson.questions[0]`)
			answer := q["answer"].(string)
			step := int(q["step"].(float64))
			shown := evalJS[bool](t, ctx, fmt.Sprintf(`document.querySelector("[data-testid=stepno]").textContent.includes(" %d ")`, step+1))
			if shown {
				t.Fatalf("the question's step %d is already shown before the answer", step)
			}
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#question input[value=%q]`, answer))),
				chromedp.Click(chromedp.CSS(`[data-testid="check"]`))); err != nil {
				t.Fatal(err)
			}
			waitJS(t, ctx, fmt.Sprintf(`(document.querySelector("[data-testid=reveal]")||{}).textContent?.includes(%q)`, tc.word))
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid="continue"]`))); err != nil {
				t.Fatal(err)
			}
			// Playback goes on, unless the next question waits on the same step.
			waitJS(t, ctx, fmt.Sprintf(`document.querySelector("[data-testid=stepno]").textContent.match(/\d+/)[0] > %d || !!document.querySelector("#question form")`, step))
		})
	}
}

// On /compare the RTT slider re-measures every variant: at 300 ms, TLS 1.2's first
// response byte moves from 400 ms to 1200 ms while its round-trip count stays 4; the
// loss toggle adds QUIC's 200 ms probe timeout; the URL keeps the view.
func TestBrowserCompareSlider(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(ts.URL+"/compare?lang=en&rtt=100ms")); err != nil {
		t.Fatal(err)
	}
	cell := func(row, field string) string {
		return fmt.Sprintf(`document.querySelector('tr[data-row="%s"] [data-field="%s"]').textContent.trim()`, row, field)
	}
	waitJS(t, ctx, cell("https-tls12", "first_byte_ms")+` === "400"`)
	// Each row's bar is as long as its round trips to the first byte: TLS 1.2 (4) twice
	// plain HTTP (2), QUIC 0-RTT (1) half of it.
	bar := func(row string) float64 {
		return evalJS[float64](t, ctx, fmt.Sprintf(`document.querySelector('tr[data-row="%s"] .cmp-bar').getBoundingClientRect().width`, row))
	}
	checkBars := func(when string) {
		t.Helper()
		h, tls, q := bar("http-over-tcp"), bar("https-tls12"), bar("http3-quic-0rtt")
		if h < 10 || math.Abs(tls-2*h) > 1.5 || math.Abs(q-h/2) > 1.5 {
			t.Errorf("%s: bars HTTP %.1f px, TLS 1.2 %.1f px, QUIC 0-RTT %.1f px; want 2:4:1 round trips", when, h, tls, q)
		}
	}
	checkBars("as served")
	if got, want := evalJS[int](t, ctx, `document.querySelectorAll("figure[data-variant] svg.cmp").length`), len(handshakes.Variants); got != want {
		t.Fatalf("%d diagrams, want %d (one per variant)", got, want)
	}
	// A drag ends in input events with the new value: set it and fire one.
	evalJS[chromedp.Void](t, ctx, `(() => { const r = document.querySelector("[data-testid=rtt]"); r.value = "300"; r.dispatchEvent(new Event("input", {bubbles: true})); })()`)
	waitJS(t, ctx, cell("https-tls12", "first_byte_ms")+` === "1200"`)
	if got := evalJS[string](t, ctx, cell("https-tls12", "rtts_to_first_response_byte")); got != "4.00" {
		t.Errorf("TLS 1.2 at 300 ms: %s RTT to the first byte, want 4.00", got)
	}
	checkBars("after the slider moved")
	if got := evalJS[string](t, ctx, cell("http3-quic-0rtt", "first_byte_ms")); got != "300" {
		t.Errorf("QUIC 0-RTT at 300 ms: first byte at %s ms, want 300", got)
	}
	if got := evalJS[string](t, ctx, `document.querySelector("[data-testid=rtt-out]").textContent`); got != "300 ms" {
		t.Errorf("slider output %q", got)
	}
	if !evalJS[bool](t, ctx, `new URL(location.href).searchParams.get("rtt") === "300ms"`) {
		t.Error("the URL does not keep the RTT")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("[data-testid=lose]"))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, cell("http3-quic", "first_byte_ms")+` === "800"`) // 200 ms PTO + 2 × 300 ms
	// With a loss the slowest row sets a longer scale, the same for every bar: QUIC's
	// 800 ms is 2.67 round trips, and its bar stays in that proportion to TLS 1.2's.
	if q, tls := bar("http3-quic"), bar("https-tls12"); math.Abs(q/tls-evalJS[float64](t, ctx, `Number(`+cell("http3-quic", "rtts_to_first_response_byte")+`) / Number(`+cell("https-tls12", "rtts_to_first_response_byte")+`)`)) > 0.02 {
		t.Errorf("with a loss: QUIC bar %.1f px and TLS 1.2 bar %.1f px are not in the ratio of their round trips", q, tls)
	}
	// The keyboard works the slider too: End goes to 500 ms.
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS("[data-testid=rtt]")), chromedp.KeyEvent(kb.End)); err != nil {
		t.Fatal(err)
	}
	// The request leaves at 1 RTT and is lost; it is the only segment in flight, so
	// Linux's tail loss probe resends it after 2·SRTT + 200 ms = 1200 ms (RFC 8985
	// §7.2), before the RTO; one more RTT brings the answer: 500 + 1200 + 500 = 2200 ms.
	waitJS(t, ctx, cell("http-over-tcp", "first_byte_ms")+` === "2200"`)
	if !evalJS[bool](t, ctx, `document.querySelectorAll('figure[data-variant="http3-quic"] .cmp-cross').length === 1`) {
		t.Error("the lost Initial is not drawn with a cross")
	}
}

// A recorded TLS handshake plays in the player like any scenario: every segment is
// streamed and drawn, and the arrows that carry TLS records say which.
func TestBrowserTLSScenarioPlays(t *testing.T) {
	ctx := browser(t)
	_, ts := newTestServer(t, Config{})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(ts.URL+"/lessons/https-tls12?lang=en&autoplay=1&speed=8")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `(() => { const s = [...document.querySelectorAll("svg.sa-live [data-segment]")]; return s.length > 0 && s.every(e => !e.classList.contains("sa-hidden")); })()`)
	if !evalJS[bool](t, ctx, `[...document.querySelectorAll("svg.sa-live [data-segment] text")].some(e => e.textContent.includes("ClientHello"))`) {
		t.Error("no arrow is labelled ClientHello")
	}
}
