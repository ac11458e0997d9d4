package tcp

import (
	"testing"
	"time"
)

// sackEstablished brings a passive connection to ESTABLISHED with a peer that offers SACK
// (RFC 2018 §2) and the given MSS, its ACK an RTT after our SYN-ACK. It returns our ISS.
func (r *rig) sackEstablished(mss uint16, rtt time.Duration, sack bool) Seq {
	r.t.Helper()
	l, err := r.h.Listen(ServerPort, 16)
	if err != nil {
		r.t.Fatal(err)
	}
	r.l = l
	syn := r.from(SYN, r.their, 0)
	syn.Options = Options{{Kind: OptMSS, MSS: mss}}
	if sack {
		syn.Options = append(syn.Options, Option{Kind: OptSACKPermitted})
	}
	r.in(syn)
	out := r.h.TakeOutput()
	if len(out) != 1 {
		r.t.Fatalf("SYN answered with %v", out)
	}
	iss := out[0].Seg.Seq
	r.c = r.h.Conn(Tuple{LocalAddr: ServerAddr, LocalPort: ServerPort, RemoteAddr: ClientAddr, RemotePort: ClientPort})
	r.advance(rtt)
	r.in(r.from(ACK, r.their+1, iss+1))
	r.expectNothing()
	r.state(Established)
	return iss
}

// sackFrom is an ACK of ack from the peer carrying SACK blocks, each given as segment
// numbers [first, last] of our data (1-based, mss bytes each, after iss).
func (r *rig) sackFrom(iss, ack Seq, mss int, blocks ...[2]int) Segment {
	s := r.from(ACK, r.their+1, ack)
	var bs []SACKBlock
	for _, b := range blocks {
		bs = append(bs, SACKBlock{Left: iss + 1 + Seq((b[0]-1)*mss), Right: iss + 1 + Seq(b[1]*mss)})
	}
	if len(bs) > 0 {
		s.Options = Options{{Kind: OptNOP}, {Kind: OptNOP}, {Kind: OptSACK, Blocks: bs}}
	}
	return s
}

// recoveryProfile is the linux profile with PSH only at the end of a write, so that
// these tests read the recovery's segments and not where a write's chunks end.
func recoveryProfile() Profile {
	p := LinuxProfile()
	p.SendBuffers = false
	return p
}

// segAt is the sequence number of our n-th data segment (1-based).
func segAt(iss Seq, mss, n int) Seq { return iss + 1 + Seq((n-1)*mss) }

func (r *rig) info(field string) int64 {
	r.t.Helper()
	v, ok := r.c.Info()[field]
	if !ok {
		r.t.Fatalf("tcp_info has no %s", field)
	}
	return v
}

func (r *rig) infoIs(field string, want int64) {
	r.t.Helper()
	if got := r.info(field); got != want {
		r.t.Errorf("tcpi_%s = %d, want %d", field, got, want)
	}
}

// TestFastRetransmitOnThirdSACK: RFC 5681 §3.2 and RFC 6675 §5: the third duplicate ACK
// (here each SACKs one more segment above the hole) retransmits the first unacknowledged
// segment at once; Linux enters Recovery with one segment lost and three SACKed
// (google/packetdrill fast_retransmit/fr-4pkt-sack.pkt passes on Linux 6.18).
func TestFastRetransmitOnThirdSACK(t *testing.T) {
	const mss = 1000
	r := newRig(t, recoveryProfile())
	iss := r.sackEstablished(mss, 100*time.Millisecond, true)
	if _, err := r.c.Send(make([]byte, 4*mss)); err != nil {
		t.Fatal(err)
	}
	if n := len(r.h.TakeOutput()); n != 4 {
		t.Fatalf("sent %d segments, want 4", n)
	}
	r.advance(100 * time.Millisecond)
	r.in(r.sackFrom(iss, iss+1, mss, [2]int{2, 2}))
	r.expectNothing()
	r.infoIs("ca_state", int64(CADisorder))
	r.in(r.sackFrom(iss, iss+1, mss, [2]int{2, 3}))
	r.expectNothing()
	r.in(r.sackFrom(iss, iss+1, mss, [2]int{2, 4}))
	r.expect(want{ACK, segAt(iss, mss, 1), r.their + 1, mss})
	r.infoIs("ca_state", int64(CARecovery))
	r.infoIs("sacked", 3)
	r.infoIs("lost", 1)
	r.infoIs("retrans", 1)
	// The ACK of everything ends recovery (RFC 6675 §5: RecoveryPoint reached).
	r.advance(100 * time.Millisecond)
	r.in(r.from(ACK, r.their+1, segAt(iss, mss, 5)))
	r.infoIs("ca_state", int64(CAOpen))
	r.infoIs("sacked", 0)
	r.infoIs("lost", 0)
	r.infoIs("retrans", 0)
}

