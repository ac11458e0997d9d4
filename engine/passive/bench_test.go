package passive

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"synack/engine/capture"
	"synack/engine/tcp"
	"synack/engine/wire"
)

// writeBigCapture writes a raw-IP pcap of about packets segments: conns connections,
// one starting every half second, each a handshake, data from the server in 500-byte
// segments each ACKed by the client (one in fifty sent twice), and a four-segment
// close. It returns the number of segments written.
func writeBigCapture(w io.Writer, conns, packets int) int {
	bw := bufio.NewWriterSize(w, 1<<20)
	h := make([]byte, 24)
	binary.LittleEndian.PutUint32(h, 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], 65535)
	binary.LittleEndian.PutUint32(h[20:], capture.LinkTypeRaw)
	bw.Write(h)
	n := 0
	var rec [16]byte
	put := func(us int64, s tcp.Segment) {
		b := wire.Encode(s)
		binary.LittleEndian.PutUint32(rec[0:], uint32(capture.Epoch+us/1e6))
		binary.LittleEndian.PutUint32(rec[4:], uint32(us%1e6))
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(b)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(len(b)))
		bw.Write(rec[:])
		bw.Write(b)
		n++
	}
	payload := make([]byte, 500)
	per := packets / conns
	server := netip.MustParseAddr("198.51.100.1")
	for i := range conns {
		cl := netip.AddrFrom4([4]byte{192, 0, 2, byte(1 + i%200)})
		cp := uint16(10000 + i)
		t := int64(i) * 500_000
		iss, irs := tcp.Seq(1000*i+7), tcp.Seq(2000*i+11)
		c2s := tcp.Segment{Src: cl, Dst: server, SrcPort: cp, DstPort: 443, TTL: 64}
		s2c := tcp.Segment{Src: server, Dst: cl, SrcPort: 443, DstPort: cp, TTL: 64}
		syn := c2s
		syn.Seq, syn.Flags, syn.Window = iss, tcp.SYN, 65535
		syn.Options = tcp.Options{{Kind: tcp.OptMSS, MSS: 1460}, {Kind: tcp.OptNOP}, {Kind: tcp.OptWindowScale, Shift: 7}}
		put(t, syn)
		sa := s2c
		sa.Seq, sa.Ack, sa.Flags, sa.Window = irs, iss+1, tcp.SYN|tcp.ACK, 65535
		sa.Options = tcp.Options{{Kind: tcp.OptMSS, MSS: 1460}, {Kind: tcp.OptNOP}, {Kind: tcp.OptWindowScale, Shift: 7}}
		put(t+1000, sa)
		ack := c2s
		ack.Seq, ack.Ack, ack.Flags, ack.Window = iss+1, irs+1, tcp.ACK, 512
		put(t+2000, ack)
		t += 2000
		next := irs + 1
		for k := 0; k < (per-7)/2; k++ {
			d := s2c
			d.Seq, d.Ack, d.Flags, d.Window, d.Payload = next, iss+1, tcp.ACK|tcp.PSH, 512, payload
			t += 3
			put(t, d)
			if k%50 == 49 {
				t += 200
				put(t, d) // a retransmission
			}
			next += 500
			a := ack
			a.Ack = next
			t += 3
			put(t, a)
		}
		fin := c2s
		fin.Seq, fin.Ack, fin.Flags, fin.Window = iss+1, next, tcp.FIN|tcp.ACK, 512
		put(t+10, fin)
		f2 := s2c
		f2.Seq, f2.Ack, f2.Flags, f2.Window = next, iss+2, tcp.FIN|tcp.ACK, 512
		put(t+1010, f2)
		last := c2s
		last.Seq, last.Ack, last.Flags, last.Window = iss+2, next+1, tcp.ACK, 512
		put(t+2010, last)
	}
	bw.Flush()
	return n
}

// BenchmarkImportMillion reads a capture of about a million segments in 2,332
// connections (the size issue 26 names) and, when tshark is installed, times
// `tshark -n -q -z conv,tcp` on the same file in the same run. It reports the live
// connections at most and the heap in use at the end, so memory is seen to follow the
// open connections, not the file.
func BenchmarkImportMillion(b *testing.B) {
	if testing.Short() {
		b.Skip("writes a 300 MB capture: not in -short")
	}
	file := filepath.Join(b.TempDir(), "million.pcap")
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	segs := writeBigCapture(f, 2332, 1_000_000)
	f.Close()
	st, _ := os.Stat(file)
	var maxLive, conns int
	var heap uint64
	b.ResetTimer()
	for range b.N {
		f, _ := os.Open(file)
		rd, err := capture.NewReader(f)
		if err != nil {
			b.Fatal(err)
		}
		t := New(Options{Keep: -1})
		for {
			p, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := t.Add(p); err != nil {
				b.Fatal(err)
			}
			maxLive = max(maxLive, t.Live())
		}
		f.Close()
		conns = len(t.Conns())
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = ms.HeapInuse
	}
	b.StopTimer()
	perRun := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(segs), "segments")
	b.ReportMetric(float64(st.Size())/1e6, "file-MB")
	b.ReportMetric(float64(conns), "conns")
	b.ReportMetric(float64(maxLive), "max-live-conns")
	b.ReportMetric(float64(heap)/1e6, "heap-MB")
	if _, err := exec.LookPath("tshark"); err == nil {
		start := time.Now()
		out, err := exec.Command("tshark", "-n", "-q", "-z", "conv,tcp", "-r", file).Output()
		if err != nil {
			b.Fatalf("tshark: %v", err)
		}
		took := time.Since(start)
		lines := bytes.Count(out, []byte("<->"))
		b.ReportMetric(took.Seconds(), "tshark-s")
		b.ReportMetric(took.Seconds()/perRun.Seconds(), "x-faster")
		if lines != conns {
			b.Errorf("tshark lists %d conversations, we find %d", lines, conns)
		}
	}
}
