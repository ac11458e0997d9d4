package web

import (
	"net/url"
	"testing"
	"time"

	"synack/engine"
)

func TestParseView(t *testing.T) {
	for name, tc := range map[string]struct {
		q        string
		rtt      time.Duration
		profile  string
		seed     uint64
		step     int
		speed    float64
		problems int
	}{
		"defaults":       {"", 100 * time.Millisecond, "linux", 1, -1, 1, 0},
		"all set":        {"rtt=80ms&profile=rfc&seed=7&step=5&speed=2", 80 * time.Millisecond, "rfc", 7, 4, 2, 0},
		"step 1":         {"step=1", 100 * time.Millisecond, "linux", 1, 0, 1, 0},
		"step 0 is 1":    {"step=0", 100 * time.Millisecond, "linux", 1, 0, 1, 0},
		"bare ms":        {"rtt=250", 250 * time.Millisecond, "linux", 1, -1, 1, 0},
		"rtt at min":     {"rtt=1ms", time.Millisecond, "linux", 1, -1, 1, 0},
		"rtt below min":  {"rtt=500us", engine.MinRTT, "linux", 1, -1, 1, 1},
		"rtt at max":     {"rtt=2s", 2 * time.Second, "linux", 1, -1, 1, 0},
		"rtt above max":  {"rtt=3s", engine.MaxRTT, "linux", 1, -1, 1, 1},
		"rtt garbage":    {"rtt=fast", 100 * time.Millisecond, "linux", 1, -1, 1, 1},
		"speed at min":   {"speed=0.25", 100 * time.Millisecond, "linux", 1, -1, 0.25, 0},
		"speed below":    {"speed=0.1", 100 * time.Millisecond, "linux", 1, -1, MinSpeed, 1},
		"speed at max":   {"speed=8", 100 * time.Millisecond, "linux", 1, -1, 8, 0},
		"speed above":    {"speed=9", 100 * time.Millisecond, "linux", 1, -1, MaxSpeed, 1},
		"speed NaN":      {"speed=NaN", 100 * time.Millisecond, "linux", 1, -1, 1, 1},
		"seed at max":    {"seed=9007199254740991", 100 * time.Millisecond, "linux", MaxSeed, -1, 1, 0},
		"seed above max": {"seed=9007199254740992", 100 * time.Millisecond, "linux", 1, -1, 1, 1},
		"step negative":  {"step=-1", 100 * time.Millisecond, "linux", 1, -1, 1, 1},
		"unknown prof":   {"profile=windows", 100 * time.Millisecond, "linux", 1, -1, 1, 1},
	} {
		t.Run(name, func(t *testing.T) {
			q, _ := url.ParseQuery(tc.q)
			v := ParseView(q, "en")
			if v.Params.RTT != tc.rtt || v.Params.Profile != tc.profile || v.Params.Seed != tc.seed ||
				v.Step != tc.step || v.Speed != tc.speed || len(v.Problems) != tc.problems {
				t.Fatalf("ParseView(%q) = rtt %s profile %s seed %d step %d speed %g problems %d, want %s %s %d %d %g %d",
					tc.q, v.Params.RTT, v.Params.Profile, v.Params.Seed, v.Step, v.Speed, len(v.Problems),
					tc.rtt, tc.profile, tc.seed, tc.step, tc.speed, tc.problems)
			}
		})
	}
}

func TestDropLimit(t *testing.T) {
	q := url.Values{}
	s := "1"
	for i := 2; i <= engine.MaxDrops+1; i++ {
		s += "," + string(rune('0'+i%10))
	}
	q.Set("drop", s)
	v := ParseView(q, "en")
	if len(v.Params.Drop) != engine.MaxDrops || len(v.Problems) != 1 {
		t.Fatalf("%d drops, %d problems; want %d and 1", len(v.Params.Drop), len(v.Problems), engine.MaxDrops)
	}
}

// A view survives being written back as a query string, and any query yields parameters
// the engine accepts.
func FuzzParseView(f *testing.F) {
	for _, s := range []string{"", "rtt=80ms&seed=7&drop=3&step=5&speed=2&lang=zh", "rtt=-1", "drop=,,,", "speed=1e309", "seed=18446744073709551615"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := url.ParseQuery(s)
		if err != nil {
			return
		}
		v := ParseView(q, "en")
		p := v.Params
		if err := p.Validate(); err != nil {
			t.Fatalf("ParseView(%q) gave parameters the engine rejects: %v", s, err)
		}
		if v.Speed < MinSpeed || v.Speed > MaxSpeed {
			t.Fatalf("speed %g out of range", v.Speed)
		}
		again := ParseView(v.Query(), "en")
		if again.Params.RTT != p.RTT || again.Params.Seed != p.Seed || again.Step != v.Step || again.Speed != v.Speed || len(again.Problems) != 0 {
			t.Fatalf("round trip of %q changed the view: %+v vs %+v", s, v, again)
		}
	})
}
