package engine

import (
	"cmp"
	"sort"

	"synack/engine/tcp"
)

// A data-phase run comes to a few numbers that say how its congestion control did: how
// much arrived by when, how much was sent twice, when it finished, and what the first
// loss did to the window. They are read from the trace alone, so two runs of one story
// under two profiles (NewReno and CUBIC) are compared on what each engine did.

// TransferSummary is what a run's main transfer comes to. Times are the run's own
// (virtual time since its start); byte counts are payload, relative to the sender's ISN.
type TransferSummary struct {
	// Sender is the endpoint that sent the most payload, Receiver its peer.
	Sender, Receiver string
	// MSS is the payload of the sender's largest segment.
	MSS int
	// Bytes is how much payload the sender's data covers (its highest sequence number
	// sent, relative); Delivered how much of it the receiver acknowledged.
	Bytes, Delivered int64
	// Start is when the sender's first data segment left; Finish when the receiver
	// acknowledged the last byte (tcp.Never if it never did).
	Start, Finish tcp.Time
	// Segments counts the sender's data segments, Retransmissions those it sent again,
	// Lost those the path lost (the link's faults, random loss, a full queue).
	Segments, Retransmissions, Lost int
	// Loss is the first loss the sender acted on, when Loss.At is not tcp.Never.
	Loss LossResponse
	// Timeouts counts the sender's retransmission timer expiries while it had data out;
	// FirstRepair is when its first retransmission that the path delivered left, and
	// LastRetransmit when its last retransmission did (tcp.Never: none).
	Timeouts                    int
	FirstRepair, LastRetransmit tcp.Time
	// acks are the receiver's cumulative ACKs as they left it, in order of time.
	acks []ackPoint
}

// LossResponse is what the sender did at its first retransmission: how it found the
// loss, and its window before and after.
type LossResponse struct {
	// At is when the first retransmission left (tcp.Never: none).
	At tcp.Time
	// FoundBy is FoundByDupAcks (fast retransmit), FoundByRTO or FoundByProbe (a tail
	// loss probe).
	FoundBy string
	// CwndBefore and FlightBefore are the sender's cwnd and bytes in flight (RFC 5681's
	// FlightSize) just before it acted, from its last segment's sample; Flight is the
	// flight when it acted (the retransmission's sample).
	CwndBefore, FlightBefore, Flight uint32
	// Ssthresh is the slow-start threshold the loss set (0 when it set none, as a probe
	// that repairs the tail alone may not): the window recovery brings cwnd down to.
	Ssthresh uint32
	// SetCwnd and SetFlight are the cwnd and the flight the rule that set Ssthresh took:
	// the cwnd before the cut (the sender's sample before the segment that first shows
	// the threshold) and the flight on that segment; after duplicate ACKs, as RFC 5681
	// §3.2 step 2 counts it: without the data limited transmit sent beyond that cwnd (RFC
	// 3042). A timeout's rule (§3.1) takes the whole flight. They differ from CwndBefore and
	// Flight when a probe came first and a later timeout set the threshold.
	SetCwnd, SetFlight uint32
	// CwndAfter is the window the retransmission left under: the loss window (one
	// segment) after an RTO, ssthresh plus what PRR or NewReno inflation allow after fast
	// retransmit.
	CwndAfter uint32
}

// What found a loss (LossResponse.FoundBy).
const (
	FoundByDupAcks = "duplicate ACKs"
	FoundByRTO     = "RTO"
	FoundByProbe   = "probe"
)

type ackPoint struct {
	at  tcp.Time
	ack int64
}