// TestLimitedTransmit: RFC 3042 §2: each of the first two duplicate ACKs sends one new
// segment, though the window is full (google/packetdrill limited_transmit/
// limited-transmit-sack.pkt, which Linux 6.18 passes).
func TestLimitedTransmit(t *testing.T) {
	const mss = 1000
	for _, sack := range []bool{true, false} {
		r := newRig(t, recoveryProfile())
		iss := r.sackEstablished(mss, 100*time.Millisecond, sack)
		if _, err := r.c.Send(make([]byte, 15*mss)); err != nil {
			t.Fatal(err)
		}
		if n := len(r.h.TakeOutput()); n != 10 {
			t.Fatalf("sent %d segments, want the initial window of 10", n)
		}
		r.advance(110 * time.Millisecond)
		dup := func(n int) Segment {
			if sack {
				return r.sackFrom(iss, iss+1, mss, [2]int{2, 1 + n})
			}
			return r.from(ACK, r.their+1, iss+1)
		}
		r.in(dup(1))
		r.expect(want{ACK, segAt(iss, mss, 11), r.their + 1, mss})
		r.in(dup(2))
		r.expect(want{ACK, segAt(iss, mss, 12), r.their + 1, mss})
		r.infoIs("ca_state", int64(CADisorder))
	}
}

// TestRACKReorderTimer: with one segment SACKed far above seven unacknowledged ones, RACK
// waits the reordering window (min_rtt/4 = 25 ms) plus Linux's 2 ms before deeming them
// lost (RFC 8985 §6.2; google/packetdrill sack/sack-shift-sacked-7-3-4-8-9-fack.pkt
// retransmits at +27 ms with tcpi_lost 7 and tcpi_reordering 3 on Linux 6.18).
func TestRACKReorderTimer(t *testing.T) {
	const mss = 1000
	r := newRig(t, recoveryProfile())
	iss := r.sackEstablished(mss, 100*time.Millisecond, true)
	if _, err := r.c.Send(make([]byte, 10*mss)); err != nil {
		t.Fatal(err)
	}
	r.h.TakeOutput()
	r.advance(100 * time.Millisecond)
	r.in(r.sackFrom(iss, iss+1, mss, [2]int{8, 8}))
	r.expectNothing()
	r.advance(26 * time.Millisecond)
	r.expectNothing()
	r.advance(time.Millisecond)
	r.expect(want{ACK, segAt(iss, mss, 1), r.their + 1, mss})
	r.infoIs("ca_state", int64(CARecovery))
	r.infoIs("lost", 7)
	r.infoIs("reordering", 3)
	// A SACK below the highest one that was never resent is reordering: 8001 − 3001
	// is five segments (Linux tcp_check_sack_reordering).
	r.advance(2 * time.Millisecond)
	r.in(r.sackFrom(iss, iss+1, mss, [2]int{4, 4}, [2]int{8, 8}))
	r.expect(want{ACK, segAt(iss, mss, 2), r.their + 1, mss})
	r.infoIs("lost", 6)
	r.infoIs("reordering", 5)
}

