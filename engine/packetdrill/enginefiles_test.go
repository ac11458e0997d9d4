package packetdrill

import (
	"fmt"
	"strings"
	"testing"
)

// A file the script's dd makes holds bs·count zeroes up to MaxFileBytes; one byte more
// fails the command (its block exits 1), as a full disk would.
func TestEngineFileSizeLimit(t *testing.T) {
	dd := func(count int) Result {
		return runSrc(t, fmt.Sprintf("0 `dd bs=1 count=%d if=/dev/zero of=/tmp/f status=none`\n"+
			"+0 open(\"/tmp/f\", O_RDONLY) = 3\n", count))
	}
	if res := dd(MaxFileBytes); !res.Pass || len(res.NotEvaluated) != 0 {
		t.Fatalf("a file of MaxFileBytes: %v %q", res, res.NotEvaluated)
	}
	if res := dd(MaxFileBytes + 1); res.Pass || res.Line != 1 || !strings.Contains(res.Msg, "exited with status 1") {
		t.Fatalf("a file past MaxFileBytes: %v", res)
	}
}

// rm removes a file (open then says ENOENT); without -f a missing file fails the
// command; a dd that copies anything but /dev/zero is not run, and says so.
func TestEngineFileCommands(t *testing.T) {
	res := runSrc(t, "0 `dd if=/dev/zero of=/tmp/f bs=10 count=1; rm /tmp/f`\n"+
		"+0 open(\"/tmp/f\", O_RDONLY) = -1 ENOENT (No such file or directory)\n")
	if !res.Pass || len(res.NotEvaluated) != 0 {
		t.Fatalf("rm after dd: %v %q", res, res.NotEvaluated)
	}
	if res := runSrc(t, "0 `rm /tmp/none`\n"); res.Pass || !strings.Contains(res.Msg, "exited with status 1") {
		t.Fatalf("rm of a missing file: %v", res)
	}
	if res := runSrc(t, "0 `rm -f /tmp/none`\n"); !res.Pass {
		t.Fatalf("rm -f of a missing file: %v", res)
	}
	res = runSrc(t, "0 `dd if=/dev/urandom of=/tmp/f bs=10 count=1`\n")
	if !res.Pass || len(res.NotEvaluated) != 1 || !strings.Contains(res.NotEvaluated[0], "command not run") {
		t.Fatalf("dd from /dev/urandom: %v %q", res, res.NotEvaluated)
	}
}

// sendfile without an offset reads from the file's own offset and moves it (sendfile(2):
// "the file offset will be updated by the call"); a socket call on the file's descriptor
// is ENOTSOCK; a pipe is still not modelled. (With offsets, testdata's
// sendfile-offsets.pkt is checked against Linux.)
func TestEngineSendfileFileOffset(t *testing.T) {
	src := connected +
		"+0 `dd if=/dev/zero of=/tmp/f bs=100 count=3`\n" +
		"+0 open(\"/tmp/f\", O_RDONLY) = 5\n" +
		"+0 setsockopt(4, SOL_TCP, TCP_NODELAY, [1], 4) = 0\n" +
		"+0 sendfile(4, 5, NULL, 200) = 200\n" +
		"+0 > P. 1:201(200) ack 1\n" +
		"+0 sendfile(4, 5, NULL, 200) = 100\n" +
		"+0 > P. 201:301(100) ack 1\n" +
		"+0 sendfile(4, 5, NULL, 200) = 0\n" +
		"+0 write(5, ..., 10) = -1 ENOTSOCK (Socket operation on non-socket)\n" +
		"+0 close(5) = 0\n" +
		"+0 sendfile(4, 5, NULL, 200) = -1 EBADF (Bad file descriptor)\n" +
		"+0 pipe([6, 7]) = 0\n"
	res := runSrc(t, src)
	if res.Pass || !strings.HasPrefix(res.Msg, "not modelled: pipe()") {
		t.Fatalf("%v %q", res, res.NotEvaluated)
	}
}

// recvmsg with MSG_ERRQUEUE never waits and, the engine queueing nothing there, says
// EAGAIN in any state, as Linux does for an empty queue (google/packetdrill's
// zerocopy/closed.pkt reads it so before connecting, and passes on Linux 6.18); the
// result is noted as not evaluated, since a real queue might hold a completion.
func TestErrorQueueIsEmpty(t *testing.T) {
	const errq = "+0 recvmsg(%d, {msg_name(...)=..., msg_iov(1)=[{...,0}], msg_flags=MSG_ERRQUEUE, msg_control=[]}, MSG_ERRQUEUE) = -1 EAGAIN (Resource temporarily unavailable)\n"
	for _, src := range []string{
		"0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4\n" + fmt.Sprintf(errq, 4),
		connected + fmt.Sprintf(errq, 4),
	} {
		res := runSrc(t, src)
		if !res.Pass || !strings.Contains(strings.Join(res.NotEvaluated, "\n"), "error queue (MSG_ERRQUEUE) is not modelled") {
			t.Fatalf("%v %q", res, res.NotEvaluated)
		}
	}
}
