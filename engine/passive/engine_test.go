package passive

import (
	"bytes"
	"strings"
	"testing"

	"synack/engine"
	"synack/engine/capture"
	"synack/engine/tcp"
	"synack/lessons/stories"
)

// TestStatesMatchTheEngine imports the capture of each two-party TCP story and compares
// the states the tracker infers for each end with the states the engine itself went
// through: the engine's trace is the truth of what it did, and the capture is all the
// tracker sees of it.
func TestStatesMatchTheEngine(t *testing.T) {
	for _, id := range []string{"three-way-handshake", "data-on-third-ack", "four-way-close", "three-way-close", "half-close",
		"lost-final-ack", "syn-to-closed-port", "abort-rst", "simultaneous-open", "simultaneous-close", "http-over-tcp"} {
		t.Run(id, func(t *testing.T) {
			tr, err := stories.Default().Run(id, engine.DefaultParams())
			if err != nil {
				t.Fatal(err)
			}
			var pc bytes.Buffer
			capture.WritePCAP(&pc, tr)
			res, err := Read(&pc, Options{Keep: -1})
			if err != nil {
				t.Fatal(err)
			}
			// The engine's states per endpoint address, from the first change its
			// segments could show (leaving CLOSED or LISTEN).
			want := map[string][]string{}
			addr := map[string]string{}
			for _, ep := range tr.Meta.Endpoints {
				addr[ep.Name] = ep.Addr
			}
			for _, e := range tr.All() {
				// A timer's change (TIME-WAIT running out) sends nothing: no capture shows it.
				if e.Kind != tcp.EventState || e.Peer == "" || strings.Contains(e.Cause, "timer") {
					continue
				}
				a := addr[e.Endpoint]
				if len(want[a]) == 0 {
					want[a] = []string{e.From.String()}
				}
				want[a] = append(want[a], e.To.String())
			}
			if len(res.Conns) != 1 {
				t.Fatalf("%d connections, want 1", len(res.Conns))
			}
			c := res.Conns[0]
			for _, s := range []*Side{&c.A, &c.B} {
				got := strings.Join(s.States(), " > ")
				w := strings.Join(want[s.Addr.Addr().String()], " > ")
				if w == "" {
					// No connection ever existed at this end: its RST says the port is
					// CLOSED (RFC 9293 §3.10.7.1), which is all a capture can tell.
					w = "unknown > CLOSED"
				}
				if got != w {
					t.Errorf("%s: %s, the engine went %s", s.Addr, got, w)
				}
			}
		})
	}
}

// A SYN on the ports of a connection closed long before (past Linger) is still a reused
// port, as tshark says of it; one within Linger is found in the live table.
func TestReusedPortsAfterLinger(t *testing.T) {
	mk := func(at int64, flags tcp.Flags, seq tcp.Seq, fromClient bool) *capture.Packet {
		p := &capture.Packet{TimeNs: at, Src: tcp.ClientAddr, Dst: tcp.ServerAddr, SrcPort: 40000, DstPort: 80, Flags: flags, Seq: seq, Window: 100}
		if !fromClient {
			p.Src, p.Dst, p.SrcPort, p.DstPort = p.Dst, p.Src, p.DstPort, p.SrcPort
		}
		return p
	}
	for _, gap := range []int64{1e9, Linger + 5e9} {
		tk := New(Options{Keep: -1})
		tk.Add(mk(0, tcp.SYN, 100, true))
		tk.Add(mk(1, tcp.RST|tcp.ACK, 0, false))
		other := mk(2+gap/2, tcp.SYN, 900, true) // another connection, that moves time on
		other.SrcPort = 40001
		tk.Add(other)
		_, fl, _ := tk.Add(mk(2+gap, tcp.SYN, 500, true))
		if !fl.Has(ReusedPorts) || len(tk.Conns()) != 3 {
			t.Errorf("a SYN %d s after the reset: flags %s, %d connections; want reused ports and 3", gap/1e9, fl, len(tk.Conns()))
		}
	}
}
