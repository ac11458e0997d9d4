// Package carry runs recorded handshakes (TLS over TCP, QUIC over UDP) across the
// engine's simulated network: TLS flights ride as application data on a real engine TCP
// connection, QUIC datagrams on the simulated UDP path, and a flight leaves only when the
// flight it answers has fully arrived. It measures what the comparison shows: packets
// before the request, round trips to the first response byte, handshake bytes.
//
// The bytes are the recorded ones; what is modelled is the timing: each side answers at
// once (no computation time), and a lost QUIC datagram is resent after quic-go's probe
// timeout (2 × 100 ms before any RTT sample, then SRTT + 4·RTTVAR, doubling per probe).
// Lost TLS records are the engine's own TCP retransmissions.
package carry

import (
	"errors"
	"fmt"
	"time"

	"synack/engine"
	"synack/engine/tcp"
)

// Message is one TLS or QUIC message (or a QUIC datagram) with its real bytes.
type Message struct {
	Label string // "ClientHello", "Initial[CRYPTO,PADDING]", "HTTP request", ...
	Data  []byte
	// Request marks the message that carries the HTTP request; Response the one that
	// carries the first byte of the response.
	Request, Response bool
	// Handshake marks a handshake message (counted as handshake bytes and packets).
	Handshake bool
}

// Flight is consecutive messages from one side.
type Flight struct {
	From     string // "client" or "server"
	Messages []Message
}

// Size returns the flight's bytes on the wire (payload bytes).
func (f Flight) Size() int {
	n := 0
	for _, m := range f.Messages {
		n += len(m.Data)
	}
	return n
}

// Exchange is a whole recorded conversation: handshake, one request, the response.
type Exchange struct {
	ID        string
	Transport string // "tcp" or "udp"
	Flights   []Flight
	Modelled  bool // not a recording (TLS 1.3 0-RTT over TCP)
	// FastOpen carries a TCP exchange over TCP Fast Open (RFC 7413) with the server's
	// cookie already cached: the client's first flight rides in the SYN, and the server
	// answers from SYN-RECEIVED. Where the profile has no Fast Open (rfc), the
	// connection opens as usual.
	FastOpen bool
}

// Result is what a run measured.
type Result struct {
	ID string `json:"id"`
	// HandshakePackets counts packets that carry handshake (TCP SYN/SYN-ACK/ACK of the
	// handshake, TLS or QUIC handshake messages) sent before the request leaves,
	// retransmissions included, pure ACKs not.
	HandshakePackets int `json:"handshake_packets"`
	// RTTsBeforeRequest is when the request left, in round trips from the start.
	RTTsBeforeRequest float64 `json:"rtts_before_request"`
	// RTTsToFirstResponseByte is when the response's first byte arrived at the client.
	RTTsToFirstResponseByte float64 `json:"rtts_to_first_response_byte"`
	// HandshakeBytes is the payload bytes of handshake messages (both directions), plus
	// TCP/IP and UDP/IP headers of the packets counted above.
	HandshakeBytes int     `json:"handshake_bytes"`
	RequestAtUs    int64   `json:"request_at_us"`
	FirstByteAtUs  int64   `json:"first_byte_at_us"`
	Modelled       bool    `json:"modelled"`
	Lost           int     `json:"lost"`
	RTTms          float64 `json:"rtt_ms"`
}

// Options shape a run.
type Options struct {
	Params engine.Params
	// LoseFirst drops the first packet that carries handshake payload (the ClientHello's
	// segment or the QUIC Initial), to show each stack's recovery.
	LoseFirst bool
}

// MaxFlights bounds an exchange.
const MaxFlights = 16

// QUIC probe timeout model (quic-go internal/utils/rtt_stats.go: DefaultInitialRTT
// 100 ms; PTO before a measurement is twice that).
const (
	quicInitialRTT = 100 * time.Millisecond
	quicPort       = 443
	tlsPort        = 443
)

