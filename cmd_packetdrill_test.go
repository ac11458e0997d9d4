package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A script whose checks all ran passes with or without --strict; one with a check the
// runner cannot evaluate passes and says so, and --strict fails it (exit 1).
func TestCLIPacketdrillStrict(t *testing.T) {
	dir := t.TempDir()
	base := `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 65535 <mss 1460,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <...>
+0 < . 1:1(0) ack 1 win 65535
+0 accept(3, ..., ...) = 4
`
	full := filepath.Join(dir, "full.pkt")
	part := filepath.Join(dir, "part.pkt")
	if err := os.WriteFile(full, []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(part, []byte(base+"+0 setsockopt(4, SOL_SOCKET, SO_RCVLOWAT, [1], 4) = 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, _, code := runCLI("packetdrill", "--strict", full); code != 0 || !strings.HasPrefix(out, "PASS ") {
		t.Fatalf("full, strict: exit %d, %q", code, out)
	}
	out, _, code := runCLI("packetdrill", part)
	if code != 0 || !strings.Contains(out, "(1 checks not evaluated: 8: setsockopt SO_RCVLOWAT not modelled)") {
		t.Fatalf("part: exit %d, %q", code, out)
	}
	if out, _, code := runCLI("packetdrill", "--strict", part); code != 1 || !strings.HasPrefix(out, "FAIL ") {
		t.Fatalf("part, strict: exit %d, %q", code, out)
	}
}

// --census runs every script under a directory with run_all.py's flags (its -D
// definitions substituted) and prints one line per script; --table counts them.
func TestCLIPacketdrillCensus(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	ok := "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 close(3) = 0\n"
	bad := "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 close(3) = -1 CODE\n"
	for name, src := range map[string]string{"sub/ok.pkt": ok, "sub/bad.pkt": bad, "x-v6.pkt": ok} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, _, code := runCLI("packetdrill", "--census", dir)
	want := "sub/bad.pkt\tfail\tbad.pkt:2: only -1 may carry an errno near \"host_unreachable\"\n" +
		"sub/ok.pkt\tpass\t\n" +
		"x-v6.pkt\tfail\tan IPv6 script (run_all.py runs it over IPv6 only): the runner runs IPv4 only\n"
	if code != 0 || out != want {
		t.Fatalf("census: exit %d\n%s\nwant\n%s", code, out, want)
	}
	k := filepath.Join(dir, "k.tsv")
	e := filepath.Join(dir, "e.tsv")
	os.WriteFile(k, []byte("sub/bad.pkt\tpass\t\nsub/ok.pkt\tpass\t\nx-v6.pkt\tfail\tx\n"), 0o644)
	os.WriteFile(e, []byte(out), 0o644)
	out, _, code = runCLI("packetdrill", "--table", k, e)
	if code != 0 || !strings.Contains(out, "| sub | 2 | 2 | 1 | 1 | 0 |") || !strings.Contains(out, "- sub/bad.pkt: bad.pkt:2:") {
		t.Fatalf("table: exit %d\n%s", code, out)
	}
}
