package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateCompare = flag.Bool("update", false, "rewrite testdata/compare golden files")

// The golden files pin the whole table; the numbers in it were checked against the
// protocols by TestCompareJSONRoundTrips below and by engine/handshakes' tests, so a
// change in either shows up here as a diff to read.
func TestCompareGolden(t *testing.T) {
	for name, args := range map[string][]string{
		"rtt100.txt":     {"compare"},
		"rtt40-lose.txt": {"compare", "--rtt", "40ms", "--lose-first"},
		"rtt250-zh.txt":  {"compare", "--rtt", "250ms", "--lang", "zh"},
		"rtt100.jsonl":   {"compare", "--format", "json"},
	} {
		out, stderr, code := runCLI(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		path := filepath.Join("testdata", "compare", name)
		if *updateCompare {
			if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run 'go test . -run TestCompareGolden -update')", err)
		}
		if out != string(want) {
			t.Errorf("%v: output differs from %s:\n%s", args, path, out)
		}
	}
}

// The round trips to the first response byte that the issue and every networking text
// give: HTTP over TCP 2, TLS 1.2 4, TLS 1.3 3, TLS 1.3 0-RTT 2, QUIC 2, QUIC 0-RTT 1;
// and the seed's packet count: 3 for TCP, 3 + 4 = 7 with TLS 1.2, QUIC back to 3.
func TestCompareJSONRoundTrips(t *testing.T) {
	out, stderr, code := runCLI("compare", "--format", "json", "--rtt", "80ms")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := map[string]float64{"http-over-tcp": 2, "https-tls12": 4, "https-tls13": 3,
		"https-tls13-0rtt": 2, "http3-quic": 2, "http3-quic-0rtt": 1}
	packets := map[string]int{"http-over-tcp": 3, "https-tls12": 7, "http3-quic": 3}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var row struct {
			ID      string  `json:"id"`
			Packets int     `json:"handshake_packets"`
			Before  float64 `json:"rtts_before_request"`
			First   float64 `json:"rtts_to_first_response_byte"`
			Bytes   int     `json:"handshake_bytes"`
		}
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if w, ok := want[row.ID]; ok {
			seen++
			if row.First != w {
				t.Errorf("%s: first byte after %.2f RTT, want %.0f", row.ID, row.First, w)
			}
			if row.Before != w-1 {
				t.Errorf("%s: request after %.2f RTT, want %.0f", row.ID, row.Before, w-1)
			}
		}
		if w, ok := packets[row.ID]; ok && row.Packets != w {
			t.Errorf("%s: %d handshake packets, want %d", row.ID, row.Packets, w)
		}
		if row.Bytes <= 0 {
			t.Errorf("%s: %d handshake bytes", row.ID, row.Bytes)
		}
	}
	if seen != len(want) {
		t.Errorf("saw %d of the %d variants", seen, len(want))
	}
}

func TestCompareRejectsBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"compare", "--rtt", "9ms"}, {"compare", "--rtt", "501ms"}, {"compare", "--rtt", "fast"},
		{"compare", "--format", "xml"}, {"compare", "--lang", "fr"}, {"compare", "extra"},
	} {
		_, stderr, code := runCLI(args...)
		if code != 2 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, stderr)
		}
	}
	// The slider's ends are accepted.
	for _, rtt := range []string{"10ms", "500ms"} {
		if _, stderr, code := runCLI("compare", "--rtt", rtt); code != 0 {
			t.Errorf("--rtt %s: exit %d: %s", rtt, code, stderr)
		}
	}
}
