package web

import (
	"encoding/json"
	"strings"
	"testing"

	"synack/engine/diagram"
)

// The state figure is served in the reader's language, as JSON for the panel and as SVG.
func TestStatesFigureRoutes(t *testing.T) {
	s := NewServer(Config{})
	for _, tc := range []struct {
		target, lang, want string
		hdr                map[string]string
	}{
		{"/states.json", "en", "Figure 5", nil},
		{"/states.json?lang=zh", "zh", "图 5", nil},
		{"/states.json?lang=zh-CN", "zh", "图 5", nil},
		{"/states.json", "zh", "图 5", map[string]string{"Accept-Language": "zh-CN,zh;q=0.9"}},
		{"/states.json?lang=xx", "en", "Figure 5", nil},
	} {
		res := get(t, s, tc.target, tc.hdr)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("GET %s: %d %s", tc.target, res.StatusCode, res.Header.Get("Content-Type"))
		}
		var f diagram.StateFigure
		if err := json.NewDecoder(res.Body).Decode(&f); err != nil {
			t.Fatalf("GET %s: %v", tc.target, err)
		}
		if f.Lang != tc.lang || !strings.Contains(f.Title, tc.want) || len(f.Edges) == 0 || f.Style == "" {
			t.Errorf("GET %s: lang %q, title %q, %d edges", tc.target, f.Lang, f.Title, len(f.Edges))
		}
	}
	res := get(t, s, "/states.svg?lang=zh", nil)
	if b := body(t, res); res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(b, "收到 SYN") {
		t.Errorf("GET /states.svg?lang=zh: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}
