package tcp

import "testing"

// A SYN for a connection in TIME-WAIT (RFC 9293 §3.6.1; Linux
// tcp_timewait_state_process): with a sequence number above RCV.NXT, TIME-WAIT ends and the listener answers it with a SYN,ACK for the new
// connection (TCP_TW_SYN); otherwise it is answered with an ACK of the old connection
// (a challenge ACK, RFC 5961 §4; Linux TCP_TW_ACK) and TIME-WAIT stays.
func TestTimeWait_NewSYN(t *testing.T) {
	for _, tc := range []struct {
		name   string
		seq    func(their Seq) Seq
		reopen bool
	}{
		{"higher sequence number reopens", func(their Seq) Seq { return their + 100000 }, true},
		{"old sequence number is acknowledged", func(their Seq) Seq { return their - 100000 }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, plainProfile())
			iss := r.established()
			old := r.c
			r.c.Close()
			r.h.TakeOutput()
			r.in(r.from(FIN|ACK, r.their+1, iss+2))
			r.expect(want{flags: ACK, seq: iss + 2, ack: r.their + 2})
			r.state(TimeWait)
			r.in(r.from(SYN, tc.seq(r.their), 0))
			out := r.h.TakeOutput()
			if len(out) != 1 {
				t.Fatalf("sent %d segments, want 1", len(out))
			}
			s := out[0].Seg
			if tc.reopen {
				if s.Flags != SYN|ACK || s.Ack != tc.seq(r.their)+1 || !r.noted("time-wait-reopen") || old.State() != Closed {
					t.Fatalf("sent %s ack %d (old connection %s); want SYN,ACK ack %d and TIME-WAIT ended", s.Flags, s.Ack, old.State(), tc.seq(r.their)+1)
				}
				// RFC 9293 §3.6.1 condition (1), as Linux meets it: the old SND.NXT (ISS + 2
				// after our FIN) + 65537 (testdata/packetdrill/time-wait-syn-isn.pkt, 6.18.44).
				if want := iss + 2 + 65537; s.Seq != want {
					t.Fatalf("new ISN %d, want old SND.NXT + 65537 = %d", s.Seq, want)
				}
				return
			}
			if s.Flags != ACK || s.Seq != iss+2 || s.Ack != r.their+2 || old.State() != TimeWait {
				t.Fatalf("sent %s seq %d ack %d (old connection %s); want ACK seq %d ack %d, still TIME-WAIT", s.Flags, s.Seq, s.Ack, old.State(), iss+2, r.their+2)
			}
		})
	}
}