// SummarizeTransfer reads a run's transfer: ok is false when the run sends no data.
func SummarizeTransfer(tr *Trace) (TransferSummary, bool) {
	var s TransferSummary
	s.Start, s.Finish, s.Loss.At, s.FirstRepair, s.LastRetransmit = tcp.Never, tcp.Never, tcp.Never, tcp.Never, tcp.Never
	bytes := map[string]int{}
	for _, e := range tr.Scan() {
		if e.Kind == tcp.EventSegment && !e.Segment.Seg.UDP {
			bytes[e.Segment.Src] += len(e.Segment.Seg.Payload)
		}
	}
	best := 0
	for _, ep := range tr.Meta.Endpoints { // in the meta's order, so a tie is settled the same way every time
		if n := bytes[ep.Name]; n > best {
			best, s.Sender = n, ep.Name
		}
	}
	if best == 0 {
		return s, false
	}
	var iss tcp.Seq
	haveISS := false
	var last tcp.CCSample // the sender's latest sample
	// What the sender's own events at the current instant say made it retransmit: a
	// tail loss probe or the retransmission timer (else duplicate ACKs did).
	var now tcp.Time = tcp.Never
	cause := ""
	for _, e := range tr.Scan() {
		if e.At != now {
			now, cause = e.At, ""
		}
		if e.Endpoint == s.Sender {
			switch {
			case e.Kind == tcp.EventNote && e.Note == "tail-loss-probe":
				cause = FoundByProbe
			case e.Kind == tcp.EventTimer && e.Timer == tcp.TimerRTO && e.Action == tcp.TimerFired:
				cause = cmp.Or(cause, FoundByRTO)
				if s.Start != tcp.Never {
					s.Timeouts++
				}
			}
		}
		if e.Kind != tcp.EventSegment || e.Segment.Seg.UDP {
			continue
		}
		g := e.Segment
		switch {
		case g.Src == s.Sender:
			if g.Seg.Flags&tcp.SYN != 0 {
				iss, haveISS = g.Seg.Seq, true
				s.Receiver = g.Dst
			}
			if n := len(g.Seg.Payload); n > 0 {
				s.Segments++
				s.MSS = max(s.MSS, n)
				if s.Start == tcp.Never {
					s.Start = e.At
				}
				if g.Retransmit {
					s.Retransmissions++
					s.LastRetransmit = e.At
					if g.Fate == tcp.Delivered && s.FirstRepair == tcp.Never {
						s.FirstRepair = e.At
					}
				}
				if g.Fate != tcp.Delivered {
					s.Lost++
				}
				s.Bytes = max(s.Bytes, int64(g.Seg.Seq.Sub(iss+1))+int64(n))
				if g.Retransmit && s.Loss.At == tcp.Never {
					s.Loss = LossResponse{At: e.At, FoundBy: cmp.Or(cause, FoundByDupAcks),
						CwndBefore: last.Cwnd, FlightBefore: last.InFlight, Flight: g.CC.InFlight, CwndAfter: g.CC.Cwnd}
				}
			}
			if g.CC.Cwnd != 0 {
				// The threshold the first loss set: the first finite one from then on.
				if s.Loss.At != tcp.Never && s.Loss.Ssthresh == 0 && g.CC.Ssthresh > 0 && g.CC.Ssthresh < tcp.SsthreshInfinite {
					s.Loss.Ssthresh = g.CC.Ssthresh
					s.Loss.SetCwnd, s.Loss.SetFlight = last.Cwnd, g.CC.InFlight
					if s.Loss.FoundBy == FoundByDupAcks {
						s.Loss.SetFlight = min(g.CC.InFlight, last.Cwnd)
					}
				}
				last = g.CC
			}
		case g.Src == s.Receiver && haveISS && g.Seg.Flags&tcp.ACK != 0 && g.Seg.Flags&tcp.SYN == 0:
			a := int64(g.Seg.Ack.Sub(iss + 1))
			if n := len(s.acks); n == 0 || a > s.acks[n-1].ack {
				s.acks = append(s.acks, ackPoint{at: e.At, ack: a})
			}
		}
	}
	if n := len(s.acks); n > 0 {
		s.Delivered = min(s.acks[n-1].ack, s.Bytes) // a FIN's sequence number is not payload
	}
	for _, a := range s.acks {
		if a.ack >= s.Bytes {
			s.Finish = a.at
			break
		}
	}
	return s, true
}

// DeliveredBy is how many bytes the receiver had acknowledged at time t.
func (s TransferSummary) DeliveredBy(t tcp.Time) int64 {
	k := sort.Search(len(s.acks), func(i int) bool { return s.acks[i].at > t })
	if k == 0 {
		return 0
	}
	return min(s.acks[k-1].ack, s.Bytes)
}
