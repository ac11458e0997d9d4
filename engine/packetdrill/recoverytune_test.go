package packetdrill

import (
	"testing"

	"synack/engine/tcp"
)

// The loss-recovery sysctls reach the profile; values the engine does not model say so,
// and a value Linux refuses is an error.
func TestTuneRecovery(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		ok, err     bool
		check       func(tcp.Profile) bool
	}{
		{"tcp_early_retrans", "0", true, false, func(p tcp.Profile) bool { return !p.TailLossProbe }},
		{"tcp_early_retrans", "3", true, false, func(p tcp.Profile) bool { return p.TailLossProbe }},
		{"tcp_early_retrans", "2", false, false, nil},
		{"tcp_recovery", "0", true, false, func(p tcp.Profile) bool { return !p.RACK }},
		{"tcp_recovery", "1", true, false, func(p tcp.Profile) bool { return p.RACK }},
		{"tcp_recovery", "5", false, false, func(p tcp.Profile) bool { return p.RACK }},
		{"tcp_reordering", "10", true, false, func(p tcp.Profile) bool { return p.DupThresh == 10 }},
		{"tcp_reordering", "0", false, true, nil},
		{"tcp_reordering", "x", false, true, nil},
	} {
		p := tcp.LinuxProfile()
		ok, err := tuneRecovery(&p, tc.name, tc.value)
		if ok != tc.ok || (err != nil) != tc.err {
			t.Errorf("%s=%s: ok %v, err %v; want ok %v, error %v", tc.name, tc.value, ok, err, tc.ok, tc.err)
		}
		if tc.check != nil && !tc.check(p) {
			t.Errorf("%s=%s: profile not changed as it should be", tc.name, tc.value)
		}
	}
}
