package lessons

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"synack/engine"
	"synack/engine/catalog"
	"synack/engine/tcp"
)

// The data phase's answers, read from the run (see the lessons README):
//
//	data first flight              data segments in the sender's first flight
//	data growth                    its second flight over its first (slow start: 2)
//	data dupacks before retransmit duplicate ACKs the sender received before its first
//	                               retransmission ("5+" for five or more)
//	data retransmissions           segments the sender sent again
//	data tail found by             what led to the first retransmission: "probe" (a tail
//	                               loss probe), "RTO" (the retransmission timer) or
//	                               "duplicate ACKs", as engine.SummarizeTransfer reads it
//	data backoff                   each wait between two retransmissions of the segment
//	                               sent most often over the one before (one decimal)
//	data timer ENDPOINT TIMER      how long ENDPOINT's first TIMER that fires after the
//	                               anchor ran ("40 ms", "1 s")
//	data ssthresh rule             which rule the slow-start threshold the first loss set
//	                               fits, from the window and flight it was set from:
//	                               "FlightSize / 2" (RFC 5681 eq. 4), "cwnd × 0.7" (CUBIC,
//	                               717/1024 in whole segments), "cwnd / 2" (Linux's Reno)
//	                               or "cwnd"; each at least two segments
//
// The sender is the endpoint that sent the most payload.
func computeData(expr string, f []string, tr *engine.Trace, evs []tcp.Event, at int) (Result, error) {
	sender := dataSender(evs)
	if sender == "" {
		return Result{}, fmt.Errorf("answer %q: the run sends no data", expr)
	}
	// The sender's data segments, in order, and its first retransmission.
	var data []int
	firstRetx := -1
	for i := range evs {
		e := &evs[i]
		if e.Kind == tcp.EventSegment && e.Segment.Src == sender && len(e.Segment.Seg.Payload) > 0 {
			data = append(data, i)
			if e.Segment.Retransmit && firstRetx < 0 {
				firstRetx = i
			}
		}
	}
	rest := strings.Join(f[1:], " ")
	switch {
	case rest == "first flight" || rest == "growth":
		var flights []int
		var last tcp.Time = -1
		var lastIdx []int
		for _, i := range data {
			if evs[i].Segment.Retransmit {
				break
			}
			// A flight is what leaves before the first ACK of it comes back: one RTT.
			if last < 0 || evs[i].At.Sub(last) >= tr.Meta.RTT/2 {
				flights = append(flights, 0)
				lastIdx = append(lastIdx, i)
				last = evs[i].At
			}
			flights[len(flights)-1]++
			lastIdx[len(lastIdx)-1] = i
		}
		if len(flights) < 2 {
			return Result{}, fmt.Errorf("answer %q: fewer than two flights", expr)
		}
		if rest == "first flight" {
			ans := strconv.Itoa(flights[0])
			return Result{Answer: ans, Reveal: lastIdx[0], Evidence: catalog.F("answer.data.flight", who(sender), ans, secs(evs[data[0]].At.Sub(0)))}, nil
		}
		ans := strconv.FormatFloat(float64(int64(float64(flights[1])/float64(flights[0])*10+0.5))/10, 'f', -1, 64)
		return Result{Answer: ans, Reveal: lastIdx[1], Evidence: catalog.F("answer.data.growth", who(sender), flights[0], flights[1], ans)}, nil
	case rest == "dupacks before retransmit":
		if firstRetx < 0 {
			return Result{}, fmt.Errorf("answer %q: the sender retransmits nothing", expr)
		}
		n := 0
		var lastAck tcp.Seq
		seen := false
		for i := 0; i < firstRetx; i++ {
			e := &evs[i]
			if e.Kind != tcp.EventSegment || e.Segment.Dst != sender || e.Segment.Fate != tcp.Delivered || e.Segment.Arrive > evs[firstRetx].At {
				continue
			}
			s := e.Segment
			if s.Seg.Flags&tcp.ACK == 0 || s.Seg.Flags&tcp.SYN != 0 {
				continue
			}
			if seen && s.Seg.Ack == lastAck && len(s.Seg.Payload) == 0 {
				n++
			} else if !seen || lastAck.LessThan(s.Seg.Ack) {
				n = 0 // the count starts again at an ACK that advances
			}
			lastAck, seen = s.Seg.Ack, true
		}
		ans := strconv.Itoa(n)
		if n >= 5 {
			ans = "5+"
		}
		return Result{Answer: ans, Reveal: firstRetx, Evidence: catalog.F("answer.data.dupacks", who(sender), n, evs[firstRetx].Segment.ID, secs(evs[firstRetx].At.Sub(0)))}, nil
	case rest == "retransmissions":
		n, last := 0, -1
		for _, i := range data {
			if evs[i].Segment.Retransmit {
				n, last = n+1, i
			}
		}
		if last < 0 {
			last = data[len(data)-1]
		}
		ans := strconv.Itoa(n)
		return Result{Answer: ans, Reveal: last, Evidence: catalog.F("answer.data.retransmissions", who(sender), ans)}, nil
	case rest == "tail found by":
		if firstRetx < 0 {
			return Result{}, fmt.Errorf("answer %q: the sender retransmits nothing", expr)
		}
		// The engine's summary reads it as this does: a tail loss probe or the timer
		// at the retransmission's instant, else duplicate ACKs.
		sum, ok := engine.SummarizeTransfer(tr)
		if !ok || sum.Sender != sender || sum.Loss.At != evs[firstRetx].At {
			return Result{}, fmt.Errorf("answer %q: the transfer's summary does not name this retransmission", expr)
		}
		ans := sum.Loss.FoundBy
		return Result{Answer: ans, Reveal: firstRetx, Evidence: catalog.F("answer.data.found", who(sender), evs[firstRetx].Segment.ID, secs(evs[firstRetx].At.Sub(0)), ans)}, nil
	case rest == "backoff":
		if firstRetx < 0 {
			return Result{}, fmt.Errorf("answer %q: the sender retransmits nothing", expr)
		}
		// The segment sent most often: the one the timer keeps resending (a tail loss
		// probe may resend another first).
		sends := map[tcp.Seq]int{}
		seq := evs[firstRetx].Segment.Seg.Seq
		for _, i := range data {
			q := evs[i].Segment.Seg.Seq
			if sends[q]++; sends[q] > sends[seq] {
				seq = q
			}
		}
		var times []tcp.Time
		var reveal int
		for _, i := range data {
			s := evs[i].Segment
			if s.Seg.Seq == seq {
				times = append(times, evs[i].At)
				reveal = i
				if len(times) == 4 {
					break
				}
			}
		}
		if len(times) < 4 {
			return Result{}, fmt.Errorf("answer %q: the first lost segment is sent fewer than four times", expr)
		}
		r := float64(times[3].Sub(times[2])) / float64(times[2].Sub(times[1]))
		ans := strconv.FormatFloat(float64(int64(r*10+0.5))/10, 'f', -1, 64)
		return Result{Answer: ans, Reveal: reveal, Evidence: catalog.F("answer.data.backoff", who(sender),
			secs(times[2].Sub(times[1])), secs(times[3].Sub(times[2])), ans)}, nil
	case rest == "ssthresh rule":
		return ssthreshRule(expr, tr, evs, sender, firstRetx)
	case len(f) == 4 && f[1] == "timer":
		for i := at; i < len(evs); i++ {
			e := &evs[i]
			if e.Kind == tcp.EventTimer && e.Endpoint == f[2] && e.Timer.String() == f[3] && e.Action == tcp.TimerFired {
				// Its length is what it was set to last.
				for j := i - 1; j >= 0; j-- {
					s := &evs[j]
					if s.Kind == tcp.EventTimer && s.Endpoint == f[2] && s.Timer == e.Timer && s.Action == tcp.TimerSet {
						ans := secs(s.Duration).EN
						return Result{Answer: ans, Reveal: j, Evidence: catalog.F("answer.data.timer", who(f[2]), f[3], secs(s.At.Sub(0)), secs(e.At.Sub(0)))}, nil
					}
				}
			}
		}
		return Result{}, fmt.Errorf("answer %q: no %s timer of the %s fires after the anchor", expr, f[3], f[2])
	}
	return Result{}, fmt.Errorf("answer %q: unknown expression (see the lessons README)", expr)
}

