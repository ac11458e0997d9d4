package web

import (
	"net/url"
	"strings"
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
			v := ParseView(q, "en", EngineBounds())
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
	v := ParseView(q, "en", EngineBounds())
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
		v := ParseView(q, "en", EngineBounds())
		p := v.Params
		if err := p.Validate(); err != nil {
			t.Fatalf("ParseView(%q) gave parameters the engine rejects: %v", s, err)
		}
		if v.Speed < MinSpeed || v.Speed > MaxSpeed {
			t.Fatalf("speed %g out of range", v.Speed)
		}
		again := ParseView(v.Query(), "en", EngineBounds())
		if again.Params.RTT != p.RTT || again.Params.Seed != p.Seed || again.Step != v.Step || again.Speed != v.Speed || len(again.Problems) != 0 {
			t.Fatalf("round trip of %q changed the view: %+v vs %+v", s, v, again)
		}
	})
}

// A lesson narrows the engine's ranges, in the same one pass: at its edges nothing
// changes; past them the RTT is clamped and the profile replaced, each said once, even
// when both are wrong at once.
func TestParseViewWithinALesson(t *testing.T) {
	b := Bounds{MinRTT: 10 * time.Millisecond, MaxRTT: 500 * time.Millisecond, Profiles: []string{"linux"}, Lesson: true}
	for name, tc := range map[string]struct {
		q        string
		rtt      time.Duration
		profile  string
		problems []string
	}{
		"defaults":           {"", 100 * time.Millisecond, "linux", nil},
		"rtt at min":         {"rtt=10ms", 10 * time.Millisecond, "linux", nil},
		"rtt below min":      {"rtt=9ms", 10 * time.Millisecond, "linux", []string{"this lesson allows an RTT from 10ms to 500ms: using 10ms"}},
		"rtt at max":         {"rtt=500ms", 500 * time.Millisecond, "linux", nil},
		"rtt above max":      {"rtt=501ms", 500 * time.Millisecond, "linux", []string{"this lesson allows an RTT from 10ms to 500ms: using 500ms"}},
		"rtt above engine":   {"rtt=3s", 500 * time.Millisecond, "linux", []string{"rtt 3s is above 2s: using 2s", "this lesson allows an RTT from 10ms to 500ms: using 500ms"}},
		"profile not here":   {"profile=rfc", 100 * time.Millisecond, "linux", []string{"this lesson uses the linux profile"}},
		"both wrong at once": {"profile=rfc&rtt=1s", 500 * time.Millisecond, "linux", []string{"this lesson uses the linux profile", "this lesson allows an RTT from 10ms to 500ms: using 500ms"}},
	} {
		t.Run(name, func(t *testing.T) {
			q, _ := url.ParseQuery(tc.q)
			v := ParseView(q, "en", b)
			var got []string
			for _, p := range v.Problems {
				got = append(got, p.Text.EN)
			}
			if v.Params.RTT != tc.rtt || v.Params.Profile != tc.profile || strings.Join(got, "|") != strings.Join(tc.problems, "|") {
				t.Errorf("ParseView(%q) = rtt %s profile %s problems %q, want %s %s %q", tc.q, v.Params.RTT, v.Params.Profile, got, tc.rtt, tc.profile, tc.problems)
			}
		})
	}
}
