package carry

import (
	"bytes"
	"testing"
	"time"

	"synack/engine"
	"synack/engine/tcp"
)

func msg(label string, n int, hs bool) Message {
	return Message{Label: label, Data: bytes.Repeat([]byte{'x'}, n), Handshake: hs}
}

// Plain HTTP over TCP: three handshake packets, the request leaves after one round trip
// and the first response byte arrives after two (RFC 9293 §3.5: the handshake costs one
// round trip before data can flow).
func TestHTTPOverTCPRoundTrips(t *testing.T) {
	req := msg("HTTP request", 80, false)
	req.Request = true
	resp := msg("HTTP response", 200, false)
	resp.Response = true
	ex := &Exchange{ID: "http-over-tcp", Transport: "tcp", Flights: []Flight{
		{From: "client", Messages: []Message{req}},
		{From: "server", Messages: []Message{resp}},
	}}
	for _, rtt := range []time.Duration{10 * time.Millisecond, 100 * time.Millisecond, 500 * time.Millisecond} {
		p := engine.DefaultParams()
		p.RTT = rtt
		_, r, err := Run(ex, Options{Params: p})
		if err != nil {
			t.Fatal(err)
		}
		if r.HandshakePackets != 3 || r.RTTsBeforeRequest != 1 || r.RTTsToFirstResponseByte != 2 {
			t.Errorf("rtt %s: packets %d, request at %.2f RTT, first byte at %.2f RTT; want 3, 1, 2",
				rtt, r.HandshakePackets, r.RTTsBeforeRequest, r.RTTsToFirstResponseByte)
		}
	}
}

// quicShaped is a QUIC 1-RTT exchange in outline: six datagrams in four flights, the
// request with the client's Finished.
func quicShaped() *Exchange {
	fin := msg("Handshake[CRYPTO]", 80, true)
	req := msg("1-RTT[STREAM]", 100, false)
	req.Request = true
	resp := msg("1-RTT[STREAM]", 300, false)
	resp.Response = true
	return &Exchange{ID: "q", Transport: "udp", Flights: []Flight{
		{From: "client", Messages: []Message{msg("Initial[CRYPTO]", 1200, true)}},
		{From: "server", Messages: []Message{msg("Initial[CRYPTO]", 1200, true), msg("Handshake[CRYPTO]", 900, true)}},
		{From: "client", Messages: []Message{fin, req}},
		{From: "server", Messages: []Message{resp}},
	}}
}

// A QUIC-shaped exchange over UDP: no TCP handshake, the request rides with the client's
// second flight, so the first byte comes after two round trips; losing the first
// datagram costs quic-go's initial probe timeout of 200 ms.
func TestUDPExchangeAndProbeTimeout(t *testing.T) {
	ex := quicShaped()
	p := engine.DefaultParams()
	_, r, err := Run(ex, Options{Params: p})
	if err != nil {
		t.Fatal(err)
	}
	if r.HandshakePackets != 4 || r.RTTsToFirstResponseByte != 2 {
		t.Fatalf("packets %d, first byte %.2f RTT; want 4, 2", r.HandshakePackets, r.RTTsToFirstResponseByte)
	}
	_, lossy, err := Run(ex, Options{Params: p, LoseFirst: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := lossy.FirstByteAtUs-r.FirstByteAtUs, int64(200000); got != want {
		t.Fatalf("losing the Initial delayed the first byte by %d µs, want %d (one 200 ms PTO)", got, want)
	}
}

func TestValidateRejectsBrokenExchanges(t *testing.T) {
	for name, ex := range map[string]*Exchange{
		"transport":   {ID: "x", Transport: "sctp", Flights: []Flight{{From: "client", Messages: []Message{msg("a", 1, false)}}}},
		"no flights":  {ID: "x", Transport: "tcp"},
		"bad side":    {ID: "x", Transport: "tcp", Flights: []Flight{{From: "eve", Messages: []Message{msg("a", 1, false)}}}},
		"no request":  {ID: "x", Transport: "tcp", Flights: []Flight{{From: "client", Messages: []Message{msg("a", 1, false)}}}},
		"empty bytes": {ID: "x", Transport: "tcp", Flights: []Flight{{From: "client", Messages: []Message{{Label: "a"}}}}},
	} {
		if err := ex.Validate(); err == nil {
			t.Errorf("%s: Validate() = nil, want an error", name)
		}
	}
}

// The reader's link settings apply to carried exchanges as to any scenario: random loss
// drops datagrams, each lost one is resent (and only those), the exchange still ends
// with its response, and the same seed gives the same run.
func TestRandomLossIsCarriedAndRepaired(t *testing.T) {
	ex := quicShaped()
	lost := 0
	for seed := uint64(1); seed <= 8; seed++ {
		p := engine.DefaultParams()
		p.Seed, p.Loss = seed, 0.3
		tr, r, err := Run(ex, Options{Params: p})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		// Each of the 6 messages went once, and each loss cost exactly one resend.
		if len(tr.Segments()) != 6+r.Lost {
			t.Errorf("seed %d: %d datagrams for 6 messages and %d losses", seed, len(tr.Segments()), r.Lost)
		}
		lost += r.Lost
		tr2, _, _ := Run(ex, Options{Params: p})
		if string(tr.JSONLines()) != string(tr2.JSONLines()) {
			t.Errorf("seed %d: two runs differ", seed)
		}
	}
	if lost == 0 {
		t.Fatal("a 30% loss rate lost nothing in 8 runs")
	}
}

// The trace marks handshake packets where carry puts them: TCP's SYN, SYN-ACK and the
// ACK completing the handshake, and every segment with bytes of a handshake message;
// bare ACKs and segments of request or response bytes alone are not marked.
func TestTraceMarksHandshakeSegments(t *testing.T) {
	hello := msg("ClientHello", 300, true)
	fin := msg("Finished", 60, true)
	req := msg("HTTP request", 80, false)
	req.Request = true
	resp := msg("HTTP response", 200, false)
	resp.Response = true
	ex := &Exchange{ID: "tls-shaped", Transport: "tcp", Flights: []Flight{
		{From: "client", Messages: []Message{hello}},
		{From: "server", Messages: []Message{msg("ServerHello", 900, true)}},
		{From: "client", Messages: []Message{fin, req}},
		{From: "server", Messages: []Message{resp}},
	}}
	tr, r, err := Run(ex, Options{Params: engine.DefaultParams()})
	if err != nil {
		t.Fatal(err)
	}
	marked := 0
	for _, s := range tr.Segments() {
		g := s.Seg
		var want bool
		switch {
		case g.Flags&tcp.SYN != 0:
			want = true
		case len(g.Payload) == 0:
			want = s.Src == "client" && marked == 2 // the third segment of the handshake
		default:
			want = s.Label != "HTTP request" && s.Label != "HTTP response"
		}
		if s.Handshake != want {
			t.Errorf("segment %d (%s %q): handshake mark %v, want %v", s.ID, g.Flags, s.Label, s.Handshake, want)
		}
		if s.Handshake {
			marked++
		}
	}
	// SYN, SYN-ACK, ACK, ClientHello, ServerHello, Finished+request.
	if marked != 6 || r.HandshakePackets != 6 {
		t.Errorf("marked %d, HandshakePackets %d; want 6 and 6", marked, r.HandshakePackets)
	}
}
