package packetdrill

import (
	"testing"

	"synack/engine/tcp"
)

// tcp_cubic's hystart_detect reaches the profile as a module parameter: 0 to 3 are
// Linux's values (bit 0 the ACK train, bit 1 the delay increase), anything else is an
// error, as writing it to /sys/module fails.
func TestTuneHyStartDetect(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  int
		err   bool
	}{
		{"0", 0, false}, {"1", 1, false}, {"2", 2, false}, {"3", 3, false},
		{"4", 3, true}, {"-1", 3, true}, {"x", 3, true},
	} {
		s := NewEngineStack(tcp.LinuxProfile())
		ok, err := s.Tune("tcp_cubic.hystart_detect", tc.value)
		if (err != nil) != tc.err || ok == tc.err || s.h.Prof.HyStartDetect != tc.want {
			t.Errorf("hystart_detect=%s: ok %v, err %v, profile %d; want %d, error %v", tc.value, ok, err, s.h.Prof.HyStartDetect, tc.want, tc.err)
		}
	}
	if ok, _ := NewEngineStack(tcp.LinuxProfile()).Tune("tcp_cubic.hystart_low_window", "16"); ok {
		t.Error("another tcp_cubic parameter is taken as modelled")
	}
}

// nstat prints the counters that grew since its last run: a grep for one the engine
// keeps succeeds only after it grew; nstat's other forms, and a grep for a counter the
// engine does not keep, are not evaluated.
func TestNstat(t *testing.T) {
	const write = "+0 write(4, ..., 1000) = 1000\n+0 > P. 1:1001(1000) ack 1\n"
	for name, tc := range map[string]struct {
		src          string
		pass         bool
		notEvaluated int
	}{
		"grows": {write + "+0 `nstat > /dev/null`\n+0 < icmp unreachable [5001:6001(1000)]\n" +
			"+0 `nstat | grep TcpExtOutOfWindowIcmps`\n", true, 0},
		"in window": {write + "+0 `nstat -n`\n+0 < icmp unreachable [1:1001(1000)]\n" +
			"+0 `nstat | grep TcpExtOutOfWindowIcmps`\n", false, 0},
		"history taken": {write + "+0 < icmp unreachable [5001:6001(1000)]\n+0 `nstat`\n" +
			"+0 `! nstat | grep TcpExtOutOfWindowIcmps`\n", true, 0},
		"other counter":  {"+0 `nstat | grep TcpExtTCPTimeouts`\n", true, 1},
		"other option":   {"+0 `nstat -s`\n", true, 1},
		"other pipeline": {"+0 `nstat | wc -l`\n", true, 1},
	} {
		t.Run(name, func(t *testing.T) {
			res := runSrc(t, connected+tc.src)
			if res.Pass != tc.pass || len(res.NotEvaluated) != tc.notEvaluated {
				t.Fatalf("%v %q: want pass %v with %d checks not evaluated", res, res.NotEvaluated, tc.pass, tc.notEvaluated)
			}
		})
	}
}
