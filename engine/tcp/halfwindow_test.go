package tcp

import "testing"

// TestHalfWindowMSS: Linux bounds the send MSS by half the largest window the peer has
// shown (all of it up to 536 bytes), from the handshake's last ACK on, and lifts the
// bound when the window grows (tcp_bound_to_half_wnd); the RFC profile keeps the
// negotiated MSS and waits for room (RFC 9293 §3.8.6.2.1).
func TestHalfWindowMSS(t *testing.T) {
	for _, tc := range []struct {
		name    string
		prof    Profile
		win     uint16 // the window of the handshake's last ACK (unscaled: no wscale)
		mss     int64
		sendLen int // what a 1000-byte write sends at once
	}{
		{"linux tiny", LinuxProfile(), 400, 400, 400},
		{"linux small", LinuxProfile(), 1000, 500, 500},
		{"linux large", LinuxProfile(), 65535, 536, 536},
		{"rfc", plainProfile(), 400, 536, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.prof)
			iss := r.passiveToSynReceived()
			ack := r.from(ACK, r.their+1, iss+1)
			ack.Window = tc.win
			r.in(ack)
			r.expectNothing()
			if got := r.c.Info()["snd_mss"]; got != tc.mss {
				t.Errorf("snd_mss = %d, want %d", got, tc.mss)
			}
			r.c.Send(make([]byte, 1000))
			out := r.h.TakeOutput()
			if len(out) == 0 {
				if tc.prof.WholeSegmentWindow {
					t.Fatalf("nothing sent, want %d bytes", tc.sendLen)
				}
				return
			}
			if got := len(out[0].Seg.Payload); got != tc.sendLen {
				t.Errorf("first segment %d bytes, want %d", got, tc.sendLen)
			}
			if tc.prof.HalfWindowMSS {
				r.in(r.from(ACK, r.their+1, out[len(out)-1].Seg.End()))
				if got := r.c.Info()["snd_mss"]; got != 536 {
					t.Errorf("after a 65535-byte window snd_mss = %d, want 536", got)
				}
			}
		})
	}
}
