package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserMermaidParses feeds diagram.mmd of several stories, in both languages, to
// Mermaid's own parser in Chromium. Mermaid is not packaged for Debian, so the test runs
// only when SYNACK_MERMAID_JS names a mermaid.min.js (npm install mermaid@11; it is in
// node_modules/mermaid/dist/), and says so when it skips.
func TestBrowserMermaidParses(t *testing.T) {
	path := os.Getenv("SYNACK_MERMAID_JS")
	if path == "" {
		t.Skip("SYNACK_MERMAID_JS is not set: npm install mermaid@11 and point it at node_modules/mermaid/dist/mermaid.min.js to check diagram.mmd with Mermaid's parser")
	}
	js, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := browser(t)
	s := NewServer(Config{})
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/mermaid.js" {
			w.Header().Set("Content-Type", "text/javascript")
			w.Write(js)
			return
		}
		w.Write([]byte(`<!doctype html><script src="/mermaid.js"></script>`))
	}))
	defer page.Close()
	if err := chromedp.Do(ctx, chromedp.Navigate(page.URL)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `typeof mermaid !== "undefined"`)
	evalJS[chromedp.Void](t, ctx, `mermaid.initialize({startOnLoad: false})`)
	parse := func(text string) string {
		q, _ := json.Marshal(text)
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`mermaid.parse(`+string(q)+`).then(() => "ok", (e) => "error: " + e.message)`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := parse("sequenceDiagram\n    client->>server SYN without a colon\n"); got == "ok" {
		t.Fatal("Mermaid's parser accepts a message without its colon: it cannot judge our output")
	}
	for _, id := range []string{"three-way-handshake", "lost-final-ack", "syn-flood", "simultaneous-open", "https-tls13", "http3-quic", "connect-timeout"} {
		for _, lang := range []string{"en", "zh"} {
			text := body(t, do(t, s, "GET", "/lessons/"+id+"/diagram.mmd?lang="+lang, nil))
			if got := parse(text); got != "ok" {
				t.Errorf("%s in %s: %s\n%s", id, lang, got, text)
			}
		}
	}
}
