package packetdrill

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"synack/engine/tcp"
)

// connected is a script prefix that leaves fd 4 an established connection.
const connected = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 65535 <mss 1460,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <...>
+0 < . 1:1(0) ack 1 win 65535
+0 accept(3, ..., ...) = 4
`

func runSrc(t *testing.T, src string) Result {
	t.Helper()
	s, err := Parse("l.pkt", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return Run(s, NewEngineStack(tcp.LinuxProfile()))
}

// A write or read size is a number from 0 to MaxCallBytes: at the limit the call runs,
// past it (or negative) the script fails at that line instead of allocating or panicking.
func TestCallSizeLimit(t *testing.T) {
	for _, tc := range []struct {
		call string
		ok   bool
	}{
		{fmt.Sprintf("write(4, ..., %d) = %d", MaxCallBytes, MaxCallBytes), true},
		{fmt.Sprintf("write(4, ..., %d) = %d", MaxCallBytes+1, MaxCallBytes+1), false},
		{"write(4, ..., -1) = -1", false},
		{"write(4, ..., 1000000000) = 1000000000", false},
		{fmt.Sprintf("read(4, ..., %d) = -1 EAGAIN", MaxCallBytes+1), false},
		{"read(4, ..., -1) = 0", false},
		{"write(4, ..., 0x10) = 16", true},
	} {
		src := connected + "+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n+0 " + tc.call + "\n"
		res := runSrc(t, src)
		if tc.ok && !res.Pass {
			t.Errorf("%s: %v", tc.call, res)
		}
		if !tc.ok && (res.Pass || res.Line != 9) {
			t.Errorf("%s: %v, want a failure at line 9", tc.call, res)
		}
	}
}

// The data a socket keeps unacknowledged is bounded: writes up to tcp.MaxUnsentBytes are
// taken, the one that would pass it fails at its line.
func TestUnsentLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString(connected)
	n := tcp.MaxUnsentBytes / MaxCallBytes
	for range n {
		fmt.Fprintf(&b, "+0 write(4, ..., %d) = %d\n", MaxCallBytes, MaxCallBytes)
	}
	fmt.Fprintf(&b, "+0 write(4, ..., 1) = 1\n")
	res := runSrc(t, b.String())
	if res.Pass || res.Line != 8+n || !strings.Contains(res.Msg, "unacknowledged") {
		t.Fatalf("%v, want a failure at line %d", res, 8+n)
	}
}

// FuzzRunScript runs any script the parser accepts on the engine, with the sizes, times
// and counts a fuzzer makes up: every outcome is a result, never a panic.
func FuzzRunScript(f *testing.F) {
	files, _ := filepath.Glob("../../testdata/packetdrill/*.pkt")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(connected + "+0 write(4, ..., -1) = -1\n"))
	f.Add([]byte(connected + "+3599 read(4, ..., 99999999999999999999) = 0\n"))
	f.Add([]byte(connected + "+0...+3600 read(4, ..., 10) = 10\n*  > . 1:1(0) ack 1\n"))
	f.Add([]byte("`sysctl -q net.ipv4.tcp_rmem=\"1 2 $((15*1024*1024*1024*1024))\"`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"))
	f.Add([]byte(connected + "+0 setsockopt(4, SOL_TCP, TCP_MAXSEG, [-5], 4) = 0\n+0 ioctl(4, SIOCOUTQ, [0]) = 0\n%{ assert tcpi_rto >= -1 }%\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		s, err := Parse("f.pkt", src)
		if err != nil {
			return
		}
		_ = Run(s, NewEngineStack(tcp.LinuxProfile())).String()
	})
}

// What the runner cannot check is listed on the PASS line, and Strict fails it; the
// tcp_info fields the engine knows are checked.
func TestNotEvaluated(t *testing.T) {
	src := connected + "+0 setsockopt(4, SOL_SOCKET, SO_RCVLOWAT, [100], 4) = 0\n" +
		"+0 `tc qdisc replace dev tun0 root fq`\n" +
		"+0 %{ assert tcpi_snd_mss == 1460, tcpi_snd_mss; assert tcpi_pmtu == 1500; print(1) }%\n"
	res := runSrc(t, src)
	if !res.Pass || len(res.NotEvaluated) != 4 || !strings.Contains(res.String(), "4 checks not evaluated") {
		t.Fatalf("%v %q", res, res.NotEvaluated)
	}
	if st := res.Strict(); st.Pass {
		t.Fatalf("strict: %v", st)
	}
	res = runSrc(t, connected+"+0 %{ assert tcpi_snd_mss == 1448 }%\n")
	if res.Pass || !strings.Contains(res.Msg, "tcpi_snd_mss: expected == 1448, got 1460") {
		t.Fatalf("%v", res)
	}
}

// The egress commands the engine models change what the stack sends; a failing command
// before a block's last one is ignored, as sh does; the block's status is its last one's.
func TestQdiscCommands(t *testing.T) {
	src := connected +
		"+0 `tc qdisc delete dev tun0 root 2>/dev/null ; tc qdisc add dev tun0 root pfifo limit 0`\n" +
		"+0 write(4, ..., 10) = 10\n" +
		"+1 `tc qdisc del dev tun0 root`\n" +
		"+0 %{ assert tcpi_probes == 2, tcpi_probes }%\n" +
		"+.2 > P. 1:11(10) ack 1\n"
	if res := runSrc(t, src); !res.Pass || len(res.NotEvaluated) != 0 {
		t.Fatalf("%v %q", res, res.NotEvaluated)
	}
	// Nothing to delete: the block's only command fails, so its status is not 0 and the
	// script fails, as under packetdrill (safe_system: "non-zero status").
	res := runSrc(t, connected+"+0 `tc qdisc delete dev tun0 root`\n")
	if res.Pass || res.Line != 8 || !strings.Contains(res.Msg, "exited with status 1: tc qdisc delete dev tun0 root") {
		t.Fatalf("%v", res)
	}
	// || runs the second command only when the first fails: here it does.
	if res := runSrc(t, connected+"+0 `tc qdisc delete dev tun0 root || true`\n"); !res.Pass || len(res.NotEvaluated) != 0 {
		t.Fatalf("%v %q", res, res.NotEvaluated)
	}
}
