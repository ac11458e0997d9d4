package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"synack/engine"
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
	bad := func(param, en, zh string) {
		v.Problems = append(v.Problems, Problem{Param: param, Text: engine.Text{EN: en, ZH: zh}})
	}
	if s := q.Get("profile"); s != "" {
		if s == "linux" || s == "rfc" {
			v.Params.Profile = s
		} else {
			bad("profile", fmt.Sprintf("profile %q is unknown: using linux", s), fmt.Sprintf("未知的 profile %q：改用 linux", s))
		}
	}
	if s := q.Get("seed"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n > MaxSeed {
			bad("seed", fmt.Sprintf("seed %q is not a number from 0 to %d: using 1", s, uint64(MaxSeed)),
				fmt.Sprintf("seed %q 不是 0 到 %d 之间的数字：改用 1", s, uint64(MaxSeed)))
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
				bad("drop", fmt.Sprintf("drop %q is not a segment number: ignored", f), fmt.Sprintf("drop %q 不是报文编号：已忽略", f))
				continue
			}
			if len(v.Params.Drop) >= engine.MaxDrops {
				bad("drop", fmt.Sprintf("at most %d segments can be dropped", engine.MaxDrops), fmt.Sprintf("最多只能丢弃 %d 个报文", engine.MaxDrops))
				break
			}
			v.Params.Drop = append(v.Params.Drop, n)
		}
	}
	if s := q.Get("step"); s != "" {
		n, err := strconv.Atoi(s)
		switch {
		case err != nil || n < 0 || n > MaxStep:
			bad("step", fmt.Sprintf("step %q is not a step number: showing step 1", s), fmt.Sprintf("step %q 不是有效的步骤编号：显示第 1 步", s))
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
			bad("speed", fmt.Sprintf("speed %q is not a number: using 1", s), fmt.Sprintf("speed %q 不是数字：改用 1", s))
		case f < MinSpeed:
			v.Speed = MinSpeed
			bad("speed", fmt.Sprintf("speed %s is below %g: using %g", s, MinSpeed, MinSpeed), fmt.Sprintf("speed %s 小于 %g：改用 %g", s, MinSpeed, MinSpeed))
		case f > MaxSpeed:
			v.Speed = MaxSpeed
			bad("speed", fmt.Sprintf("speed %s is above %g: using %g", s, MaxSpeed, MaxSpeed), fmt.Sprintf("speed %s 大于 %g：改用 %g", s, MaxSpeed, MaxSpeed))
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
		return def, &engine.Text{EN: fmt.Sprintf("rtt %q is not a duration such as 80ms: using %s", s, def),
			ZH: fmt.Sprintf("rtt %q 不是形如 80ms 的时长：改用 %s", s, def)}
	case d < lo:
		return lo, &engine.Text{EN: fmt.Sprintf("rtt %s is below %s: using %s", d, lo, lo), ZH: fmt.Sprintf("rtt %s 小于 %s：改用 %s", d, lo, lo)}
	case d > hi:
		return hi, &engine.Text{EN: fmt.Sprintf("rtt %s is above %s: using %s", d, hi, hi), ZH: fmt.Sprintf("rtt %s 大于 %s：改用 %s", d, hi, hi)}
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
