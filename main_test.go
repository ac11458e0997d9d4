package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func runCLI(args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	code := 0
	if err != nil {
		code = 1
		var ee exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		errb.WriteString(err.Error())
	}
	return out.String(), errb.String(), code
}

func TestCLIErrorsExit2WithOneLine(t *testing.T) {
	for name, args := range map[string][]string{
		"unknown id":      {"run", "no-such-scenario"},
		"unknown flag":    {"run", "three-way-handshake", "--bogus"},
		"bad rtt":         {"run", "three-way-handshake", "--rtt", "10s"},
		"bad profile":     {"run", "three-way-handshake", "--profile", "bsd"},
		"bad format":      {"run", "three-way-handshake", "--format", "xml"},
		"bad drop":        {"run", "three-way-handshake", "--drop", "x"},
		"no id":           {"run"},
		"unknown command": {"frobnicate"},
	} {
		t.Run(name, func(t *testing.T) {
			_, stderr, code := runCLI(args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2 (stderr %q)", code, stderr)
			}
			if stderr == "" {
				t.Fatal("no message")
			}
		})
	}
}

func TestCLIRunFormats(t *testing.T) {
	out, _, code := runCLI("run", "three-way-handshake", "--timers=false")
	if code != 0 || strings.Count(out, " IP ") != 3 || !strings.Contains(out, "Flags [S.]") {
		t.Fatalf("text output (exit %d):\n%s", code, out)
	}
	out, _, _ = runCLI("run", "three-way-handshake", "--format", "json", "--seed", "9", "--rtt", "80ms")
	if !strings.HasPrefix(out, `{"t":"meta","scenario":"three-way-handshake","profile":"linux","seed":9,"rtt_us":80000`) {
		t.Fatalf("json output starts %q", out[:min(len(out), 120)])
	}
	out, _, _ = runCLI("run", "lost-final-ack", "--format", "pcap")
	if !strings.HasPrefix(out, "\xd4\xc3\xb2\xa1") {
		t.Fatal("pcap output lacks the libpcap magic")
	}
	out, _, _ = runCLI("run", "four-way-close", "--relative", "--timers=false")
	if !strings.Contains(out, "Flags [F.], seq 1, ack 1") {
		t.Fatalf("relative numbers: the client's FIN should read seq 1, ack 1:\n%s", out)
	}
	out, _, _ = runCLI("scenarios", "--lang", "zh")
	if !strings.Contains(out, "three-way-handshake") || !strings.Contains(out, "三次握手") && !strings.Contains(out, "SYN、SYN-ACK、ACK") {
		t.Fatalf("scenarios in Chinese:\n%s", out)
	}
}

// simultaneous-close used to panic from RTT 450 ms (it closed before the handshake ended).
func TestCLIRunSlowHandshakeClose(t *testing.T) {
	for _, args := range [][]string{
		{"run", "simultaneous-close", "--rtt", "450ms"},
		{"run", "orphan-fin-wait-2", "--rtt", "490ms", "--profile", "rfc"},
	} {
		out, stderr, code := runCLI(args...)
		if code != 0 || !strings.Contains(out, "Flags [F.]") {
			t.Errorf("%v: exit %d, stderr %q, output:\n%s", args, code, stderr, out)
		}
	}
}
