package tcp

import "testing"

func firstSYN(t *testing.T, prof Profile) Segment {
	t.Helper()
	h := NewHost("us", ServerAddr, prof, NewRand(1), nil)
	h.Connect(ServerPort, ClientAddr, ClientPort)
	return h.TakeOutput()[0].Seg
}

// Linux's SYN: "mss 1460,sackOK,TS val X ecr 0,nop,wscale W"; without timestamps
// "mss 1460,nop,nop,sackOK,nop,wscale W" (LINUX-FACTS; tcp_options_write).
func TestLinuxSYNOptionOrder(t *testing.T) {
	syn := firstSYN(t, LinuxProfile())
	if got := kinds(syn.Options); got != "mss,sackOK,TS,nop,wscale" {
		t.Fatalf("SYN options %s", got)
	}
	p := LinuxProfile()
	p.Timestamps = false
	if got := kinds(firstSYN(t, p).Options); got != "mss,nop,nop,sackOK,nop,wscale" {
		t.Fatalf("SYN options without timestamps %s", got)
	}
	if syn.Window != 64240 {
		t.Fatalf("Linux SYN window %d, want 64240 (44 × 1460)", syn.Window)
	}
}

func kinds(os Options) string {
	s := ""
	for i, o := range os {
		if i > 0 {
			s += ","
		}
		s += optionJSONName(o.Kind)
	}
	return s
}

// A SYN-ACK echoes only what the SYN offered (RFC 7323 §2.2, §3.2; RFC 2018 §2).
func TestSynAckEchoesOnlyWhatWasOffered(t *testing.T) {
	for _, tc := range []struct {
		name  string
		offer Options
		want  string
	}{
		{"nothing", nil, "mss"},
		{"mss only", Options{{Kind: OptMSS, MSS: 1400}}, "mss"},
		{"sack", Options{{Kind: OptMSS, MSS: 1460}, {Kind: OptSACKPermitted}}, "mss,nop,nop,sackOK"},
		{"ts", Options{{Kind: OptMSS, MSS: 1460}, {Kind: OptTimestamps, TSVal: 9}}, "mss,nop,nop,TS"},
		{"all", Options{{Kind: OptMSS, MSS: 1460}, {Kind: OptSACKPermitted}, {Kind: OptTimestamps, TSVal: 9}, {Kind: OptNOP}, {Kind: OptWindowScale, Shift: 7}},
			"mss,sackOK,TS,nop,wscale"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, LinuxProfile())
			r.h.Listen(ServerPort, 16)
			syn := r.from(SYN, r.their, 0)
			syn.Options = tc.offer
			r.in(syn)
			out := r.h.TakeOutput()
			if got := kinds(out[0].Seg.Options); got != tc.want {
				t.Fatalf("SYN-ACK options %s, want %s", got, tc.want)
			}
			if ts, ok := out[0].Seg.Options.Find(OptTimestamps); ok && ts.TSEcr != 9 {
				t.Fatalf("TS ecr %d, want the SYN's TSval 9", ts.TSEcr)
			}
		})
	}
}

// No MSS option means 536 (RFC 9293 §3.7.1); a window scale above 14 is taken as 14
// (RFC 7323 §2.3).
func TestNegotiationLimits(t *testing.T) {
	r := newRig(t, LinuxProfile())
	r.h.Listen(ServerPort, 16)
	syn := r.from(SYN, r.their, 0)
	syn.Options = Options{{Kind: OptWindowScale, Shift: 20}}
	r.in(syn)
	r.h.TakeOutput()
	c := r.h.Conn(Tuple{LocalAddr: ServerAddr, LocalPort: ServerPort, RemoteAddr: ClientAddr, RemotePort: ClientPort})
	mss, ws, sndShift := c.mss, c.wsOK, c.sndShift
	if mss != 536 || !ws || sndShift != 14 {
		t.Fatalf("mss %d ws %v shift %d; want 536, true, 14", mss, ws, sndShift)
	}
}

// ECN setup (RFC 3168 §6.1.1): with ECN=1 the SYN carries ECE and CWR; a Linux listener
// (tcp_ecn 2) answers with ECE in the SYN-ACK.
func TestECNSetup(t *testing.T) {
	p := LinuxProfile()
	p.ECN = 1
	syn := firstSYN(t, p)
	if !syn.Flags.Has(SYN | ECE | CWR) {
		t.Fatalf("ECN SYN flags %s", syn.Flags)
	}
	r := newRig(t, LinuxProfile())
	r.h.Listen(ServerPort, 16)
	s := r.from(SYN|ECE|CWR, r.their, 0)
	r.in(s)
	if out := r.h.TakeOutput(); out[0].Seg.Flags != SYN|ACK|ECE {
		t.Fatalf("SYN-ACK flags %s, want SYN|ACK|ECE", out[0].Seg.Flags)
	}
}

// Every kind of option writes the text the trace's JSON and views show.
func TestOptionString(t *testing.T) {
	for _, c := range []struct {
		o    Option
		want string
	}{
		{Option{Kind: OptEOL}, "eol"},
		{Option{Kind: OptNOP}, "nop"},
		{Option{Kind: OptMSS, MSS: 1460}, "mss 1460"},
		{Option{Kind: OptWindowScale, Shift: 7}, "wscale 7"},
		{Option{Kind: OptSACKPermitted}, "sackOK"},
		{Option{Kind: OptSACK}, "sack"},
		{Option{Kind: OptSACK, Blocks: []SACKBlock{{1, 2}, {4294967295, 0}}}, "sack 1:2 4294967295:0"},
		{Option{Kind: OptTimestamps, TSVal: 4294967295, TSEcr: 0}, "TS val 4294967295 ecr 0"},
		{Option{Kind: OptFastOpen}, "FO"},
		{Option{Kind: OptFastOpen, Cookie: []byte{0x30, 0x21, 0xb9}}, "FO 3021b9"},
		{Option{Kind: OptExperimental, Cookie: []byte{0xab}}, "FOEXP ab"},
		{Option{Kind: OptExperimental, Data: []byte{1, 2}}, "opt-254[2]"},
		{Option{Kind: 33, Data: []byte{1, 2, 3}}, "opt-33[3]"},
		{Option{Kind: 255}, "opt-255[0]"},
	} {
		if got := c.o.String(); got != c.want {
			t.Errorf("%+v.String() = %q, want %q", c.o, got, c.want)
		}
		if got := string(c.o.appendText([]byte("x"))); got != "x"+c.want {
			t.Errorf("%+v.appendText = %q, want %q", c.o, got, "x"+c.want)
		}
	}
}
