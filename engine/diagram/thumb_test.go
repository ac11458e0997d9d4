package diagram_test

import (
	"encoding/xml"
	"fmt"
	"strings"
	"testing"

	"synack/engine"
	"synack/engine/diagram"
	"synack/lessons/stories"
)

// A thumbnail is the diagram's own geometry without text: the handshake's is two lanes
// and three arrows, where the layout puts them, in the diagram's classes.
func TestThumbnailDrawsTheLayoutsArrows(t *testing.T) {
	tr, err := stories.Default().Run("three-way-handshake", engine.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	l := diagram.Build(tr, diagram.Options{})
	svg := diagram.Thumbnail(l, 240, 72)
	if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
		t.Fatalf("not well-formed: %v\n%s", err, svg)
	}
	if strings.Contains(svg, "<text") {
		t.Error("a thumbnail has text")
	}
	if got := strings.Count(svg, `class="sa-lane"`); got != 2 {
		t.Errorf("%d lanes, want 2", got)
	}
	for _, it := range l.Items {
		if it.Kind != "segment" {
			continue
		}
		want := fmt.Sprintf(`x1="%g" y1="%g" x2="%g" y2="%g"`, it.X1, it.Y1, it.X2, it.Y2)
		if !strings.Contains(svg, want) {
			t.Errorf("segment %d: no line %s", it.ID, want)
		}
	}
	if got := strings.Count(svg, `class="sa-seg`); got != 3 {
		t.Errorf("%d arrows, want 3", got)
	}
	if !strings.Contains(svg, `sa-from-server`) || !strings.Contains(svg, `aria-hidden="true"`) {
		t.Errorf("missing the server's colour or aria-hidden: %s", svg)
	}
}

// A story with more arrows than MaxThumbArrows (a flood drawn segment by segment) is
// drawn up to the limit.
func TestThumbnailStopsAtMaxThumbArrows(t *testing.T) {
	tr, err := stories.Default().Run("syn-flood", engine.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	l := diagram.Build(tr, diagram.Options{Expand: true})
	segs := 0
	for _, it := range l.Items {
		if it.Kind == "segment" {
			segs++
		}
	}
	if segs <= diagram.MaxThumbArrows {
		t.Fatalf("the expanded flood has only %d arrows; the test needs more than %d", segs, diagram.MaxThumbArrows)
	}
	if got := strings.Count(diagram.Thumbnail(l, 240, 72), `class="sa-seg`); got != diagram.MaxThumbArrows {
		t.Errorf("%d arrows drawn, want %d", got, diagram.MaxThumbArrows)
	}
}
