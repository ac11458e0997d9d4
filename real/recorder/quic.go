package recorder

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/qlog"
	"github.com/quic-go/quic-go/qlogwriter"

	"synack/engine/handshakes"
)

func init() {
	// quic-go warns that an in-memory connection has no UDP receive buffer to enlarge.
	os.Setenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING", "true")
}

// quicStack names the pinned QUIC implementation.
const quicStack = "quic-go v0.65.0"

// HTTP/3 frames for the request and the response, built by hand with QPACK static-table
// references only (RFC 9114 §7.2, RFC 9204 Appendix A), so they have the size a browser's
// first request would have without the control streams around it.
var (
	h3Request = append([]byte{
		0x01, 0x11, // HEADERS, length 17
		0x00, 0x00, // required insert count 0, base 0
		0xd1,       // :method GET (static 17)
		0xd7,       // :scheme https (static 23)
		0xc1,       // :path / (static 1)
		0x50, 0x0b, // :authority (static 0), literal value of 11 bytes
	}, serverName...)
	h3Response = append([]byte{
		0x01, 0x03, 0x00, 0x00, 0xd9, // HEADERS: :status 200 (static 25)
		0x00, 0x2e, // DATA, 46 bytes
	}, "<!doctype html><title>hello</title><p>hello\n"...)
)

// packetLog collects the packets one connection sent, from quic-go's qlog events.
type packetLog struct {
	mu      sync.Mutex
	packets []qlog.PacketSent
}

func (l *packetLog) AddProducer() qlogwriter.Recorder { return l }
func (l *packetLog) RecordEvent(e qlogwriter.Event) {
	if p, ok := e.(qlog.PacketSent); ok { // quic-go records PacketSent by value
		l.mu.Lock()
		l.packets = append(l.packets, p)
		l.mu.Unlock()
	}
}
func (l *packetLog) Close() error { return nil }

func (l *packetLog) sent() []qlog.PacketSent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]qlog.PacketSent(nil), l.packets...)
}

