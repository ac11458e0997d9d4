package web

import (
	"net/url"
	"testing"

	"synack/engine"
)

// The network knobs are read within the engine's limits, written back by Query, and a
// bad value is left out with a note.
func TestNetworkKnobs(t *testing.T) {
	for _, tc := range []struct {
		name, query     string
		loss            float64
		rate            int64
		queue, problems int
	}{
		{"none", "", 0, 0, 0, 0},
		{"all three", "loss=0.05&rate=10&queue=20", 0.05, 10_000_000, 20, 0},
		{"the highest loss", "loss=0.5", engine.MaxLoss, 0, 0, 0},
		{"too much loss", "loss=0.51", 0, 0, 0, 1},
		{"the slowest rate", "rate=0.064", 0, engine.MinRate, 0, 0},
		{"too slow", "rate=0.063", 0, 0, 0, 1},
		{"the fastest rate", "rate=10000", 0, engine.MaxRate, 0, 0},
		{"too fast", "rate=10001", 0, 0, 0, 1},
		{"the longest queue", "rate=1&queue=1000", 0, 1_000_000, engine.MaxQueue, 0},
		{"a queue too long", "rate=1&queue=1001", 0, 1_000_000, 0, 1},
		{"a queue without a rate", "queue=5", 0, 0, 0, 1},
		{"not a number", "loss=x&rate=y&queue=z", 0, 0, 0, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, _ := url.ParseQuery(tc.query)
			v := ParseView(q, "en", EngineBounds())
			if v.Params.Loss != tc.loss || v.Params.Rate != tc.rate || v.Params.Queue != tc.queue || len(v.Problems) != tc.problems {
				t.Fatalf("ParseView(%q) = loss %g rate %d queue %d, %d problems; want %g %d %d, %d",
					tc.query, v.Params.Loss, v.Params.Rate, v.Params.Queue, len(v.Problems), tc.loss, tc.rate, tc.queue, tc.problems)
			}
			back := ParseView(v.Query(), "en", EngineBounds())
			if back.Params.Loss != v.Params.Loss || back.Params.Rate != v.Params.Rate || back.Params.Queue != v.Params.Queue {
				t.Errorf("Query() = %q does not read back the same knobs", v.Query().Encode())
			}
			if err := v.Params.Validate(); err != nil {
				t.Errorf("the engine refuses what the view accepted: %v", err)
			}
		})
	}
}

// A lab with a slow bottleneck and a short queue drops what overflows: the student makes
// drops happen with the knobs, not by choosing segments.
func TestLabBottleneckDrops(t *testing.T) {
	q, _ := url.ParseQuery("rate=1&queue=2")
	v := ParseView(q, "en", EngineBounds())
	l, err := engine.NewLab(v.Params)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []engine.LabAction{{Endpoint: "server", Op: "listen"}, {Endpoint: "client", Op: "connect"}, {Endpoint: "client", Op: "send", Bytes: engine.MaxLabBytes}} {
		if _, err := l.Do(a); err != nil {
			t.Fatal(err)
		}
	}
	dropped := 0
	for _, s := range l.Trace().Segments() {
		if s.Fault == engine.FaultQueue {
			dropped++
		}
	}
	if dropped == 0 {
		t.Error("a 64 KB write through a 1 Mbit/s link with a 2-packet queue lost nothing to the queue")
	}
}
