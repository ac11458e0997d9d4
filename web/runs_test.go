package web

import (
	"encoding/json"
	"html"
	"strings"
	"testing"
)

// A page and its socket share one run: a first view simulates its story once, whoever
// asks for it (the page, its socket, its diagram and captures); another run once more.
func TestPageAndSocketShareOneRun(t *testing.T) {
	s, ts := newTestServer(t, Config{})
	const page = "/lessons/half-close?rtt=80ms&seed=3"
	m := bootScript.FindStringSubmatch(body(t, get(t, s, page, nil)))
	if m == nil {
		t.Fatalf("%s has no boot script", page)
	}
	var boot Boot
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &boot); err != nil {
		t.Fatalf("boot: %v", err)
	}
	if got := s.runs.sims.Load(); got != 1 {
		t.Fatalf("after the page: %d simulations, want 1", got)
	}
	w, _, err := dial(t, ts, "")
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	w.next("hello")
	w.send(map[string]any{"type": "start", "scenario": boot.Scenario, "query": boot.Query, "step": boot.Step, "have_layout": boot.Layout != nil})
	w.next("steps")
	for _, u := range []string{"/lessons/half-close/diagram.svg?rtt=80ms&seed=3", "/lessons/half-close/capture.pcap?rtt=80ms&seed=3",
		"/lessons/half-close/capture.pcapng?seed=3&rtt=80ms", page + "&lang=zh"} {
		if res := get(t, s, u, nil); res.StatusCode != 200 {
			t.Fatalf("%s: status %d", u, res.StatusCode)
		}
	}
	if got := s.runs.sims.Load(); got != 1 {
		t.Errorf("after the page, its socket, its diagram, its captures and its other language: %d simulations, want 1", got)
	}
	get(t, s, "/lessons/half-close?rtt=90ms&seed=3", nil)
	if got := s.runs.sims.Load(); got != 2 {
		t.Errorf("after a page with another RTT: %d simulations, want 2", got)
	}
}

// An export of a story that does not exist says so in the reader's language.
func TestExportOfNoStory(t *testing.T) {
	s := NewServer(Config{})
	for _, tc := range []struct{ path, want string }{
		{"/lessons/nope/diagram.svg?lang=zh", "没有这个名称的场景"},
		{"/lessons/nope/capture.pcap", "There is no scenario with that name"},
	} {
		res := get(t, s, tc.path, nil)
		if b := body(t, res); res.StatusCode != 404 || !strings.Contains(b, tc.want) {
			t.Errorf("%s: status %d, body %q; want 404 saying %q", tc.path, res.StatusCode, b, tc.want)
		}
	}
}
