package web

import (
	"strings"
	"testing"

	"synack/templates"
)

// A player page asks for the viewport width as a critical client hint; given one under
// NarrowBelow, it is laid out narrow from the first request, without the reloading
// script and with no width in its address; at NarrowBelow or wider, or without the hint,
// it is the wide page that reloads itself on a small screen. A width in the address wins
// over the hint. Pages that are not players neither ask nor change.
func TestViewportHint(t *testing.T) {
	s := NewServer(Config{})
	narrow := `viewBox="0 0 360 `
	for _, tc := range []struct {
		target, hint string
		wantNarrow   bool
		wantAsk      bool
	}{
		{"/lessons/three-way-handshake?lang=en", "390", true, true},
		{"/lessons/three-way-handshake?lang=en", "599", true, true},
		{"/lessons/three-way-handshake?lang=en", "600", false, true},
		{"/lessons/three-way-handshake?lang=en", "1280", false, true},
		{"/lessons/three-way-handshake?lang=en", "", false, true},
		{"/lessons/three-way-handshake?lang=en", "wide", false, true},
		{"/embed/lessons/three-way-handshake?lang=en", "390", true, true},
		{"/lessons/three-way-handshake?lang=en&width=1000", "390", false, false},
		{"/lab?lang=en", "390", false, true}, // the lab's drawing comes over the socket
		{"/compare?lang=en", "390", false, false},
		{"/lessons/three-way-handshake/diagram.svg", "390", false, false},
	} {
		hdr := map[string]string{}
		if tc.hint != "" {
			hdr[viewportHint] = tc.hint
		}
		res := get(t, s, tc.target, hdr)
		b := body(t, res)
		name := tc.target + " with hint " + tc.hint
		if res.StatusCode != 200 {
			t.Errorf("%s: status %d", name, res.StatusCode)
			continue
		}
		if got := res.Header.Get("Critical-CH") == viewportHint && res.Header.Get("Accept-CH") == viewportHint; got != tc.wantAsk {
			t.Errorf("%s: asks for the hint %v, want %v", name, got, tc.wantAsk)
		}
		if tc.wantAsk && !strings.Contains(strings.Join(res.Header.Values("Vary"), ","), viewportHint) {
			t.Errorf("%s: Vary %q does not name the hint", name, res.Header.Values("Vary"))
		}
		if strings.HasPrefix(tc.target, "/lessons/three-way-handshake?") || strings.HasPrefix(tc.target, "/embed/") {
			if got := strings.Contains(b, narrow); got != tc.wantNarrow {
				t.Errorf("%s: narrow drawing %v, want %v", name, got, tc.wantNarrow)
			}
			if got := strings.Contains(b, templates.ScriptFitWidth); got == (tc.wantNarrow || strings.Contains(tc.target, "width=")) {
				t.Errorf("%s: carries the reloading script %v", name, got)
			}
		}
	}
	// The lab laid out for a phone asks its socket for the narrow layout.
	b := body(t, get(t, s, "/lab?lang=en", map[string]string{viewportHint: "390"}))
	if !strings.Contains(b, `width=narrow`) || strings.Contains(b, templates.ScriptFitWidth) {
		t.Error("the lab on a phone's hint is not laid out narrow")
	}
}
