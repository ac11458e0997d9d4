package engine

import (
	"bytes"
	"testing"
	"time"

	"synack/engine/tcp"
)

// fastOpenVisit is what the trace of the tcp-fast-open story shows of one of the
// client's two connections.
type fastOpenVisit struct {
	port           uint16            // the client's port
	syn, synAck    *tcp.SegmentEvent // the client's SYN and the server's answer (copies)
	connect        tcp.Time          // when the client called connect()
	firstByte      tcp.Time          // when the first byte of the answer reached the client
	serverRead     int               // the index of the server's read() of the request
	serverReadSize int
}

// fastOpenVisits reads the two connections of a tcp-fast-open trace.
func fastOpenVisits(t *testing.T, tr *Trace) [2]fastOpenVisit {
	t.Helper()
	var v [2]fastOpenVisit
	n := -1 // the visit under way: the client's last connect()
	for i, e := range tr.All() {
		switch {
		case e.Kind == tcp.EventApp && e.Endpoint == "client" && e.Call == "connect" && e.Result == "pending":
			n++
			if n > 1 {
				t.Fatalf("a third connect() at %v", e.At)
			}
			v[n].connect, v[n].serverRead = e.At, -1
		case n < 0:
		case e.Kind == tcp.EventSegment && e.Segment.Src == "client" && e.Segment.Seg.Flags == tcp.SYN:
			// From an RTT of 1 s the SYN is sent again (a plain SYN) before the
			// SYN-ACK comes: the first one is the one that tells.
			if v[n].syn == nil {
				se := *e.Segment // a copy: the event's storage is the next event's
				v[n].syn, v[n].port = &se, e.Segment.Seg.SrcPort
			}
		case e.Kind == tcp.EventSegment && e.Segment.Src == "server" && e.Segment.Seg.DstPort == v[n].port:
			g := e.Segment.Seg
			if g.Flags == tcp.SYN|tcp.ACK && v[n].synAck == nil {
				se := *e.Segment
				v[n].synAck = &se
			}
			if len(g.Payload) > 0 && v[n].firstByte == 0 {
				v[n].firstByte = e.Segment.Arrive
			}
		case e.Kind == tcp.EventApp && e.Endpoint == "server" && e.Call == "read" && e.Bytes > 0 && v[n].serverRead < 0:
			v[n].serverRead, v[n].serverReadSize = i, e.Bytes
		}
	}
	if n != 1 {
		t.Fatalf("%d connect() calls, want 2", n+1)
	}
	for i := range v {
		if v[i].syn == nil || v[i].synAck == nil || v[i].firstByte == 0 || v[i].serverRead < 0 {
			t.Fatalf("visit %d incomplete: %+v", i+1, v[i])
		}
	}
	if v[0].port == v[1].port {
		t.Fatalf("both visits from port %d; the first one's 4-tuple is in TIME-WAIT", v[0].port)
	}
	return v
}

// slack is the few microseconds the link puts between segments sent at one instant.
const slack = 10 * time.Microsecond

func fastOpenOption(s tcp.Segment) (tcp.Option, bool) {
	for _, o := range s.Options {
		if o.IsFastOpen() {
			return o, true
		}
	}
	return tcp.Option{}, false
}

// serverStateAt returns the state of the server's last state change before event i.
func serverStateAt(tr *Trace, i int) tcp.State {
	var st tcp.State
	for j, e := range tr.All() {
		if j >= i {
			break
		}
		if e.Kind == tcp.EventState && e.Endpoint == "server" {
			st = e.To
		}
	}
	return st
}

