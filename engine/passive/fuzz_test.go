package passive

import (
	"bytes"
	"errors"
	"testing"

	"synack/engine"
	"synack/engine/capture"
	"synack/lessons/stories"
)

// FuzzRead feeds anything to the reader and the tracker. Bad input must be refused
// with a *capture.Error (never a panic); what is accepted must account for every
// segment, and a connection exported as pcapng must read back as the same segments.
func FuzzRead(f *testing.F) {
	for _, id := range []string{"three-way-handshake", "lost-final-ack", "https-tls13"} {
		tr, err := stories.Default().Run(id, engine.DefaultParams())
		if err != nil {
			f.Fatal(err)
		}
		var pc, ng, tx bytes.Buffer
		capture.WritePCAP(&pc, tr)
		capture.WritePCAPNG(&ng, tr, []byte(tr.Meta.KeyLog))
		for _, s := range tr.Segments() {
			tx.WriteString("01:02:03.000000 IP " + s.Seg.Src.String() + "." + itoa(int(s.Seg.SrcPort)) + " > " + s.Seg.Dst.String() + "." +
				itoa(int(s.Seg.DstPort)) + ": Flags [" + s.Seg.Flags.TcpdumpString() + "], seq " + itoa(int(s.Seg.Seq)) + ", ack " +
				itoa(int(s.Seg.Ack)) + ", win " + itoa(int(s.Seg.Window)) + ", length " + itoa(len(s.Seg.Payload)) + "\n")
		}
		f.Add(pc.Bytes())
		f.Add(ng.Bytes())
		f.Add(tx.Bytes())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := Read(bytes.NewReader(b), Options{Keep: 0, MaxConnections: 64, MaxPackets: 4096})
		if err != nil {
			var ce *capture.Error
			if !errors.As(err, &ce) && !errors.Is(err, ErrTooManyConnections) && !errors.Is(err, ErrTooManyPackets) {
				t.Fatalf("err = %v (%T), want a *capture.Error or a limit", err, err)
			}
			return
		}
		total := 0
		for _, c := range res.Conns {
			total += c.Packets
			if c.A.Packets+c.B.Packets != c.Packets {
				t.Fatalf("conn %d: %d + %d packets by side, %d in all", c.Index, c.A.Packets, c.B.Packets, c.Packets)
			}
		}
		if total != res.Packets {
			t.Fatalf("connections hold %d packets, the file %d", total, res.Packets)
		}
		if len(res.Conns) == 0 || res.Format == capture.FormatText {
			return
		}
		// Export the first connection and read it back: the same segments.
		c := res.Conns[0]
		var out bytes.Buffer
		if err := WritePCAPNG(&out, c, res.KeyLog); err != nil {
			t.Fatal(err)
		}
		again, err := Read(bytes.NewReader(out.Bytes()), Options{Keep: 0})
		if err != nil {
			t.Fatalf("our own export does not read back: %v", err)
		}
		if len(again.Conns) == 0 || again.Conns[0].Packets != len(c.Frames) {
			t.Fatalf("exported %d frames, read back %d connections", len(c.Frames), len(again.Conns))
		}
		for i, fr := range again.Conns[0].Frames {
			a, b := fr.Seg, c.Frames[i].Seg
			if a.Seq != b.Seq || a.Ack != b.Ack || a.Flags != b.Flags || a.Window != b.Window || len(a.Payload) != len(b.Payload) {
				t.Fatalf("frame %d: read back as %v, was %v", i, a, b)
			}
		}
	})
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
