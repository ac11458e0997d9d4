package wire

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"synack/engine/tcp"
)

// RFC 1071 §3 works an example: the words 0001 f203 f4f5 f6f7 sum to ddf2 (with the
// end-around carry), so the checksum is its complement, 220d.
func TestChecksumRFC1071Example(t *testing.T) {
	b := []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}
	if got := checksum(b, 0); got != 0x220d {
		t.Fatalf("checksum = %#04x, want 0x220d", got)
	}
}

// A hand-checked IPv4 header: 45 00 00 3c 1c 46 40 00 40 06 ?? ?? ac 10 0a 63 ac 10 0a 0c
// is the textbook example whose checksum is b1e6.
func TestIPv4HeaderChecksumTextbook(t *testing.T) {
	h := []byte{0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0, 0,
		0xac, 0x10, 0x0a, 0x63, 0xac, 0x10, 0x0a, 0x0c}
	if got := checksum(h, 0); got != 0xb1e6 {
		t.Fatalf("checksum = %#04x, want 0xb1e6", got)
	}
}

func base() tcp.Segment {
	return tcp.Segment{Src: tcp.ClientAddr, Dst: tcp.ServerAddr, SrcPort: 40000, DstPort: 80,
		Seq: 1000, Window: 64240, IPID: 7, TTL: 64}
}

func TestRoundTrip(t *testing.T) {
	linuxSYN := base()
	linuxSYN.Flags = tcp.SYN
	linuxSYN.Options = tcp.Options{{Kind: tcp.OptMSS, MSS: 1460}, {Kind: tcp.OptSACKPermitted},
		{Kind: tcp.OptTimestamps, TSVal: 1, TSEcr: 0}, {Kind: tcp.OptNOP}, {Kind: tcp.OptWindowScale, Shift: 7}}
	data := base()
	data.Flags = tcp.ACK | tcp.PSH
	data.Ack = 5000
	data.Payload = []byte("GET / HTTP/1.1\r\n\r\n")
	data.Options = tcp.Options{{Kind: tcp.OptNOP}, {Kind: tcp.OptNOP}, {Kind: tcp.OptTimestamps, TSVal: 9, TSEcr: 8}}
	rst := base()
	rst.Flags = tcp.RST | tcp.ACK
	fin := base()
	fin.Flags = tcp.FIN | tcp.ACK
	ecn := base()
	ecn.Flags = tcp.SYN | tcp.ECE | tcp.CWR
	sack := base()
	sack.Flags = tcp.ACK
	sack.Options = tcp.Options{{Kind: tcp.OptNOP}, {Kind: tcp.OptNOP},
		{Kind: tcp.OptSACK, Blocks: []tcp.SACKBlock{{Left: 10, Right: 20}, {Left: 30, Right: 40}}}}
	odd := base()
	odd.Flags = tcp.ACK
	odd.Payload = []byte{1, 2, 3} // odd length: the checksum pads with a zero byte
	udp := tcp.Segment{Src: tcp.ClientAddr, Dst: tcp.ServerAddr, SrcPort: 40000, DstPort: 443, UDP: true,
		Payload: []byte{0xc0, 1, 2, 3, 4}, IPID: 3, TTL: 64}
	unknown := base()
	unknown.Flags = tcp.SYN
	unknown.Options = tcp.Options{{Kind: 30, Data: []byte{1, 2}}}
	foSYN := base()
	foSYN.Flags = tcp.SYN
	foSYN.Payload = []byte("hello")
	foSYN.Options = tcp.Options{{Kind: tcp.OptMSS, MSS: 1460}, {Kind: tcp.OptFastOpen, Cookie: []byte{0x30, 0x21, 0xb9, 0xd8, 0x89, 0x01, 0x7e, 0xeb}},
		{Kind: tcp.OptNOP}, {Kind: tcp.OptNOP}}
	foReq := base()
	foReq.Flags = tcp.SYN
	foReq.Options = tcp.Options{{Kind: tcp.OptFastOpen, Cookie: []byte{}}, {Kind: tcp.OptNOP}, {Kind: tcp.OptNOP},
		{Kind: tcp.OptExperimental, Cookie: []byte{1, 2, 3, 4}}, {Kind: tcp.OptExperimental, Data: []byte{0x12, 0x34}}}
	for name, seg := range map[string]tcp.Segment{"linux SYN": linuxSYN, "data": data, "RST ACK": rst,
		"FIN": fin, "ECN SYN": ecn, "SACK": sack, "odd payload": odd, "UDP": udp, "unknown option": unknown,
		"fast open SYN": foSYN, "fast open request and experimental": foReq} {
		t.Run(name, func(t *testing.T) {
			b := Encode(seg)
			got, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(seg, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Fatalf("round trip (-want +got):\n%s", diff)
			}
			if len(b)%2 == 1 && !seg.UDP && len(seg.Payload)%2 == 0 {
				t.Fatal("odd packet length for even payload")
			}
		})
	}
}