// quicConn runs one QUIC connection over a fresh relay: the client opens a stream, sends
// the request, reads the response. With early set it dials with 0-RTT.
func quicConn(srvTLS, cliTLS *tls.Config, early bool) (writes []write, logs [2]*packetLog, used0RTT bool, err error) {
	r := newRelay(true)
	defer r.stop()
	logs = [2]*packetLog{{}, {}}
	conf := func(side int) *quic.Config {
		return &quic.Config{
			Allow0RTT:               true,
			DisablePathMTUDiscovery: true,
			HandshakeIdleTimeout:    5 * time.Second,
			Tracer: func(context.Context, bool, quic.ConnectionID) qlogwriter.Trace {
				return logs[side]
			},
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ln, err := quic.ListenEarly(r.ends[server], srvTLS, conf(server))
	if err != nil {
		return nil, logs, false, err
	}
	defer ln.Close()
	srvErr := make(chan error, 1)
	go func() {
		c, err := ln.Accept(ctx)
		if err != nil {
			srvErr <- err
			return
		}
		s, err := c.AcceptStream(ctx)
		if err != nil {
			srvErr <- err
			return
		}
		req := make([]byte, len(h3Request))
		if _, err := io.ReadFull(s, req); err != nil {
			srvErr <- err
			return
		}
		_, err = s.Write(h3Response)
		if err == nil {
			err = s.Close()
		}
		srvErr <- err
	}()
	var c *quic.Conn
	if early {
		c, err = quic.DialEarly(ctx, r.ends[client], addrs[server], cliTLS, conf(client))
	} else {
		c, err = quic.Dial(ctx, r.ends[client], addrs[server], cliTLS, conf(client))
	}
	if err != nil {
		return nil, logs, false, fmt.Errorf("dial: %w", err)
	}
	s, err := c.OpenStream()
	if err != nil {
		return nil, logs, false, err
	}
	if _, err := s.Write(h3Request); err != nil {
		return nil, logs, false, err
	}
	got := make([]byte, len(h3Response))
	if _, err := io.ReadFull(s, got); err != nil {
		return nil, logs, false, fmt.Errorf("client read: %w", err)
	}
	if err := <-srvErr; err != nil {
		return nil, logs, false, fmt.Errorf("server: %w", err)
	}
	<-c.HandshakeComplete()
	used0RTT = c.ConnectionState().Used0RTT
	writes = r.writes()
	c.CloseWithError(0, "")
	return writes, logs, used0RTT, nil
}

// recordQUIC records a QUIC handshake with one HTTP/3-sized request; with zeroRTT, a
// first connection fetches a session ticket and the second, recorded, resumes with 0-RTT.
func recordQUIC(zeroRTT bool) (*handshakes.Transcript, error) {
	id := "quic"
	if zeroRTT {
		id = "quic-0rtt"
	}
	cert, err := certificate()
	if err != nil {
		return nil, err
	}
	srv := &tls.Config{
		Certificates: []tls.Certificate{cert}, NextProtos: []string{"h3"},
		CurvePreferences: []tls.CurveID{tls.X25519},
	}
	var keyLog strings.Builder
	cli := &tls.Config{
		ServerName: serverName, InsecureSkipVerify: true, NextProtos: []string{"h3"},
		CurvePreferences: []tls.CurveID{tls.X25519},
	}
	if zeroRTT {
		cli.ClientSessionCache = tls.NewLRUClientSessionCache(4)
		if _, _, _, err := quicConn(srv, cli, false); err != nil {
			return nil, fmt.Errorf("%s: first connection: %w", id, err)
		}
	}
	rec := cli.Clone()
	rec.KeyLogWriter = &keyLog
	writes, logs, used, err := quicConn(srv, rec, zeroRTT)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	if zeroRTT && !used {
		return nil, fmt.Errorf("%s: the server did not accept 0-RTT", id)
	}
	t := &handshakes.Transcript{ID: id, Stack: quicStack, Transport: "udp", Group: "X25519", KeyLog: keyLog.String()}
	next := [2]int{}
	sent := [2][]qlog.PacketSent{logs[client].sent(), logs[server].sent()}
	request, response := false, false
	for _, w := range writes {
		types, err := splitDatagram(w.data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		var parts, shapes []string
		onlyACK := true
		kind := handshakes.KindOther
		for _, typ := range types {
			if next[w.from] >= len(sent[w.from]) {
				return nil, fmt.Errorf("%s: a datagram has more packets than qlog reported", id)
			}
			p := sent[w.from][next[w.from]]
			next[w.from]++
			if string(p.Header.PacketType) != typ {
				return nil, fmt.Errorf("%s: datagram holds a %s packet where qlog reports %s", id, typ, p.Header.PacketType)
			}
			frames, stream, crypto, ack := frameNames(p.Frames, w.from, typ)
			if !ack {
				onlyACK = false
			}
			if crypto {
				kind = handshakes.KindHandshake
			}
			if stream {
				if w.from == client && !request {
					request, kind = true, handshakes.KindRequest
				} else if w.from == server && !response {
					response, kind = true, handshakes.KindResponse
				}
			}
			name := packetNames[typ]
			parts = append(parts, fmt.Sprintf("%s[%s]", name, strings.Join(squeeze(frames), ",")))
			shapes = append(shapes, fmt.Sprintf("%s[%s]", name, strings.Join(uniqueNoAck(frames), ",")))
		}
		if onlyACK {
			continue // a bare acknowledgement: the carrier models none (see carry)
		}
		appendMessage(t, w.from, handshakes.Message{
			Label: strings.Join(parts, " + "), Kind: kind,
			Shape: strings.Join(shapes, " + "), Hex: hex.EncodeToString(w.data),
		})
	}
	if err := cutAtResponse(t); err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	return t, t.Validate()
}

var packetNames = map[string]string{"initial": "Initial", "handshake": "Handshake", "0RTT": "0-RTT", "1RTT": "1-RTT"}

// cryptoContent is what TLS carries in each packet number space (RFC 9001 §4.1.4).
var cryptoContent = map[[2]string]string{
	{"client", "initial"}:   "ClientHello",
	{"server", "initial"}:   "ServerHello",
	{"server", "handshake"}: "EncryptedExtensions…Finished",
	{"client", "handshake"}: "Finished",
	{"server", "1RTT"}:      "NewSessionTicket",
}

// frameNames names the frames of a packet: STREAM, CRYPTO(ClientHello), ACK, ...
func frameNames(frames []qlog.Frame, from int, typ string) (names []string, stream, crypto, onlyAck bool) {
	onlyAck = true
	side := [2]string{"client", "server"}[from]
	for _, f := range frames {
		var n string
		switch f.Frame.(type) {
		case *qlog.StreamFrame:
			n, stream = "STREAM", true
		case *qlog.CryptoFrame:
			n, crypto = "CRYPTO", true
			if c, ok := cryptoContent[[2]string{side, typ}]; ok {
				n += "(" + c + ")"
			}
		default:
			n = frameName(f.Frame)
		}
		if n != "ACK" && n != "PADDING" && n != "PING" {
			onlyAck = false
		}
		names = append(names, n)
	}
	return names, stream, crypto, onlyAck
}

// frameName turns a frame's Go type (*wire.NewConnectionIDFrame) into its RFC 9000 name
// (NEW_CONNECTION_ID).
func frameName(f any) string {
	t := reflect.TypeOf(f)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	name := strings.TrimSuffix(t.Name(), "Frame")
	var b strings.Builder
	rs := []rune(name)
	for i, r := range rs {
		if i > 0 && unicode.IsUpper(r) && (unicode.IsLower(rs[i-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1])) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// squeeze writes repeated neighbours once with a count: CRYPTO(ClientHello)×3.
func squeeze(names []string) []string {
	var out []string
	for i := 0; i < len(names); {
		j := i
		for j < len(names) && names[j] == names[i] {
			j++
		}
		if j-i > 1 {
			out = append(out, fmt.Sprintf("%s×%d", names[i], j-i))
		} else {
			out = append(out, names[i])
		}
		i = j
	}
	return out
}

func uniqueNoAck(names []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if n == "ACK" || n == "PADDING" || n == "PING" || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// splitDatagram returns the packet types of the QUIC packets coalesced in a datagram
// (RFC 9000 §12.2, §17): long-header packets carry their length; a short-header packet
// runs to the end.
func splitDatagram(b []byte) ([]string, error) {
	var types []string
	for len(b) > 0 {
		if b[0]&0x80 == 0 {
			return append(types, "1RTT"), nil
		}
		if len(b) < 7 {
			return nil, errors.New("truncated long header")
		}
		typ := []string{"initial", "0RTT", "handshake", "retry"}[(b[0]>>4)&3]
		p := 5
		p += 1 + int(b[p]) // destination connection ID
		if len(b) <= p {
			return nil, errors.New("truncated long header")
		}
		p += 1 + int(b[p]) // source connection ID
		if typ == "initial" {
			n, l, err := varint(b[p:])
			if err != nil {
				return nil, err
			}
			p += l + int(n)
		}
		n, l, err := varint(b[p:])
		if err != nil {
			return nil, err
		}
		p += l + int(n)
		if p > len(b) {
			return nil, errors.New("packet length beyond the datagram")
		}
		types = append(types, typ)
		b = b[p:]
	}
	return types, nil
}

// varint reads a QUIC variable-length integer (RFC 9000 §16).
func varint(b []byte) (uint64, int, error) {
	if len(b) == 0 {
		return 0, 0, errors.New("truncated varint")
	}
	l := 1 << (b[0] >> 6)
	if len(b) < l {
		return 0, 0, errors.New("truncated varint")
	}
	v := uint64(b[0] & 0x3f)
	for _, c := range b[1:l] {
		v = v<<8 | uint64(c)
	}
	return v, l, nil
}
