package web

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"synack/engine"
	"synack/engine/catalog"
	"synack/engine/tcp"
	"synack/lessons"
)

// Limits of view parameters.
const (
	MinSpeed = 0.25
	MaxSpeed = 8.0
	MaxSeed  = 1<<53 - 1 // seeds survive a round trip through JavaScript numbers
	MaxStep  = 1 << 20
)

// View is everything a player view's URL holds: copy the address and the other person
// sees the same thing.
type View struct {
	Params engine.Params
	// Step is the shown step, counted from 0 (the URL counts from 1: ?step=5 is Step 4);
	// -1 when the URL names none, which opens the story at its first step.
	Step     int
	Speed    float64
	Lang     string
	Autoplay bool
	Relative bool
	// Problems lists parameters that were out of range or malformed, and what was done.
	Problems []Problem
}

// Problem is one rejected or clamped parameter.
type Problem struct {
	Param string
	Text  engine.Text
}

// Bounds are the ranges a view's parameters must fall in: the engine's (EngineBounds),
// or a lesson's, which narrow them (LessonBounds).
type Bounds struct {
	MinRTT, MaxRTT time.Duration
	// Profiles are the behaviours allowed; the first is used when the URL names another.
	Profiles []string
	// Lesson says the ranges are a lesson's, so a problem says "this lesson allows…".
	Lesson bool
}

// EngineBounds are the engine's own ranges, for a story told without a lesson and the lab.
func EngineBounds() Bounds {
	return Bounds{MinRTT: engine.MinRTT, MaxRTT: engine.MaxRTT, Profiles: tcp.ProfileNames}
}

// LessonBounds are the ranges lesson l allows (the engine's when l is nil).
func LessonBounds(l *lessons.Lesson) Bounds {
	if l == nil {
		return EngineBounds()
	}
	return Bounds{MinRTT: l.MinRTT, MaxRTT: l.MaxRTT, Profiles: l.Profiles, Lesson: true}
}

// ParseView reads a view from a query string, within b: the one place a view's
// parameters are checked, their defaults being engine.DefaultParams. Nothing in it can
// fail the request: a bad value is replaced by its default or clamped, and said so in
// Problems.
func ParseView(q url.Values, lang string, b Bounds) View {
	v := View{Params: engine.DefaultParams(), Step: -1, Speed: 1, Lang: lang}
	bad := func(param string, text engine.Text) {
		v.Problems = append(v.Problems, Problem{Param: param, Text: text})
	}
	if s := q.Get("profile"); s != "" {
		if slices.Contains(tcp.ProfileNames, s) {
			v.Params.Profile = s
		} else {
			bad("profile", catalog.F("param.profile.unknown", s, v.Params.Profile))
		}
	}
	if len(b.Profiles) > 0 && !slices.Contains(b.Profiles, v.Params.Profile) {
		v.Params.Profile = b.Profiles[0]
		bad("profile", catalog.F("param.lesson.profile", b.Profiles[0]))
	}
	if s := q.Get("seed"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n > MaxSeed {
			bad("seed", catalog.F("param.seed.bad", s, uint64(MaxSeed), v.Params.Seed))
		} else {
			v.Params.Seed = n
		}
	}
	if s := q.Get("rtt"); s != "" {
		d, problem := parseRTT(s, v.Params.RTT, engine.MinRTT, engine.MaxRTT)
		v.Params.RTT = d
		if problem != nil {
			bad("rtt", *problem)
		}
	}
	if b.Lesson && (v.Params.RTT < b.MinRTT || v.Params.RTT > b.MaxRTT) {
		v.Params.RTT = min(max(v.Params.RTT, b.MinRTT), b.MaxRTT)
		bad("rtt", catalog.F("param.lesson.rtt", b.MinRTT, b.MaxRTT, v.Params.RTT))
	}
	if s := q.Get("drop"); s != "" {
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 || n > 100000 {
				bad("drop", catalog.F("param.drop.bad", f))
				continue
			}
			if len(v.Params.Drop) >= engine.MaxDrops {
				bad("drop", catalog.F("param.drop.many", engine.MaxDrops))
				break
			}
			v.Params.Drop = append(v.Params.Drop, n)
		}
	}
	if s := q.Get("step"); s != "" {
		n, err := strconv.Atoi(s)
		switch {
		case err != nil || n < 0 || n > MaxStep:
			bad("step", catalog.F("param.step.bad", s))
		case n == 0:
			v.Step = 0 // the first step (links written before steps were counted from 1)
		default:
			v.Step = n - 1
		}
	}
	if s := q.Get("speed"); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		switch {
		case err != nil || f != f:
			bad("speed", catalog.F("param.speed.bad", s))
		case f < MinSpeed:
			v.Speed = MinSpeed
			bad("speed", catalog.F("param.speed.low", s, MinSpeed))
		case f > MaxSpeed:
			v.Speed = MaxSpeed
			bad("speed", catalog.F("param.speed.high", s, MaxSpeed))
		default:
			v.Speed = f
		}
	}
	parseNetwork(q, &v, bad) // loss, rate and queue (plots.go)
	v.Autoplay = q.Get("autoplay") == "1"
	v.Relative = q.Get("numbers") == "relative"
	return v
}

// parseDuration accepts Go durations ("80ms", "1.5s") and bare milliseconds ("80").
// parseRTT reads an RTT for a view that allows lo to hi. What is not a duration leaves
// def; what is out of range is clamped; either way the problem says what was done.
func parseRTT(s string, def, lo, hi time.Duration) (time.Duration, *engine.Text) {
	d, err := parseDuration(s)
	switch {
	case err != nil:
		t := catalog.F("param.rtt.bad", s, def)
		return def, &t
	case d < lo:
		t := catalog.F("param.rtt.low", d, lo)
		return lo, &t
	case d > hi:
		t := catalog.F("param.rtt.high", d, hi)
		return hi, &t
	}
	return d, nil
}

func parseDuration(s string) (time.Duration, error) {
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		if n < 0 || n > 1e7 {
			return 0, fmt.Errorf("out of range")
		}
		return time.Duration(n * float64(time.Millisecond)), nil
	}
	return time.ParseDuration(s)
}

// Query writes the view back as a query string (the canonical shareable form).
func (v View) Query() url.Values {
	q := url.Values{}
	p, def := v.Params, engine.DefaultParams()
	if p.Profile != def.Profile {
		q.Set("profile", p.Profile)
	}
	if p.Seed != def.Seed {
		q.Set("seed", strconv.FormatUint(p.Seed, 10))
	}
	if p.RTT != def.RTT {
		q.Set("rtt", p.RTT.String())
	}
	if len(p.Drop) > 0 {
		var s []string
		for _, d := range p.Drop {
			s = append(s, strconv.Itoa(d))
		}
		q.Set("drop", strings.Join(s, ","))
	}
	networkQuery(p, q)
	if v.Step >= 0 {
		q.Set("step", strconv.Itoa(v.Step+1))
	}
	if v.Speed != 1 {
		q.Set("speed", strconv.FormatFloat(v.Speed, 'g', -1, 64))
	}
	if v.Relative {
		q.Set("numbers", "relative")
	}
	if v.Lang != "" {
		q.Set("lang", v.Lang)
	}
	return q
}
