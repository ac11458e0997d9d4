package web

import (
	"strings"
	"testing"
)

// diagram.svg takes the layout's width from the query (a phone's narrow layout, a width
// in px) and ignores a bad one; the SYN flood stays a light figure unless expanded.
func TestDiagramSVGWidthAndSize(t *testing.T) {
	s := NewServer(Config{})
	for _, tc := range []struct {
		query, want string
	}{
		{"", `width="880"`},
		{"?width=narrow", `width="360"`},
		{"?width=500", `width="500"`},
		{"?width=nonsense", `width="880"`},
		{"?width=99999", `width="880"`},
	} {
		res := get(t, s, "/lessons/three-way-handshake/diagram.svg"+tc.query, nil)
		b := body(t, res)
		if res.StatusCode != 200 || !strings.Contains(b[:min(len(b), 300)], tc.want) {
			t.Errorf("diagram.svg%s: status %d, want %s in %.200s", tc.query, res.StatusCode, tc.want, b)
		}
	}
	b := body(t, get(t, s, "/lessons/syn-flood/diagram.svg", nil))
	if len(b) > 200_000 || !strings.Contains(b, "spoofed SYNs") {
		t.Errorf("syn-flood diagram.svg is %d bytes (want ≤ 200 KB) or has no bundle", len(b))
	}
}
