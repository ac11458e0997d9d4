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
