package web

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// Firefox is driven through WebDriver BiDi, the W3C protocol it speaks natively
// (chromedp speaks only Chromium's DevTools protocol). The client below is the least
// that the tests need: open a session, navigate, evaluate a script.

// bidi is a WebDriver BiDi session with one browsing context.
type bidi struct {
	t    *testing.T
	ctx  context.Context
	conn *websocket.Conn
	next int
	top  string // the browsing context
	// errors are the pages' uncaught exceptions and console errors (log.entryAdded).
	errors []string
}

// firefoxWait bounds how long a page may take to reach a state the test waits for.
const firefoxWait = 20 * time.Second

// firefox starts headless Firefox with WebDriver BiDi on a free port. Without Firefox
// the test is skipped, except under CI=true, where .ci/run installs it.
func firefox(t *testing.T) *bidi {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are skipped in -short mode (the fast loop); run go test ./... for them")
	}
	path := ""
	for _, name := range []string{"firefox-esr", "firefox"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("Firefox is required under CI=true (apt-get install -y firefox-esr)")
		}
		t.Skip("no Firefox found: apt-get install -y firefox-esr to run the Firefox tests")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	home := t.TempDir()
	cmd := exec.CommandContext(ctx, path, "--headless", "--no-remote", "--remote-debugging-port", "0",
		"--profile", t.TempDir(), "about:blank")
	cmd.Env = append(os.Environ(), "HOME="+home, "MOZ_CRASHREPORTER_DISABLE=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// Firefox names its BiDi address on stderr.
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if _, url, ok := strings.Cut(sc.Text(), "WebDriver BiDi listening on "); ok {
				addr <- strings.TrimSpace(url)
				break
			}
		}
		for sc.Scan() { // keep the pipe drained
		}
	}()
	var url string
	select {
	case url = <-addr:
	case <-time.After(firefoxWait):
		t.Fatal("Firefox did not start WebDriver BiDi")
	}
	conn, _, err := websocket.Dial(ctx, url+"/session", nil)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadLimit(16 << 20)
	t.Cleanup(func() { conn.Close(websocket.StatusNormalClosure, "") })
	b := &bidi{t: t, ctx: ctx, conn: conn}
	b.call("session.new", map[string]any{"capabilities": map[string]any{}})
	// No page may throw or log an error.
	b.call("session.subscribe", map[string]any{"events": []string{"log.entryAdded"}})
	t.Cleanup(func() {
		for _, e := range b.errors {
			t.Error("Firefox: " + e)
		}
	})
	var tree struct {
		Contexts []struct {
			Context string `json:"context"`
		} `json:"contexts"`
	}
	b.decode(b.call("browsingContext.getTree", map[string]any{}), &tree)
	if len(tree.Contexts) == 0 {
		t.Fatal("Firefox has no browsing context")
	}
	b.top = tree.Contexts[0].Context
	return b
}

// call sends a command and returns its result, skipping events.
func (b *bidi) call(method string, params any) json.RawMessage {
	b.t.Helper()
	b.next++
	id := b.next
	msg, _ := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err := b.conn.Write(b.ctx, websocket.MessageText, msg); err != nil {
		b.t.Fatalf("%s: %v", method, err)
	}
	for {
		_, data, err := b.conn.Read(b.ctx)
		if err != nil {
			b.t.Fatalf("%s: %v", method, err)
		}
		var reply struct {
			ID      int             `json:"id"`
			Type    string          `json:"type"`
			Method  string          `json:"method"`
			Params  json.RawMessage `json:"params"`
			Result  json.RawMessage `json:"result"`
			Error   string          `json:"error"`
			Message string          `json:"message"`
		}
		if err := json.Unmarshal(data, &reply); err != nil {
			b.t.Fatalf("%s: %v", method, err)
		}
		if reply.Method == "log.entryAdded" {
			var entry struct {
				Level string `json:"level"`
				Text  string `json:"text"`
				Type  string `json:"type"`
			}
			json.Unmarshal(reply.Params, &entry)
			if entry.Level == "error" {
				b.errors = append(b.errors, entry.Type+": "+entry.Text)
			}
			continue
		}
		if reply.ID != id {
			continue // an event, or an answer to nobody
		}
		if reply.Type == "error" {
			b.t.Fatalf("%s: %s: %s", method, reply.Error, reply.Message)
		}
		return reply.Result
	}
}

func (b *bidi) decode(raw json.RawMessage, v any) {
	b.t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		b.t.Fatal(err)
	}
}

func (b *bidi) navigate(url string) {
	b.t.Helper()
	b.call("browsingContext.navigate", map[string]any{"context": b.top, "url": url, "wait": "complete"})
}

