package tcp

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"net/netip"
	"testing"
)

// Linux's cookie for 192.0.2.1 (client) at 192.168.0.1 (server) under packetdrill's
// default key is 3021b9d889017eeb: the value packetdrill's test runner defines as
// TFO_COOKIE for those addresses, which the kernel's SYN-ACK carries.
func TestFastOpenCookieLikeLinux(t *testing.T) {
	k, err := ParseFastOpenKey("a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4")
	if err != nil {
		t.Fatal(err)
	}
	got := FastOpenCookie(k, netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.168.0.1"))
	if hex.EncodeToString(got) != "3021b9d889017eeb" {
		t.Fatalf("cookie = %x, want 3021b9d889017eeb", got)
	}
	// /proc shows a backup key after a comma; only the primary key makes cookies.
	k2, err := ParseFastOpenKey("a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4,00000000-00000000-00000000-00000001\n")
	if err != nil || k2 != k {
		t.Fatalf("with a backup key: %x, %v", k2, err)
	}
	for _, bad := range []string{"", "a1a1a1a1-b2b2b2b2-c3c3c3c3", "xyz-0-0-0", "123456789-0-0-0"} {
		if _, err := ParseFastOpenKey(bad); err == nil {
			t.Errorf("ParseFastOpenKey(%q) accepted", bad)
		}
	}
}

func fastOpenProfile(bits int) Profile {
	p := LinuxProfile()
	p.FastOpen = bits
	return p
}

func (r *rig) fastOpenSyn(cookie []byte, payload ...byte) Segment {
	s := r.from(SYN, r.their, 0, payload...)
	s.Options = Options{{Kind: OptMSS, MSS: 1460}, {Kind: OptFastOpen, Cookie: cookie}, {Kind: OptNOP}, {Kind: OptNOP}}
	return s
}

// expectOpening takes one SYN or SYN-ACK whose sequence number (an ISN) is not known
// in advance, and checks the rest.
func (r *rig) expectOpening(flags Flags, ack Seq, n int) Segment {
	r.t.Helper()
	out := r.h.TakeOutput()
	if len(out) != 1 {
		r.t.Fatalf("host sent %d segments, want one %s", len(out), flags)
	}
	s := out[0].Seg
	got := s.Ack
	if s.Flags&ACK == 0 {
		got = 0
	}
	if s.Flags != flags || got != ack || len(s.Payload) != n {
		r.t.Fatalf("host sent %s ack %d len %d, want %s ack %d len %d", s.Flags, got, len(s.Payload), flags, ack, n)
	}
	return s
}

func fastOpenOf(t *testing.T, s Segment) Option {
	t.Helper()
	for _, o := range s.Options {
		if o.IsFastOpen() {
			return o
		}
	}
	return Option{}
}

// The server's side as Linux's tcp_try_fastopen decides it.
func TestFastOpenServer(t *testing.T) {
	for name, tc := range map[string]struct {
		bits, queue int
		cookie      string // "valid", "wrong", "request", "none"
		data        int
		wantAck     Seq // relative to the peer's ISN
		wantCookie  bool
		wantChild   bool
	}{
		"request":                {FastOpenServer, 4, "request", 0, 1, true, false},
		"valid cookie and data":  {FastOpenServer, 4, "valid", 10, 11, false, true},
		"valid cookie, no data":  {FastOpenServer, 4, "valid", 0, 1, false, true},
		"wrong cookie":           {FastOpenServer, 4, "wrong", 10, 1, true, false},
		"data without cookie":    {FastOpenServer, 4, "none", 10, 1, false, false},
		"no cookie needed":       {FastOpenServer | FastOpenServerNoCookie, 4, "none", 10, 11, false, true},
		"no TCP_FASTOPEN":        {FastOpenServer, 0, "valid", 10, 1, false, false},
		"every listener":         {FastOpenServer | FastOpenServerAnyListener, 0, "valid", 10, 11, false, true},
		"server side off":        {FastOpenClient, 4, "request", 0, 1, false, false},
		"server side off, valid": {FastOpenClient, 4, "valid", 10, 1, false, false},
	} {
		t.Run(name, func(t *testing.T) {
			r := newRig(t, fastOpenProfile(tc.bits))
			l, _ := r.h.Listen(ServerPort, 16)
			l.FastOpenQueue = tc.queue
			valid := r.h.FastOpenCookieFor(ClientAddr)
			var syn Segment
			payload := bytes.Repeat([]byte{'x'}, tc.data)
			switch tc.cookie {
			case "valid":
				syn = r.fastOpenSyn(valid, payload...)
			case "wrong":
				syn = r.fastOpenSyn([]byte{1, 2, 3, 4, 5, 6, 7, 8}, payload...)
			case "request":
				syn = r.fastOpenSyn([]byte{}, payload...)
			default:
				syn = r.from(SYN, r.their, 0, payload...)
				syn.Options = Options{{Kind: OptMSS, MSS: 1460}}
			}
			r.in(syn)
			sa := r.expectOpening(SYN|ACK, r.their+tc.wantAck, 0)
			o := fastOpenOf(t, sa)
			if tc.wantCookie != o.IsFastOpen() || tc.wantCookie && !bytes.Equal(o.Cookie, valid) {
				t.Fatalf("SYN-ACK options %s; want a cookie %v (%x)", sa.Options, tc.wantCookie, valid)
			}
			c := r.h.Conn(syn.Tuple())
			if got := l.AcceptQueueLen() == 1; got != tc.wantChild {
				t.Fatalf("acceptable before the handshake = %v, want %v", got, tc.wantChild)
			}
			// Linux's tcp_conn_request puts a Fast Open child straight into the accept
			// queue; only a request waiting for the handshake is in the SYN queue.
			wantSynq := 1
			if tc.wantChild {
				wantSynq = 0
			}
			if got := l.SynQueueLen(); got != wantSynq {
				t.Fatalf("SYN queue %d, want %d", got, wantSynq)
			}
			// The application hears of the connection before its data: it reaches the
			// data through accept().
			var kinds []ConnEventKind
			for e, ok := r.h.NextEvent(); ok; e, ok = r.h.NextEvent() {
				kinds = append(kinds, e.Kind)
			}
			wantKinds := []ConnEventKind{}
			if tc.wantChild {
				wantKinds = append(wantKinds, ConnAcceptable)
				if tc.data > 0 {
					wantKinds = append(wantKinds, ConnReadable)
				}
			}
			if fmt.Sprint(kinds) != fmt.Sprint(wantKinds) {
				t.Fatalf("events %v, want %v", kinds, wantKinds)
			}
			if c.State() != SynReceived {
				t.Fatalf("state %s, want SYN-RECEIVED", c.State())
			}
			if tc.wantChild {
				if c.Buffered() != tc.data {
					t.Fatalf("readable %d bytes, want the SYN's %d", c.Buffered(), tc.data)
				}
				// The child sends before the handshake completes (RFC 7413 §3).
				if _, err := c.Send([]byte("hi")); err != nil {
					t.Fatal(err)
				}
				r.expect(want{ACK | PSH, sa.Seq + 1, r.their + tc.wantAck, 2})
				// The final ACK establishes it without queueing it twice.
				r.in(r.from(ACK, r.their+tc.wantAck, sa.Seq+3))
				if c.State() != Established || l.AcceptQueueLen() != 1 {
					t.Fatalf("after the ACK: %s, %d queued; want ESTABLISHED, 1", c.State(), l.AcceptQueueLen())
				}
				if c.Info()["options"]&32 == 0 && tc.data > 0 {
					t.Fatal("tcpi_options lacks TCPI_OPT_SYN_DATA")
				}
			} else if c.Buffered() != 0 {
				t.Fatalf("the SYN's data was queued without a valid cookie")
			}
		})
	}
}

// Only the first SYN-ACK carries the cookie (Linux tcp_rtx_synack passes none), and the
// experimental form is answered in kind.
func TestFastOpenCookieOnlyInFirstSynAck(t *testing.T) {
	r := newRig(t, fastOpenProfile(FastOpenServer|FastOpenServerAnyListener))
	r.h.Listen(ServerPort, 16)
	syn := r.from(SYN, r.their, 0)
	syn.Options = Options{{Kind: OptMSS, MSS: 1460}, {Kind: OptExperimental, Cookie: []byte{}}}
	r.in(syn)
	first := r.expectOpening(SYN|ACK, r.their+1, 0)
	if o := fastOpenOf(t, first); o.Kind != OptExperimental || len(o.Cookie) != FastOpenCookieSize {
		t.Fatalf("first SYN-ACK %s: want FOEXP with an 8-byte cookie", first.Options)
	}
	r.advance(LinuxProfile().InitialRTO)
	again := r.expect(want{SYN | ACK, first.Seq, r.their + 1, 0})[0]
	if fastOpenOf(t, again).IsFastOpen() {
		t.Fatalf("retransmitted SYN-ACK %s carries a cookie", again.Options)
	}
}

// The client: no cookie yet, so the SYN asks for one and carries no data; the SYN-ACK's
// cookie is kept, and the next open carries the cookie and up to MSS − 40 bytes.
func TestFastOpenClient(t *testing.T) {
	r := newRig(t, fastOpenProfile(FastOpenClient))
	data := bytes.Repeat([]byte{'d'}, 2000)
	if r.h.FastOpenReady(ClientAddr) {
		t.Fatal("ready without a cookie")
	}
	c, n, err := r.h.ConnectFastOpen(ServerPort, ClientAddr, ClientPort, SockOpts{}, FastOpenSend{Data: data})
	if err != nil || n != 0 {
		t.Fatalf("first open: %d, %v; want 0 bytes in the SYN", n, err)
	}
	syn := r.expectOpening(SYN, 0, 0)
	if o := fastOpenOf(t, syn); o.Kind != OptFastOpen || len(o.Cookie) != 0 {
		t.Fatalf("SYN options %s: want a cookie request", syn.Options)
	}
	cookie := []byte{0xab, 0xcd, 0x12, 0x34}
	sa := r.from(SYN|ACK, r.their, syn.Seq+1)
	sa.Options = Options{{Kind: OptMSS, MSS: 1000}, {Kind: OptFastOpen, Cookie: cookie}}
	r.in(sa)
	r.expect(want{ACK, syn.Seq + 1, r.their + 1, 0})
	if c.State() != Established || !r.h.FastOpenReady(ClientAddr) {
		t.Fatalf("after the SYN-ACK: %s, ready %v", c.State(), r.h.FastOpenReady(ClientAddr))
	}

	// Next connection, from another port: cookie and data in the SYN, bounded by the
	// MSS the server offered (1000 − 40).
	c2, n, err := r.h.ConnectFastOpen(ServerPort+1, ClientAddr, ClientPort, SockOpts{}, FastOpenSend{Data: data})
	if err != nil || n != 960 {
		t.Fatalf("second open: %d, %v; want 960 bytes in the SYN", n, err)
	}
	syn2 := r.expectOpening(SYN, 0, 960)
	if o := fastOpenOf(t, syn2); !bytes.Equal(o.Cookie, cookie) {
		t.Fatalf("SYN options %s: want the cached cookie", syn2.Options)
	}
	sa2 := Segment{Src: ClientAddr, Dst: ServerAddr, SrcPort: ClientPort, DstPort: ServerPort + 1,
		Seq: 7000, Ack: syn2.Seq + 961, Flags: SYN | ACK, Window: 65535, Options: Options{{Kind: OptMSS, MSS: 1460}}}
	r.in(sa2)
	r.expect(want{ACK, syn2.Seq + 961, 7001, 0})
	if c2.Info()["options"]&32 == 0 || c2.Unacked() != 0 {
		t.Fatalf("SYN data acknowledged: options %#x, %d unacked", c2.Info()["options"], c2.Unacked())
	}

	// A SYN-ACK that acknowledges only the SYN: the data goes again as it was, with PSH.
	_, n, _ = r.h.ConnectFastOpen(ServerPort+2, ClientAddr, ClientPort, SockOpts{}, FastOpenSend{Data: data[:100]})
	syn3 := r.expectOpening(SYN, 0, 100)
	sa3 := sa2
	sa3.DstPort, sa3.Ack = ServerPort+2, syn3.Seq+1
	r.in(sa3)
	r.expect(want{ACK | PSH, syn3.Seq + 1, 7001, 100})
	ack3 := sa3
	ack3.Flags, ack3.Seq, ack3.Ack, ack3.Options = ACK, 7001, syn3.Seq+101, nil
	r.in(ack3)
	r.expectNothing()

	// A buffer that faults: Linux falls back to a SYN that only asks for a cookie.
	_, n, _ = r.h.ConnectFastOpen(ServerPort+3, ClientAddr, ClientPort, SockOpts{}, FastOpenSend{Data: data, Fault: true})
	syn4 := r.expectOpening(SYN, 0, 0)
	if o := fastOpenOf(t, syn4); n != 0 || o.Kind != OptFastOpen || len(o.Cookie) != 0 {
		t.Fatalf("faulting open: %d bytes, options %s; want 0 and a cookie request", n, syn4.Options)
	}

	// SYN retransmissions are plain SYNs (no cookie, no data).
	r.advance(LinuxProfile().InitialRTO)
	re := r.expect(want{SYN, syn4.Seq, 0, 0})[0]
	if fastOpenOf(t, re).IsFastOpen() {
		t.Fatalf("retransmitted SYN %s carries the option", re.Options)
	}
}

// Two engines, client and server, with the server side on: the first connection gets a
// cookie, the second one's data reaches the server's application with the SYN.
func TestFastOpenTwoPeers(t *testing.T) {
	cl := NewHost("client", ClientAddr, fastOpenProfile(FastOpenClient), NewRand(1), nil)
	sv := NewHost("server", ServerAddr, fastOpenProfile(FastOpenClient|FastOpenServer), NewRand(2), nil)
	l, _ := sv.Listen(ServerPort, 8)
	l.FastOpenQueue = 8
	var now Time
	pump := func() {
		for i := 0; i < 20; i++ {
			moved := false
			for _, o := range cl.TakeOutput() {
				sv.Input(now, o.Seg)
				moved = true
			}
			for _, o := range sv.TakeOutput() {
				cl.Input(now, o.Seg)
				moved = true
			}
			if !moved {
				return
			}
		}
	}
	c1, _, _ := cl.ConnectFastOpen(0, ServerAddr, ServerPort, SockOpts{}, FastOpenSend{})
	pump()
	if c1.State() != Established || !cl.FastOpenReady(ServerAddr) {
		t.Fatalf("first connection %s, cookie cached %v", c1.State(), cl.FastOpenReady(ServerAddr))
	}
	s1, _ := l.Accept()
	_ = s1
	_, n, _ := cl.ConnectFastOpen(0, ServerAddr, ServerPort, SockOpts{}, FastOpenSend{Data: []byte("GET / HTTP/1.1\r\n\r\n")})
	if n != 18 {
		t.Fatalf("SYN carried %d bytes, want 18", n)
	}
	// Deliver only the SYN: the server's application can read before the handshake ends.
	for _, o := range cl.TakeOutput() {
		sv.Input(now, o.Seg)
	}
	s2, err := l.Accept()
	if err != nil || s2.State() != SynReceived || s2.Buffered() != 18 {
		t.Fatalf("server: %v, %v; want a SYN-RECEIVED connection with 18 bytes", s2, err)
	}
	pump()
	if s2.State() != Established {
		t.Fatalf("server connection %s after the handshake", s2.State())
	}
}

// The trace's JSON and text name the Fast Open option as packetdrill and tcpdump write it.
func TestFastOpenOptionText(t *testing.T) {
	for _, tc := range []struct {
		o          Option
		text, json string
		len        int
	}{
		{Option{Kind: OptFastOpen, Cookie: []byte{}}, "FO", `{"kind":"FO","cookie":"","text":"FO"}`, 2},
		{Option{Kind: OptFastOpen, Cookie: []byte{0xab, 0xcd, 0x12, 0x34}}, "FO abcd1234", `{"kind":"FO","cookie":"abcd1234","text":"FO abcd1234"}`, 6},
		{Option{Kind: OptExperimental, Cookie: []byte{1, 2, 3, 4}}, "FOEXP 01020304", `{"kind":"FOEXP","cookie":"01020304","text":"FOEXP 01020304"}`, 8},
		{Option{Kind: OptExperimental, Data: []byte{0x12, 0x34}}, "opt-254[2]", `{"kind":"kind-254","text":"opt-254[2]"}`, 4},
	} {
		if got := tc.o.String(); got != tc.text {
			t.Errorf("String() = %q, want %q", got, tc.text)
		}
		if got := string(appendOptionJSON(nil, tc.o)); got != tc.json {
			t.Errorf("JSON = %s, want %s", got, tc.json)
		}
		if got := tc.o.Len(); got != tc.len {
			t.Errorf("%s: Len() = %d, want %d", tc.text, got, tc.len)
		}
	}
}

// The text view writes the option as tcpdump prints it (print-c), not as packetdrill
// writes it: "tfo  cookiereq", "tfo  cookie <hex>", "exp-tfo ..." for the experimental form.
func TestFastOpenOptionTcpdumpText(t *testing.T) {
	os := Options{{Kind: OptMSS, MSS: 1460}, {Kind: OptFastOpen, Cookie: []byte{}}, {Kind: OptNOP},
		{Kind: OptFastOpen, Cookie: []byte{0xab, 0xcd, 0x12, 0x34}}, {Kind: OptExperimental, Cookie: []byte{}},
		{Kind: OptExperimental, Cookie: []byte{1, 2, 3, 4}}}
	want := "mss 1460,tfo  cookiereq,nop,tfo  cookie abcd1234,exp-tfo cookiereq,exp-tfo cookie 01020304"
	if got := os.TcpdumpString(); got != want {
		t.Errorf("TcpdumpString() = %q, want %q", got, want)
	}
}

// TCP_FASTOPEN_KEY gives a listener its own key: its cookies are made with it, and a
// cookie made with the host's key is wrong there.
func TestFastOpenListenerKey(t *testing.T) {
	r := newRig(t, fastOpenProfile(FastOpenServer))
	l, _ := r.h.Listen(ServerPort, 16)
	l.FastOpenQueue = 4
	k, err := FastOpenKeyBytes([]byte("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	l.FastOpenKey = &k
	r.in(r.fastOpenSyn(r.h.FastOpenCookieFor(ClientAddr), 'x'))
	sa := r.expectOpening(SYN|ACK, r.their+1, 0)
	if o := fastOpenOf(t, sa); !bytes.Equal(o.Cookie, FastOpenCookie(k, ClientAddr, ServerAddr)) {
		t.Fatalf("SYN-ACK options %s: want the listener key's cookie", sa.Options)
	}
	if _, err := FastOpenKeyBytes(make([]byte, 15)); err == nil {
		t.Fatal("a 15-byte key was taken")
	}
}
