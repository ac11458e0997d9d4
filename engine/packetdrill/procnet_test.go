package packetdrill

import (
	"net/netip"
	"testing"
)

// Addresses are printed as Linux 6.18.44 printed them in /proc/net/tcp: 127.0.0.1 as
// 0100007F, packetdrill's remote 192.0.2.1 as 010200C0.
func TestProcAddr(t *testing.T) {
	for addr, want := range map[string]string{"127.0.0.1": "0100007F", "192.0.2.1": "010200C0", "0.0.0.0": "00000000"} {
		if got := procAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("procAddr(%s) = %s, want %s", addr, got, want)
		}
	}
}

// A grep of /proc/net/tcp is evaluated on the columns the engine keeps (addresses, ports,
// state); a pattern that only the other columns could match, a regular expression, an
// option or another file is not evaluated. Which lines the kernel lists is checked by
// proc-net-tcp-states.pkt under google/packetdrill.
func TestGrepProcNet(t *testing.T) {
	const listening = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n"
	for name, tc := range map[string]struct {
		src          string
		pass         bool
		notEvaluated int
	}{
		"listener":             {listening + "+0 `grep \" 0A \" /proc/net/tcp /proc/net/tcp6 | grep \":1F90\"`\n", true, 0},
		"listener port only":   {listening + "+0 `grep \":1F90 00000000:0000 0A \" /proc/net/tcp`\n", true, 0},
		"no such state":        {listening + "+0 `grep \" 01 \" /proc/net/tcp`\n", false, 0},
		"negated":              {listening + "+0 `! grep \" 01 \" /proc/net/tcp`\n", true, 0},
		"no such port":         {listening + "+0 `grep \" 0A \" /proc/net/tcp | grep \":1F91\"`\n", false, 0},
		"established":          {connected + "+0 `grep \" 01 \" /proc/net/tcp | grep \"010200C0:9C40\"`\n", true, 0},
		"header":               {"0 `grep local_address /proc/net/tcp6`\n", true, 0},
		"queue columns":        {listening + "+0 `grep \"00000000:00000000\" /proc/net/tcp`\n", true, 1},
		"slot and address":     {listening + "+0 `grep \"0: \" /proc/net/tcp`\n", true, 1},
		"regular expression":   {listening + "+0 `grep \" 0A.*\" /proc/net/tcp`\n", true, 1},
		"option":               {listening + "+0 `grep -c \" 0A \" /proc/net/tcp`\n", true, 1},
		"other file":           {listening + "+0 `grep \" 0A \" /proc/net/udp`\n", true, 1},
		"other pipeline stage": {listening + "+0 `grep \" 0A \" /proc/net/tcp | wc -l`\n", true, 1},
	} {
		t.Run(name, func(t *testing.T) {
			res := runSrc(t, tc.src)
			if res.Pass != tc.pass || len(res.NotEvaluated) != tc.notEvaluated {
				t.Fatalf("%v %q: want pass %v with %d checks not evaluated", res, res.NotEvaluated, tc.pass, tc.notEvaluated)
			}
		})
	}
}
