package packetdrill

import (
	"fmt"
	"strings"
	"testing"

	"synack/engine/tcp"
)

// fileScript is a passive connection that sends a file of zeroes made by dd, as
// google/packetdrill's sendfile/sendfile-simple.pkt does (the values it checks are the
// kernel's there: sendfile returns the count, the data leaves with PSH).
func fileScript(ddCount int, tail string) string {
	return fmt.Sprintf("`/bin/rm -f zeroes\n/bin/dd bs=1 count=%d if=/dev/zero of=zeroes status=none`\n", ddCount) + `
0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0    setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0    bind(3, ..., ...) = 0
+0    listen(3, 1) = 0
+0    < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 10>
+0    > S. 0:0(0) ack 1 <...>
+0    < . 1:1(0) ack 1 win 514
+0    accept(3, ..., ...) = 4
` + tail
}

func runFileScript(t *testing.T, src string) Result {
	t.Helper()
	s, err := Parse("f.pkt", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return Run(s, NewEngineStack(tcp.LinuxProfile()))
}

// A 7-byte file of zeroes made by dd is sent by sendfile() (each small send once the one
// before is acknowledged: Nagle). An explicit offset leaves the file's own offset alone
// (sendfile(2)), so the NULL-offset calls after it read 4 bytes from the start, then the
// 3 left, then none. A path no dd made is ENOENT, a descriptor that is no open file
// EBADF.
func TestEngineSendfile(t *testing.T) {
	res := runFileScript(t, fileScript(7, `+0    open("zeroes", O_RDONLY) = 5
+0    sendfile(4, 5, [0], 5) = 5
+0    > P. 1:6(5) ack 1
+0    < . 1:1(0) ack 6 win 514
+0    sendfile(4, 5, NULL, 4) = 4
+0    > P. 6:10(4) ack 1
+0    < . 1:1(0) ack 10 win 514
+0    sendfile(4, 5, NULL, 4) = 3
+0    > P. 10:13(3) ack 1
+0    sendfile(4, 5, NULL, 4) = 0
+0    open("other", O_RDONLY) = -1 ENOENT (No such file or directory)
+0    sendfile(4, 6, [0], 1) = -1 EBADF (Bad file descriptor)
`))
	if !res.Pass || len(res.NotEvaluated) > 0 {
		t.Fatalf("%v (not evaluated: %v)", res, res.NotEvaluated)
	}
}

// A file may hold MaxEngineFileBytes; one byte more fails the dd (the shell block exits
// with status 1, which fails the script there, as packetdrill fails it).
func TestEngineFileLimit(t *testing.T) {
	res := runFileScript(t, fileScript(MaxEngineFileBytes, `+0    open("zeroes", O_RDONLY) = 5
`))
	if !res.Pass {
		t.Fatalf("a file of MaxEngineFileBytes: %v", res)
	}
	res = runFileScript(t, fileScript(MaxEngineFileBytes+1, `+0    open("zeroes", O_RDONLY) = 5
`))
	if res.Pass || res.Line != 1 || !strings.Contains(res.Msg, "status 1") {
		t.Fatalf("a file of MaxEngineFileBytes+1 made: %v", res)
	}
}

// pipe() and splice() stay not modelled on the engine, and say so.
func TestEnginePipeNotModelled(t *testing.T) {
	res := runFileScript(t, fileScript(1, `+0    pipe([5, 6]) = 0
`))
	if res.Pass || !strings.Contains(res.String(), "not modelled: pipe()") {
		t.Fatalf("pipe(): %v", res)
	}
}
