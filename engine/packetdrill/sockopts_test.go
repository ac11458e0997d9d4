package packetdrill

import (
	"strings"
	"testing"
)

// The socket options the runner models, each checked on a short script: what getsockopt
// reads back, bad values, and options set on a listener after listen().
func TestSocketOptions(t *testing.T) {
	listener := "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n"
	for name, tc := range map[string]struct {
		src, fail string // fail: "" when the script passes with every check evaluated
	}{
		"rcvbuf doubled": {"0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n" +
			"+0 setsockopt(3, SOL_SOCKET, SO_RCVBUF, [10000], 4) = 0\n" +
			"+0 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [20000], [4]) = 0\n", ""},
		"rcvbuf floor and cap": {"0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n" +
			"+0 setsockopt(3, SOL_SOCKET, SO_RCVBUF, [1], 4) = 0\n" +
			"+0 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [2304], [4]) = 0\n" +
			"+0 setsockopt(3, SOL_SOCKET, SO_RCVBUF, [-1], 4) = 0\n" +
			"+0 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [8388608], [4]) = 0\n", ""}, // 2 × rmem_max, 4 MiB in 6.18
		"sndbuf read back": {"0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n" +
			"+0 setsockopt(3, SOL_SOCKET, SO_SNDBUF, [1], 4) = 0\n" +
			"+0 getsockopt(3, SOL_SOCKET, SO_SNDBUF, [4608], [4]) = 0\n" +
			"+0 setsockopt(3, SOL_TCP, TCP_NOTSENT_LOWAT, [4000], 4) = 0\n" +
			"+0 getsockopt(3, SOL_TCP, TCP_NOTSENT_LOWAT, [4000], [4]) = 0\n", ""},
		"rcvbuf on a listener after listen()": {listener +
			"+0 setsockopt(3, SOL_SOCKET, SO_RCVBUF, [10000], 4) = 0\n" +
			"+0 < S 0:0(0) win 64240 <mss 1460,nop,wscale 7>\n" +
			"+0 > S. 0:0(0) ack 1 win 8760 <mss 1460,nop,wscale 0>\n", ""},
		"keepalive defaults and limits": {"0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n" +
			"+0 getsockopt(3, SOL_TCP, TCP_KEEPIDLE, [7200], [4]) = 0\n" +
			"+0 setsockopt(3, SOL_TCP, TCP_KEEPIDLE, [32768], 4) = -1 EINVAL (Invalid argument)\n" +
			"+0 setsockopt(3, SOL_TCP, TCP_KEEPCNT, [128], 4) = -1 EINVAL (Invalid argument)\n" +
			"+0 setsockopt(3, SOL_TCP, TCP_KEEPINTVL, [5], 4) = 0\n" +
			"+0 getsockopt(3, SOL_TCP, TCP_KEEPINTVL, [5], [4]) = 0\n", ""},
		"keepalive inherited from the listener": {listener +
			"+0 setsockopt(3, SOL_SOCKET, SO_KEEPALIVE, [1], 4) = 0\n" +
			"+0 setsockopt(3, SOL_TCP, TCP_KEEPIDLE, [5], 4) = 0\n" +
			"+0 < S 0:0(0) win 64240 <mss 1460,nop,wscale 7>\n" +
			"+0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 10>\n" +
			"+.1 < . 1:1(0) ack 1 win 502\n" +
			"+0 accept(3, ..., ...) = 4\n" +
			"+0 getsockopt(4, SOL_SOCKET, SO_KEEPALIVE, [1], [4]) = 0\n" +
			"+5 > . 0:0(0) ack 1\n", ""},
	} {
		t.Run(name, func(t *testing.T) {
			res := runSrc(t, tc.src)
			switch {
			case tc.fail == "" && (!res.Pass || len(res.NotEvaluated) > 0):
				t.Fatalf("%v %q", res, res.NotEvaluated)
			case tc.fail != "" && !strings.Contains(res.String(), tc.fail):
				t.Fatalf("%v, want %q in it", res, tc.fail)
			}
		})
	}
}
