package carry

import (
	"time"

	"synack/engine"
	"synack/engine/tcp"
)

// runUDP sets up a QUIC exchange: every message is one datagram.
func runUDP(s *engine.Sim, ex *Exchange) *meter {
	m := newMeter()
	addr := map[string]tcp.Segment{
		"client": {Src: tcp.ClientAddr, Dst: tcp.ServerAddr, SrcPort: tcp.ClientPort, DstPort: quicPort},
		"server": {Src: tcp.ServerAddr, Dst: tcp.ClientAddr, SrcPort: quicPort, DstPort: tcp.ClientPort},
	}
	arrived := make([][]bool, len(ex.Flights))
	for i, f := range ex.Flights {
		arrived[i] = make([]bool, len(f.Messages))
	}
	complete := func(i int) bool {
		for _, a := range arrived[i] {
			if !a {
				return false
			}
		}
		return true
	}
	gotAnswer := map[string]bool{} // a side has seen a reply: it has an RTT sample
	hasSent := map[string]bool{}
	rtt := s.DefaultLink.Delay * 2
	next := 0
	var pump func()
	var send func(i int, retransmit bool)
	send = func(i int, retransmit bool) {
		f := &ex.Flights[i]
		for j := range f.Messages {
			if retransmit && arrived[i][j] {
				continue
			}
			msg := &f.Messages[j]
			label := msg.Label
			if retransmit {
				label += " (resent after PTO, modelled)"
			}
			seg := addr[f.From]
			seg.Payload = msg.Data
			i, j := i, j
			ev := s.Datagram(f.From, seg, tcp.AppMark{Label: label, Handshake: msg.Handshake}, func(tcp.Segment) {
				arrived[i][j] = true
				if f.From == "server" && msg.Response && m.firstByteAt < 0 {
					m.firstByteAt = s.Now()
				}
				if hasSent[otherSide(f.From)] {
					gotAnswer[otherSide(f.From)] = true
				}
				pump()
			})
			hasSent[f.From] = true
			if msg.Request && m.requestAt < 0 {
				m.requestAt, m.requestSeg = s.Now(), ev.ID
			}
		}
		// Probe timeout (quic-go: 2 × initial RTT before a sample, then SRTT + 4·RTTVAR
		// = 3 × RTT after the first sample; doubling each time it fires).
		pto := 2 * quicInitialRTT
		if gotAnswer[f.From] {
			pto = 3 * rtt
		}
		var probe func(d time.Duration)
		probe = func(d time.Duration) {
			s.After(d, func() {
				if complete(i) {
					return
				}
				send(i, true)
				probe(2 * d)
			})
		}
		if !retransmit {
			probe(pto)
		}
	}
	pump = func() {
		for next < len(ex.Flights) {
			f := ex.Flights[next]
			for k := 0; k < next; k++ {
				if ex.Flights[k].From != f.From && !complete(k) {
					return
				}
			}
			i := next
			next++
			send(i, false)
		}
	}
	s.At(0, pump)
	return m
}

func otherSide(s string) string {
	if s == "client" {
		return "server"
	}
	return "client"
}