// Validate checks an exchange's structure.
func (ex *Exchange) Validate() error {
	if ex.Transport != "tcp" && ex.Transport != "udp" {
		return fmt.Errorf("%s: transport %q must be tcp or udp", ex.ID, ex.Transport)
	}
	if len(ex.Flights) == 0 || len(ex.Flights) > MaxFlights {
		return fmt.Errorf("%s: %d flights (want 1 to %d)", ex.ID, len(ex.Flights), MaxFlights)
	}
	req, resp := 0, 0
	for i, f := range ex.Flights {
		if f.From != "client" && f.From != "server" {
			return fmt.Errorf("%s: flight %d from %q", ex.ID, i, f.From)
		}
		if len(f.Messages) == 0 {
			return fmt.Errorf("%s: flight %d is empty", ex.ID, i)
		}
		for _, m := range f.Messages {
			if len(m.Data) == 0 {
				return fmt.Errorf("%s: flight %d: message %q has no bytes", ex.ID, i, m.Label)
			}
			if m.Request {
				req++
			}
			if m.Response {
				resp++
			}
		}
	}
	if req != 1 || resp != 1 {
		return fmt.Errorf("%s: want exactly one request and one response message, have %d and %d", ex.ID, req, resp)
	}
	return nil
}

// Run carries an exchange over the simulated network and measures it.
func Run(ex *Exchange, opt Options) (*engine.Trace, Result, error) {
	if err := ex.Validate(); err != nil {
		return nil, Result{}, err
	}
	p := opt.Params
	if err := p.Validate(); err != nil {
		return nil, Result{}, err
	}
	prof, _ := tcp.ProfileByName(p.Profile)
	s := engine.NewSim(p.Seed)
	tr := s.Trace()
	tr.Meta.Scenario = ex.ID
	tr.Meta.Profile = p.Profile
	tr.Meta.RTT = p.RTT
	s.DefaultLink = engine.Link{Delay: p.RTT / 2, Jitter: p.Jitter, Loss: p.Loss}
	s.Horizon = 10 * time.Minute
	if ex.FastOpen && prof.FastOpen&tcp.FastOpenClient != 0 {
		prof.FastOpen |= tcp.FastOpenServer // tcp_fastopen=3: client and server
	}
	client := s.AddHost("client", tcp.ClientAddr, "client", prof)
	server := s.AddHost("server", tcp.ServerAddr, "server", prof)
	for _, id := range p.Drop {
		s.AddFault(engine.Fault{Action: engine.FaultDrop, ID: id})
	}
	if opt.LoseFirst {
		s.AddFault(engine.Fault{Action: engine.FaultDrop, Nth: 1, Match: func(ev *tcp.SegmentEvent) bool {
			return ev.Src == "client" && len(ev.Seg.Payload) > 0
		}})
	}
	var m *meter
	if ex.Transport == "tcp" {
		m = runTCP(s, client, server, ex)
	} else {
		m = runUDP(s, ex)
	}
	s.Run()
	if m.requestAt < 0 || m.firstByteAt < 0 {
		return tr, Result{}, errors.New(ex.ID + ": the exchange did not complete within the simulation horizon")
	}
	return tr, m.result(ex, tr, p.RTT), nil
}

// meter follows the run: when the request left, when the first response byte arrived.
type meter struct {
	requestAt, firstByteAt tcp.Time
	requestSeg             int // segment ID that carried the request first
	// plainPayload is a handshake packet whose payload is not handshake (a Fast Open SYN
	// carrying the HTTP request): its header counts in the handshake bytes, its data not.
	plainPayload int
}

func newMeter() *meter {
	return &meter{requestAt: -1, firstByteAt: -1}
}

func (m *meter) result(ex *Exchange, tr *engine.Trace, rtt time.Duration) Result {
	r := Result{ID: ex.ID, Modelled: ex.Modelled, RTTms: float64(rtt) / float64(time.Millisecond)}
	r.RequestAtUs = int64(m.requestAt)
	r.FirstByteAtUs = int64(m.firstByteAt)
	r.RTTsBeforeRequest = round2(float64(m.requestAt.Sub(0)) / float64(rtt))
	r.RTTsToFirstResponseByte = round2(float64(m.firstByteAt.Sub(0)) / float64(rtt))
	for _, ev := range tr.Segments() {
		if ev.Fate != tcp.Delivered {
			r.Lost++
		}
		// A packet counts if it carries handshake and left no later than the request
		// (a request coalesced with the last handshake message counts that packet).
		if ev.ID > m.requestSeg || !ev.Handshake {
			continue
		}
		r.HandshakePackets++
		hdr := 40
		if ev.Seg.UDP {
			hdr = 28
		}
		payload := len(ev.Seg.Payload)
		if ev.ID == m.plainPayload {
			payload = 0
		}
		r.HandshakeBytes += hdr + payload + ev.Seg.Options.Len()
	}
	return r
}

func round2(x float64) float64 {
	return float64(int64(x*100+0.5)) / 100
}
