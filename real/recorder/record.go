// Package recorder runs real TLS and QUIC handshakes in-process and writes them down as
// transcripts: crypto/tls over an in-memory pipe, quic-go over in-memory datagrams.
// Every record or datagram is kept with its bytes; its label is read from those bytes
// (TLS record and handshake types, TLS 1.3 records decrypted with the key log) or, for
// QUIC, from quic-go's own qlog events for each packet it sent.
package recorder

import (
	"fmt"

	"synack/engine/handshakes"
)

// IDs lists the transcripts the recorder writes, in order.
func IDs() []string {
	return []string{"tls12", "tls13", "tls13-resume", "tls13-0rtt", "tls13-mlkem", "quic", "quic-0rtt"}
}

// Record records (or, for tls13-0rtt, models) the transcript with the given id.
func Record(id string) (*handshakes.Transcript, error) {
	for _, c := range tlsCases {
		if c.id == id {
			return recordTLS(c)
		}
	}
	switch id {
	case "tls13-0rtt":
		resume, err := recordTLS(tlsCases[2])
		if err != nil {
			return nil, err
		}
		return model0RTT(resume)
	case "quic":
		return recordQUIC(false)
	case "quic-0rtt":
		return recordQUIC(true)
	}
	return nil, fmt.Errorf("recorder: no transcript %q", id)
}
