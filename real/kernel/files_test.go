//go:build linux

package kernel

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"synack/engine/packetdrill"
)

// The calls on files and pipes run on the kernel as google/packetdrill runs them
// (gtests/net/tcp's sendfile-simple and tcp_splice_loop_test pass on Linux 6.18.44
// under both): sendfile() sends a file's bytes on the socket, splice() moves received
// bytes into a pipe (60 bytes, then the 40 left of 100 without blocking), and open() of a
// missing file is the kernel's ENOENT. The same lines pass under google/packetdrill.
func TestFileCallsOnKernel(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "five")
	if err := os.WriteFile(file, make([]byte, 5), 0o644); err != nil {
		t.Fatal(err)
	}
	const accepted = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 10>
+0 < . 1:1(0) ack 1 win 514
+0 accept(3, ..., ...) = 4
`
	for name, src := range map[string]string{
		"sendfile": accepted + "+0 open(" + strconv.Quote(file) + ", O_RDONLY) = 5\n" +
			"+0 sendfile(4, 5, [0], 5) = 5\n+0 > P. 1:6(5) ack 1\n+0 close(5) = 0\n",
		"splice": accepted + "+0 pipe([5, 6]) = 0\n+0 < P. 1:101(100) ack 1 win 514\n" +
			"+0 splice(4, NULL, 6, NULL, 60, 0) = 60\n+0 splice(4, NULL, 6, NULL, 60, SPLICE_F_NONBLOCK) = 40\n",
		"missing file": accepted + "+0 open(" + strconv.Quote(filepath.Join(dir, "none")) + ", O_RDONLY) = -1 ENOENT (No such file or directory)\n",
	} {
		t.Run(name, func(t *testing.T) {
			s, err := packetdrill.Parse(name+".pkt", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := Run(ctx, s)
			if errors.Is(err, ErrNoPrivilege) {
				if os.Getenv("CI") == "true" {
					t.Fatalf("the kernel runner must run under CI=true: %v", err)
				}
				t.Skipf("skipped: %v", err)
			}
			if err != nil || !res.Pass || len(res.NotEvaluated) > 0 {
				t.Fatalf("%v %v %q", res, err, res.NotEvaluated)
			}
		})
	}
}
