package engine

import (
	"testing"
	"time"

	"synack/engine/tcp"
)

func runStory(t *testing.T, st Story, profile string) *Trace {
	t.Helper()
	tr, err := st.Run("story", Params{Profile: profile})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// serverData returns the server's segments that carry data.
func serverData(tr *Trace) []*tcp.SegmentEvent {
	var out []*tcp.SegmentEvent
	for _, s := range tr.Segments() {
		if s.Src == "server" && len(s.Seg.Payload) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// sentAt returns when each segment event was sent, by ID.
func sentAt(tr *Trace) map[int]tcp.Time {
	m := map[int]tcp.Time{}
	for _, e := range tr.All() {
		if e.Kind == tcp.EventSegment {
			m[e.Segment.ID] = e.At
		}
	}
	return m
}

func TestBulkTransferLosesNothing(t *testing.T) {
	for _, prof := range []string{"linux", "rfc"} {
		t.Run(prof, func(t *testing.T) {
			tr := runStory(t, BulkTransfer, prof)
			var bytes int
			for _, s := range serverData(tr) {
				if s.Fate != tcp.Delivered || s.Retransmit {
					t.Fatalf("segment %d: %s, retransmit %v; the story has no loss", s.ID, s.Fate, s.Retransmit)
				}
				bytes += len(s.Seg.Payload)
			}
			if bytes != bulkSegments*storyMSS {
				t.Errorf("the server sent %d bytes, want %d", bytes, bulkSegments*storyMSS)
			}
		})
	}
}

// RFC 6298 §5.5: each expiry of the retransmission timer doubles it; during the outage
// every retransmission of the first lost segment is lost too, so they are sent at
// intervals that double.
func TestRTOBackoffDoubles(t *testing.T) {
	for _, prof := range []string{"linux", "rfc"} {
		t.Run(prof, func(t *testing.T) {
			tr := runStory(t, RTOBackoff, prof)
			at := sentAt(tr)
			var first *tcp.SegmentEvent
			var times []tcp.Time
			for _, s := range serverData(tr) {
				if s.Fate == tcp.Dropped && first == nil {
					first = s
					times = append(times, at[s.ID])
				} else if first != nil && s.Retransmit && s.Seg.Seq == first.Seg.Seq {
					times = append(times, at[s.ID])
				}
			}
			if len(times) < 4 {
				t.Fatalf("the first lost segment was sent %d times, want at least 4 (five seconds of outage)", len(times))
			}
			for i := 3; i < len(times); i++ {
				a, b := times[i-1].Sub(times[i-2]), times[i].Sub(times[i-1])
				if d := b - 2*a; d < -time.Millisecond || d > time.Millisecond {
					t.Errorf("retransmission %d came %s after the one before, want twice %s", i, b, a)
				}
			}
		})
	}
}

// Linux probes a lost tail with a copy of the last segment after the probe timeout
// (2·SRTT, RFC 8985 §7.2), long before the RTO; the RFC profile has no probe and waits
// for the RTO (at least 1 s, RFC 6298 §2.4).
func TestTailLossProbe(t *testing.T) {
	for _, tc := range []struct {
		prof     string
		min, max time.Duration
	}{{"linux", 150 * ms, 450 * ms}, {"rfc", time.Second, 3 * time.Second}} {
		t.Run(tc.prof, func(t *testing.T) {
			tr := runStory(t, TailLossProbe, tc.prof)
			at := sentAt(tr)
			data := serverData(tr)
			var lost, again *tcp.SegmentEvent
			for _, s := range data {
				if s.Fate == tcp.Dropped {
					lost = s
				} else if lost != nil && s.Retransmit && s.Seg.End() == lost.Seg.End() {
					again = s
					break
				}
			}
			if lost == nil || again == nil {
				t.Fatalf("want a lost last segment and a retransmission of it; lost %v, again %v", lost, again)
			}
			if wait := at[again.ID].Sub(at[lost.ID]); wait < tc.min || wait > tc.max {
				t.Errorf("the tail was sent again %s after it was lost, want %s to %s", wait, tc.min, tc.max)
			}
		})
	}
}

// The client's read reopens its window at once (Linux tcp_cleanup_rbuf, checked against
// the kernel): the window update leaves at the read's instant, and the server's data
// follows one-way delay later. Until then the server probes the zero window at
// intervals that double.
func TestZeroWindowReopensOnRead(t *testing.T) {
	for _, prof := range []string{"linux", "rfc"} {
		t.Run(prof, func(t *testing.T) {
			tr := runStory(t, ZeroWindow, prof)
			var readAt tcp.Time
			var closed bool
			var update *tcp.SegmentEvent
			var updateAt tcp.Time
			for _, e := range tr.All() {
				switch {
				case e.Kind == tcp.EventSegment && e.Segment.Src == "client" && e.Segment.Seg.Window == 0:
					closed = true
				case e.Kind == tcp.EventApp && e.Endpoint == "client" && e.Call == "read" && readAt == 0:
					readAt = e.At
				case e.Kind == tcp.EventSegment && readAt != 0 && update == nil && e.Segment.Src == "client":
					update, updateAt = e.Segment, e.At
				}
			}
			if !closed {
				t.Fatal("the client never advertised a zero window")
			}
			if update == nil || updateAt != readAt || update.Seg.Window == 0 {
				t.Fatalf("after the read at %s: segment %+v at %s, want a window update at the read", readAt, update, updateAt)
			}
		})
	}
}

// The second piece of the request waits for the ACK of the first (Nagle, RFC 896), and
// the server holds that ACK for its delayed-ACK timeout: 40 ms on Linux
// (TCP_DELACK_MIN), 200 ms in the RFC profile (RFC 1122 §4.2.3.2 allows up to 500 ms).
func TestNagleWaitsForTheDelayedACK(t *testing.T) {
	for _, tc := range []struct {
		prof  string
		delay time.Duration
	}{{"linux", 40 * ms}, {"rfc", 200 * ms}} {
		t.Run(tc.prof, func(t *testing.T) {
			tr := runStory(t, NagleDelayedACK, tc.prof)
			at := sentAt(tr)
			var small, second *tcp.SegmentEvent
			for _, s := range tr.Segments() {
				if s.Src == "client" && len(s.Seg.Payload) == nagleFirst {
					small = s
				}
				if small != nil && s.Src == "client" && len(s.Seg.Payload) == requestBytes-nagleFirst {
					second = s
				}
			}
			if small == nil || second == nil {
				t.Fatal("the second request was not sent in two pieces")
			}
			rtt := tr.Meta.RTT
			if rtt == 0 {
				rtt = 100 * ms
			}
			if got, want := at[second.ID].Sub(at[small.ID]), rtt+tc.delay; got != want {
				t.Errorf("the second piece left %s after the first, want one RTT and the delayed ACK, %s", got, want)
			}
		})
	}
}

// RFC 6675 §5 (NextSeg rule 1 via HighRxt) and Linux alike resend the one lost segment
// once per recovery while its retransmission is in flight: the duplicate ACKs that keep
// arriving until it is acknowledged do not send it again.
func TestSackRecoveryResendsTheLostSegmentOnce(t *testing.T) {
	for _, prof := range []string{"linux", "rfc"} {
		t.Run(prof, func(t *testing.T) {
			tr := runStory(t, SACKRecovery, prof)
			resent := map[tcp.Seq]int{}
			for _, s := range serverData(tr) {
				if s.Retransmit {
					resent[s.Seg.Seq]++
				}
			}
			if len(resent) != 1 {
				t.Fatalf("%d distinct ranges resent, want the one lost segment: %v", len(resent), resent)
			}
			for seq, n := range resent {
				if n != 1 {
					t.Errorf("seq %d resent %d times, want once", seq, n)
				}
			}
		})
	}
}
