package tcp

import "testing"

// Which IP_MTU_DISCOVER modes put DF on a TCP socket's packets, as Linux 6.18.44 sent its
// SYN under each (tcpdump -v on loopback: flags [DF] for WANT and DO, [none] for DONT,
// PROBE, INTERFACE and OMIT; ip_dont_fragment), and the TOS byte IP_TOS gives it.
func TestSYNCarriesIPOptions(t *testing.T) {
	for mode, wantDF := range map[PMTUDisc]bool{PMTUDiscDont: false, PMTUDiscWant: true, PMTUDiscDo: true,
		PMTUDiscProbe: false, PMTUDiscInterface: false, PMTUDiscOmit: false} {
		h := NewHost("us", ServerAddr, LinuxProfile(), NewRand(1), nil)
		if _, err := h.ConnectOpts(ServerPort, ClientAddr, ClientPort, SockOpts{TOS: 0x2b, PMTUDisc: mode, HasPMTUDisc: true}); err != nil {
			t.Fatal(err)
		}
		syn := h.TakeOutput()[0].Seg
		if syn.NoDF == wantDF || syn.TOS != 0x28 {
			t.Errorf("mode %d: SYN with DF %v, TOS %#x; want DF %v, TOS 0x28 (the ECN bits are the stack's)", mode, !syn.NoDF, syn.TOS, wantDF)
		}
	}
	h := NewHost("us", ServerAddr, LinuxProfile(), NewRand(1), nil)
	h.Connect(ServerPort, ClientAddr, ClientPort)
	if syn := h.TakeOutput()[0].Seg; syn.NoDF || syn.TOS != 0 {
		t.Errorf("default SYN: DF %v, TOS %#x; want DF, TOS 0", !syn.NoDF, syn.TOS)
	}
}
