package web

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"synack/engine"
	"synack/lessons/stories"
)

// MaxFoldedPageBytes is the budget of a thousand-segment story's page, compressed: the
// diagram folds its ordinary runs and the figures carry only their geometry.
const MaxFoldedPageBytes = 150 << 10

// bulk-transfer sends a thousand data segments; its page, with the folded diagram, the
// two figures and their tables, is at most MaxFoldedPageBytes compressed in both
// languages, and both figures are on it.
func TestThousandSegmentPageFitsItsBudget(t *testing.T) {
	tr, err := stories.Default().Run("bulk-transfer", engine.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	data := 0
	for _, s := range tr.Segments() {
		if len(s.Seg.Payload) > 0 {
			data++
		}
	}
	if data < 1000 {
		t.Fatalf("bulk-transfer sends %d data segments, want at least 1000", data)
	}
	_, ts := newTestServer(t, Config{})
	for _, lang := range []string{"en", "zh"} {
		req, _ := http.NewRequest("GET", ts.URL+"/lessons/bulk-transfer?lang="+lang, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := ts.Client().Do(req) // an explicit Accept-Encoding: the body stays compressed
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s: status %d, encoding %q", lang, resp.StatusCode, resp.Header.Get("Content-Encoding"))
		}
		if len(b) > MaxFoldedPageBytes {
			t.Errorf("%s: the page is %d bytes compressed, more than %d", lang, len(b), MaxFoldedPageBytes)
		}
		t.Logf("%s: %d bytes compressed", lang, len(b))
	}
	resp, err := ts.Client().Get(ts.URL + "/lessons/bulk-transfer?lang=en")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`data-testid="plot-tsg"`, `data-testid="plot-cwnd"`, `id="plots"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}

// Both figures are served as SVG for every story, in the reader's language, and a story
// without data says so instead of failing.
func TestPlotSVGRoutes(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	for _, c := range []struct{ path, want string }{
		{"/lessons/sack-recovery/tsg.svg?lang=en", "Time-sequence graph"},
		{"/lessons/sack-recovery/cwnd.svg?lang=zh", "拥塞窗口"},
		{"/lessons/three-way-handshake/tsg.svg", "No data was sent"},
		{"/lessons/sack-recovery/tsg.svg?width=narrow&step=20", "sa-pl-cursor"},
	} {
		resp, err := ts.Client().Get(ts.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(string(b), c.want) {
			t.Errorf("%s: %d %s, want an SVG containing %q", c.path, resp.StatusCode, resp.Header.Get("Content-Type"), c.want)
		}
	}
	resp, err := ts.Client().Get(ts.URL + "/lessons/no-such-story/tsg.svg")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("an unknown story's figure: %d, want 404", resp.StatusCode)
	}
}
