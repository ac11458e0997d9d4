package handshakes

import (
	"errors"
	"fmt"
	"time"

	"synack/engine"
	"synack/engine/carry"
)

// The HTTP exchange every variant ends with: one request, the first record of its
// response. Plain HTTP over TCP carries these bytes as they are; the recorded variants
// carry them encrypted.
const (
	HTTPRequest  = "GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: synack\r\nAccept: */*\r\n\r\n"
	HTTPResponse = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 46\r\n\r\n<!doctype html><title>hello</title><p>hello\n"
)

// Variant is one way of fetching a page that the comparison shows.
type Variant struct {
	ID         string // scenario id
	Transcript string // transcript id; empty for plain HTTP
	Short      engine.Text
	Title      engine.Text // the story's title in the catalogue
	Summary    engine.Text // one or two sentences under the title
	// FastOpen opens the TCP connection with TCP Fast Open, the cookie already cached.
	FastOpen bool
}

// Variants lists the comparison's rows in the order it shows them.
var Variants = []Variant{
	{ID: "http-over-tcp", Short: txt("HTTP/1.1 over TCP", "HTTP/1.1（TCP）"),
		Title:   txt("HTTP over TCP: one round trip to connect", "TCP 上的 HTTP：建连一个往返"),
		Summary: txt("Three handshake segments, then the request; the first response byte comes after two round trips.", "三个握手报文之后发送请求；第二个往返结束时收到响应的第一个字节。")},
	{ID: "http-over-tcp-fast-open", FastOpen: true, Short: txt("HTTP/1.1 over TCP Fast Open", "HTTP/1.1（TCP Fast Open）"),
		Title:   txt("HTTP over TCP Fast Open: the request in the SYN", "TCP Fast Open 上的 HTTP：请求随 SYN 发出"),
		Summary: txt("With a Fast Open cookie cached from an earlier visit, the request rides in the SYN and the server answers with its SYN-ACK: the first byte comes after one round trip.", "客户端已缓存上次访问得到的 Fast Open cookie，请求随 SYN 发出，服务器随 SYN-ACK 一起作答：一个往返就收到第一个字节。")},
	{ID: "https-tls12", Transcript: "tls12", Short: txt("HTTPS, TLS 1.2", "HTTPS（TLS 1.2）"),
		Title:   txt("HTTPS with TLS 1.2: two more round trips", "TLS 1.2 的 HTTPS：再多两个往返"),
		Summary: txt("A recorded TLS 1.2 ECDHE handshake rides on TCP: 3 + 4 handshake packets, first byte after four round trips.", "录制的 TLS 1.2 ECDHE 握手跑在 TCP 上：3 + 4 个握手报文，第四个往返才收到第一个响应字节。")},
	{ID: "https-tls13", Transcript: "tls13", Short: txt("HTTPS, TLS 1.3", "HTTPS（TLS 1.3）"),
		Title:   txt("HTTPS with TLS 1.3: one round trip for the handshake", "TLS 1.3 的 HTTPS：握手只要一个往返"),
		Summary: txt("A recorded TLS 1.3 handshake: the client's key share rides in the ClientHello, so the request leaves after two round trips.", "录制的 TLS 1.3 握手：客户端在 ClientHello 里就带上密钥份额，第二个往返后即可发送请求。")},
	{ID: "https-tls13-fast-open", Transcript: "tls13", FastOpen: true, Short: txt("TLS 1.3 over TCP Fast Open", "TLS 1.3（TCP Fast Open）"),
		Title:   txt("TLS 1.3 over TCP Fast Open: the ClientHello in the SYN", "TCP Fast Open 上的 TLS 1.3：ClientHello 随 SYN 发出"),
		Summary: txt("The recorded TLS 1.3 handshake over a Fast Open connection, cookie cached: the ClientHello rides in the SYN, so the request leaves after one round trip instead of two.", "录制的 TLS 1.3 握手跑在 Fast Open 连接上（cookie 已缓存）：ClientHello 随 SYN 发出，一个往返后就能发送请求，而不是两个。")},
	{ID: "https-tls13-resume", Transcript: "tls13-resume", Short: txt("TLS 1.3 resumed", "TLS 1.3 会话恢复"),
		Title:   txt("TLS 1.3 resumption with a session ticket", "TLS 1.3 用会话票据恢复"),
		Summary: txt("A recorded resumption (PSK with ECDHE): no certificate, fewer bytes, still one round trip.", "录制的会话恢复（PSK + ECDHE）：不再发送证书，字节更少，但仍要一个往返。")},
	{ID: "https-tls13-0rtt", Transcript: "tls13-0rtt", Short: txt("TLS 1.3 0-RTT (modelled)", "TLS 1.3 0-RTT（模型）"),
		Title:   txt("TLS 1.3 0-RTT (modelled)", "TLS 1.3 0-RTT（模型）"),
		Summary: txt("Modelled from RFC 8446 §2.3, not recorded: the request rides with the ClientHello, and can be replayed.", "依据 RFC 8446 §2.3 建模而非录制：请求随 ClientHello 一起发出，但可能被重放。")},
	{ID: "https-tls13-mlkem", Transcript: "tls13-mlkem", Short: txt("TLS 1.3, X25519MLKEM768", "TLS 1.3（X25519MLKEM768）"),
		Title:   txt("TLS 1.3 with a post-quantum key share", "TLS 1.3 与后量子密钥交换"),
		Summary: txt("Go's default X25519MLKEM768 group: the ClientHello grows past one segment.", "Go 默认的 X25519MLKEM768：ClientHello 变大，一个报文装不下。")},
	{ID: "http3-quic", Transcript: "quic", Short: txt("HTTP/3 over QUIC", "HTTP/3（QUIC）"),
		Title:   txt("HTTP/3 over QUIC: transport and crypto in one round trip", "QUIC 上的 HTTP/3：传输与加密一个往返完成"),
		Summary: txt("A recorded quic-go handshake over UDP: no TCP handshake, the request leaves after one round trip.", "录制的 quic-go 握手跑在 UDP 上：没有 TCP 握手，一个往返后就发出请求。")},
	{ID: "http3-quic-0rtt", Transcript: "quic-0rtt", Short: txt("HTTP/3, QUIC 0-RTT", "HTTP/3（QUIC 0-RTT）"),
		Title:   txt("QUIC 0-RTT: the request in the first flight", "QUIC 0-RTT：请求随第一组报文发出"),
		Summary: txt("A recorded quic-go resumption with 0-RTT: the response arrives after a single round trip.", "录制的 quic-go 0-RTT 恢复：一个往返就收到响应。")},
}

