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
