//go:build linux

package kernel

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
	"unsafe"

	"synack/engine/packetdrill"
)

// No iovec element ends where the next begins, so the kernel cannot merge two of them
// into one zerocopy fragment.
func TestIovBuffersApart(t *testing.T) {
	bufs := iovBuffers([]int{1, 1, 16, 0, 3})
	for i := 1; i < len(bufs); i++ {
		if len(bufs[i-1]) == 0 || len(bufs[i]) == 0 {
			continue
		}
		end := uintptr(unsafe.Pointer(&bufs[i-1][0])) + uintptr(len(bufs[i-1]))
		if uintptr(unsafe.Pointer(&bufs[i][0])) == end {
			t.Errorf("element %d starts where element %d ends", i, i-1)
		}
	}
	for i, n := range []int{1, 1, 16, 0, 3} {
		if len(bufs[i]) != n || cap(bufs[i]) != n {
			t.Errorf("element %d: len %d cap %d, want %d", i, len(bufs[i]), cap(bufs[i]), n)
		}
	}
}

// With MSG_ZEROCOPY each of 18 one-byte elements is a fragment of its own, so a segment
// carries 17 (tcp's MAX_SKB_FRAGS on this kernel) and the 18th byte leaves in a second,
// each with PSH: what google/packetdrill's zerocopy/maxfrags.pkt checks, and passes, on
// Linux 6.18.44.
func TestZerocopyFragmentsOnKernel(t *testing.T) {
	iov := "msg_iov(18)=[" + strings.Repeat("{..., 1}, ", 17) + "{..., 1}]"
	src := `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 setsockopt(3, SOL_SOCKET, SO_ZEROCOPY, [1], 4) = 0
+0 setsockopt(3, SOL_SOCKET, SO_SNDBUF, [2000000], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <...>
+0 < . 1:1(0) ack 1 win 257
+0 accept(3, ..., ...) = 4
+0 sendmsg(4, {msg_name(...)=..., ` + iov + `, msg_flags=0}, MSG_ZEROCOPY) = 18
+0 > P. 1:18(17) ack 1
+0 < . 1:1(0) ack 18 win 257
+0 > P. 18:19(1) ack 1
`
	s, err := packetdrill.Parse("maxfrags.pkt", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	s.Tolerance = kernelTolerance
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := Run(ctx, s)
	if errors.Is(err, ErrNoPrivilege) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the kernel runner must run under CI=true: %v", err)
		}
		t.Skipf("skipped: %v", err)
	}
	if err != nil || !res.Pass {
		t.Fatalf("%v %v", res, err)
	}
}
