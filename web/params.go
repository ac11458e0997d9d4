package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"synack/engine"
	"synack/engine/catalog"
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

// ParseView reads a view from a query string. Nothing in it can fail the request: a bad
// value is replaced by its default or clamped, and said so in Problems.
func ParseView(q url.Values, lang string) View {
	v := View{Params: engine.DefaultParams(), Step: -1, Speed: 1, Lang: lang}
	bad := func(param string, text engine.Text) {
		v.Problems = append(v.Problems, Problem{Param: param, Text: text})
	}
	if s := q.Get("profile"); s != "" {
		if s == "linux" || s == "rfc" {
			v.Params.Profile = s
		} else {
			bad("profile", catalog.F("param.profile.unknown", s))
		}
	}
	if s := q.Get("seed"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n > MaxSeed {
			bad("seed", catalog.F("param.seed.bad", s, uint64(MaxSeed)))
		} else {
			v.Params.Seed = n
		}
	}
	if s := q.Get("rtt"); s != "" {
		d, problem := parseRTT(s, v.Params.RTT, engine.MinRTT, engine.MaxRTT)
		v.Params.RTT = d
		if problem != nil {
			v.Problems = append(v.Problems, Problem{Param: "rtt", Text: *problem})
		}
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
	p := v.Params
	if p.Profile != "linux" {
		q.Set("profile", p.Profile)
	}
	if p.Seed != 1 {
		q.Set("seed", strconv.FormatUint(p.Seed, 10))
	}
	if p.RTT != 100*time.Millisecond {
		q.Set("rtt", p.RTT.String())
	}
	if len(p.Drop) > 0 {
		var s []string
		for _, d := range p.Drop {
			s = append(s, strconv.Itoa(d))
		}
		q.Set("drop", strings.Join(s, ","))
	}
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
