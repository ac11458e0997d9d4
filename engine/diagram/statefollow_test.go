package diagram_test

import (
	"testing"

	"synack/engine"
	"synack/engine/diagram"
	"synack/lessons/stories"
)

// MaxStateLag is how far below the event that caused it a state's name may be drawn, in
// px: four lines of side text. Further down, it reads as if a later event caused it (on a
// phone SYN-RECEIVED used to sit 56 px down, beside the client's ESTABLISHED).
const MaxStateLag = 4 * 15.0

// Every state name is drawn at the event that caused it, wide and on a phone, in every
// story's default run. (A story whose lane has more texts at one instant than lines
// near it could be listed with how many names are pushed further; none is.)
func TestStateNamesAtTheirEvent(t *testing.T) {
	allowed := map[string]int{}
	for _, sc := range stories.Default().Stories() {
		late := 0
		tr, err := stories.Default().Run(sc.ID, engine.DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []float64{0, diagram.NarrowWidth} {
			for _, it := range diagram.Build(tr, diagram.Options{Width: w}).Items {
				if it.Kind != "state" || it.T == nil {
					continue
				}
				// The name's baseline is 4 px below the event on its first line.
				if lag := it.T.Y - (it.Y1 + 4); lag > MaxStateLag || lag < -14 {
					late++
					if late > allowed[sc.ID] {
						t.Errorf("%s/w=%.0f: %s (%q) is drawn %.0f px from its event", sc.ID, w, it.State, it.T.EN, lag)
					}
				}
			}
		}
		if n, ok := allowed[sc.ID]; ok && late < n {
			t.Errorf("%s: %d state names far from their event now; lower its allowance from %d", sc.ID, late, n)
		}
	}
}

// On a phone the server's SYN-RECEIVED is drawn beside the SYN that caused it (as
// SYN-RCVD, Figure 5's own short name, where the whole name has no room), not four lines
// down beside the client's ESTABLISHED, where it used to be.
func TestSynReceivedBesideItsSYN(t *testing.T) {
	tr, err := stories.Default().Run("three-way-handshake", engine.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range diagram.Build(tr, diagram.Options{Width: diagram.NarrowWidth}).Items {
		if it.Kind == "state" && it.State == "SYN-RECEIVED" {
			if lag := it.T.Y - (it.Y1 + 4); lag > 14 {
				t.Errorf("SYN-RECEIVED (%q) is drawn %.0f px below its SYN's arrival", it.T.EN, lag)
			}
			return
		}
	}
	t.Fatal("no SYN-RECEIVED in the handshake")
}
