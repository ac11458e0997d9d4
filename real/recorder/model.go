package recorder

import (
	"encoding/hex"
	"fmt"

	"synack/engine/handshakes"
)

// model0RTT builds TLS 1.3 0-RTT over TCP, which crypto/tls does not implement, from the
// recorded resumption and RFC 8446 §2.3 (Figure 4): the client sends its request with
// the ClientHello under the early traffic keys; the server answers with its whole
// flight and may send the response right after its Finished; the client ends with
// EndOfEarlyData and Finished. The records keep the recorded resumption's bytes and
// sizes; the early_data extensions (a few bytes each) and the EndOfEarlyData record are
// the model's, so every label says "modelled".
func model0RTT(resume *handshakes.Transcript) (*handshakes.Transcript, error) {
	var ch, req, resp *handshakes.Message
	var serverFlight []handshakes.Message
	var clientFinished *handshakes.Message
	for i, f := range resume.Flights {
		for j := range f.Messages {
			m := &resume.Flights[i].Messages[j]
			switch {
			case m.Shape == "ClientHello":
				ch = m
			case m.Kind == handshakes.KindRequest:
				req = m
			case m.Kind == handshakes.KindResponse:
				resp = m
			case f.From == "server" && m.Kind == handshakes.KindHandshake:
				serverFlight = append(serverFlight, *m)
			case f.From == "client" && m.Shape == "{Finished}":
				clientFinished = m
			}
		}
	}
	if ch == nil || req == nil || resp == nil || clientFinished == nil || len(serverFlight) == 0 {
		return nil, fmt.Errorf("tls13-0rtt: the resumption transcript lacks a message to model from")
	}
	early := *req
	early.Label, early.Shape = "(Application Data) HTTP request, 0-RTT, modelled", "(Application Data)"
	hello := *ch
	hello.Label = "ClientHello + early_data, modelled"
	// EndOfEarlyData: a 4-byte handshake message plus the inner type, under the
	// handshake keys with a 16-byte tag: a 26-byte record (RFC 8446 §4.5).
	eoed := handshakes.Message{
		Label: "{EndOfEarlyData}, modelled", Kind: handshakes.KindHandshake, Shape: "{EndOfEarlyData}",
		Hex: "1703030015" + hex.EncodeToString(make([]byte, 21)),
	}
	for i := range serverFlight {
		serverFlight[i].Label += ", modelled"
	}
	response := *resp
	response.Label += " (0.5-RTT), modelled"
	fin := *clientFinished
	fin.Label += ", modelled"
	t := &handshakes.Transcript{
		ID: "tls13-0rtt", Stack: resume.Stack + ", modelled from RFC 8446 §2.3", Transport: "tcp",
		Group: resume.Group, Modelled: true, KeyLog: resume.KeyLog,
		Note: "crypto/tls does not implement 0-RTT over TCP: message order from RFC 8446 §2.3, sizes from the recorded resumption",
		Flights: []handshakes.Flight{
			{From: "client", Messages: []handshakes.Message{hello, early}},
			{From: "server", Messages: append(serverFlight, response)},
			{From: "client", Messages: []handshakes.Message{eoed, fin}},
		},
	}
	return t, t.Validate()
}
