package engine

import (
	"testing"

	"synack/engine/tcp"
)

// summarize runs a data story under a profile with the default parameters.
func summarize(t *testing.T, name string, st Story, profile string) TransferSummary {
	t.Helper()
	p := DefaultParams()
	p.Profile = profile
	tr, err := st.Run(name, p)
	if err != nil {
		t.Fatal(err)
	}
	s, ok := SummarizeTransfer(tr)
	if !ok {
		t.Fatalf("%s/%s: no transfer", name, profile)
	}
	return s
}

// The first loss's response is each profile's rule, computed here from the numbers the
// summary read: RFC 5681 §3.1 equation (4) for the rfc profile's Reno, ssthresh =
// max(FlightSize/2, 2·SMSS), where FlightSize leaves out the data limited transmit sent
// (RFC 5681 §3.2 step 2: what lies beyond cwnd, which RFC 3042 leaves unchanged), and
// RFC 6675 §5 (step 4.2) sets cwnd = ssthresh on entering recovery; Linux's CUBIC (tcp_cubic.c cubictcp_recalc_ssthresh) keeps
// max(snd_cwnd·717/1024, 2) segments, β = 0.7 (RFC 9438 §4.6).
func TestTransferSummaryFirstLoss(t *testing.T) {
	rfc := summarize(t, "sack-recovery", SACKRecovery, "rfc")
	lin := summarize(t, "sack-recovery", SACKRecovery, "linux")
	for _, s := range []TransferSummary{rfc, lin} {
		// The story loses one data segment (its 25th) and nothing else.
		if s.Sender != "server" || s.MSS != 1448 || s.Segments != recoverySegments+1 || s.Retransmissions != 1 || s.Lost != 1 {
			t.Errorf("summary = sender %s mss %d segments %d retransmissions %d lost %d, want server 1448 %d 1 1",
				s.Sender, s.MSS, s.Segments, s.Retransmissions, s.Lost, recoverySegments+1)
		}
		if s.Loss.FoundBy != FoundByDupAcks {
			t.Errorf("the loss was found by %q, want duplicate ACKs (RFC 5681 §3.2, RFC 6675)", s.Loss.FoundBy)
		}
		if s.Bytes != recoverySegments*storyMSS || s.Delivered != s.Bytes || s.Finish == tcp.Never {
			t.Errorf("bytes %d delivered %d finish %v, want %d delivered by a finish", s.Bytes, s.Delivered, s.Finish, recoverySegments*storyMSS)
		}
	}
	mss := uint32(rfc.MSS)
	// Limited transmit sent two segments beyond cwnd on the first duplicate ACKs.
	if rfc.Loss.Flight != rfc.Loss.CwndBefore+2*mss {
		t.Errorf("rfc: a flight of %d at the loss with cwnd %d, want cwnd plus two segments of limited transmit (RFC 3042)", rfc.Loss.Flight, rfc.Loss.CwndBefore)
	}
	flight := min(rfc.Loss.Flight, rfc.Loss.CwndBefore) // without limited transmit's data
	if want := max(flight/2, 2*mss); rfc.Loss.Ssthresh != want || rfc.Loss.CwndAfter != want || rfc.Loss.SetFlight != flight {
		t.Errorf("rfc: ssthresh %d cwnd %d after a flight of %d (%d as the rule counts it), want both %d from %d (RFC 5681 eq. 4 and §3.2 step 2, RFC 6675)",
			rfc.Loss.Ssthresh, rfc.Loss.CwndAfter, rfc.Loss.Flight, rfc.Loss.SetFlight, want, flight)
	}
	if want := max(lin.Loss.CwndBefore/mss*717/1024, 2) * mss; lin.Loss.Ssthresh != want {
		t.Errorf("linux: ssthresh %d after a cwnd of %d, want %d (CUBIC β 717/1024)", lin.Loss.Ssthresh, lin.Loss.CwndBefore, want)
	}
	if r := float64(lin.Loss.Ssthresh) / float64(lin.Loss.CwndBefore); r < 0.65 || r > 0.71 {
		t.Errorf("linux keeps %.2f of its window, want about 0.7", r)
	}
	if r := float64(rfc.Loss.Ssthresh) / float64(flight); r < 0.49 || r > 0.51 {
		t.Errorf("rfc keeps %.2f of its flight, want 0.5", r)
	}
	// DeliveredBy is the receiver's cumulative ACK at a time: nothing before the data,
	// everything at the finish, never less later.
	for _, s := range []TransferSummary{rfc, lin} {
		if s.DeliveredBy(s.Start) != 0 || s.DeliveredBy(s.Finish) != s.Bytes || s.DeliveredBy(s.Finish-1) >= s.Bytes {
			t.Errorf("DeliveredBy: %d at the start, %d at the finish, %d just before, want 0, %d, less",
				s.DeliveredBy(s.Start), s.DeliveredBy(s.Finish), s.DeliveredBy(s.Finish-1), s.Bytes)
		}
		var prev int64
		for at := s.Start; at <= s.Finish; at += 10_000 {
			if d := s.DeliveredBy(at); d < prev {
				t.Fatalf("DeliveredBy(%v) = %d, less than %d before", at, d, prev)
			} else {
				prev = d
			}
		}
	}
}

