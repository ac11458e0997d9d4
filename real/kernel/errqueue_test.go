//go:build linux

package kernel

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"synack/engine/packetdrill"
)

// SO_TIMESTAMPING on the kernel: the error queue gives the write's SCHED timestamp when
// it was sent and its ACK timestamp when the peer acknowledged it, each keyed by the
// write's last byte (SOF_TIMESTAMPING_OPT_ID: 999), then nothing (EAGAIN). The script
// passes under google/packetdrill on Linux 6.18.44, and the variant expecting the key
// 998 fails there at the same line ("Bad data in extended err 1").
func TestTimestampingOnKernel(t *testing.T) {
	const head = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 10>
+.01 < . 1:1(0) ack 1 win 514
+0 accept(3, ..., ...) = 4
+0 setsockopt(4, SOL_SOCKET, SO_TIMESTAMPING, [SOF_TIMESTAMPING_TX_SCHED | SOF_TIMESTAMPING_TX_ACK | SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID], 4) = 0
+0 write(4, ..., 1000) = 1000
+0 > P. 1:1001(1000) ack 1
+.02 < . 1:1(0) ack 1001 win 514
`
	errq := func(ns, info, key string) string {
		return "+0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{...,0}], msg_flags=MSG_ERRQUEUE|MSG_TRUNC, msg_control=[" +
			"{cmsg_level=SOL_SOCKET, cmsg_type=SCM_TIMESTAMPING, cmsg_data={scm_sec=0,scm_nsec=" + ns + "}}, " +
			"{cmsg_level=SOL_IP, cmsg_type=IP_RECVERR, cmsg_data={ee_errno=ENOMSG, ee_origin=SO_EE_ORIGIN_TIMESTAMPING, " +
			"ee_type=0, ee_code=0, ee_info=" + info + ", ee_data=" + key + "}}]}, MSG_ERRQUEUE) = 0\n"
	}
	const empty = "+0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{...,0}], msg_flags=MSG_ERRQUEUE, msg_control=[]}, MSG_ERRQUEUE) = -1 EAGAIN (Resource temporarily unavailable)\n"
	for name, tc := range map[string]struct {
		src  string
		fail string // "" : must pass
	}{
		"keys":      {head + errq("10000000", "SCM_TSTAMP_SCHED", "999") + errq("30000000", "SCM_TSTAMP_ACK", "999") + empty, ""},
		"wrong key": {head + errq("10000000", "SCM_TSTAMP_SCHED", "998"), "ee_data expected 998, got 999"},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := packetdrill.Parse(name+".pkt", []byte(tc.src))
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
			if err != nil {
				t.Fatal(err)
			}
			if tc.fail == "" && (!res.Pass || len(res.NotEvaluated) > 0) || tc.fail != "" && (res.Pass || res.Line != 13 || !strings.Contains(res.Msg, tc.fail)) {
				t.Fatalf("%v %q; want fail %q", res, res.NotEvaluated, tc.fail)
			}
		})
	}
}
