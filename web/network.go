package web

import (
	"net/url"
	"strconv"

	"synack/engine"
	"synack/engine/catalog"
)

// The network knobs of a view: seeded random loss and a bottleneck, so a student can
// make drops happen rather than choose them. loss is a probability (0 to
// engine.MaxLoss); rate is the bottleneck's rate in Mbit/s, queue its drop-tail queue in
// packets (engine.MinRate to MaxRate, 1 to MaxQueue).

// parseNetwork reads loss, rate and queue; a bad value is left out and said so.
func parseNetwork(q url.Values, v *View, bad func(string, engine.Text)) {
	if s := q.Get("loss"); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || !(f >= 0 && f <= engine.MaxLoss) {
			bad("loss", catalog.F("param.loss.bad", s, engine.MaxLoss))
		} else {
			v.Params.Loss = f
		}
	}
	if s := q.Get("rate"); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		r := int64(f * 1e6)
		if err != nil || !(f == f) || r < engine.MinRate || r > engine.MaxRate {
			bad("rate", catalog.F("param.rate.bad", s, float64(engine.MinRate)/1e6, float64(engine.MaxRate)/1e6))
		} else {
			v.Params.Rate = r
		}
	}
	if s := q.Get("queue"); s != "" {
		n, err := strconv.Atoi(s)
		switch {
		case err != nil || n < 1 || n > engine.MaxQueue:
			bad("queue", catalog.F("param.queue.bad", s, engine.MaxQueue))
		case v.Params.Rate == 0:
			bad("queue", catalog.F("param.queue.norate", s))
		default:
			v.Params.Queue = n
		}
	}
}

// networkQuery writes the knobs that are set.
func networkQuery(p engine.Params, q url.Values) {
	if p.Loss > 0 {
		q.Set("loss", strconv.FormatFloat(p.Loss, 'g', -1, 64))
	}
	if p.Rate > 0 {
		q.Set("rate", strconv.FormatFloat(float64(p.Rate)/1e6, 'g', -1, 64))
		if p.Queue > 0 {
			q.Set("queue", strconv.Itoa(p.Queue))
		}
	}
}
