package passive

import (
	"net/netip"
	"testing"

	"synack/engine/capture"
	"synack/engine/tcp"
)

// The connection a view draws keeps MaxKeptPackets frames and no more; the rest are
// still counted and analysed.
func TestMaxKeptPackets(t *testing.T) {
	tk := New(Options{Keep: 0})
	p := &capture.Packet{Src: tcp.ClientAddr, Dst: tcp.ServerAddr, SrcPort: 40000, DstPort: 80, Flags: tcp.ACK, Window: 100, PayloadLen: 1}
	for i := range MaxKeptPackets + 1 {
		p.N, p.TimeNs, p.Seq = i+1, int64(i), tcp.Seq(1000+i)
		tk.Add(p)
	}
	c := tk.Conns()[0]
	if len(c.Frames) != MaxKeptPackets || c.Packets != MaxKeptPackets+1 {
		t.Errorf("kept %d frames of %d packets, want %d of %d", len(c.Frames), c.Packets, MaxKeptPackets, MaxKeptPackets+1)
	}
}

// At most MaxTombstones closed connections are remembered; the oldest is forgotten first.
func TestMaxTombstones(t *testing.T) {
	tk := New(Options{Keep: -1})
	n := 0
	add := func(at int64, i int, flags tcp.Flags, fromClient bool) {
		n++
		cl := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		p := &capture.Packet{N: n, TimeNs: at, Src: cl, Dst: tcp.ServerAddr, SrcPort: 40000, DstPort: 80, Flags: flags, Seq: 7, Window: 100}
		if !fromClient {
			p.Src, p.Dst, p.SrcPort, p.DstPort = p.Dst, p.Src, p.DstPort, p.SrcPort
			p.Ack = 8
		}
		if _, _, err := tk.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	// MaxTombstones + 1 refused connections, each from its own address.
	for i := range MaxTombstones + 1 {
		add(int64(i), i, tcp.SYN, true)
		add(int64(i), i, tcp.RST|tcp.ACK, false)
	}
	add(Linger+int64(MaxTombstones)+10, MaxTombstones+1, tcp.SYN, true) // time passes: all retire
	if len(tk.tombs) != MaxTombstones {
		t.Fatalf("%d tombstones, want %d", len(tk.tombs), MaxTombstones)
	}
	if _, ok := tk.tombs[connKey{}]; ok {
		t.Fatal("an empty key was remembered")
	}
	oldest := netip.AddrFrom4([4]byte{10, 0, 0, 0})
	for k := range tk.tombs {
		if k.a.Addr() == oldest || k.b.Addr() == oldest {
			t.Errorf("the oldest connection (from %s) is still remembered", oldest)
		}
	}
}

// Closed connections leave the live table once Linger has passed, even when their last
// segment is still on its way when it is captured: memory follows the open connections.
func TestLiveConnectionsFollowTheOpenOnes(t *testing.T) {
	tk := New(Options{Keep: -1})
	maxLive, n := 0, 0
	send := func(at int64, port uint16, fromClient bool, flags tcp.Flags, seq, ack tcp.Seq) {
		n++
		p := &capture.Packet{N: n, TimeNs: at, Src: tcp.ClientAddr, Dst: tcp.ServerAddr, SrcPort: port, DstPort: 80,
			Flags: flags, Seq: seq, Ack: ack, Window: 100}
		if !fromClient {
			p.Src, p.Dst, p.SrcPort, p.DstPort = p.Dst, p.Src, p.DstPort, p.SrcPort
		}
		tk.Add(p)
		maxLive = max(maxLive, tk.Live())
	}
	const conns = 300
	for i := range conns {
		t0, port := int64(i)*1e9, uint16(10000+i) // one connection a second, 1 ms round trips
		send(t0, port, true, tcp.SYN, 100, 0)
		send(t0+500e3, port, false, tcp.SYN|tcp.ACK, 500, 101)
		send(t0+1e6, port, true, tcp.ACK, 101, 501)
		send(t0+2e6, port, true, tcp.FIN|tcp.ACK, 101, 501)
		send(t0+2.5e6, port, false, tcp.FIN|tcp.ACK, 501, 102)
		send(t0+3e6, port, true, tcp.ACK, 102, 502)
	}
	if maxLive > int(Linger/1e9)+2 {
		t.Errorf("%d connections live at most, want about %d (Linger at one a second)", maxLive, int(Linger/1e9)+1)
	}
	for _, c := range tk.Conns() {
		if c.B.State != tcp.Closed || c.A.State != tcp.TimeWait {
			t.Fatalf("connection %d ends %s / %s, want TIME-WAIT / CLOSED", c.Index, c.A.State, c.B.State)
		}
	}
}
