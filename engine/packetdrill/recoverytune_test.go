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

// The pacing ratios reach the profile up to MaxPacingRatio (1000, as Linux 6.18 takes
// them); one above is refused, as sysctl refuses it with EINVAL.
func TestTunePacingRatios(t *testing.T) {
	for _, name := range []string{"tcp_pacing_ss_ratio", "tcp_pacing_ca_ratio"} {
		s := NewEngineStack(tcp.LinuxProfile())
		if ok, err := s.Tune(name, "1000"); !ok || err != nil {
			t.Errorf("%s=1000: ok %v, err %v; want it taken", name, ok, err)
		}
		p := s.h.Prof
		if got := map[string]int{"tcp_pacing_ss_ratio": p.PacingSSRatio, "tcp_pacing_ca_ratio": p.PacingCARatio}[name]; got != tcp.MaxPacingRatio {
			t.Errorf("%s=1000: profile has %d", name, got)
		}
		if _, err := s.Tune(name, "1001"); err == nil {
			t.Errorf("%s=1001: taken, want an error", name)
		}
		if _, err := s.Tune(name, "-1"); err == nil {
			t.Errorf("%s=-1: taken, want an error", name)
		}
	}
}
