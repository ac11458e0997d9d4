package engine

import (
	"testing"
	"time"

	"synack/engine/tcp"
)

// synTimes runs connect-timeout under p and returns when each SYN left and when connect()
// failed, in seconds after the first SYN.
func synTimes(t *testing.T, tune func(*tcp.Profile), profile string) ([]float64, float64) {
	t.Helper()
	prof, _ := tcp.ProfileByName(profile)
	if tune != nil {
		tune(&prof)
	}
	s := NewSim(1)
	s.DefaultLink = Link{Delay: 50 * time.Millisecond}
	s.Horizon = 10 * time.Minute
	client := s.AddHost("client", tcp.ClientAddr, "client", prof)
	s.AddHost("server", tcp.ServerAddr, "server", prof)
	s.AddFault(Fault{Action: FaultDrop, From: "client", AnyFlags: true})
	s.At(0, func() { client.Connect(tcp.ClientPort, tcp.ServerAddr, tcp.ServerPort) })
	tr := s.Run()
	var syns []float64
	fail := -1.0
	for _, e := range tr.All() {
		if e.Kind == tcp.EventSegment && e.Segment.Seg.Flags == tcp.SYN {
			syns = append(syns, e.At.Sub(0).Seconds())
		}
		if e.Kind == tcp.EventApp && e.Call == "connect" && e.Result == "ETIMEDOUT" {
			fail = e.At.Sub(0).Seconds()
		}
	}
	return syns, fail
}

func equalF(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// LINUX-FACTS: tcp_syn_retries 6 with tcp_syn_linear_timeouts 4 sends SYNs at 0,1,2,3,4,5,7,
// 11,19,35,67 s and gives up at about 131 s; with linear timeouts 0, at 0,1,3,7,15,31,63 s
// and ETIMEDOUT at 127 s (the sum of 2^0..2^6). RFC profile: doubling from 1 s (RFC 6298
// §5.5), capped at 60 s, given up after R2 = 3 min (RFC 1122 §4.2.3.5).
func TestSYNRetransmissionSchedules(t *testing.T) {
	for _, tc := range []struct {
		name    string
		profile string
		tune    func(*tcp.Profile)
		syns    []float64
		fail    float64
	}{
		{"linux 6.5+", "linux", nil, []float64{0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67}, 131},
		{"linux linear 0", "linux", func(p *tcp.Profile) { p.SynLinearTimeouts = 0 }, []float64{0, 1, 3, 7, 15, 31, 63}, 127},
		{"linux syn_retries 2", "linux", func(p *tcp.Profile) { p.SynLinearTimeouts = 0; p.SynRetries = 2 }, []float64{0, 1, 3}, 7},
		{"rfc", "rfc", nil, []float64{0, 1, 3, 7, 15, 31, 63, 123}, 183},
	} {
		t.Run(tc.name, func(t *testing.T) {
			syns, fail := synTimes(t, tc.tune, tc.profile)
			if !equalF(syns, tc.syns) || fail != tc.fail {
				t.Fatalf("SYNs at %v, ETIMEDOUT at %v; want %v and %v", syns, fail, tc.syns, tc.fail)
			}
		})
	}
}

// LINUX-FACTS: tcp_synack_retries 5 resends the SYN-ACK at 1, 3, 7, 15, 31 s after the
