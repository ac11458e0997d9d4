package diagram_test

import (
	"testing"

	"synack/engine"
	"synack/engine/diagram"
	"synack/lessons"
	"synack/lessons/stories"
)

// MaxStateLag is how far below the event that caused it a state's name may be drawn, in
// px: four lines of side text. Further down, it reads as if a later event caused it (on a
// phone SYN-RECEIVED used to sit 56 px down, beside the client's ESTABLISHED).
const MaxStateLag = 4 * 15.0

// Every state name is drawn at the event that caused it, wide and on a phone, in every
// story's default run under both profiles, and a lane's names at one moment in the order
// of their events: as a valid cookie's ACK arrives the server passes SYN-RECEIVED and
// ESTABLISHED at once, and on a phone ESTABLISHED used to take the free line above.
func TestStateNamesAtTheirEvent(t *testing.T) {
	pairs := 0
	eachStoryLayout(t, func(name string, l *diagram.Layout) {
		last := map[string]diagram.Item{}
		for _, it := range l.Items {
			if it.Kind != "state" || it.T == nil {
				continue
			}
			// The name's baseline is 4 px below the event on its first line.
			if lag := it.T.Y - (it.Y1 + 4); lag > MaxStateLag || lag < -14 {
				t.Errorf("%s: %s (%q) is drawn %.0f px from its event", name, it.State, it.T.EN, lag)
			}
			if p, ok := last[it.Lane]; ok && p.Y1 == it.Y1 {
				pairs++
				if p.T.Y >= it.T.Y {
					t.Errorf("%s: %s's %s is drawn at y %.0f, not below %s (y %.0f), the state it follows",
						name, it.Lane, it.State, it.T.Y, p.State, p.T.Y)
				}
			}
			last[it.Lane] = it
		}
	})
	if pairs == 0 {
		t.Fatal("no lane changed state twice at one moment: the order is not checked")
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

// As a valid cookie's ACK arrives, the server's SYN-RECEIVED and ESTABLISHED are placed
// before that moment's queue lengths and note; the calls that follow them (accept(), and
// read() and send() a microsecond later, on the same row) are still drawn no higher than
// ESTABLISHED, as they happen after it.
func TestCallsNotAboveTheStateBeforeThem(t *testing.T) {
	for _, prof := range []string{"linux", "rfc"} {
		p := engine.DefaultParams()
		p.Profile = prof
		tr, err := stories.Default().Run("syn-cookies", p)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []float64{0, diagram.NarrowWidth} {
			l := diagram.Build(tr, diagram.Options{Width: w})
			var est *diagram.Item
			calls := 0
			for i, it := range l.Items {
				if it.Kind == "state" && it.Lane == "server" && it.State == "ESTABLISHED" && est == nil {
					est = &l.Items[i]
				}
				if est == nil || it.Kind != "app" || it.Lane != "server" || it.T == nil || it.Y1-est.Y1 >= 1 {
					continue
				}
				calls++
				if it.T.Y < est.T.Y {
					t.Errorf("%s/w=%.0f: %q drawn at y %.0f, above ESTABLISHED (y %.0f), which it follows", prof, w, it.T.EN, it.T.Y, est.T.Y)
				}
			}
			if est == nil || calls < 3 {
				t.Fatalf("%s/w=%.0f: ESTABLISHED found %v, %d calls on its row; want accept(), read(), send()", prof, w, est != nil, calls)
			}
		}
	}
}

// On a phone the server's ESTABLISHED is drawn beside the ACK that caused it, as ESTAB
// (Figure 5's short name) where the whole name has no room outside the lane, not a line
// lower on the lane's inner side, where it used to sit beside the next moment's texts
// (and, before the gap's room, on the band of the idle time after it).
func TestEstablishedBesideItsACK(t *testing.T) {
	cat, err := lessons.Load(lessons.Files(), stories.Default())
	if err != nil {
		t.Fatal(err)
	}
	l, ok := cat.Get("close-with-unread-data")
	if !ok {
		t.Fatal("no lesson close-with-unread-data")
	}
	les, err := l.Run(engine.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	story, err := stories.Default().Run("four-way-close", engine.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	for name, tr := range map[string]*engine.Trace{"close-with-unread-data": les, "four-way-close": story} {
		found := false
		for _, it := range diagram.Build(tr, diagram.Options{Width: diagram.NarrowWidth}).Items {
			if it.Kind != "state" || it.Lane != "server" || it.State != "ESTABLISHED" {
				continue
			}
			found = true
			if lag := it.T.Y - (it.Y1 + 4); lag > 1 || lag < -1 || it.T.X < it.X1 {
				t.Errorf("%s: the server's ESTABLISHED (%q) is drawn %.0f px below its ACK's arrival, at x %.0f (lane at %.0f)", name, it.T.EN, lag, it.T.X, it.X1)
			}
			break
		}
		if !found {
			t.Errorf("%s: no ESTABLISHED on the server's lane", name)
		}
	}
}