func txt(en, zh string) engine.Text { return engine.Text{EN: en, ZH: zh} }

// RunStory carries the variant with the given scenario id over the simulated path, as
// the story catalogue runs it: an exchange that a lossy link kept from finishing is still
// a story worth drawing (the retransmissions and the give-up are in the trace), so only a
// run that produced no trace is an error.
func RunStory(id string, p engine.Params) (*engine.Trace, error) {
	tr, _, err := Run(id, p, false)
	if tr != nil {
		return tr, nil
	}
	return nil, err
}

// ErrUnknownVariant is returned for a scenario id that is not one of Variants.
var ErrUnknownVariant = errors.New("unknown variant")

// Lookup returns the variant with the given scenario id.
func Lookup(id string) (*Variant, bool) {
	for i := range Variants {
		if Variants[i].ID == id {
			return &Variants[i], true
		}
	}
	return nil, false
}

// transcript returns the committed transcript with the given id.
func transcript(id string) (*Transcript, error) {
	all, err := All()
	if err != nil {
		return nil, err
	}
	for _, t := range all {
		if t.ID == id {
			return t, nil
		}
	}
	return nil, fmt.Errorf("no transcript %q", id)
}

// exchange returns what a variant carries, and the key log of its connection.
func (v *Variant) exchange() (*carry.Exchange, string, error) {
	if v.Transcript == "" {
		ex := &carry.Exchange{ID: v.ID, Transport: "tcp", FastOpen: v.FastOpen, Flights: []carry.Flight{
			{From: "client", Messages: []carry.Message{{Label: "HTTP request", Data: []byte(HTTPRequest), Request: true}}},
			{From: "server", Messages: []carry.Message{{Label: "HTTP response", Data: []byte(HTTPResponse), Response: true}}},
		}}
		return ex, "", nil
	}
	t, err := transcript(v.Transcript)
	if err != nil {
		return nil, "", err
	}
	cp := *t.ex // carry does not change an exchange; the copy only takes the scenario id
	cp.ID = v.ID
	cp.FastOpen = v.FastOpen
	return &cp, t.KeyLog, nil
}

// Run carries one variant over the simulated path. With loseFirst, the first packet
// carrying handshake payload from the client is lost.
func Run(id string, p engine.Params, loseFirst bool) (*engine.Trace, carry.Result, error) {
	v, ok := Lookup(id)
	if !ok {
		return nil, carry.Result{}, fmt.Errorf("%w %q", ErrUnknownVariant, id)
	}
	ex, keyLog, err := v.exchange()
	if err != nil {
		return nil, carry.Result{}, err
	}
	tr, r, err := carry.Run(ex, carry.Options{Params: p, LoseFirst: loseFirst})
	if tr != nil {
		tr.Meta.KeyLog = keyLog
	}
	return tr, r, err
}

// MinCompareRTT and MaxCompareRTT bound the comparison's RTT slider.
const (
	MinCompareRTT = 10 * time.Millisecond
	MaxCompareRTT = 500 * time.Millisecond
)

// Row is one line of the comparison.
type Row struct {
	carry.Result
	Title engine.Text   `json:"-"`
	Trace *engine.Trace `json:"-"`
}

// Compare runs every variant at one RTT (the Linux profile, seed 1) and measures them.
func Compare(rtt time.Duration, loseFirst bool) ([]Row, error) {
	if rtt < MinCompareRTT || rtt > MaxCompareRTT {
		return nil, fmt.Errorf("rtt %s is out of range (%s to %s)", rtt, MinCompareRTT, MaxCompareRTT)
	}
	p := engine.DefaultParams()
	p.RTT = rtt
	var rows []Row
	for _, v := range Variants {
		tr, r, err := Run(v.ID, p, loseFirst)
		if err != nil {
			return nil, err
		}
		rows = append(rows, Row{Result: r, Title: v.Short, Trace: tr})
	}
	return rows, nil
}
