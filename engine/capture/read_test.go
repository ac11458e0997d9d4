package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"synack/engine"
	"synack/engine/tcp"
)

// readAll reads every segment of b.
func readAll(t *testing.T, b []byte) ([]Packet, *Reader, error) {
	t.Helper()
	rd, err := NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, nil, err
	}
	var out []Packet
	for {
		p, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return out, rd, nil
		}
		if err != nil {
			return out, rd, err
		}
		q := *p
		q.Opts = p.Options()
		q.OptBytes, q.IP, q.Payload = nil, nil, nil
		out = append(out, q)
	}
}

// segmentsOf returns the trace's segments as the reader should see them.
func segmentsOf(tr *engine.Trace) []tcp.Segment {
	var out []tcp.Segment
	for _, s := range tr.Segments() {
		out = append(out, s.Seg)
	}
	return out
}

// sameHeaders compares what a reader found with the segments written.
func sameHeaders(t *testing.T, what string, got []Packet, want []tcp.Segment) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d segments, want %d", what, len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Src != w.Src || g.Dst != w.Dst || g.SrcPort != w.SrcPort || g.DstPort != w.DstPort || g.Seq != w.Seq ||
			g.Ack != w.Ack || g.Flags != w.Flags || g.Window != w.Window || g.PayloadLen != len(w.Payload) {
			t.Errorf("%s: segment %d = %s.%d > %s.%d %s seq %d ack %d win %d len %d, want %s", what, i+1, g.Src, g.SrcPort, g.Dst, g.DstPort,
				g.Flags, g.Seq, g.Ack, g.Window, g.PayloadLen, w)
		}
		if g.Opts.String() != w.Options.String() {
			t.Errorf("%s: segment %d options %s, want %s", what, i+1, g.Opts, w.Options)
		}
	}
}

// TestReadWhatWeWrite reads back the pcap and pcapng the exporter writes: every
// segment's headers and options, the times, and the pcapng's key log.
func TestReadWhatWeWrite(t *testing.T) {
	tr := run(t, "https-tls13")
	want := segmentsOf(tr)
	var pc, ng bytes.Buffer
	if err := WritePCAP(&pc, tr); err != nil {
		t.Fatal(err)
	}
	if err := WritePCAPNG(&ng, tr, []byte(tr.Meta.KeyLog)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		b    []byte
		f    Format
	}{{"pcap", pc.Bytes(), FormatPCAP}, {"pcapng", ng.Bytes(), FormatPCAPNG}} {
		got, rd, err := readAll(t, c.b)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if rd.Format() != c.f {
			t.Errorf("%s: format %s", c.name, rd.Format())
		}
		sameHeaders(t, c.name, got, want)
		for i, s := range tr.Segments() {
			if w := (Epoch*1e6 + int64(tr.Segments()[i].ID-s.ID)) * 1000; got[i].TimeNs < w {
				t.Fatalf("%s: segment %d at %d ns, before the epoch", c.name, i, got[i].TimeNs)
			}
		}
		if c.f == FormatPCAPNG && string(rd.KeyLog()) != tr.Meta.KeyLog {
			t.Errorf("pcapng: key log of %d bytes read back as %d", len(tr.Meta.KeyLog), len(rd.KeyLog()))
		}
	}
}

// TestReadTcpdumpText reads what the real tcpdump prints of a capture, in its default
// relative numbering, with -S, and with -tttt and -tt times, and requires the same
// segments as the capture itself.
func TestReadTcpdumpText(t *testing.T) {
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Skip("tcpdump is not installed (apt-get install tcpdump)")
	}
	tr := run(t, "four-way-close")
	want := segmentsOf(tr)
	var pc bytes.Buffer
	WritePCAP(&pc, tr)
	for _, flags := range [][]string{{"-n"}, {"-n", "-S"}, {"-n", "-tttt"}, {"-n", "-tt", "-S"}, {"-n", "-v"}} {
		cmd := exec.Command("tcpdump", append(flags, "-r", "-")...)
		cmd.Stdin = bytes.NewReader(pc.Bytes())
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("tcpdump %v: %v", flags, err)
		}
		got, _, err := readAll(t, out)
		if err != nil {
			t.Fatalf("tcpdump %v: %v\n%s", flags, err, out)
		}
		sameHeaders(t, "tcpdump "+strings.Join(flags, " "), got, want)
	}
}

func pcapHeader(snap, link uint32) []byte {
	h := make([]byte, 24)
	binary.LittleEndian.PutUint32(h, 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], snap)
	binary.LittleEndian.PutUint32(h[20:], link)
	return h
}

