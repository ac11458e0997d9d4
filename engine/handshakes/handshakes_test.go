package handshakes

import (
	"bytes"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"synack/engine"
	"synack/engine/capture"
	"synack/engine/capture/capturetest"
	"synack/engine/tcp"
)

func all(t *testing.T) map[string]*Transcript {
	t.Helper()
	ts, err := All()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]*Transcript{}
	for _, tr := range ts {
		m[tr.ID] = tr
	}
	return m
}

func labels(t *Transcript, from string) []string {
	var out []string
	for _, f := range t.Flights {
		if f.From != from {
			continue
		}
		for _, m := range f.Messages {
			out = append(out, m.Shape)
		}
	}
	return out
}

func has(list []string, s string) bool {
	for _, l := range list {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// The committed transcripts have the structure the RFCs give each protocol.
func TestTranscriptStructure(t *testing.T) {
	ts := all(t)
	for _, v := range Variants {
		if v.Transcript != "" && ts[v.Transcript] == nil {
			t.Errorf("variant %s: no transcript %s", v.ID, v.Transcript)
		}
	}
	// TLS 1.2 (RFC 5246 §7.3): ServerKeyExchange carries the ECDHE share in the clear,
	// the client answers with ClientKeyExchange, ChangeCipherSpec, Finished; the server
	// with ChangeCipherSpec, Finished. Four flights before application data.
	tls12 := ts["tls12"]
	if got := strings.Join(tls12.Shape(), "\n"); got != strings.Join([]string{
		"client: ClientHello",
		"server: ServerHello | Certificate | ServerKeyExchange | ServerHelloDone",
		"client: ClientKeyExchange | CCS | {Finished}",
		"server: CCS | {Finished}",
		"client: [Application Data]",
		"server: [Application Data]",
	}, "\n") {
		t.Errorf("tls12 flights:\n%s", got)
	}
	// TLS 1.3 (RFC 8446 §2, Figure 1): everything after the ServerHello is encrypted;
	// the client's Finished and its request leave together.
	tls13 := ts["tls13"]
	srv := labels(tls13, "server")
	for _, want := range []string{"ServerHello", "{EncryptedExtensions}", "{Certificate}", "{CertificateVerify}", "{Finished}"} {
		if !has(srv, want) {
			t.Errorf("tls13: server sends no %s: %v", want, srv)
		}
	}
	if has(srv, "ServerKeyExchange") || len(tls13.Flights) != 4 {
		t.Errorf("tls13: %d flights, server %v", len(tls13.Flights), srv)
	}
	// Resumption (RFC 8446 §2.2): the PSK stands in for the certificate.
	if res := labels(ts["tls13-resume"], "server"); has(res, "{Certificate}") || !has(res, "{Finished}") {
		t.Errorf("tls13-resume: server %v", res)
	}
	// 0-RTT is modelled, and says so on every message.
	zero := ts["tls13-0rtt"]
	if !zero.Modelled {
		t.Error("tls13-0rtt is not marked modelled")
	}
	for _, f := range zero.Flights {
		for _, m := range f.Messages {
			if !strings.Contains(m.Label, "modelled") {
				t.Errorf("tls13-0rtt: label %q does not say modelled", m.Label)
			}
		}
	}
	for id, tr := range ts {
		if id != "tls13-0rtt" && tr.Modelled {
			t.Errorf("%s is marked modelled", id)
		}
		if !strings.Contains(tr.KeyLog, "CLIENT_") {
			t.Errorf("%s: no key log", id)
		}
	}
	// The post-quantum share: an ML-KEM-768 encapsulation key is 1184 bytes (FIPS 203),
	// so the ClientHello outgrows a 1448-byte segment's worth of a classic one.
	ch := func(id string) int { return len(ts[id].Flights[0].Messages[0].Hex) / 2 }
	if ts["tls13-mlkem"].Group != "X25519MLKEM768" || ch("tls13-mlkem")-ch("tls13") < 1184 {
		t.Errorf("mlkem ClientHello %d bytes vs %d classic (group %s)", ch("tls13-mlkem"), ch("tls13"), ts["tls13-mlkem"].Group)
	}
	// QUIC (RFC 9000 §14.1): a client's datagram with an Initial is at least 1200 bytes.
	for _, id := range []string{"quic", "quic-0rtt"} {
		q := ts[id]
		if q.Transport != "udp" {
			t.Errorf("%s transport %s", id, q.Transport)
		}
		first := q.Flights[0].Messages[0]
		if !strings.HasPrefix(first.Shape, "Initial[CRYPTO(ClientHello)]") || len(first.Hex)/2 < 1200 {
			t.Errorf("%s: first datagram %q, %d bytes", id, first.Shape, len(first.Hex)/2)
		}
	}
	// QUIC 0-RTT (RFC 9001 §4.6.1): the request rides in a 0-RTT packet of the first flight.
	if f := ts["quic-0rtt"].Flights[0]; !strings.Contains(strings.Join(ts["quic-0rtt"].Shape()[:1], ""), "0-RTT:STREAM") || len(f.Messages) == 0 {
		t.Errorf("quic-0rtt first flight: %v", ts["quic-0rtt"].Shape()[0])
	}
}

// Round trips do not depend on the RTT: each variant's first response byte arrives after
// the same number of round trips at 10 ms and at 500 ms. With the client's first data
// packet lost, TCP waits for its retransmission timeout, which after one RTT sample is
// RTT + max(2·RTT, 200 ms) on Linux (tcp_rtt_estimator: mdev = 2·RTT, floored at
// tcp_rto_min) — or, when that packet is the only segment out, for the tail loss probe
// if it comes first: 2·RTT + 200 ms (tcp_schedule_loss_probe); a first packet with another
// behind it is recovered by RACK instead (below); QUIC waits for its first probe timeout, 2 × 100 ms before any sample
// (RFC 9002 §6.2.2, quic-go's initial RTT). Over TCP Fast Open the request (or the
// ClientHello) rides in the SYN and the server answers from SYN-RECEIVED, one round trip
// sooner (RFC 7413 §1); a lost data SYN is resent without data after the initial RTO of
// 1 s (RFC 6298 §2.1; Linux sends the data again once the SYN-ACK comes), so the first
// byte comes the usual number of round trips after that second SYN, plus the round trip
// the data no longer saves.
func TestRoundTripArithmetic(t *testing.T) {
	base := map[string]float64{"http-over-tcp": 2, "http-over-tcp-fast-open": 1, "https-tls12": 4, "https-tls13": 3,
		"https-tls13-fast-open": 2,
		"https-tls13-resume":    3, "https-tls13-0rtt": 2, "https-tls13-mlkem": 3, "http3-quic": 2, "http3-quic-0rtt": 1}
	for _, rtt := range []time.Duration{10 * time.Millisecond, 37 * time.Millisecond, 100 * time.Millisecond, 280 * time.Millisecond, 500 * time.Millisecond} {
		for _, lose := range []bool{false, true} {
			rows, err := Compare(rtt, lose)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(base) {
				t.Fatalf("%d rows", len(rows))
			}
			for _, r := range rows {
				want := time.Duration(base[r.ID] * float64(rtt))
				if lose {
					if strings.HasPrefix(r.ID, "http3") {
						want += 200 * time.Millisecond
					} else if strings.HasSuffix(r.ID, "fast-open") {
						want += time.Second + rtt
					} else {
						want += rtt + max(2*rtt, 200*time.Millisecond)
						if r.ID != "https-tls13-mlkem" {
							want = min(want, time.Duration(base[r.ID]*float64(rtt))+2*rtt+200*time.Millisecond)
						} else {
							// Its ClientHello takes two segments: the second one's SACK
							// comes an RTT later, and RACK deems the first lost once its
							// reordering window (min_rtt/4, RFC 8985 §6.2) and Linux's
							// 2 ms slack have passed, in whole jiffies (tcp_rack_mark_lost).
							reo := rtt/4 + 2*time.Millisecond
							reo = (reo + time.Millisecond - 1) / time.Millisecond * time.Millisecond
							want = time.Duration(base[r.ID]*float64(rtt)) + rtt + reo
						}
					}
				}
				got := time.Duration(r.FirstByteAtUs) * time.Microsecond
				// The engine serialises back-to-back packets a microsecond apart.
				if d := got - want; d < 0 || d > 50*time.Microsecond {
					t.Errorf("rtt %s lose %v: %s first byte at %s, want %s", rtt, lose, r.ID, got, want)
				}
				if lose && r.Lost != 1 {
					t.Errorf("rtt %s: %s lost %d packets, want 1", rtt, r.ID, r.Lost)
				}
			}
		}
	}
}

// Every variant can be a story: it has a title and summary in both languages, and its
// trace is the same from run to run.
func TestVariantsAreDeterministicStories(t *testing.T) {
	for _, v := range Variants {
		if v.Title.EN == "" || v.Title.ZH == "" || v.Summary.EN == "" || v.Summary.ZH == "" {
			t.Errorf("%s: title %+v, summary %+v", v.ID, v.Title, v.Summary)
			continue
		}
		p := engine.DefaultParams()
		a, err := RunStory(v.ID, p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := RunStory(v.ID, p)
		if !bytes.Equal(a.JSONLines(), b.JSONLines()) {
			t.Errorf("%s: two runs differ", v.ID)
		}
		// The TLS bytes in the segments are the transcript's: the first client payload
		// starts with the recorded ClientHello.
		if v.Transcript != "" {
			tr := all(t)[v.Transcript]
			want, _ := hex.DecodeString(tr.Flights[0].Messages[0].Hex)
			for _, s := range a.Segments() {
				if s.Src == "client" && len(s.Seg.Payload) > 0 {
					if !bytes.HasPrefix(want, s.Seg.Payload[:min(len(s.Seg.Payload), len(want))]) {
						t.Errorf("%s: first client payload is not the recorded first message", v.ID)
					}
					break
				}
			}
			if a.Meta.KeyLog == "" {
				t.Errorf("%s: trace carries no key log", v.ID)
			}
		}
	}
}

func TestBadTranscriptsAreRejected(t *testing.T) {
	for name, src := range map[string]string{
		"not json":      `{`,
		"no id":         `{"transport":"tcp","flights":[]}`,
		"bad transport": `{"id":"x","transport":"sctp"}`,
		"bad hex":       `{"id":"x","transport":"tcp","flights":[{"from":"client","messages":[{"label":"a","kind":"request","hex":"zz"}]}]}`,
		"bad kind":      `{"id":"x","transport":"tcp","flights":[{"from":"client","messages":[{"label":"a","kind":"gossip","hex":"00"}]}]}`,
		"no response":   `{"id":"x","transport":"tcp","flights":[{"from":"client","messages":[{"label":"a","kind":"request","hex":"00"}]}]}`,
	} {
		if _, err := Parse([]byte(src)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Compare(MinCompareRTT-time.Millisecond, false); err == nil {
		t.Error("rtt below the slider accepted")
	}
	if _, err := Compare(MaxCompareRTT+time.Millisecond, false); err == nil {
		t.Error("rtt above the slider accepted")
	}
	if _, err := Compare(MaxCompareRTT, false); err != nil {
		t.Errorf("rtt at the slider's end: %v", err)
	}
}

// tshark reads our pcapng exports with the embedded key log and decodes the encrypted
// handshake: TLS 1.3's EncryptedExtensions (type 8) and Finished (20), and QUIC's
// CRYPTO and STREAM frames inside Handshake and 1-RTT packets.
func TestTsharkDecryptsExports(t *testing.T) {
	tshark := capturetest.Tshark(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		id, field string
		want      []string
	}{
		{"https-tls12", "tls.handshake.type", []string{"1", "2", "11", "12", "14", "16"}},
		{"https-tls13", "tls.handshake.type", []string{"1", "2", "8", "11", "15", "20"}},
		{"https-tls13-resume", "tls.handshake.type", []string{"1", "2", "8", "20", "4"}},
		{"http3-quic", "quic.frame_type", []string{"6", "8", "30"}}, // CRYPTO, STREAM, HANDSHAKE_DONE
	} {
		tr, err := RunStory(tc.id, engine.DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := capture.WritePCAPNG(&buf, tr, []byte(tr.Meta.KeyLog)); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, tc.id+".pcapng")
		os.WriteFile(path, buf.Bytes(), 0o644)
		out, err := exec.Command(tshark, "-r", path, "-T", "fields", "-e", tc.field).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: tshark: %v\n%s", tc.id, err, out)
		}
		got := map[string]bool{}
		for _, f := range strings.FieldsFunc(string(out), func(r rune) bool { return r == ',' || r == '\n' }) {
			got[strings.TrimSpace(f)] = true
		}
		for _, w := range tc.want {
			if !got[w] {
				t.Errorf("%s: tshark decoded no %s %s (saw %v)", tc.id, tc.field, w, got)
			}
		}
	}
}

// What /compare says of long round trips: before its first RTT sample quic-go's probe
// timeout is 2 × 100 ms, so once half an RTT exceeds 200 ms both the client's Initial
// and the server's first flight are probed once more (3 handshake packets become 5);
// at 400 ms the flights arrive just as the timers would fire, and nothing is resent.
func TestQUICProbesAboveFourHundredMilliseconds(t *testing.T) {
	for _, tc := range []struct {
		rtt     time.Duration
		packets int
	}{{400 * time.Millisecond, 3}, {401 * time.Millisecond, 5}, {500 * time.Millisecond, 5}} {
		_, r, err := Run("http3-quic", engine.Params{Profile: "linux", Seed: 1, RTT: tc.rtt}, false)
		if err != nil {
			t.Fatal(err)
		}
		if r.HandshakePackets != tc.packets {
			t.Errorf("rtt %s: %d handshake packets, want %d", tc.rtt, r.HandshakePackets, tc.packets)
		}
	}
}

// Over TCP Fast Open with the cookie cached, the first client flight rides in the SYN
// (RFC 7413 §3): the HTTP request for plain HTTP, the recorded ClientHello for TLS 1.3.
func TestFastOpenVariantsCarryTheFirstFlightInTheSYN(t *testing.T) {
	for id, want := range map[string]string{"http-over-tcp-fast-open": HTTPRequest[:16], "https-tls13-fast-open": "\x16\x03\x01"} {
		tr, _, err := Run(id, engine.DefaultParams(), false)
		if err != nil {
			t.Fatal(err)
		}
		syn := tr.Segments()[0].Seg
		if syn.Flags != tcp.SYN || !bytes.HasPrefix(syn.Payload, []byte(want)) {
			t.Errorf("%s: first segment %s with %d bytes (%q...), want a SYN carrying %q", id, syn.Flags, len(syn.Payload), syn.Payload[:min(len(syn.Payload), 16)], want)
		}
	}
}
