package tcp

import (
	"fmt"
	"testing"
	"time"
)

// cookieRig makes a listener with backlog 1 and cookies always on (tcp_syncookies=2).
func cookieRig(t *testing.T, ts bool) *rig {
	p := LinuxProfile()
	p.Syncookies = 2
	p.Timestamps = ts
	r := newRig(t, p)
	l, _ := r.h.Listen(ServerPort, 1)
	r.l = l
	return r
}

// The cookie ISN is hash1 + client ISN + (counter << 24) + ((hash2 + MSS index) & 0xFFFFFF)
// (net/ipv4/syncookies.c); the trace's fields must add up to the SYN-ACK's sequence number,
// and the MSS index must be the largest of {536, 1300, 1440, 1460} not above the SYN's MSS.
func TestCookieFieldsAddUp(t *testing.T) {
	for _, tc := range []struct {
		mss   uint16
		index uint8
	}{{1460, 3}, {1452, 2}, {1300, 1}, {1299, 0}, {536, 0}} {
		r := cookieRig(t, true)
		syn := r.from(SYN, r.their, 0)
		syn.Options = Options{{Kind: OptMSS, MSS: tc.mss}}
		r.in(syn)
		out := r.h.TakeOutput()
		ck := out[0].Cookie
		if ck == nil {
			t.Fatal("no cookie on the SYN-ACK")
		}
		sum := ck.Hash1 + uint32(ck.ClientISN) + ck.Counter<<24 + ((ck.Hash2 + uint32(ck.MSSIndex)) & 0xFFFFFF)
		// The counter field keeps the top byte only; the full counter's upper bits shift out.
		if Seq(sum) != out[0].Seg.Seq || ck.ISN != out[0].Seg.Seq || ck.ClientISN != r.their {
			t.Fatalf("mss %d: fields sum to %d, SYN-ACK seq %d", tc.mss, sum, out[0].Seg.Seq)
		}
		if ck.MSSIndex != tc.index || ck.MSS != CookieMSSTable[tc.index] {
			t.Fatalf("mss %d: index %d (%d), want %d", tc.mss, ck.MSSIndex, ck.MSS, tc.index)
		}
	}
}

// A valid cookie in the third segment rebuilds an ESTABLISHED connection with the encoded
// MSS; with timestamps the SYN-ACK's TSval low 6 bits carry wscale and SACK and they come
// back in the ACK's TS ecr.
func TestCookieACKRebuildsTheConnection(t *testing.T) {
	r := cookieRig(t, true)
	syn := r.from(SYN, r.their, 0)
	syn.Options = Options{{Kind: OptMSS, MSS: 1460}, {Kind: OptSACKPermitted}, {Kind: OptTimestamps, TSVal: 77}, {Kind: OptNOP}, {Kind: OptWindowScale, Shift: 9}}
	r.in(syn)
	sa := r.h.TakeOutput()[0].Seg
	ts, _ := sa.Options.Find(OptTimestamps)
	if bits := ts.TSVal & 0x3F; bits != 9|1<<4 {
		t.Fatalf("TSval low bits %#x, want wscale 9 | SACK", bits)
	}
	if r.h.Conns() != nil && len(r.h.Conns()) != 0 {
		t.Fatal("a cookie SYN-ACK must keep no state")
	}
	ack := r.from(ACK, r.their+1, sa.Seq+1)
	ack.Options = Options{{Kind: OptNOP}, {Kind: OptNOP}, {Kind: OptTimestamps, TSVal: 78, TSEcr: ts.TSVal}}
	r.in(ack)
	r.expectNothing()
	c := r.h.Conn(ack.Tuple())
	if c == nil || c.State() != Established {
		t.Fatal("the cookie ACK did not establish a connection")
	}
	mss, ws, shift, sack, tsOK := c.mss, c.wsOK, c.sndShift, c.sackOK, c.tsOK
	// The cookie carried MSS 1460; with timestamps on, 12 bytes of every segment go to the
	// option, so 1448 bytes of data fit (RFC 9293 §3.7.1).
	if mss != 1448 || !ws || shift != 9 || !sack || !tsOK {
		t.Fatalf("rebuilt options mss %d ws %v shift %d sack %v ts %v", mss, ws, shift, sack, tsOK)
	}
}

