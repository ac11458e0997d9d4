package recorder

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"runtime"
	"strings"
	"time"

	"synack/engine/handshakes"
)

// The HTTP exchange every variant carries. The response is cut to the first record: the
// comparison ends at its first byte.
const (
	httpRequest  = handshakes.HTTPRequest
	httpResponse = handshakes.HTTPResponse
	serverName   = "example.com"
)

// certificate makes a fresh self-signed ECDSA P-256 certificate for example.com: small,
// like a modern site's leaf, so a flight's size is about the handshake, not the chain.
func certificate() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: serverName},
		DNSNames:     []string{serverName},
		NotBefore:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// tlsCase is one TLS variant to record.
type tlsCase struct {
	id      string
	version uint16
	curves  []tls.CurveID // nil: Go's default (X25519MLKEM768 first)
	resume  bool          // record the second connection, resumed with a ticket
}

var tlsCases = []tlsCase{
	{id: "tls12", version: tls.VersionTLS12, curves: []tls.CurveID{tls.X25519}},
	{id: "tls13", version: tls.VersionTLS13, curves: []tls.CurveID{tls.X25519}},
	{id: "tls13-resume", version: tls.VersionTLS13, curves: []tls.CurveID{tls.X25519}, resume: true},
	{id: "tls13-mlkem", version: tls.VersionTLS13},
}

// tlsStack names the recording stack.
func tlsStack() string { return "crypto/tls (" + runtime.Version() + ")" }

// recordTLS runs one variant and returns its transcript.
func recordTLS(c tlsCase) (*handshakes.Transcript, error) {
	cert, err := certificate()
	if err != nil {
		return nil, err
	}
	srv := &tls.Config{
		Certificates:     []tls.Certificate{cert},
		MinVersion:       c.version,
		MaxVersion:       c.version,
		CurvePreferences: c.curves,
	}
	cli := &tls.Config{
		ServerName:         serverName,
		InsecureSkipVerify: true, // the recorder's own throwaway certificate
		MinVersion:         c.version,
		MaxVersion:         c.version,
		CurvePreferences:   c.curves,
	}
	if c.resume {
		cli.ClientSessionCache = tls.NewLRUClientSessionCache(4)
		if _, _, _, err := tlsExchange(srv, cli); err != nil {
			return nil, fmt.Errorf("%s: first connection: %w", c.id, err)
		}
	}
	writes, keyLog, state, err := tlsExchange(srv, cli)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.id, err)
	}
	if c.resume && !state.DidResume {
		return nil, fmt.Errorf("%s: the second connection did not resume", c.id)
	}
	lab, err := newTLSLabeler(keyLog)
	if err != nil {
		return nil, err
	}
	t := &handshakes.Transcript{
		ID: c.id, Stack: tlsStack(), Transport: "tcp",
		Group: state.CurveID.String(), KeyLog: keyLog,
	}
	for _, w := range writes {
		recs, err := records(w.data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.id, err)
		}
		for _, rec := range recs {
			m, err := lab.label(w.from, rec)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", c.id, err)
			}
			appendMessage(t, w.from, m)
		}
	}
	if err := cutAtResponse(t); err != nil {
		return nil, fmt.Errorf("%s: %w", c.id, err)
	}
	return t, t.Validate()
}

// tlsExchange runs one connection: handshake, request, response.
func tlsExchange(srvConf, cliConf *tls.Config) ([]write, string, tls.ConnectionState, error) {
	r := newRelay(false)
	defer r.stop()
	var keyLog bytes.Buffer
	cli := cliConf.Clone()
	cli.KeyLogWriter = &keyLog
	srvErr := make(chan error, 1)
	go func() {
		s := tls.Server(r.ends[server], srvConf)
		buf := make([]byte, 0, 512)
		tmp := make([]byte, 512)
		for !strings.Contains(string(buf), "\r\n\r\n") {
			n, err := s.Read(tmp)
			if err != nil {
				srvErr <- fmt.Errorf("server read: %w", err)
				return
			}
			buf = append(buf, tmp[:n]...)
		}
		_, err := io.WriteString(s, httpResponse)
		srvErr <- err
	}()
	c := tls.Client(r.ends[client], cli)
	if err := c.Handshake(); err != nil {
		return nil, "", tls.ConnectionState{}, fmt.Errorf("client handshake: %w", err)
	}
	if _, err := io.WriteString(c, httpRequest); err != nil {
		return nil, "", tls.ConnectionState{}, err
	}
	got := make([]byte, len(httpResponse))
	if _, err := io.ReadFull(c, got); err != nil {
		return nil, "", tls.ConnectionState{}, fmt.Errorf("client read: %w", err)
	}
	if err := <-srvErr; err != nil {
		return nil, "", tls.ConnectionState{}, err
	}
	if string(got) != httpResponse {
		return nil, "", tls.ConnectionState{}, fmt.Errorf("response garbled")
	}
	return r.writes(), keyLog.String(), c.ConnectionState(), nil
}

// appendMessage adds m to the transcript, starting a new flight when the sender changes.
func appendMessage(t *handshakes.Transcript, from int, m handshakes.Message) {
	name := [2]string{"client", "server"}[from]
	if n := len(t.Flights); n > 0 && t.Flights[n-1].From == name {
		t.Flights[n-1].Messages = append(t.Flights[n-1].Messages, m)
		return
	}
	t.Flights = append(t.Flights, handshakes.Flight{From: name, Messages: []handshakes.Message{m}})
}

var errNoResponse = errors.New("recorder: the exchange ended without a response")

// cutAtResponse drops everything after the first response message.
func cutAtResponse(t *handshakes.Transcript) error {
	for i, f := range t.Flights {
		for j, m := range f.Messages {
			if m.Kind == handshakes.KindResponse {
				t.Flights[i].Messages = f.Messages[:j+1]
				t.Flights = t.Flights[:i+1]
				return nil
			}
		}
	}
	return errNoResponse
}