// eval evaluates a JavaScript expression in the page and returns its value.
func (b *bidi) eval(expr string) any {
	b.t.Helper()
	var res struct {
		Type   string `json:"type"`
		Result struct {
			Type  string `json:"type"`
			Value any    `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	b.decode(b.call("script.evaluate", map[string]any{"expression": expr, "target": map[string]any{"context": b.top}, "awaitPromise": true}), &res)
	if res.ExceptionDetails != nil {
		b.t.Fatalf("script error: %s", res.ExceptionDetails.Text)
	}
	return res.Result.Value
}

// waitFor waits, inside the page, until cond is true; the page polls, the test does not.
func (b *bidi) waitFor(cond string) {
	b.t.Helper()
	expr := fmt.Sprintf(`new Promise((done) => { const until = Date.now() + %d;
		(function check() { let ok = false; try { ok = !!(%s); } catch (e) {}
			if (ok) done(true); else if (Date.now() > until) done(false); else setTimeout(check, 50); })(); })`,
		firefoxWait.Milliseconds(), cond)
	if ok, _ := b.eval(expr).(bool); !ok {
		b.t.Fatalf("Firefox: waited %s for %s", firefoxWait, cond)
	}
}

// In Firefox the player streams a run over the WebSocket and draws it live (a
// scenario with no lesson, so no question stops the playback): the handshake's
// segments and the TLS records appear, both lifelines reach ESTABLISHED; the
// comparison's slider re-measures the totals.
func TestBrowserFirefoxPlayerAndCompare(t *testing.T) {
	b := firefox(t)
	_, ts := newTestServer(t, Config{})
	b.navigate(ts.URL + "/lessons/https-tls13?lang=zh&autoplay=1&speed=8")
	for _, flags := range []string{"SYN", "SYN ACK", "PSH ACK"} {
		b.waitFor(fmt.Sprintf(`[...document.querySelectorAll('svg.sa-live [data-segment="%s"]')].some(e => !e.classList.contains("sa-hidden"))`, flags))
	}
	for _, lane := range []string{"client", "server"} {
		b.waitFor(fmt.Sprintf(`[...document.querySelectorAll('svg.sa-live [data-state="ESTABLISHED"][data-lane="%s"]')].some(e => !e.classList.contains("sa-hidden"))`, lane))
	}
	b.waitFor(`[...document.querySelectorAll("svg.sa-live [data-segment]")].every(e => !e.classList.contains("sa-hidden"))`)
	// A long label may be shortened on the arrow; its full text is the arrow's title.
	if ok, _ := b.eval(`[...document.querySelectorAll("svg.sa-live [data-segment]")].some(e => e.textContent.includes("ServerHello"))`).(bool); !ok {
		t.Error("no arrow is labelled ServerHello")
	}
	if got, _ := b.eval(`document.documentElement.lang`).(string); got != "zh-CN" {
		t.Errorf("page language %q, want zh-CN", got)
	}
	// A TLS lesson stops at its first question; answering it reveals the step.
	b.navigate(ts.URL + "/lessons/tls12?lang=en&step=0&speed=8")
	b.waitFor(`document.documentElement.dataset.player === "ready" && !!document.querySelector("svg.sa-live") && document.querySelector("[data-testid=stepno]").textContent.includes("1 ")`)
	b.eval(`(document.querySelector('[data-testid="play"]').click(), true)`)
	b.waitFor(`!document.querySelector("#question").hidden && !!document.querySelector('#question input')`)
	answer, _ := b.eval(`JSON.parse(document.getElementById("boot").textContent).lesson.questions[0].answer`).(string)
	if answer != "7" {
		t.Errorf("the first TLS 1.2 question's answer is %q, want 7 (3 + 4)", answer)
	}
	b.eval(fmt.Sprintf(`(document.querySelector('#question input[value=%q]').click(), document.querySelector('[data-testid="check"]').click(), true)`, answer))
	b.waitFor(`(document.querySelector("[data-testid=reveal]")||{}).textContent?.includes("Correct")`)

	b.navigate(ts.URL + "/compare?lang=en&rtt=100ms")
	cell := `document.querySelector('tr[data-row="https-tls12"] [data-field="first_byte_ms"]').textContent.trim()`
	b.waitFor(cell + ` === "400"`)
	b.eval(`(() => { const r = document.querySelector("[data-testid=rtt]"); r.value = "300"; r.dispatchEvent(new Event("input", {bubbles: true})); return true; })()`)
	b.waitFor(cell + ` === "1200"`)
}
