package tcp

import (
	"net/netip"
	"testing"
	"time"
)

// RFC 9293 §3.3.2 Figure 5, row by row, and the event processing of §3.10.

// CLOSED → LISTEN on a passive OPEN: nothing is sent.
func TestClosed_PassiveOpen_Listen(t *testing.T) {
	r := newRig(t, plainProfile())
	if _, err := r.h.Listen(ServerPort, 16); err != nil {
		t.Fatal(err)
	}
	r.expectNothing()
	if e := r.ev[len(r.ev)-1]; e.Kind != EventState || e.From != Closed || e.To != Listen {
		t.Fatalf("last event %+v, want CLOSED → LISTEN", e)
	}
}

// CLOSED → SYN-SENT on an active OPEN: <SEQ=ISS><CTL=SYN> (§3.10.1).
func TestClosed_ActiveOpen_SendsSYN(t *testing.T) {
	r := newRig(t, plainProfile())
	iss := r.active()
	r.state(SynSent)
	if r.c.SndUna() != iss || r.c.SndNxt() != iss+1 {
		t.Fatalf("SND.UNA %d SND.NXT %d, want ISS and ISS+1", r.c.SndUna(), r.c.SndNxt())
	}
}

// LISTEN → SYN-SENT on SEND with the foreign socket given (§3.10.2, LISTEN STATE): the
// TCB turns active, sends <SEQ=ISS><CTL=SYN> with SND.UNA = ISS and SND.NXT = ISS+1, and
// queues the data for after ESTABLISHED, where it leaves on the handshake's last ACK.
func TestListen_Send_SynSent(t *testing.T) {
	r := newRig(t, plainProfile())
	l, err := r.h.Listen(ServerPort, 16)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Send(netip.Addr{}, 0, nil); err != EDESTADDRREQ {
		t.Fatalf("SEND without a foreign socket: %v, want EDESTADDRREQ (foreign socket unspecified)", err)
	}
	c, err := l.Send(ClientAddr, ClientPort, []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	r.c = c
	segs := r.expect(want{flags: SYN, seq: c.ISS()})
	iss := segs[0].Seq
	r.state(SynSent)
	if !r.transitioned(Listen, SynSent) || r.h.Listener(ServerPort) != nil {
		t.Fatal("the listening TCB did not turn into SYN-SENT")
	}
	if c.SndUna() != iss || c.SndNxt() != iss+1 {
		t.Fatalf("SND.UNA %d SND.NXT %d, want ISS and ISS+1", c.SndUna(), c.SndNxt())
	}
	r.in(r.from(SYN|ACK, r.their, iss+1))
	r.expect(want{flags: PSH | ACK, seq: iss + 1, ack: r.their + 1, len: 5})
	r.state(Established)
}

// LISTEN → CLOSED on CLOSE: the listening TCB is deleted (§3.10.4, LISTEN STATE) and a
// SYN that arrives afterwards finds no socket: RST (§3.10.7.1).
func TestListen_Close_Closed(t *testing.T) {
	r := newRig(t, plainProfile())
	l, err := r.h.Listen(ServerPort, 16)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	r.expectNothing()
	if !r.transitioned(Listen, Closed) {
		t.Fatal("no LISTEN → CLOSED")
	}
	r.in(r.from(SYN, r.their, 0))
	r.expect(want{flags: RST | ACK, seq: 0, ack: r.their + 1})
	if _, err := l.Send(ClientAddr, ClientPort, nil); err != EBADF {
		t.Fatalf("SEND on a closed listener: %v, want EBADF", err)
	}
}

// LISTEN → SYN-RECEIVED: <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> (§3.10.7.2).
func TestListen_RcvSYN_SendsSynAck(t *testing.T) {
	r := newRig(t, plainProfile())
	r.passiveToSynReceived()
	r.state(SynReceived)
	if r.c.IRS() != r.their || r.c.RcvNxt() != r.their+1 {
		t.Fatalf("IRS %d RCV.NXT %d", r.c.IRS(), r.c.RcvNxt())
	}
}

// LISTEN: a RST is ignored, an ACK draws <SEQ=SEG.ACK><CTL=RST>, anything else is dropped.
func TestListen_RSTIgnored_ACKReset(t *testing.T) {
	r := newRig(t, plainProfile())
	r.h.Listen(ServerPort, 16)
	r.in(r.from(RST, 1, 0))
	r.expectNothing()
	r.in(r.from(ACK, 1, 777))
	r.expect(want{flags: RST, seq: 777})
	r.in(r.from(FIN, 1, 0))
	r.expectNothing()
}

// SYN-SENT → ESTABLISHED on SYN,ACK acking our SYN: send <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
func TestSynSent_RcvSynAck_SendsAck(t *testing.T) {
	r := newRig(t, plainProfile())
	iss := r.active()
	r.in(r.from(SYN|ACK, r.their, iss+1))
	r.expect(want{flags: ACK, seq: iss + 1, ack: r.their + 1})
	r.state(Established)
	if r.appResult("connect") != "ok" {
		t.Fatal("connect() did not complete")
	}
}

// SYN-SENT → SYN-RECEIVED on a bare SYN (simultaneous open, Figure 7): the SYN,ACK
// carries our original ISS; the peer's SYN,ACK then establishes the connection. The RFC
// sends nothing more; Linux (checked on a 6.18 kernel with testdata/packetdrill/
// simultaneous-open.pkt) acknowledges that SYN as a duplicate, with a D-SACK block.
func TestSynSent_RcvSYN_SimultaneousOpen(t *testing.T) {
	for _, prof := range []Profile{RFCProfile(), LinuxProfile()} {
		t.Run(prof.Name, func(t *testing.T) {
			r := newRig(t, prof)
			iss := r.active()
			syn := r.from(SYN, r.their, 0)
			syn.Options = Options{{Kind: OptMSS, MSS: 1460}, {Kind: OptSACKPermitted}}
			r.in(syn)
			r.expect(want{flags: SYN | ACK, seq: iss, ack: r.their + 1})
			r.state(SynReceived)
			r.in(r.from(SYN|ACK, r.their, iss+1))
			r.state(Established)
			if !prof.SimOpenACK {
				r.expectNothing()
				return
			}
			segs := r.expect(want{flags: ACK, seq: iss + 1, ack: r.their + 1})
			sack, ok := segs[0].Options.Find(OptSACK)
			if !ok || len(sack.Blocks) != 1 || sack.Blocks[0] != (SACKBlock{Left: r.their, Right: r.their + 1}) {
				t.Fatalf("want a D-SACK block for the duplicate SYN, options %s", segs[0].Options)
			}
		})
	}
}

// SYN-SENT → CLOSED on CLOSE: the TCB is deleted and nothing is sent; a late SYN,ACK then
// finds no socket and gets <SEQ=SEG.ACK><CTL=RST> (§3.10.4, §3.10.7.1).
func TestSynSent_Close_SendsNothing(t *testing.T) {
	r := newRig(t, LinuxProfile())
	iss := r.active()
	r.c.Close()
	r.expectNothing()
	r.state(Closed)
	r.in(r.from(SYN|ACK, r.their, iss+1))
	r.expect(want{flags: RST, seq: iss + 1})
}

// SYN-SENT: RST with an acceptable ACK → "connection reset", connect() = ECONNREFUSED.
func TestSynSent_RcvRSTWithAcceptableACK_Refused(t *testing.T) {
	r := newRig(t, plainProfile())
	iss := r.active()
	r.in(r.from(RST|ACK, 0, iss+1))
	r.expectNothing()
	r.state(Closed)
	if got := r.appResult("connect"); got != "ECONNREFUSED" {
		t.Fatalf("connect() = %s, want ECONNREFUSED", got)
	}
}

// SYN-SENT: a RST without ACK is dropped (§3.10.7.3, second check).
func TestSynSent_RcvRSTWithoutACK_Ignored(t *testing.T) {
	r := newRig(t, plainProfile())
	r.active()
	r.in(r.from(RST, 0, 0))
	r.expectNothing()
	r.state(SynSent)
}

// SYN-SENT: SEG.ACK =< ISS or > SND.NXT → <SEQ=SEG.ACK><CTL=RST> (§3.10.7.3, first check).
func TestSynSent_RcvBadACK_SendsRST(t *testing.T) {
	r := newRig(t, plainProfile())
	iss := r.active()
	r.in(r.from(SYN|ACK, r.their, iss+99))
	r.expect(want{flags: RST, seq: iss + 99})
	r.state(SynSent)
}

// SYN-RECEIVED → ESTABLISHED on an acceptable ACK.
func TestSynReceived_RcvACK_Established(t *testing.T) {
	r := newRig(t, plainProfile())
	r.established()
}

// SYN-RECEIVED: an unacceptable ACK draws <SEQ=SEG.ACK><CTL=RST>.
func TestSynReceived_RcvBadACK_SendsRST(t *testing.T) {
	r := newRig(t, plainProfile())
	iss := r.passiveToSynReceived()
	r.in(r.from(ACK, r.their+1, iss+50))
	r.expect(want{flags: RST, seq: iss + 50})
	r.state(SynReceived)
}

// SYN-RECEIVED → FIN-WAIT-1 on CLOSE: a FIN is sent (§3.10.4).
func TestSynReceived_Close_SendsFIN(t *testing.T) {
	r := newRig(t, plainProfile())
	iss := r.passiveToSynReceived()
	r.c.Close()
	r.expect(want{flags: FIN | ACK, seq: iss + 1, ack: r.their + 1})
	r.state(FinWait1)
}

// SYN-RECEIVED → LISTEN on RST when opened passively; the listener stays (§3.10.7.4).
func TestSynReceived_RcvRST_BackToListen(t *testing.T) {
	r := newRig(t, plainProfile())
	r.passiveToSynReceived()
	r.in(r.from(RST, r.their+1, 0))
	r.expectNothing()
	if !r.transitioned(SynReceived, Listen) {
		t.Fatal("want a SYN-RECEIVED → LISTEN state event")
	}
	if r.l.SynQueueLen() != 0 || r.h.Listener(ServerPort) == nil {
		t.Fatal("the half-open connection should be gone and the listener kept")
	}
}

// ESTABLISHED → FIN-WAIT-1 on CLOSE: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=FIN,ACK>.
func TestEstablished_Close_SendsFIN(t *testing.T) {
	r := newRig(t, plainProfile())
	iss := r.established()
	r.c.Close()
	r.expect(want{flags: FIN | ACK, seq: iss + 1, ack: r.their + 1})
	r.state(FinWait1)
}

// ESTABLISHED → CLOSE-WAIT on FIN: ACK it (RCV.NXT advanced over the FIN).
func TestEstablished_RcvFIN_CloseWait(t *testing.T) {
	r := newRig(t, plainProfile())
	iss := r.established()
	r.in(r.from(FIN|ACK, r.their+1, iss+1))
	r.expect(want{flags: ACK, seq: iss + 1, ack: r.their + 2})
	r.state(CloseWait)
}

// FIN-WAIT-1 → FIN-WAIT-2 when our FIN is acknowledged.
func TestFinWait1_RcvACKOfFIN_FinWait2(t *testing.T) {
	r := newRig(t, plainProfile())
	iss := r.established()
	r.c.Close()
	r.h.TakeOutput()
	r.in(r.from(ACK, r.their+1, iss+2))
	r.expectNothing()
	r.state(FinWait2)
}

// FIN-WAIT-1 → CLOSING on a FIN that does not ack ours (simultaneous close), then
// CLOSING → TIME-WAIT when our FIN is acknowledged.
func TestFinWait1_RcvFIN_Closing_ThenTimeWait(t *testing.T) {
	r := newRig(t, plainProfile())
	iss := r.established()
	r.c.Close()
	r.h.TakeOutput()
	r.in(r.from(FIN|ACK, r.their+1, iss+1))
	r.expect(want{flags: ACK, seq: iss + 2, ack: r.their + 2})
	r.state(Closing)
	r.in(r.from(ACK, r.their+2, iss+2))
	r.expectNothing()
	r.state(TimeWait)
}

// FIN-WAIT-1 → TIME-WAIT directly on a FIN that also acks our FIN.
func TestFinWait1_RcvFINAckingOurs_TimeWait(t *testing.T) {
	r := newRig(t, plainProfile())
	iss := r.established()
	r.c.Close()
	r.h.TakeOutput()
	r.in(r.from(FIN|ACK, r.their+1, iss+2))
	r.expect(want{flags: ACK, seq: iss + 2, ack: r.their + 2})
	r.state(TimeWait)
}

// FIN-WAIT-2 → TIME-WAIT on FIN; data still flows to FIN-WAIT-2 (half-close) first.
func TestFinWait2_RcvDataThenFIN_TimeWait(t *testing.T) {
	r := newRig(t, plainProfile())
	iss := r.established()
	r.c.Shutdown()
	r.h.TakeOutput()
	r.in(r.from(ACK, r.their+1, iss+2))
	r.state(FinWait2)
	r.in(r.from(ACK|PSH, r.their+1, iss+2, []byte("hello")...))
	r.expect(want{flags: ACK, seq: iss + 2, ack: r.their + 6})
	r.in(r.from(FIN|ACK, r.their+6, iss+2))
	r.expect(want{flags: ACK, seq: iss + 2, ack: r.their + 7})
	r.state(TimeWait)
	if b, _ := r.c.Read(100); string(b) != "hello" {
		t.Fatalf("read %q after the half-close, want hello", b)
	}
}

// CLOSE-WAIT → LAST-ACK on CLOSE; LAST-ACK → CLOSED on the ACK of our FIN.
func TestCloseWait_Close_LastAck_Closed(t *testing.T) {
	r := newRig(t, plainProfile())
	iss := r.established()
	r.in(r.from(FIN|ACK, r.their+1, iss+1))
	r.h.TakeOutput()
	r.c.Close()
	r.expect(want{flags: FIN | ACK, seq: iss + 1, ack: r.their + 2})
	r.state(LastAck)
	r.in(r.from(ACK, r.their+2, iss+2))
	r.state(Closed)
}

// TIME-WAIT → CLOSED after 2MSL: 60 s on Linux (TCP_TIMEWAIT_LEN), 4 min in the RFC.
func TestTimeWait_Expires(t *testing.T) {
	for _, tc := range []struct {
		prof Profile
		d    time.Duration
	}{{LinuxProfile(), 60 * time.Second}, {RFCProfile(), 4 * time.Minute}} {
		t.Run(tc.prof.Name, func(t *testing.T) {
			r := newRig(t, tc.prof)
			iss := r.established()
			r.c.Close()
			r.h.TakeOutput()
			r.in(r.from(FIN|ACK, r.their+1, iss+2))
			r.h.TakeOutput()
			r.state(TimeWait)
			r.advance(tc.d - time.Microsecond)
			r.state(TimeWait)
			r.advance(time.Microsecond)
			r.state(Closed)
		})
	}
}

// TIME-WAIT: a retransmitted FIN is acknowledged again and restarts the timer (§3.10.7.4
// eighth step; Linux tcp_timewait_state_process).
func TestTimeWait_RetransmittedFIN_ReACKedAndRestarted(t *testing.T) {
	r := newRig(t, LinuxProfile())
	iss := r.established()
	r.c.Close()
	r.h.TakeOutput()
	r.in(r.from(FIN|ACK, r.their+1, iss+2))
	r.h.TakeOutput()
	r.advance(30 * time.Second)
	r.in(r.from(FIN|ACK, r.their+1, iss+2))
	r.expect(want{flags: ACK, seq: iss + 2, ack: r.their + 2})
	r.advance(59 * time.Second) // 89 s after entering: still there, the timer restarted at 30 s
	r.state(TimeWait)
	r.advance(time.Second)
	r.state(Closed)
}

// A segment to no socket (§3.10.7.1): with ACK → <SEQ=SEG.ACK><CTL=RST>; without →
// <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; a RST gets nothing.
func TestClosedPort_ResetRules(t *testing.T) {
	r := newRig(t, plainProfile())
	r.in(r.from(SYN, 1000, 0))
	r.expect(want{flags: RST | ACK, seq: 0, ack: 1001})
	r.in(r.from(ACK|PSH, 1000, 4242, []byte("abc")...))
	r.expect(want{flags: RST, seq: 4242})
	r.in(r.from(FIN, 1000, 0, []byte("ab")...))
	r.expect(want{flags: RST | ACK, seq: 0, ack: 1003})
	r.in(r.from(RST, 1000, 0))
	r.expectNothing()
	r.in(r.from(RST|ACK, 1000, 5))
	r.expectNothing()
}

// RFC 5961 §3.2: a RST at RCV.NXT resets (ECONNRESET); one elsewhere in the window draws
// a challenge ACK and changes nothing.
func TestRFC5961_RST(t *testing.T) {
	r := newRig(t, plainProfile())
	iss := r.established()
	r.in(r.from(RST, r.their+100, 0))
	r.expect(want{flags: ACK, seq: iss + 1, ack: r.their + 1})
	r.state(Established)
	r.in(r.from(RST, r.their+1, 0))
	r.expectNothing()
	r.state(Closed)
	if r.c.Err != ECONNRESET {
		t.Fatalf("Err = %v, want ECONNRESET", r.c.Err)
	}
}

// RFC 5961 §4: a SYN on a synchronized connection draws a challenge ACK; Linux rate-limits
// them per socket (tcp_invalid_ratelimit, 500 ms).
func TestRFC5961_SYNChallengeAndRateLimit(t *testing.T) {
	r := newRig(t, LinuxProfile())
	iss := r.established()
	r.in(r.from(SYN, r.their+10, 0))
	segs := r.expect(want{flags: ACK, seq: iss + 1, ack: r.their + 1})
	_ = segs
	r.state(Established)
	r.advance(100 * time.Millisecond)
	r.in(r.from(SYN, r.their+20, 0))
	r.expectNothing()
	if !r.noted("challenge-ack-limited") {
		t.Fatal("the second challenge within 500 ms should be suppressed")
	}
	r.advance(500 * time.Millisecond)
	r.in(r.from(SYN, r.their+30, 0))
	r.expect(want{flags: ACK, seq: iss + 1, ack: r.their + 1})
}

// §3.10.7.4 fifth: a segment without ACK in a synchronized state is dropped.
func TestSynchronized_SegmentWithoutACK_Dropped(t *testing.T) {
	r := newRig(t, plainProfile())
	r.established()
	r.in(r.from(PSH, r.their+1, 0, []byte("x")...))
	r.expectNothing()
	if r.c.Buffered() != 0 {
		t.Fatal("data without ACK was accepted")
	}
}

// §3.10.7.4 first: an unacceptable segment draws <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
func TestSynchronized_Unacceptable_ACK(t *testing.T) {
	r := newRig(t, plainProfile())
	iss := r.established()
	r.in(r.from(ACK, r.their+1+200000, iss+1, []byte("far")...))
	r.expect(want{flags: ACK, seq: iss + 1, ack: r.their + 1})
}

// §3.10.7.4 fifth: an ACK of data never sent draws an ACK and the segment is dropped.
func TestEstablished_ACKOfUnsentData(t *testing.T) {
	r := newRig(t, plainProfile())
	iss := r.established()
	r.in(r.from(ACK|PSH, r.their+1, iss+500, []byte("data")...))
	r.expect(want{flags: ACK, seq: iss + 1, ack: r.their + 1})
	if r.c.Buffered() != 0 {
		t.Fatal("the segment's data was accepted")
	}
}

// ABORT (§3.10.5): <SEQ=SND.NXT><CTL=RST>; Linux sends RST,ACK (tcp_send_active_reset).
func TestAbort_SendsReset(t *testing.T) {
	for _, tc := range []struct {
		prof  Profile
		flags Flags
	}{{RFCProfile(), RST}, {LinuxProfile(), RST | ACK}} {
		t.Run(tc.prof.Name, func(t *testing.T) {
			r := newRig(t, tc.prof)
			iss := r.established()
			r.c.Abort()
			w := want{flags: tc.flags, seq: iss + 1}
			if tc.flags&ACK != 0 {
				w.ack = r.their + 1
			}
			r.expect(w)
			r.state(Closed)
		})
	}
}

// Linux: close() with unread data and close() with SO_LINGER {1, 0} send RST, not FIN.
func TestClose_UnreadDataOrLingerZero_Reset(t *testing.T) {
	r := newRig(t, LinuxProfile())
	iss := r.established()
	r.in(r.from(ACK|PSH, r.their+1, iss+1, []byte("unread")...))
	r.h.TakeOutput()
	r.c.Close()
	r.expect(want{flags: RST | ACK, seq: iss + 1, ack: r.their + 7})

	r2 := newRig(t, LinuxProfile())
	iss = r2.established()
	r2.c.SetLinger(true)
	r2.c.Close()
	r2.expect(want{flags: RST | ACK, seq: iss + 1, ack: r2.their + 1})
}

// An orphaned FIN-WAIT-2 (close()) ends after tcp_fin_timeout; one reached by shutdown()
// waits for the peer's FIN for ever.
func TestFinWait2_OrphanTimesOut_ShutdownDoesNot(t *testing.T) {
	for _, orphan := range []bool{true, false} {
		r := newRig(t, LinuxProfile())
		iss := r.established()
		if orphan {
			r.c.Close()
		} else {
			r.c.Shutdown()
		}
		r.h.TakeOutput()
		r.in(r.from(ACK, r.their+1, iss+2))
		r.state(FinWait2)
		r.advance(60 * time.Second)
		want := FinWait2
		if orphan {
			want = Closed
		}
		r.state(want)
	}
}
