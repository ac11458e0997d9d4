package capture

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"synack/engine"
	"synack/engine/capture/capturetest"
	"synack/engine/tcp"
	"synack/engine/wire"
	"synack/lessons/stories"
)

func run(t *testing.T, id string) *engine.Trace {
	t.Helper()
	tr, err := stories.Default().Run(id, engine.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// readPCAP is a minimal libpcap reader written from the format's description, to check
// our writer independently of it.
func readPCAP(t *testing.T, b []byte) (linktype uint32, recs [][]byte, ts []int64) {
	t.Helper()
	if len(b) < 24 || binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 {
		t.Fatal("not a little-endian microsecond pcap")
	}
	if binary.LittleEndian.Uint16(b[4:]) != 2 || binary.LittleEndian.Uint16(b[6:]) != 4 {
		t.Fatal("version is not 2.4")
	}
	linktype = binary.LittleEndian.Uint32(b[20:])
	b = b[24:]
	for len(b) > 0 {
		if len(b) < 16 {
			t.Fatal("truncated record header")
		}
		sec, usec := binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:])
		incl, orig := binary.LittleEndian.Uint32(b[8:]), binary.LittleEndian.Uint32(b[12:])
		if incl != orig || int(incl) > len(b)-16 {
			t.Fatalf("bad record lengths %d/%d", incl, orig)
		}
		recs = append(recs, b[16:16+incl])
		ts = append(ts, (int64(sec)-Epoch)*1e6+int64(usec))
		b = b[16+incl:]
	}
	return
}

func TestPCAPHoldsEverySegmentAtItsSendTime(t *testing.T) {
	tr := run(t, "lost-final-ack")
	var buf bytes.Buffer
	if err := WritePCAP(&buf, tr); err != nil {
		t.Fatal(err)
	}
	lt, recs, ts := readPCAP(t, buf.Bytes())
	if lt != LinkTypeRaw {
		t.Fatalf("linktype %d, want %d", lt, LinkTypeRaw)
	}
	segs := tr.Segments()
	if len(recs) != len(segs) {
		t.Fatalf("%d packets for %d segments", len(recs), len(segs))
	}
	i := 0
	for _, e := range tr.All() {
		if e.Kind != tcp.EventSegment {
			continue
		}
		if ts[i] != int64(e.At) {
			t.Errorf("packet %d at %d µs, segment sent at %d", i+1, ts[i], e.At)
		}
		got, err := wire.Decode(recs[i])
		if err != nil {
			t.Fatalf("packet %d: %v", i+1, err)
		}
		if got.Seq != e.Segment.Seg.Seq || got.Flags != e.Segment.Seg.Flags {
			t.Errorf("packet %d is %v, want %v", i+1, got, e.Segment.Seg)
		}
		i++
	}
}

func TestPCAPNGBlocksAndKeyLog(t *testing.T) {
	tr := run(t, "three-way-handshake")
	keylog := []byte("CLIENT_RANDOM 00 11\n")
	var buf bytes.Buffer
	if err := WritePCAPNG(&buf, tr, keylog); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	var types []uint32
	for len(b) > 0 {
		typ, l := binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:])
		if l%4 != 0 || int(l) > len(b) || binary.LittleEndian.Uint32(b[l-4:]) != l {
			t.Fatalf("block %#x: bad total length %d", typ, l)
		}
		if typ == blockDSB {
			if binary.LittleEndian.Uint32(b[8:]) != secretsTLSKey || !bytes.Equal(b[16:16+len(keylog)], keylog) {
				t.Fatal("the secrets block does not hold the key log")
			}
		}
		types = append(types, typ)
		b = b[l:]
	}
	want := []uint32{blockSHB, blockIDB, blockDSB, blockEPB, blockEPB, blockEPB}
	if len(types) != len(want) {
		t.Fatalf("blocks %x, want %x", types, want)
	}
	for i := range want {
		if types[i] != want[i] {
			t.Fatalf("blocks %x, want %x", types, want)
		}
	}
}

