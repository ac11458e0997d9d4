package packetdrill

import (
	"strings"
	"testing"
)

// Several sockets in one script, as packetdrill follows them: only the socket under
// test is checked, each new active open maps its own numbers, each listener made after a
// passive connection meets the peer from a new port, and a SYN of ours written with a
// nonzero sequence number maps only our SYNs.
func TestSocketsUnderTest(t *testing.T) {
	for name, tc := range map[string]struct {
		src  string
		pass bool
		msg  string
	}{
		"earlier socket's FIN is not checked": {`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) <...>
+.01 < S. 0:0(0) ack 1 win 65535 <mss 1460>
+0 > . 1:1(0) ack 1
+0 close(3) = 0
+.1 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4
+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 connect(4, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) <...>
+.01 < S. 500:500(0) ack 1 win 65535 <mss 1460>
+0 > . 1:1(0) ack 1
`, true, ""},
		"the socket under test's FIN is (by the next line)": {`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) <...>
+.01 < S. 0:0(0) ack 1 win 65535 <mss 1460>
+0 > . 1:1(0) ack 1
+0 close(3) = 0
+.1 fcntl(3, F_GETFL) = -1 EBADF (Bad file descriptor)
+0 > . 1:1(0) ack 1
`, false, "it was sent at 0.010000"},
		"our SYN-ACK written at 1234": {`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 65535 <mss 1460>
+0 > S. 1234:1234(0) ack 1 <...>
+0 < . 1:1(0) ack 1 win 65535
+0 accept(3, ..., ...) = 4
+0 write(4, ..., 10) = 10
+0 > P. 1:11(10) ack 1
`, true, ""},
		"a second listener's connection": {`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 65535 <mss 1460>
+0 > S. 0:0(0) ack 1 <...>
+0 < . 1:1(0) ack 1 win 65535
+0 accept(3, ..., ...) = 4
+0 close(3) = 0
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 65535 <mss 1460>
+0 > S. 0:0(0) ack 1 <...>
+0 < . 1:1(0) ack 1 win 65535
+0 accept(3, ..., ...) = 5
`, true, ""},
	} {
		t.Run(name, func(t *testing.T) {
			res := runSrc(t, tc.src)
			if res.Pass != tc.pass || !strings.Contains(res.Msg, tc.msg) {
				t.Fatalf("%v; want pass %v (%q)", res, tc.pass, tc.msg)
			}
		})
	}
}

// A connection reset while it waits in the accept queue is still accepted, in CLOSE,
// with its data; its error is reported once, then it reads as at its end (Linux tcp_done
// leaves the child in the queue; sock_error clears sk_err).
func TestResetInAcceptQueue(t *testing.T) {
	src := `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 65535 <mss 1460>
+0 > S. 0:0(0) ack 1 <...>
+0 < . 1:1(0) ack 1 win 65535
+0 < P. 1:11(10) ack 1 win 65535
+0 > . 1:1(0) ack 11
+0 < R. 11:11(0) ack 1 win 65535
+0 accept(3, ..., ...) = 4
+0 %{ assert tcpi_state == TCP_CLOSE }%
+0 write(4, ..., 100) = -1 ECONNRESET (Connection reset by peer)
+0 read(4, ..., 100) = 10
+0 read(4, ..., 100) = 0
+0 write(4, ..., 100) = -1 EPIPE (Broken pipe)
`
	if res := runSrc(t, src); !res.Pass {
		t.Fatal(res)
	}
}