// TestReorderingFromFilledHoles: an ACK that fills holes never resent below SACKed data
// measures the reordering from the lowest of them to the highest SACK, which is SND.UNA
// once the ACK covers the SACKed data too (Linux tcp_highest_sack_seq): ten segments,
// SACKs of the tenth and the fourth, then an ACK of all ten give tcpi_reordering 10
// and tcpi_reord_seen 2 (google/packetdrill
// cubic/cubic-rack-reo-timeout-retrans-failed-incoming-data.pkt on Linux 6.18).
func TestReorderingFromFilledHoles(t *testing.T) {
	const mss = 1000
	r := newRig(t, recoveryProfile())
	iss := r.sackEstablished(mss, 20*time.Millisecond, true)
	if _, err := r.c.Send(make([]byte, 10*mss)); err != nil {
		t.Fatal(err)
	}
	r.h.TakeOutput()
	r.advance(20 * time.Millisecond)
	r.in(r.sackFrom(iss, iss+1, mss, [2]int{10, 10}))
	r.in(r.sackFrom(iss, iss+1, mss, [2]int{4, 4}, [2]int{10, 10}))
	r.infoIs("sacked", 2)
	r.in(r.sackFrom(iss, iss+1+10*mss, mss))
	r.infoIs("sacked", 0)
	r.infoIs("reordering", 10)
	r.infoIs("reord_seen", 2)
}

// TestNewRenoPartialACK: without SACK the rfc profile runs NewReno (RFC 6582 §3.2): three
// duplicate ACKs retransmit the first segment and set cwnd to ssthresh; a partial ACK
// (below the recovery point) retransmits the next unacknowledged segment at once, and
// only an ACK of the recovery point ends recovery.
func TestNewRenoPartialACK(t *testing.T) {
	const mss = 1000
	p := plainProfile()
	p.InitialCwnd = 10
	r := newRig(t, p)
	iss := r.sackEstablished(mss, 100*time.Millisecond, false)
	if _, err := r.c.Send(make([]byte, 10*mss)); err != nil {
		t.Fatal(err)
	}
	r.h.TakeOutput()
	r.advance(100 * time.Millisecond)
	dup := r.from(ACK, r.their+1, iss+1)
	r.in(dup)
	r.in(dup)
	r.expectNothing() // no new data to send: limited transmit has nothing
	r.in(dup)
	r.expect(want{ACK, segAt(iss, mss, 1), r.their + 1, mss})
	r.infoIs("ca_state", int64(CARecovery))
	if r.c.cwnd != r.c.ssthresh {
		t.Errorf("cwnd %d after entering recovery, want ssthresh %d (RFC 6675 §5 step 4.2 without PRR)", r.c.cwnd, r.c.ssthresh)
	}
	// Segments 1-3 arrive, 4 was lost too: a partial ACK.
	r.advance(100 * time.Millisecond)
	r.in(r.from(ACK, r.their+1, segAt(iss, mss, 4)))
	r.expect(want{ACK, segAt(iss, mss, 4), r.their + 1, mss})
	r.infoIs("ca_state", int64(CARecovery))
	r.advance(100 * time.Millisecond)
	r.in(r.from(ACK, r.their+1, segAt(iss, mss, 11)))
	r.infoIs("ca_state", int64(CAOpen))
	// RFC 6582 §3.2 step 1: duplicates of the ACK of the recovery point start no new
	// fast retransmit; duplicates of a later ACK do.
	if _, err := r.c.Send(make([]byte, 6*mss)); err != nil {
		t.Fatal(err)
	}
	r.h.TakeOutput()
	r.advance(100 * time.Millisecond)
	for range 3 {
		r.in(r.from(ACK, r.their+1, segAt(iss, mss, 11)))
	}
	r.expectNothing()
	r.in(r.from(ACK, r.their+1, segAt(iss, mss, 12)))
	r.h.TakeOutput()
	for range 3 {
		r.in(r.from(ACK, r.their+1, segAt(iss, mss, 12)))
	}
	r.expect(want{ACK, segAt(iss, mss, 12), r.their + 1, mss})
}