func pcapRecord(incl, orig uint32, data []byte) []byte {
	r := make([]byte, 16)
	binary.LittleEndian.PutUint32(r[8:], incl)
	binary.LittleEndian.PutUint32(r[12:], orig)
	return append(r, data...)
}

func block(typ uint32, body []byte) []byte {
	var b bytes.Buffer
	writeBlock(&b, typ, body)
	return b.Bytes()
}

func shb() []byte {
	b := binary.LittleEndian.AppendUint32(nil, 0x1A2B3C4D)
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint64(b, ^uint64(0))
	return block(blockSHB, b)
}

func idb(snap uint32, opts ...byte) []byte {
	b := binary.LittleEndian.AppendUint16(nil, LinkTypeRaw)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint32(b, snap)
	return block(blockIDB, append(b, opts...))
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// TestBadInput: each broken file is refused with a message naming the byte (or line)
// that is wrong, at the edge of each limit.
func TestBadInput(t *testing.T) {
	seg := tcp.Segment{Src: tcp.ClientAddr, Dst: tcp.ServerAddr, SrcPort: 1, DstPort: 2, Flags: tcp.SYN, Window: 100, TTL: 64}
	pkt := mustEncode(seg)
	edgeRec := make([]byte, MaxSnapLen)
	copy(edgeRec, pkt)
	hugeBlock := binary.LittleEndian.AppendUint32(nil, blockEPB)
	hugeBlock = binary.LittleEndian.AppendUint32(hugeBlock, MaxBlockBytes+4)
	okBlock := binary.LittleEndian.AppendUint32(nil, blockEPB)
	okBlock = binary.LittleEndian.AppendUint32(okBlock, MaxBlockBytes)
	epb := func(iface, incl uint32, data []byte, opts ...byte) []byte {
		b := binary.LittleEndian.AppendUint32(nil, iface)
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = binary.LittleEndian.AppendUint32(b, incl)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
		return block(blockEPB, append(pad4(append(b, data...)), opts...))
	}
	badTrailer := shb()
	binary.LittleEndian.PutUint32(badTrailer[len(badTrailer)-4:], 32)
	var manyIfaces [][]byte
	manyIfaces = append(manyIfaces, shb())
	for range MaxInterfaces {
		manyIfaces = append(manyIfaces, idb(0))
	}
	longLine := "01:02:03.000000 IP 1.2.3.4.1 > 5.6.7.8.2: Flags [S], seq 1, win 1, length 0" + strings.Repeat(" ", MaxLineBytes)
	for _, c := range []struct {
		name string
		in   []byte
		off  int64 // -1: no error expected
		line int
		msg  string
	}{
		{"empty", nil, 0, 0, "too short"},
		{"garbage", []byte("\x00\x01\x02\x03garbage"), 0, 0, "not a pcap"},
		{"truncated pcap header", pcapHeader(65535, 101)[:20], 0, 0, "truncated"},
		{"absurd snap length", pcapHeader(MaxSnapLen+1, 101), 16, 0, "snap length"},
		{"snap length at the limit", pcapHeader(MaxSnapLen, 101), -1, 0, ""},
		{"unknown link type", pcapHeader(65535, 147), 20, 0, "link type 147"},
		{"record at the limit", cat(pcapHeader(MaxSnapLen, 101), pcapRecord(MaxSnapLen, MaxSnapLen, edgeRec)), -1, 0, ""},
		{"record over the limit", cat(pcapHeader(MaxSnapLen, 101), pcapRecord(MaxSnapLen+1, MaxSnapLen+1, nil)), 32, 0, "larger than"},
		{"record cut short", cat(pcapHeader(65535, 101), pcapRecord(60, 60, pkt[:10])), 40, 0, "truncated"},
		{"record header cut short", cat(pcapHeader(65535, 101), []byte{1, 2, 3}), 24, 0, "truncated"},
		{"original shorter than captured", cat(pcapHeader(65535, 101), pcapRecord(uint32(len(pkt)), 4, pkt)), 36, 0, "original length"},
		{"pcapng block length not a multiple of 4", cat(shb(), []byte{1, 0, 0, 0, 21, 0, 0, 0}, make([]byte, 24)), 28 + 4, 0, "multiple of 4"},
		{"pcapng block over the limit", cat(shb(), idb(0), hugeBlock), 28 + 20 + 4, 0, "larger than"},
		{"pcapng block at the limit, cut short", cat(shb(), idb(0), okBlock), 56, 0, "truncated"},
		{"pcapng trailing length differs", badTrailer, 24, 0, "trailing length"},
		{"pcapng option runs past its block", cat(shb(), idb(0, 9, 0, 200, 0)), 28 + 16 + 2, 0, "runs past"},
		{"pcapng absurd snap length", cat(shb(), idb(MaxSnapLen+1)), 28 + 12, 0, "snap length"},
		{"pcapng packet on an undescribed interface", cat(shb(), idb(0), epb(3, uint32(len(pkt)), pkt)), 48 + 8, 0, "interface 3"},
		{"pcapng captured length past the block", cat(shb(), idb(0), epb(0, 1000, pkt)), 48 + 8 + 12, 0, "runs past"},
		{"pcapng interfaces at the limit", cat(manyIfaces...), -1, 0, ""},
		{"pcapng interfaces over the limit", cat(append(manyIfaces, idb(0))...), 28 + int64(MaxInterfaces)*20, 0, "more than"},
		{"pcapng without a section header", cat(idb(0)), 0, 0, "not a pcap"},
		{"text that is not tcpdump", []byte("hello world\n"), 0, 1, "time stamp"},
		{"tcpdump text with a bad flag", []byte("01:02:03.000000 IP 1.2.3.4.1 > 5.6.7.8.2: Flags [Z], seq 1, win 1, length 0\n"), 0, 1, "flag"},
		{"tcpdump text without a length", []byte("01:02:03.000000 IP 1.2.3.4.1 > 5.6.7.8.2: Flags [S], seq 1, win 1\n"), 0, 1, "no length"},
		{"tcpdump line over the limit", []byte(longLine + "\n"), 0, 1, "longer than"},
		{"tcpdump line at the limit", []byte(longLine[:MaxLineBytes-1] + "\n"), -1, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := readAll(t, c.in)
			if c.off < 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *capture.Error", err)
			}
			if ce.Line != c.line || c.line == 0 && ce.Offset != c.off {
				t.Errorf("err = %v (offset %d, line %d), want offset %d, line %d", err, ce.Offset, ce.Line, c.off, c.line)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("err = %v, want it to say %q", err, c.msg)
			}
		})
	}
}

