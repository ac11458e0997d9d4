package main

import (
	"testing"
	"time"

	"synack/engine"
	"synack/engine/tcp"
	"synack/lessons/stories"
)

// Closing scenarios used to close at a fixed 500 ms, before a slow handshake had
// finished, and called Close on a connection that did not exist yet (a nil pointer
// panic from RTT 450 ms for simultaneous-close, 490 ms for orphan-fin-wait-2). Their
// steps now follow the handshake, so the story is the same at every RTT.
func TestClosingStoriesKeepTheirShapeAtEveryRTT(t *testing.T) {
	wants := map[string][]tcp.State{
		"simultaneous-close": {tcp.Closing, tcp.TimeWait},
		"orphan-fin-wait-2":  {tcp.FinWait2, tcp.Closed},
		"four-way-close":     {tcp.FinWait2, tcp.TimeWait},
		"three-way-close":    {tcp.FinWait1, tcp.TimeWait},
		"lost-final-ack":     {tcp.TimeWait},
		"half-close":         {tcp.FinWait2, tcp.TimeWait},
		"abort-rst":          {tcp.Closed},
		// Its second connection follows the first one's close; both at every RTT.
		"tcp-fast-open": {tcp.FinWait2, tcp.TimeWait, tcp.Established},
	}
	for id, want := range wants {
		for _, prof := range []string{"linux", "rfc"} {
			for _, rtt := range []time.Duration{engine.MinRTT, 100 * time.Millisecond, 450 * time.Millisecond, 490 * time.Millisecond, 500 * time.Millisecond, time.Second, engine.MaxRTT} {
				tr, err := stories.Default().Run(id, engine.Params{Profile: prof, Seed: 1, RTT: rtt})
				if err != nil {
					t.Fatalf("%s %s rtt %s: %v", id, prof, rtt, err)
				}
				reached := map[tcp.State]bool{}
				for _, e := range tr.All() {
					if e.Kind == tcp.EventState && e.Endpoint == "client" {
						reached[e.To] = true
					}
				}
				for _, st := range want {
					if !reached[st] {
						t.Errorf("%s %s rtt %s: the client never reached %s", id, prof, rtt, st)
					}
				}
			}
		}
	}
}

// A call on a connection that does not exist is an error, not a nil dereference.
func TestCallsOnNoConnection(t *testing.T) {
	var c *tcp.Conn
	if err := c.Close(); err != tcp.ENOTCONN {
		t.Errorf("Close() = %v, want ENOTCONN", err)
	}
	if err := c.Shutdown(); err != tcp.ENOTCONN {
		t.Errorf("Shutdown() = %v, want ENOTCONN", err)
	}
	if _, err := c.Send([]byte("x")); err != tcp.ENOTCONN {
		t.Errorf("Send() = %v, want ENOTCONN", err)
	}
	if _, err := c.Read(1); err != tcp.ENOTCONN {
		t.Errorf("Read() = %v, want ENOTCONN", err)
	}
	c.Abort()
	c.SetLinger(true)
}

// FuzzRunScenario runs every scenario (the carried TLS and QUIC ones too) with both
// profiles over the whole accepted range of RTT, jitter, loss, drops and seed. Nothing
// the program accepts may panic; a run whose parameters validate must give a trace whose
// events are in time order and whose segments are numbered 1, 2, 3, ...
func FuzzRunScenario(f *testing.F) {
	f.Add(uint8(8), false, uint32(450_000), uint32(0), uint16(0), uint64(1), []byte{})
	f.Add(uint8(10), true, uint32(490_000), uint32(0), uint16(0), uint64(1), []byte{})
	f.Add(uint8(17), false, uint32(2_000_000), uint32(1_000_000), uint16(30000), uint64(7), []byte{1, 3})
	f.Add(uint8(23), true, uint32(1_000), uint32(1_000), uint16(65535), uint64(99), []byte{2, 2, 5})
	all := stories.Default().Stories()
	f.Fuzz(func(t *testing.T, idx uint8, rfc bool, rttUs, jitterUs uint32, loss uint16, seed uint64, drops []byte) {
		p := engine.Params{Profile: "linux", Seed: seed}
		if rfc {
			p.Profile = "rfc"
		}
		span := uint32((engine.MaxRTT - engine.MinRTT) / time.Microsecond)
		p.RTT = engine.MinRTT + time.Duration(rttUs%(span+1))*time.Microsecond
		p.Jitter = time.Duration(jitterUs%uint32(p.RTT/time.Microsecond+1)) * time.Microsecond
		p.Loss = engine.MaxLoss * float64(loss) / 65535
		for i := 0; i < len(drops) && i < engine.MaxDrops; i++ {
			p.Drop = append(p.Drop, 1+int(drops[i]))
		}
		id := all[int(idx)%len(all)].ID
		if err := p.Validate(); err != nil {
			t.Fatalf("the fuzzer made parameters the program refuses: %+v: %v", p, err)
		}
		tr, err := stories.Default().Run(id, p)
		if err != nil {
			return // a clear error is an accepted answer
		}
		var last tcp.Time
		seg := 0
		for i, e := range tr.All() {
			if e.At < last {
				t.Fatalf("%s %+v: event %d at %v before the one before it (%v)", id, p, i, e.At, last)
			}
			last = e.At
			if e.Kind == tcp.EventSegment {
				seg++
				if e.Segment.ID != seg {
					t.Fatalf("%s %+v: segment %d numbered %d", id, p, seg, e.Segment.ID)
				}
			}
		}
	})
}