// tshark is the oracle: it must read our captures with good IP and TCP checksums and mark
// the retransmitted FIN (lost-final-ack) and the retransmitted SYNs (connect-timeout) as
// retransmissions.
func TestTsharkReadsOurCaptures(t *testing.T) {
	tshark := capturetest.Tshark(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		id, format  string
		wantRetrans int
	}{
		{"lost-final-ack", "pcap", 1},
		{"connect-timeout", "pcapng", 10},
	} {
		t.Run(tc.id, func(t *testing.T) {
			tr := run(t, tc.id)
			path := filepath.Join(dir, tc.id+"."+tc.format)
			f, _ := os.Create(path)
			if tc.format == "pcap" {
				WritePCAP(f, tr)
			} else {
				WritePCAPNG(f, tr, nil)
			}
			f.Close()
			out, err := exec.Command(tshark, "-r", path, "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
				"-T", "fields", "-E", "separator=,", "-e", "ip.checksum.status", "-e", "tcp.checksum.status",
				"-e", "tcp.analysis.retransmission", "-e", "tcp.flags.str").Output()
			if err != nil {
				t.Fatalf("tshark: %v", err)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if len(lines) != len(tr.Segments()) {
				t.Fatalf("tshark saw %d packets, the trace has %d", len(lines), len(tr.Segments()))
			}
			retrans := 0
			for i, l := range lines {
				f := strings.Split(l, ",")
				if f[0] != "1" || f[1] != "1" {
					t.Errorf("packet %d: checksum status ip=%s tcp=%s, want 1 (good)", i+1, f[0], f[1])
				}
				if f[2] == "1" {
					retrans++
					if !tr.Segments()[i].Retransmit {
						t.Errorf("tshark calls packet %d a retransmission, the engine does not", i+1)
					}
				}
			}
			if retrans != tc.wantRetrans {
				t.Errorf("tshark marked %d retransmissions, want %d", retrans, tc.wantRetrans)
			}
		})
	}
}

// tshark decodes the Fast Open option as the engine encodes it (RFC 7413 §4.1.1): a
// cookie request, a cookie, and the experimental form (kind 254, magic 0xF989).
func TestTsharkReadsFastOpen(t *testing.T) {
	tshark := capturetest.Tshark(t)
	seg := func(opts tcp.Options, payload int) tcp.Segment {
		return tcp.Segment{Src: tcp.ClientAddr, Dst: tcp.ServerAddr, SrcPort: 40000, DstPort: 80,
			Seq: 1000, Flags: tcp.SYN, Window: 64240, TTL: 64, Options: opts, Payload: make([]byte, payload)}
	}
	mss := tcp.Option{Kind: tcp.OptMSS, MSS: 1460}
	nop := tcp.Option{Kind: tcp.OptNOP}
	cookie := []byte{0x30, 0x21, 0xb9, 0xd8, 0x89, 0x01, 0x7e, 0xeb}
	segs := []tcp.Segment{
		seg(tcp.Options{mss, {Kind: tcp.OptFastOpen, Cookie: []byte{}}, nop, nop}, 0),
		seg(tcp.Options{mss, {Kind: tcp.OptFastOpen, Cookie: cookie}, nop, nop}, 100),
		seg(tcp.Options{mss, {Kind: tcp.OptExperimental, Cookie: cookie}}, 0),
	}
	tr := &engine.Trace{}
	for i, s := range segs {
		tr.Append(tcp.Event{Kind: tcp.EventSegment, At: tcp.Time(i),
			Segment: &tcp.SegmentEvent{ID: i + 1, Src: "client", Dst: "server", Seg: s}})
	}
	path := filepath.Join(t.TempDir(), "fo.pcap")
	f, _ := os.Create(path)
	WritePCAP(f, tr)
	f.Close()
	out, err := exec.Command(tshark, "-r", path, "-o", "tcp.check_checksum:TRUE",
		"-T", "fields", "-E", "separator=;", "-e", "tcp.checksum.status", "-e", "tcp.option_kind",
		"-e", "tcp.options.tfo.request", "-e", "tcp.options.tfo.cookie").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	want := []string{"1;2,34,1,1;1;", "1;2,34,1,1;;3021b9d889017eeb", "1;2,254;;3021b9d889017eeb"}
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("tshark fields:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