// The SYN's option block is 20 bytes: mss(4) sackOK(2) TS(10) nop(1) wscale(3); the data
// offset is therefore 10 words (40 bytes) and the packet 60 bytes.
func TestLinuxSYNLayout(t *testing.T) {
	s := base()
	s.Flags = tcp.SYN
	s.Options = tcp.Options{{Kind: tcp.OptMSS, MSS: 1460}, {Kind: tcp.OptSACKPermitted},
		{Kind: tcp.OptTimestamps, TSVal: 1}, {Kind: tcp.OptNOP}, {Kind: tcp.OptWindowScale, Shift: 7}}
	b := Encode(s)
	if len(b) != 60 || b[20+12]>>4 != 10 {
		t.Fatalf("len %d, data offset %d; want 60 and 10", len(b), b[32]>>4)
	}
	want := []byte{2, 4, 0x05, 0xb4, 4, 2, 8, 10}
	if string(b[40:48]) != string(want) {
		t.Fatalf("option bytes % x, want % x", b[40:48], want)
	}
}

func TestDecodeErrors(t *testing.T) {
	good := Encode(func() tcp.Segment { s := base(); s.Flags = tcp.SYN; return s }())
	mod := func(f func(b []byte) []byte) []byte {
		b := append([]byte(nil), good...)
		return f(b)
	}
	for name, tc := range map[string]struct {
		b    []byte
		want string
	}{
		"short":        {good[:10], "byte 0: packet of 10 bytes"},
		"version 6":    {mod(func(b []byte) []byte { b[0] = 0x65; return b }), "IP version 6"},
		"ihl":          {mod(func(b []byte) []byte { b[0] = 0x44; return b }), "header length 16"},
		"total length": {mod(func(b []byte) []byte { b[3] = 200; return b }), "byte 2: IPv4 total length 200"},
		"ip checksum":  {mod(func(b []byte) []byte { b[8] = 1; return b }), "byte 10: bad IPv4 header checksum"},
		"tcp checksum": {mod(func(b []byte) []byte { b[24] ^= 0xff; return b }), "byte 36: bad TCP checksum"},
		"protocol":     {mod(func(b []byte) []byte { b[9] = 1; fixIP(b); return b }), "IP protocol 1"},
		"data offset":  {mod(func(b []byte) []byte { b[32] = 0x40; return b }), "byte 32: TCP data offset 16"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Decode(tc.b)
			var de *DecodeError
			if err == nil || !errors.As(err, &de) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Decode = %v, want a DecodeError containing %q", err, tc.want)
			}
		})
	}
}

func fixIP(b []byte) {
	b[10], b[11] = 0, 0
	c := checksum(b[:20], 0)
	b[10], b[11] = byte(c>>8), byte(c)
}

func TestOptionErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		opts []byte
		want string
	}{
		"length 1":       {[]byte{2, 1, 0, 0}, "byte 41: tcp option kind 2: length 1 is too short"},
		"past header":    {[]byte{8, 10, 0, 0}, "length 10 runs past the header"},
		"mss length":     {[]byte{2, 3, 0, 0}, "tcp option kind 2: length 3, want 4"},
		"no length byte": {[]byte{1, 1, 1, 3}, "has no length byte"},
		"after eol":      {[]byte{0, 1, 1, 1}, "after the end-of-options marker"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := decodeOptions(tc.opts, 40)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("decodeOptions = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestFieldsCoverTheSYN(t *testing.T) {
	s := base()
	s.Flags = tcp.SYN
	s.Options = tcp.Options{{Kind: tcp.OptMSS, MSS: 1460}, {Kind: tcp.OptSACKPermitted},
		{Kind: tcp.OptTimestamps, TSVal: 1}, {Kind: tcp.OptNOP}, {Kind: tcp.OptWindowScale, Shift: 7}}
	fs, err := Fields(Encode(s))
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Field{}
	for _, f := range fs {
		byName[f.Name] = f
	}
	for name, want := range map[string]Field{
		"tcp.seq":           {Offset: 24, Len: 4, Value: "1000"},
		"tcp.flags.syn":     {Offset: 33, Len: 1, BitOffset: 6, BitLen: 1, Value: "1"},
		"tcp.flags.ack":     {Offset: 33, Len: 1, BitOffset: 3, BitLen: 1, Value: "0"},
		"tcp.data_offset":   {Offset: 32, Len: 1, BitLen: 4, Value: "10 (40 bytes)"},
		"option.mss":        {Offset: 40, Len: 4, Value: "mss 1460"},
		"option.wscale":     {Offset: 57, Len: 3, Value: "wscale 7"},
		"ip.src":            {Offset: 12, Len: 4, Value: "192.0.2.1"},
		"option.timestamps": {Offset: 46, Len: 10, Value: "TS val 1 ecr 0"},
	} {
		got, ok := byName[name]
		if !ok {
			t.Errorf("no field %s", name)
			continue
		}
		want.Name, want.Layer = name, got.Layer
		if got != want {
			t.Errorf("%s = %+v, want %+v", name, got, want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	s := base()
	s.Flags = tcp.SYN
	s.Options = tcp.Options{{Kind: tcp.OptMSS, MSS: 1460}, {Kind: tcp.OptTimestamps, TSVal: 5}}
	f.Add(Encode(s))
	u := base()
	u.UDP = true
	u.Payload = []byte{1}
	f.Add(Encode(u))
	fo := base()
	fo.Flags = tcp.SYN
	fo.Payload = []byte("hi")
	fo.Options = tcp.Options{{Kind: tcp.OptFastOpen, Cookie: []byte{1, 2, 3, 4}}, {Kind: tcp.OptExperimental, Cookie: []byte{}}}
	f.Add(Encode(fo))
	f.Fuzz(func(t *testing.T, b []byte) {
		seg, err := Decode(b)
		if err != nil {
			return
		}
		if _, err := Fields(b); err != nil {
			t.Fatalf("Fields failed on a packet Decode accepted: %v", err)
		}
		again, err := Decode(Encode(seg))
		if err != nil {
			t.Fatalf("re-decoding our own encoding: %v", err)
		}
		if diff := cmp.Diff(seg, again, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
			t.Fatalf("decode→encode→decode changed the segment:\n%s", diff)
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	s := base()
	s.Flags = tcp.ACK
	s.Payload = make([]byte, 1460)
	for i := 0; i < b.N; i++ {
		Encode(s)
	}
}

func BenchmarkDecode(b *testing.B) {
	s := base()
	s.Flags = tcp.ACK
	s.Payload = make([]byte, 1460)
	p := Encode(s)
	for i := 0; i < b.N; i++ {
		Decode(p)
	}
}

// RFC 7413 §4.1.1: kind 34, length 2 + cookie; the experimental form is kind 254 with
// length 4 + cookie and the magic 0xF989 (RFC 6994) before the cookie.
func TestFastOpenOptionBytes(t *testing.T) {
	s := base()
	s.Flags = tcp.SYN
	s.Options = tcp.Options{{Kind: tcp.OptFastOpen, Cookie: []byte{0xab, 0xcd, 0x12, 0x34}}, {Kind: tcp.OptNOP}, {Kind: tcp.OptNOP},
		{Kind: tcp.OptExperimental, Cookie: []byte{}}}
	b := Encode(s)
	want := []byte{34, 6, 0xab, 0xcd, 0x12, 0x34, 1, 1, 254, 4, 0xf9, 0x89}
	if string(b[40:52]) != string(want) {
		t.Fatalf("option bytes % x, want % x", b[40:52], want)
	}
	f, err := Fields(b)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range f {
		if x.Layer == "option" {
			names = append(names, x.Name+"="+x.Value)
		}
	}
	if got := strings.Join(names, " "); got != "option.fast_open=FO abcd1234 option.nop=nop option.nop=nop option.experimental=FOEXP" {
		t.Fatalf("fields: %s", got)
	}
}

// The TOS byte is the IPv4 header's second byte and DF bit 14 of its flags and fragment
// offset (RFC 791 §3.1; RFC 3168 §5 for the ECN codepoint in the TOS byte's low bits);
// both survive decoding.
func TestTOSAndDF(t *testing.T) {
	for _, tc := range []struct {
		tos  uint8
		noDF bool
	}{{0, false}, {0x2a, true}, {0x10 | tcp.ECT0, false}, {0xff, true}} {
		seg := base()
		seg.Flags = tcp.ACK
		seg.TOS, seg.NoDF = tc.tos, tc.noDF
		b := Encode(seg)
		df := b[6]&0x40 != 0
		if b[1] != tc.tos || df == tc.noDF {
			t.Errorf("TOS %#x NoDF %v: header byte 1 %#x, DF %v", tc.tos, tc.noDF, b[1], df)
		}
		got, err := Decode(b)
		if err != nil || got.TOS != tc.tos || got.NoDF != tc.noDF {
			t.Errorf("TOS %#x NoDF %v: decoded TOS %#x NoDF %v, %v", tc.tos, tc.noDF, got.TOS, got.NoDF, err)
		}
	}
}