// TestRTOResendsUnderTheScoreboard: a retransmission timeout deems every segment not
// SACKed lost and resends them in order as the window reopens, skipping SACKed ones
// (RFC 6675 §5.1; Linux tcp_enter_loss and tcp_timeout_mark_lost).
func TestRTOResendsUnderTheScoreboard(t *testing.T) {
	const mss = 1000
	p := plainProfile()
	p.InitialCwnd = 10
	r := newRig(t, p)
	iss := r.sackEstablished(mss, 100*time.Millisecond, true)
	if _, err := r.c.Send(make([]byte, 5*mss)); err != nil {
		t.Fatal(err)
	}
	r.h.TakeOutput()
	r.advance(100 * time.Millisecond)
	r.in(r.sackFrom(iss, iss+1, mss, [2]int{3, 3}))
	r.expectNothing()
	r.advance(r.c.rto)
	r.expect(want{ACK, segAt(iss, mss, 1), r.their + 1, mss})
	r.infoIs("ca_state", int64(CALoss))
	r.infoIs("lost", 4)
	r.advance(100 * time.Millisecond)
	r.in(r.sackFrom(iss, segAt(iss, mss, 2), mss, [2]int{3, 3}))
	// cwnd 2 after one ACK in slow start: segments 2 and 4, not the SACKed 3.
	r.expect(want{ACK, segAt(iss, mss, 2), r.their + 1, mss}, want{ACK, segAt(iss, mss, 4), r.their + 1, mss})
}

// TestReceiverSACKBlocks: RFC 2018 §4: the first block holds the segment that triggered
// the ACK, the others the most recently reported blocks; blocks merge when a hole
// between them fills; RCV.NXT passing a block removes it; no more blocks than fit (4, or
// 3 beside timestamps).
func TestReceiverSACKBlocks(t *testing.T) {
	const mss = 100
	r := newRig(t, LinuxProfile())
	iss := r.sackEstablished(1000, 100*time.Millisecond, true)
	base := r.their + 1
	seg := func(n int) Segment {
		return r.from(ACK|PSH, base+Seq((n-1)*mss), iss+1, make([]byte, mss)...)
	}
	blk := func(a, b int) SACKBlock {
		return SACKBlock{Left: base + Seq((a-1)*mss), Right: base + Seq(b*mss)}
	}
	check := func(step string, want ...SACKBlock) {
		t.Helper()
		out := r.h.TakeOutput()
		if len(out) != 1 {
			t.Fatalf("%s: sent %d segments, want one ACK", step, len(out))
		}
		o, ok := out[0].Seg.Options.Find(OptSACK)
		if len(want) == 0 {
			if ok {
				t.Fatalf("%s: SACK %v, want none", step, o.Blocks)
			}
			return
		}
		if !ok || len(o.Blocks) != len(want) {
			t.Fatalf("%s: SACK %v, want %v", step, o.Blocks, want)
		}
		for i := range want {
			if o.Blocks[i] != want[i] {
				t.Fatalf("%s: SACK %v, want %v", step, o.Blocks, want)
			}
		}
	}
	r.in(seg(2))
	check("2", blk(2, 2))
	r.in(seg(4))
	check("4", blk(4, 4), blk(2, 2))
	r.in(seg(6))
	check("6", blk(6, 6), blk(4, 4), blk(2, 2))
	r.in(seg(8))
	check("8", blk(8, 8), blk(6, 6), blk(4, 4), blk(2, 2))
	r.in(seg(10))
	check("10: the oldest block is forgotten", blk(10, 10), blk(8, 8), blk(6, 6), blk(4, 4))
	r.in(seg(5))
	check("5 joins 4 and 6", blk(4, 6), blk(10, 10), blk(8, 8))
	r.in(seg(1))
	check("1 fills the first hole", blk(4, 6), blk(10, 10), blk(8, 8))
	r.in(seg(3))
	check("3: RCV.NXT passes 4-6", blk(10, 10), blk(8, 8))
	r.in(seg(7))
	check("7", blk(10, 10))
	r.in(seg(9))
	check("9: in order again")
	if got := sackBlocksFor(true); got != 3 {
		t.Errorf("blocks beside timestamps = %d, want 3 (RFC 2018 §3)", got)
	}
	if got := sackBlocksFor(false); got != 4 {
		t.Errorf("blocks without timestamps = %d, want 4", got)
	}
}