// A lost tail: Linux sends a tail loss probe (RFC 8985 §7); the RFC profile has none and
// waits for its retransmission timer (RFC 6298 §5.4), after which cwnd is the loss
// window, one segment, and ssthresh max(FlightSize/2, 2·SMSS) (RFC 5681 §3.1).
func TestTransferSummaryTail(t *testing.T) {
	lin := summarize(t, "tail-loss-probe", TailLossProbe, "linux")
	rfc := summarize(t, "tail-loss-probe", TailLossProbe, "rfc")
	if lin.Loss.FoundBy != "probe" || rfc.Loss.FoundBy != "RTO" {
		t.Errorf("found by: linux %q, rfc %q, want probe and RTO", lin.Loss.FoundBy, rfc.Loss.FoundBy)
	}
	mss := uint32(rfc.MSS)
	if rfc.Loss.CwndAfter != mss || rfc.Loss.Ssthresh != max(rfc.Loss.Flight/2, 2*mss) {
		t.Errorf("rfc after the RTO: cwnd %d ssthresh %d (flight %d), want %d and %d", rfc.Loss.CwndAfter, rfc.Loss.Ssthresh,
			rfc.Loss.Flight, mss, max(rfc.Loss.Flight/2, 2*mss))
	}
	// The RTO is at least a second in the rfc profile (RFC 6298 §2.4): the probe's
	// sender finishes first.
	if rfc.Loss.At.Sub(rfc.Start) < 1e9 || lin.Finish >= rfc.Finish {
		t.Errorf("rfc retransmits %v after its first data, linux finishes at %v, rfc at %v", rfc.Loss.At.Sub(rfc.Start), lin.Finish, rfc.Finish)
	}
}

// Without loss nothing is retransmitted and the summary has no first loss.
func TestTransferSummaryNoLoss(t *testing.T) {
	s := summarize(t, "bulk-transfer", BulkTransfer, "rfc")
	if s.Loss.At != tcp.Never || s.Retransmissions != 0 || s.Lost != 0 || s.Bytes != bulkSegments*storyMSS || s.Delivered != s.Bytes {
		t.Errorf("bulk-transfer: loss at %v, %d retransmissions, %d lost, %d of %d bytes, want none and %d", s.Loss.At,
			s.Retransmissions, s.Lost, s.Delivered, s.Bytes, bulkSegments*storyMSS)
	}
	tr, err := ThreeWayHandshake.Run("three-way-handshake", DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := SummarizeTransfer(tr); ok {
		t.Error("a handshake without data has a transfer")
	}
}

// A dead path: every send is lost for a while, so the timer resends the first lost
// segment, doubling its wait each time (RFC 6298 §5.5). The threshold is set once for
// the whole outage, by each profile's rule applied to the window or flight of the
// moment it was set: for Linux that is the first timeout after its tail loss probe, not
// the probe, which by itself cuts nothing (tcp_send_loss_probe).
func TestTransferSummaryOutage(t *testing.T) {
	for _, prof := range []string{"rfc", "linux"} {
		s := summarize(t, "rto-backoff", RTOBackoff, prof)
		mss := uint32(s.MSS)
		if s.Timeouts < 3 || s.FirstRepair <= s.Loss.At || s.LastRetransmit < s.FirstRepair || s.Finish <= s.LastRetransmit {
			t.Errorf("%s: %d timeouts; first retransmission at %v, first delivered at %v, last at %v, finish %v; want at least 3, in that order",
				prof, s.Timeouts, s.Loss.At, s.FirstRepair, s.LastRetransmit, s.Finish)
		}
		// The story's link is down for outageLength from after the first data: the
		// first retransmission that gets through left after it came back.
		if d := s.FirstRepair.Sub(s.Start); d < outageLength {
			t.Errorf("%s: a retransmission got through %v after the first data, inside the outage", prof, d)
		}
		var want uint32
		if prof == "rfc" {
			want = max(s.Loss.SetFlight/2, 2*mss)
		} else {
			want = max(s.Loss.SetCwnd/mss*717/1024, 2) * mss
		}
		if s.Loss.Ssthresh != want || s.Loss.SetCwnd == 0 {
			t.Errorf("%s: ssthresh %d from cwnd %d flight %d, want %d", prof, s.Loss.Ssthresh, s.Loss.SetCwnd, s.Loss.SetFlight, want)
		}
		if prof == "linux" && (s.Loss.FoundBy != "probe" || s.Loss.SetCwnd == s.Loss.CwndBefore) {
			t.Errorf("linux: found by %q, threshold from cwnd %d (before the probe %d): want a probe first and the timeout's window",
				s.Loss.FoundBy, s.Loss.SetCwnd, s.Loss.CwndBefore)
		}
	}
}
