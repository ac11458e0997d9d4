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