// The tcp-fast-open story does what RFC 7413 describes and Linux does, at every RTT.
// First visit: the SYN asks for a cookie (RFC 7413 §4.1.1: the option with no cookie) and
// carries no data; the SYN-ACK brings a cookie, 8 bytes from Linux
// (TCP_FASTOPEN_COOKIE_SIZE). Second visit: the SYN brings that cookie back with the
// request (§3, §4.2.1), the SYN-ACK acknowledges the data (ISN + 1 + its length, §4.2.2),
// and the server's application reads the request while its side is still in
// SYN-RECEIVED (Linux tcp_fastopen_create_child). So the answer's first byte reaches the
// client one round trip after connect() instead of two: one RTT earlier.
func TestTCPFastOpenStory(t *testing.T) {
	for _, rtt := range []time.Duration{MinRTT, 10 * ms, 100 * ms, 450 * ms, time.Second, MaxRTT} {
		p := Params{Profile: "linux", Seed: 1, RTT: rtt}
		tr, err := TCPFastOpen.Run("tcp-fast-open", p)
		if err != nil {
			t.Fatal(err)
		}
		v := fastOpenVisits(t, tr)
		first, second := v[0], v[1]

		o, ok := fastOpenOption(first.syn.Seg)
		if !ok || len(o.Cookie) != 0 || o.Kind != tcp.OptFastOpen || len(first.syn.Seg.Payload) != 0 {
			t.Errorf("rtt %v: first SYN options %s, %d bytes; want an empty FO option and no data", rtt, first.syn.Seg.Options, len(first.syn.Seg.Payload))
		}
		o, ok = fastOpenOption(first.synAck.Seg)
		if !ok || len(o.Cookie) != tcp.FastOpenCookieSize || tcp.FastOpenCookieSize != 8 {
			t.Fatalf("rtt %v: first SYN-ACK options %s; want an FO cookie of 8 bytes", rtt, first.synAck.Seg.Options)
		}
		cookie := o.Cookie

		syn := second.syn.Seg
		o, ok = fastOpenOption(syn)
		if !ok || !bytes.Equal(o.Cookie, cookie) {
			t.Errorf("rtt %v: second SYN options %s; want the cookie %x", rtt, syn.Options, cookie)
		}
		if len(syn.Payload) == 0 || second.serverReadSize != len(syn.Payload) {
			t.Errorf("rtt %v: second SYN carries %d bytes, the server reads %d; want the request in the SYN, read whole", rtt, len(syn.Payload), second.serverReadSize)
		}
		if want := syn.Seq.Add(1 + uint32(len(syn.Payload))); second.synAck.Seg.Ack != want {
			t.Errorf("rtt %v: second SYN-ACK acks %d, want ISN+1+%d = %d", rtt, second.synAck.Seg.Ack, len(syn.Payload), want)
		}
		if _, ok := fastOpenOption(second.synAck.Seg); ok {
			t.Errorf("rtt %v: second SYN-ACK %s carries a cookie; a valid one is not sent again", rtt, second.synAck.Seg.Options)
		}

		if st := serverStateAt(tr, first.serverRead); st != tcp.Established {
			t.Errorf("rtt %v: first visit: the server reads in %s, want ESTABLISHED (data waits for the handshake)", rtt, st)
		}
		if st := serverStateAt(tr, second.serverRead); st != tcp.SynReceived {
			t.Errorf("rtt %v: second visit: the server reads in %s, want SYN-RECEIVED (before the handshake's last ACK)", rtt, st)
		}

		// The link keeps segments sent at one instant in order, a microsecond apart:
		// a few microseconds either way are that spacing, not a round trip.
		d1, d2 := first.firstByte.Sub(first.connect), second.firstByte.Sub(second.connect)
		if diff := d1 - d2 - rtt; diff < -slack || diff > slack {
			t.Errorf("rtt %v: the answer's first byte %v after connect() the first time, %v the second; want one RTT earlier", rtt, d1, d2)
		}
		if d2 < rtt || d2 > rtt+slack {
			t.Errorf("rtt %v: with Fast Open the answer's first byte comes %v after connect(), want one RTT", rtt, d2)
		}
	}
}

// The rfc profile keeps Fast Open off (RFC 7413 is Experimental, no part of RFC 9293):
// two plain handshakes, no Fast Open option and no data on any SYN, a note saying why, and
// the answer two round trips after connect() both times.
func TestTCPFastOpenStoryRFCProfile(t *testing.T) {
	for _, rtt := range []time.Duration{MinRTT, 100 * ms, MaxRTT} {
		tr, err := TCPFastOpen.Run("tcp-fast-open", Params{Profile: "rfc", Seed: 1, RTT: rtt})
		if err != nil {
			t.Fatal(err)
		}
		v := fastOpenVisits(t, tr)
		for _, e := range tr.All() {
			if e.Kind != tcp.EventSegment {
				continue
			}
			if _, ok := fastOpenOption(e.Segment.Seg); ok {
				t.Errorf("rtt %v: segment %d carries a Fast Open option", rtt, e.Segment.ID)
			}
			if e.Segment.Seg.Flags&tcp.SYN != 0 && len(e.Segment.Seg.Payload) > 0 {
				t.Errorf("rtt %v: SYN %d carries data", rtt, e.Segment.ID)
			}
		}
		notes := 0
		for _, e := range tr.All() {
			if e.Kind == tcp.EventNote && e.Note == "fast-open-off" {
				notes++
			}
		}
		if notes != 1 {
			t.Errorf("rtt %v: %d fast-open-off notes, want 1", rtt, notes)
		}
		for i, x := range v {
			if st := serverStateAt(tr, x.serverRead); st != tcp.Established {
				t.Errorf("rtt %v: visit %d: the server reads in %s, want ESTABLISHED", rtt, i+1, st)
			}
			if d := x.firstByte.Sub(x.connect); d < 2*rtt || d > 2*rtt+slack {
				t.Errorf("rtt %v: visit %d: the answer comes %v after connect(), want two RTTs", rtt, i+1, d)
			}
		}
	}
}
