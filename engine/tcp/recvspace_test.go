package tcp

import "testing"

// TestRecvSpace: a receive buffer the application set before the handshake gives the
// window of the SYN (at most 65535, RFC 7323 §2.2) and the smallest window scale that
// covers it (§2.3); after the handshake the whole space is the window. The Linux
// profile rounds the space down to whole segments (tcp_select_initial_window).
func TestRecvSpace(t *testing.T) {
	for _, tc := range []struct {
		name          string
		prof          Profile
		space         uint32
		synWin        uint16
		shift         uint8
		firstWin      uint16 // the window field of the first non-SYN segment
		passiveSynAck uint16 // the SYN-ACK's window on a listener with the same space
		passiveShift  uint8
	}{
		{"rfc small", RFCProfile(), 10000, 10000, 0, 10000, 10000, 0},
		{"rfc large", RFCProfile(), 100000, 65535, 1, 50000, 65535, 1},
		{"rfc tiny", RFCProfile(), 1000, 1000, 0, 1000, 1000, 0},
		{"linux small", LinuxProfile(), 10000, 8760, 0, 8760, 8688, 0},
		{"linux large", LinuxProfile(), 100000, 65535, 1, 49640, 65535, 1},
		{"linux huge", LinuxProfile(), 1 << 22, 65535, 7, 32759, 65535, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.prof)
			c, err := r.h.ConnectOpts(ServerPort, ClientAddr, ClientPort, SockOpts{RecvSpace: tc.space})
			if err != nil {
				t.Fatal(err)
			}
			r.c = c
			out := r.h.TakeOutput()
			if len(out) != 1 {
				t.Fatalf("connect sent %d segments, want a SYN", len(out))
			}
			syn := out[0].Seg
			ws, _ := syn.Options.Find(OptWindowScale)
			if syn.Window != tc.synWin || ws.Shift != tc.shift {
				t.Errorf("SYN window %d wscale %d, want %d wscale %d", syn.Window, ws.Shift, tc.synWin, tc.shift)
			}
			sa := r.from(SYN|ACK, r.their, syn.Seq+1)
			sa.Options = Options{{Kind: OptMSS, MSS: 1460}, {Kind: OptWindowScale, Shift: 7}}
			r.in(sa)
			out = r.h.TakeOutput()
			if len(out) != 1 || out[0].Seg.Window != tc.firstWin {
				t.Fatalf("ACK of the SYN-ACK: %v, want window %d", out, tc.firstWin)
			}

			r = newRig(t, tc.prof)
			l, err := r.h.Listen(ServerPort, 4)
			if err != nil {
				t.Fatal(err)
			}
			l.RecvSpace = tc.space
			s := r.from(SYN, r.their, 0)
			s.Options = Options{{Kind: OptMSS, MSS: 1460}, {Kind: OptWindowScale, Shift: 7},
				{Kind: OptTimestamps, TSVal: 1}}
			r.in(s)
			out = r.h.TakeOutput()
			if len(out) != 1 {
				t.Fatalf("SYN answered with %d segments", len(out))
			}
			ws, _ = out[0].Seg.Options.Find(OptWindowScale)
			if out[0].Seg.Window != tc.passiveSynAck || ws.Shift != tc.passiveShift {
				t.Errorf("SYN-ACK window %d wscale %d, want %d wscale %d", out[0].Seg.Window, ws.Shift, tc.passiveSynAck, tc.passiveShift)
			}
		})
	}
}

func TestScaleFor(t *testing.T) {
	for n, want := range map[uint32]uint8{0: 0, 1: 0, 65535: 0, 65536: 1, 131071: 1, 131072: 2, 1 << 22: 7, 1 << 31: 14, 1<<32 - 1: 14} {
		if got := ScaleFor(n); got != want {
			t.Errorf("ScaleFor(%d) = %d, want %d", n, got, want)
		}
	}
}
