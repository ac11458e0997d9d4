package handshakes

import (
	"errors"
	"fmt"
	"time"

	"synack/engine"
	"synack/engine/carry"
	"synack/engine/catalog"
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
	{ID: "http-over-tcp", Short: catalog.T("story.http-over-tcp.short"),
		Title:   catalog.T("story.http-over-tcp.title"),
		Summary: catalog.T("story.http-over-tcp.summary")},
	{ID: "http-over-tcp-fast-open", FastOpen: true, Short: catalog.T("story.http-over-tcp-fast-open.short"),
		Title:   catalog.T("story.http-over-tcp-fast-open.title"),
		Summary: catalog.T("story.http-over-tcp-fast-open.summary")},
	{ID: "https-tls12", Transcript: "tls12", Short: catalog.T("story.https-tls12.short"),
		Title:   catalog.T("story.https-tls12.title"),
		Summary: catalog.T("story.https-tls12.summary")},
	{ID: "https-tls13", Transcript: "tls13", Short: catalog.T("story.https-tls13.short"),
		Title:   catalog.T("story.https-tls13.title"),
		Summary: catalog.T("story.https-tls13.summary")},
	{ID: "https-tls13-fast-open", Transcript: "tls13", FastOpen: true, Short: catalog.T("story.https-tls13-fast-open.short"),
		Title:   catalog.T("story.https-tls13-fast-open.title"),
		Summary: catalog.T("story.https-tls13-fast-open.summary")},
	{ID: "https-tls13-resume", Transcript: "tls13-resume", Short: catalog.T("story.https-tls13-resume.short"),
		Title:   catalog.T("story.https-tls13-resume.title"),
		Summary: catalog.T("story.https-tls13-resume.summary")},
	{ID: "https-tls13-0rtt", Transcript: "tls13-0rtt", Short: catalog.T("story.https-tls13-0rtt.short"),
		Title:   catalog.T("story.https-tls13-0rtt.title"),
		Summary: catalog.T("story.https-tls13-0rtt.summary")},
	{ID: "https-tls13-mlkem", Transcript: "tls13-mlkem", Short: catalog.T("story.https-tls13-mlkem.short"),
		Title:   catalog.T("story.https-tls13-mlkem.title"),
		Summary: catalog.T("story.https-tls13-mlkem.summary")},
	{ID: "http3-quic", Transcript: "quic", Short: catalog.T("story.http3-quic.short"),
		Title:   catalog.T("story.http3-quic.title"),
		Summary: catalog.T("story.http3-quic.summary")},
	{ID: "http3-quic-0rtt", Transcript: "quic-0rtt", Short: catalog.T("story.http3-quic-0rtt.short"),
		Title:   catalog.T("story.http3-quic-0rtt.title"),
		Summary: catalog.T("story.http3-quic-0rtt.summary")},
}

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
