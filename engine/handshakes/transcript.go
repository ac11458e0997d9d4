// Package handshakes holds the recorded TLS and QUIC handshakes synack compares, and
// turns each into a scenario carried over the engine's simulated network.
//
// The transcripts under transcripts/ are data written by the recorder (synack/real/recorder,
// run with 'go generate ./engine/handshakes'; it lives outside engine/ because it runs
// goroutines and real cryptography): real crypto/tls and quic-go handshakes run
// in-process, every record or datagram kept with its bytes and a label read from those
// bytes. One transcript, tls13-0rtt, is modelled from RFC 8446 §2.3
// because crypto/tls does not implement 0-RTT over TCP; it says so in its Modelled field.
package handshakes

//go:generate go run synack/real/recorder/cmd/record-handshakes -out transcripts

import (
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"synack/engine/carry"
)

// Transcript is one recorded conversation: handshake, one HTTP request, the first
// bytes of its response.
type Transcript struct {
	ID        string `json:"id"`
	Stack     string `json:"stack"`     // what produced it: "crypto/tls (go1.26.8)", "quic-go v0.65.0"
	Transport string `json:"transport"` // "tcp" or "udp"
	Group     string `json:"group"`     // key-exchange group: "X25519", "X25519MLKEM768"
	Modelled  bool   `json:"modelled,omitempty"`
	Note      string `json:"note,omitempty"`
	// KeyLog is the NSS key log of the recorded connection, so a capture can carry it.
	KeyLog  string   `json:"key_log"`
	Flights []Flight `json:"flights"`

	ex *carry.Exchange // the decoded exchange, kept by Validate
}

// Flight is consecutive messages from one side: all of them leave together.
type Flight struct {
	From     string    `json:"from"` // "client" or "server"
	Messages []Message `json:"messages"`
}

// Message is one TLS record or one QUIC datagram.
type Message struct {
	Label string `json:"label"`
	// Kind is "handshake", "request", "response" or "other".
	Kind string `json:"kind"`
	// Shape is the label without sizes, what the structure test compares: record or
	// packet types and the messages or frames inside.
	Shape string `json:"shape"`
	Hex   string `json:"hex"`
}

// Kinds of message.
const (
	KindHandshake = "handshake"
	KindRequest   = "request"
	KindResponse  = "response"
	KindOther     = "other"
)

// Bytes returns the message's bytes.
func (m Message) Bytes() ([]byte, error) { return hex.DecodeString(m.Hex) }

// Validate checks a transcript's structure and keeps the exchange it decodes.
func (t *Transcript) Validate() error {
	if t.ID == "" {
		return fmt.Errorf("transcript without an id")
	}
	if t.Transport != "tcp" && t.Transport != "udp" {
		return fmt.Errorf("%s: transport %q: want tcp or udp", t.ID, t.Transport)
	}
	ex, err := t.Exchange()
	t.ex = ex
	return err
}

// Exchange turns the transcript into what carry runs.
func (t *Transcript) Exchange() (*carry.Exchange, error) {
	ex := &carry.Exchange{ID: t.ID, Transport: t.Transport, Modelled: t.Modelled}
	for i, f := range t.Flights {
		cf := carry.Flight{From: f.From}
		for j, m := range f.Messages {
			b, err := m.Bytes()
			if err != nil {
				return nil, fmt.Errorf("%s: flight %d message %d: %v", t.ID, i+1, j+1, err)
			}
			switch m.Kind {
			case KindHandshake, KindRequest, KindResponse, KindOther:
			default:
				return nil, fmt.Errorf("%s: flight %d message %d: kind %q", t.ID, i+1, j+1, m.Kind)
			}
			cf.Messages = append(cf.Messages, carry.Message{
				Label: m.Label, Data: b,
				Handshake: m.Kind == KindHandshake,
				Request:   m.Kind == KindRequest,
				Response:  m.Kind == KindResponse,
			})
		}
		ex.Flights = append(ex.Flights, cf)
	}
	return ex, ex.Validate()
}

// Shape is the transcript's structure, one line per flight: who sends it and what it
// holds. Sizes are not part of it. A TLS flight is its records in order; a QUIC flight
// is the set of packet types and frames it carries, because a stack may split the same
// packets into datagrams differently from run to run (a STREAM frame coalesced with the
// Finished, or in a datagram of its own).
func (t *Transcript) Shape() []string {
	var out []string
	for _, f := range t.Flights {
		var parts []string
		if t.Transport == "udp" {
			set := map[string]bool{}
			for _, m := range f.Messages {
				for _, pkt := range strings.Split(m.Shape, " + ") {
					typ, frames, _ := strings.Cut(strings.TrimSuffix(pkt, "]"), "[")
					set[typ] = true
					for _, fr := range strings.Split(frames, ",") {
						if fr != "" {
							set[typ+":"+fr] = true
						}
					}
				}
				if m.Kind == KindRequest || m.Kind == KindResponse {
					set[m.Kind] = true
				}
			}
			for k := range set {
				parts = append(parts, k)
			}
			sort.Strings(parts)
		} else {
			for _, m := range f.Messages {
				parts = append(parts, m.Shape)
			}
		}
		out = append(out, f.From+": "+strings.Join(parts, " | "))
	}
	return out
}

//go:embed transcripts/*.json
var files embed.FS

// All returns the committed transcripts, sorted by id. They are parsed once; callers
// must not change them.
func All() ([]*Transcript, error) { return loadAll() }

var loadAll = sync.OnceValues(parseAll)

func parseAll() ([]*Transcript, error) {
	names, err := files.ReadDir("transcripts")
	if err != nil {
		return nil, err
	}
	var out []*Transcript
	for _, n := range names {
		b, err := files.ReadFile(path.Join("transcripts", n.Name()))
		if err != nil {
			return nil, err
		}
		t, err := Parse(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n.Name(), err)
		}
		if want := strings.TrimSuffix(n.Name(), ".json"); t.ID != want {
			return nil, fmt.Errorf("%s: id %q does not match the file name", n.Name(), t.ID)
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Parse reads one transcript and validates it.
func Parse(b []byte) (*Transcript, error) {
	var t Transcript
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, err
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &t, nil
}

// Marshal writes a transcript as the committed files hold it.
func (t *Transcript) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