// TestNoAllocationFromLengths: a record that claims the largest size the limits allow,
// in a file that then ends, costs no more memory than the bytes that are there.
func TestNoAllocationFromLengths(t *testing.T) {
	in := cat(shb(), idb(0), binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, blockEPB), MaxBlockBytes), make([]byte, 100))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 10 {
		if _, _, err := readAll(t, in); err == nil {
			t.Fatal("a cut-short block was accepted")
		}
	}
	runtime.ReadMemStats(&after)
	// Ten readers with their 256 KiB read buffers and one 64 KiB chunk each.
	if per := (after.TotalAlloc - before.TotalAlloc) / 10; per > 400<<10 {
		t.Errorf("reading a %d-byte file that claims a %d-byte block allocated %d bytes", len(in), MaxBlockBytes, per)
	}
}

func mustEncode(s tcp.Segment) []byte {
	b := make([]byte, 0, 40)
	b = append(b, 0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0)
	b = append(b, s.Src.AsSlice()...)
	b = append(b, s.Dst.AsSlice()...)
	b = binary.BigEndian.AppendUint16(b, s.SrcPort)
	b = binary.BigEndian.AppendUint16(b, s.DstPort)
	b = binary.BigEndian.AppendUint32(b, uint32(s.Seq))
	b = binary.BigEndian.AppendUint32(b, uint32(s.Ack))
	b = append(b, 5<<4, byte(s.Flags))
	b = binary.BigEndian.AppendUint16(b, s.Window)
	return append(b, 0, 0, 0, 0)
}

// The text reader remembers the numbering of MaxTextConnections connections; a
// connection past them has its numbers read as printed.
func TestMaxTextConnections(t *testing.T) {
	var b strings.Builder
	line := func(i int, rest string) {
		fmt.Fprintf(&b, "00:00:01.000000 IP 10.%d.%d.%d.40000 > 192.0.2.9.80: %s\n", byte(i>>16), byte(i>>8), byte(i), rest)
	}
	for i := range MaxTextConnections + 1 {
		line(i, "Flags [S.], seq 1000, ack 5001, win 100, length 0") // a SYN-ACK: absolute, remembered
	}
	for _, i := range []int{MaxTextConnections - 1, MaxTextConnections} {
		line(i, "Flags [.], ack 1, win 100, length 0") // relative
	}
	got, _, err := readAll(t, []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	last, past := got[len(got)-2], got[len(got)-1]
	if last.Ack != 5001 {
		t.Errorf("the last remembered connection: ack %d, want 5001 (tcpdump's base is that SYN-ACK's ack less one, 5000)", last.Ack)
	}
	if past.Ack != 1 {
		t.Errorf("the connection past the limit: ack %d, want 1 as printed", past.Ack)
	}
}