// Without timestamps the cookie cannot remember window scaling or SACK: the SYN-ACK
// offers neither and the connection goes on without them.
func TestCookieWithoutTimestampsLosesWscaleAndSACK(t *testing.T) {
	r := cookieRig(t, false)
	syn := r.from(SYN, r.their, 0)
	syn.Options = Options{{Kind: OptMSS, MSS: 1460}, {Kind: OptNOP}, {Kind: OptNOP}, {Kind: OptSACKPermitted}, {Kind: OptNOP}, {Kind: OptWindowScale, Shift: 7}}
	r.in(syn)
	sa := r.h.TakeOutput()[0].Seg
	if kinds(sa.Options) != "mss" {
		t.Fatalf("cookie SYN-ACK options %s, want mss only", kinds(sa.Options))
	}
	r.in(r.from(ACK, r.their+1, sa.Seq+1))
	c := r.h.Conn(syn.Tuple())
	ws, sack := c.wsOK, c.sackOK
	if c.State() != Established || ws || sack {
		t.Fatalf("state %s ws %v sack %v", c.State(), ws, sack)
	}
}

// A forged cookie, or one more than two counter periods old, is answered with RST.
func TestCookieForgedOrStaleIsReset(t *testing.T) {
	r := cookieRig(t, false)
	r.in(r.from(ACK, r.their+1, 123456))
	r.expect(want{flags: RST, seq: 123456})

	r = cookieRig(t, false)
	r.in(r.from(SYN, r.their, 0))
	sa := r.h.TakeOutput()[0].Seg
	r.advance(3 * time.Minute)
	r.in(r.from(ACK, r.their+1, sa.Seq+1))
	r.expect(want{flags: RST, seq: sa.Seq + 1})
}

// With tcp_syncookies=1, cookies start only once the SYN queue holds more than the
// backlog (backlog + 1 requests: Linux 6.18's inet_csk_reqsk_queue_is_full, checked on
// the kernel by testdata/packetdrill/syn-queue-backlog-plus-one.pkt and
// syncookies-when-queue-full.pkt); with 0 the SYN is dropped instead.
func TestQueueLimits(t *testing.T) {
	for _, tc := range []struct {
		cookies int
		cookie  bool
	}{{1, true}, {0, false}} {
		p := LinuxProfile()
		p.Syncookies = tc.cookies
		r := newRig(t, p)
		r.h.Listen(ServerPort, 2)
		for i := 0; i < 4; i++ {
			s := r.from(SYN, r.their, 0)
			s.SrcPort = uint16(41000 + i)
			r.in(s)
		}
		out := r.h.TakeOutput()
		gotCookie := len(out) == 4 && out[3].Cookie != nil
		if len(out) < 3 || out[0].Cookie != nil || out[1].Cookie != nil || out[2].Cookie != nil ||
			gotCookie != tc.cookie || (!tc.cookie && len(out) != 3) {
			t.Fatalf("syncookies=%d: %d SYN-ACKs, fourth a cookie: %v", tc.cookies, len(out), gotCookie)
		}
	}
}

// A flooded SYN queue prunes its old requests as Linux 6.18's reqsk_timer_handler does:
// with listen(fd, 8) nine requests wait; each gets SYN-ACKs at 0, 1 and 3 s, and at 7 s
// the queue is more than half full with no young request, so the first five are dropped
// (qlen 9 down to 5) while the last four keep tcp_synack_retries: SYN-ACKs at 0, 1, 3,
// 7, 15 and 31 s. The same numbers were measured on 6.18.44
// (testdata/packetdrill/syn-flood-pruning.pkt, LINUX-FACTS).
func TestSynQueuePruning(t *testing.T) {
	p := LinuxProfile()
	p.Syncookies = 0
	r := newRig(t, p)
	r.h.Listen(ServerPort, 8)
	sent := map[uint16][]time.Duration{}
	start := r.now
	take := func() {
		for _, o := range r.h.TakeOutput() {
			if o.Seg.Flags == SYN|ACK {
				sent[o.Seg.DstPort] = append(sent[o.Seg.DstPort], r.now.Sub(start))
			}
		}
	}
	for i := 0; i < 10; i++ {
		s := r.from(SYN, r.their, 0)
		s.SrcPort = uint16(41000 + i)
		r.in(s)
		take()
		r.advance(10 * time.Millisecond)
	}
	if len(sent) != 9 {
		t.Fatalf("%d SYNs answered, want 9 (backlog 8 + 1)", len(sent))
	}
	for range 64 * 100 { // 10 ms steps: each SYN-ACK is timed to the step it leaves in
		r.advance(10 * time.Millisecond)
		take()
	}
	for i := 0; i < 9; i++ {
		port := uint16(41000 + i)
		var want []time.Duration
		for _, at := range []time.Duration{0, 1, 3, 7, 15, 31} {
			if i < 5 && at > 3 {
				break
			}
			want = append(want, at*time.Second+time.Duration(i)*10*time.Millisecond)
		}
		got := sent[port]
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("request %d: SYN-ACKs at %v, want %v", i, got, want)
		}
	}
	if n := r.h.Listener(ServerPort).SynQueueLen(); n != 0 {
		t.Errorf("SYN queue holds %d after 64 s, want 0", n)
	}
}