// dataSender is the endpoint that sent the most payload bytes ("" if none).
func dataSender(evs []tcp.Event) string {
	bytes := map[string]int{}
	best, who := 0, ""
	for i := range evs {
		if e := &evs[i]; e.Kind == tcp.EventSegment {
			bytes[e.Segment.Src] += len(e.Segment.Seg.Payload)
			if n := bytes[e.Segment.Src]; n > best {
				best, who = n, e.Segment.Src
			}
		}
	}
	return who
}

// profileSsthreshRule is the rule each profile's congestion control sets ssthresh by
// after a loss: the rfc profile's Reno by RFC 5681 equation 4, Linux's default CUBIC by
// β = 717/1024 (tcp_cubic.c).
var profileSsthreshRule = map[string]string{"rfc": "FlightSize / 2", "linux": "cwnd × 0.7"}

// ssthreshRule answers "data ssthresh rule": the threshold the sender's first loss set,
// checked against each rule on the cwnd and flight of the moment it was set. Where the
// numbers fit several rules (all of an even window in flight makes FlightSize / 2 and
// cwnd / 2 one number; a small window after an early drop can make FlightSize / 2 and
// cwnd × 0.7 one), the rule the run's profile follows is the answer if it is among them.
// A threshold no rule fits, or several none of them the profile's, is an error, and the
// page leaves the question out rather than mislead.
func ssthreshRule(expr string, tr *engine.Trace, evs []tcp.Event, sender string, firstRetx int) (Result, error) {
	s, ok := engine.SummarizeTransfer(tr)
	if !ok || firstRetx < 0 || s.Loss.Ssthresh == 0 || s.MSS == 0 {
		return Result{}, fmt.Errorf("answer %q: no loss set a slow-start threshold", expr)
	}
	mss, ss, cw := uint32(s.MSS), s.Loss.Ssthresh, s.Loss.SetCwnd
	var fits []string
	for _, r := range []struct {
		name string
		v    uint32
	}{
		{"FlightSize / 2", max(s.Loss.SetFlight/2, 2*mss)},
		{"cwnd × 0.7", max(cw/mss*717/1024, 2) * mss},
		{"cwnd / 2", max(cw/mss/2, 2) * mss},
		{"cwnd", cw},
	} {
		if r.v == ss {
			fits = append(fits, r.name)
		}
	}
	if own := profileSsthreshRule[tr.Meta.Profile]; len(fits) > 1 && slices.Contains(fits, own) {
		fits = []string{own}
	}
	if len(fits) != 1 {
		return Result{}, fmt.Errorf("answer %q: the threshold %d (cwnd %d, flight %d) fits %d rules %q", expr, ss, cw, s.Loss.SetFlight, len(fits), fits)
	}
	// Revealed by the first of the sender's segments that carries the threshold.
	reveal := firstRetx
	for i := firstRetx; i < len(evs); i++ {
		if e := &evs[i]; e.Kind == tcp.EventSegment && e.Segment.Src == sender && e.Segment.CC.Ssthresh == ss {
			reveal = i
			break
		}
	}
	return Result{Answer: fits[0], Reveal: reveal, Evidence: catalog.F("answer.data.ssthresh", who(sender), ss, secs(evs[reveal].At.Sub(0)),
		s.Loss.SetFlight, cw, cw/mss)}, nil
}