// TestPRRProportionalPart: RFC 6937 §3.1 while pipe > ssthresh sends
// CEIL(prr_delivered · ssthresh / RecoverFS) − prr_out. Its example (§5, one loss in a
// window of 20, ssthresh 10): one segment every other ACK while pipe is above ssthresh,
// the first at once (the fast retransmit), so that when the window's ACKs run out
// ssthresh segments were sent and pipe is ssthresh.
func TestPRRProportionalPart(t *testing.T) {
	const ssthresh, recoverFS = 10, 20
	pipe, delivered, out := 19, 0, 0
	var sends []int
	for ack := 1; ack <= 19; ack++ {
		pipe--
		delivered++
		n := prrSndcnt(ssthresh, recoverFS, pipe, delivered, out, 1, false)
		sends = append(sends, n)
		out += n
		pipe += n
	}
	for i, n := range sends[:16] {
		if want := (i + 1) % 2; n != want {
			t.Fatalf("ACK %d sends %d, want %d (sends %v)", i+1, n, want, sends)
		}
	}
	if out != 10 || pipe != ssthresh {
		t.Errorf("after the window: %d sent, pipe %d; want 10 and ssthresh %d", out, pipe, ssthresh)
	}
}

// TestPRRReductionBound: once pipe is at or below ssthresh, PRR-SSRB (RFC 6937 §3.1) sends
// min(ssthresh − pipe, max(prr_delivered − prr_out, DeliveredData) + 1): at most one
// more than delivered, so a burst loss grows the flight as slow start would; Linux adds
// the one only when the ACK advanced SND.UNA without a new loss (tcp_cwnd_reduction).
func TestPRRReductionBound(t *testing.T) {
	for _, tc := range []struct {
		name                                            string
		ssthresh, pipe, prrDelivered, prrOut, delivered int
		bonus                                           bool
		want                                            int
	}{
		{"conservative without the bonus", 7, 3, 4, 4, 1, false, 1},
		{"slow start with it", 7, 3, 4, 4, 1, true, 2},
		{"catching up what was not sent", 7, 2, 6, 3, 1, true, 4},
		{"never above ssthresh", 7, 6, 6, 3, 2, true, 1},
		{"the fast retransmit goes out", 7, 7, 1, 0, 1, false, 1},
	} {
		if got := prrSndcnt(tc.ssthresh, 10, tc.pipe, tc.prrDelivered, tc.prrOut, tc.delivered, tc.bonus); got != tc.want {
			t.Errorf("%s: prrSndcnt = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestScoreboard: SACK blocks mark whole segments only, merge into ranges, and the pipe
// is packets out less SACKed and lost plus resent (RFC 6675 §4).
func TestScoreboard(t *testing.T) {
	var sb scoreboard
	for i := 0; i < 10; i++ {
		sb.add(Seq(1000+100*i), Seq(1100+100*i), Time(i))
	}
	var res sackResult
	sb.sack(1250, 1500, &res) // covers 1300-1400 and 1400-1500 wholly, 1200-1300 in part
	if res.newlySacked != 2 || sb.sackedOut != 2 {
		t.Fatalf("newly SACKed %d, sacked %d; want 2 and 2", res.newlySacked, sb.sackedOut)
	}
	res = sackResult{}
	sb.sack(1300, 1600, &res)
	if res.newlySacked != 1 || len(sb.sacked) != 1 || sb.sacked[0] != (SACKBlock{1300, 1600}) {
		t.Fatalf("newly SACKed %d, ranges %v; want 1 and [1300,1600)", res.newlySacked, sb.sacked)
	}
	sb.markLost(sb.index(1000))
	sb.markLost(sb.index(1100))
	if got := sb.pipe(); got != 10-3-2 {
		t.Fatalf("pipe %d, want 5", got)
	}
	if i := sb.nextLost(); i < 0 || sb.segs[i].start != 1000 {
		t.Fatalf("next lost %d, want the segment at 1000", i)
	}
	sb.retransmitted(sb.index(1000), 20)
	if i := sb.nextLost(); i < 0 || sb.segs[i].start != 1100 {
		t.Fatalf("next lost %d, want the segment at 1100", i)
	}
	if got := sb.pipe(); got != 6 {
		t.Fatalf("pipe %d after a resend, want 6", got)
	}
	var ack ackResult
	sb.ackTo(1450, &ack) // 1000-1400 wholly, 1400-1500 in part
	if ack.acked != 4 || sb.packetsOut() != 6 || sb.sackedOut != 2 || sb.lostOut != 0 || sb.retransOut != 0 {
		t.Fatalf("acked %d, out %d, sacked %d, lost %d, retrans %d", ack.acked, sb.packetsOut(), sb.sackedOut, sb.lostOut, sb.retransOut)
	}
	if sb.sacked[0].Left != 1450 {
		t.Errorf("SACKed ranges %v, want them trimmed at the ACK", sb.sacked)
	}
}

// TestTLPRepairedLoss: RFC 8985 §7.4.2: when the ACK goes past the probe's SND.NXT
// without a D-SACK of the probe, the probe repaired a loss and the window is reduced
// (Linux tcp_process_tlp_ack: ssthresh from the controller, cwnd = ssthresh); an ACK
// that only reaches it proves nothing yet.
func TestTLPRepairedLoss(t *testing.T) {
	const mss = 1000
	r := newRig(t, recoveryProfile())
	iss := r.sackEstablished(mss, 100*time.Millisecond, true)
	if _, err := r.c.Send(make([]byte, 2*mss)); err != nil {
		t.Fatal(err)
	}
	r.h.TakeOutput()
	// No ACK: the probe resends the last segment at 2·SRTT + 2 ms.
	r.advance(202 * time.Millisecond)
	r.expect(want{ACK | PSH, segAt(iss, mss, 2), r.their + 1, mss})
	r.advance(50 * time.Millisecond)
	r.in(r.from(ACK, r.their+1, segAt(iss, mss, 3)))
	if r.c.ssthresh != ssthreshInfinite {
		t.Fatalf("ssthresh %d after the ACK of the probe's SND.NXT, want it untouched", r.c.ssthresh)
	}
	if _, err := r.c.Send(make([]byte, mss)); err != nil {
		t.Fatal(err)
	}
	r.h.TakeOutput()
	r.advance(100 * time.Millisecond)
	cwnd := r.c.cwnd
	r.in(r.from(ACK, r.their+1, segAt(iss, mss, 4)))
	if r.c.ssthresh == ssthreshInfinite || r.c.cwnd != r.c.ssthresh || r.c.cwnd > cwnd {
		t.Errorf("after an ACK past the probe: ssthresh %d, cwnd %d (was %d); want cwnd = ssthresh, reduced", r.c.ssthresh, r.c.cwnd, cwnd)
	}
}

// TestRACKReoWndGrowsOnDSACK: RFC 8985 §6.2 step 4: a D-SACK (a retransmission was not
// needed) widens the reordering window by min_rtt/4, at most once a round trip, up to
// SRTT; after 16 recoveries without another it is back to min_rtt/4 (Linux
// tcp_rack_update_reo_wnd, TCP_RACK_RECOVERY_THRESH).
func TestRACKReoWndGrowsOnDSACK(t *testing.T) {
	r := newRig(t, recoveryProfile())
	r.sackEstablished(1000, 100*time.Millisecond, true)
	c := r.c
	c.reordSeen = 1
	c.rack.minRTT, c.srtt = 80*time.Millisecond, 100*time.Millisecond
	if got := c.rackReoWnd(); got != 20*time.Millisecond {
		t.Fatalf("reo_wnd %s, want min_rtt/4 = 20ms", got)
	}
	c.delivered = 10
	c.rack.dsackSeen = true
	c.rackUpdateReoWnd(9)
	if got := c.rackReoWnd(); got != 40*time.Millisecond {
		t.Fatalf("after a D-SACK reo_wnd %s, want 40ms", got)
	}
	c.rack.dsackSeen = true
	c.rackUpdateReoWnd(9) // within the same round trip: ignored
	if got := c.rackReoWnd(); got != 40*time.Millisecond {
		t.Fatalf("a second D-SACK within a round trip: reo_wnd %s, want 40ms still", got)
	}
	for range 4 {
		c.delivered += 10
		c.rack.dsackSeen = true
		c.rackUpdateReoWnd(c.delivered - 1)
	}
	if got := c.rackReoWnd(); got != 100*time.Millisecond {
		t.Fatalf("reo_wnd %s, want it capped at SRTT 100ms", got)
	}
	c.rack.reoPersist = 0
	c.rackUpdateReoWnd(c.delivered)
	if got := c.rackReoWnd(); got != 20*time.Millisecond {
		t.Fatalf("after the persistence ran out reo_wnd %s, want 20ms", got)
	}
}
