package packetdrill

import (
	"strings"
	"testing"
)

// IP_TOS and IP_MTU_DISCOVER at their edges, and the IP header fields the runner checks
// on what the stack sends. Each row's verdict is google/packetdrill's on Linux 6.18.44
// (the same lines run there as a script): a TCP socket keeps the stack's two ECN bits
// and the rest of the value as one byte (0x1fc is sent as 0xfc, 0x13 as 0x10);
// IP_MTU_DISCOVER takes IP_PMTUDISC_DONT (0) to IP_PMTUDISC_OMIT (5).
func TestIPTOSAndPMTUDisc(t *testing.T) {
	const listen = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"
	const open = "+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n+0 < S 0:0(0) win 64240 <mss 1460,nop,wscale 7>\n"
	for name, tc := range map[string]struct {
		src  string
		pass bool
	}{
		"tos byte":        {"+0 setsockopt(3, SOL_IP, IP_TOS, [0x1fc], 4) = 0\n" + open + "+0 > [tos 0xfc] S. 0:0(0) ack 1 <...>\n", true},
		"tos ecn bits":    {"+0 setsockopt(3, SOL_IP, IP_TOS, [0x13], 4) = 0\n" + open + "+0 > [tos 0x10] S. 0:0(0) ack 1 <...>\n", true},
		"tos differs":     {"+0 setsockopt(3, SOL_IP, IP_TOS, [0x13], 4) = 0\n" + open + "+0 > [tos 0x13] S. 0:0(0) ack 1 <...>\n", false},
		"tos unset":       {open + "+0 > [tos 0x0] S. 0:0(0) ack 1 <...>\n", true},
		"syn-ack not ECT": {open + "+0 > [noecn] S. 0:0(0) ack 1 <...>\n", true},
		"syn-ack ect0":    {open + "+0 > [ect0] S. 0:0(0) ack 1 <...>\n", false},
		"pmtudisc omit":   {"+0 setsockopt(3, SOL_IP, IP_MTU_DISCOVER, [5], 4) = 0\n", true},
		"pmtudisc past":   {"+0 setsockopt(3, SOL_IP, IP_MTU_DISCOVER, [6], 4) = -1 EINVAL (Invalid argument)\n", true},
		"pmtudisc below":  {"+0 setsockopt(3, SOL_IP, IP_MTU_DISCOVER, [-1], 4) = -1 EINVAL (Invalid argument)\n", true},
		"pmtudisc named":  {"+0 setsockopt(3, SOL_IP, IP_MTU_DISCOVER, [IP_PMTUDISC_DONT], 4) = 0\n", true},
	} {
		t.Run(name, func(t *testing.T) {
			res := runSrc(t, listen+tc.src)
			if res.Pass != tc.pass || len(res.NotEvaluated) != 0 {
				t.Fatalf("%v %q: want pass %v with every check evaluated", res, res.NotEvaluated, tc.pass)
			}
		})
	}
}

// [tos N] takes a byte written in hex, as packetdrill's grammar does; anything else is
// an error at its line.
func TestTOSSyntax(t *testing.T) {
	for _, bad := range []string{"[tos 16]", "[tos 0x100]", "[tos 0xzz]"} {
		_, err := Parse("t.pkt", []byte("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > "+bad+" S. 0:0(0) ack 1 <...>\n"))
		if err == nil || !strings.Contains(err.Error(), "t.pkt:2") {
			t.Errorf("%s: error %v, want one at t.pkt:2", bad, err)
		}
	}
}

// [ect01] takes either ECT codepoint, as packetdrill's verify_outbound_live_ecn does.
func TestECNMatches(t *testing.T) {
	for _, tc := range []struct {
		want string
		got  uint8
		ok   bool
	}{
		{"noecn", 0, true}, {"noecn", 2, false}, {"ect0", 2, true}, {"ect0", 1, false},
		{"ect1", 1, true}, {"ce", 3, true}, {"ce", 2, false},
		{"ect01", 1, true}, {"ect01", 2, true}, {"ect01", 0, false}, {"ect01", 3, false},
	} {
		if got := ecnMatches(tc.want, tc.got); got != tc.ok {
			t.Errorf("ecnMatches(%q, %d) = %v, want %v", tc.want, tc.got, got, tc.ok)
		}
	}
}
