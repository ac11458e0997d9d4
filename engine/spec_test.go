package engine

import (
	"strings"
	"testing"
	"time"

	"synack/engine/tcp"
)

// A spec can tell the four-way close as data: the same segments as the built-in scenario.
func TestRunSpecFourWayClose(t *testing.T) {
	sp := Spec{
		Listen: 128,
		Server: SpecApp{Read: true, CloseOnEOF: true, CloseDelay: 300 * time.Millisecond},
		Steps: []SpecStep{
			{At: 10 * time.Millisecond, Endpoint: "client", Call: "connect"},
			{At: 500 * time.Millisecond, Endpoint: "client", Call: "close"},
		},
	}
	a, err := RunSpec("four-way-close", sp, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := FourWayClose.Run("four-way-close", DefaultParams())
	if string(a.JSONLines()) != string(b.JSONLines()) {
		t.Fatal("the spec and the built-in four-way-close give different traces")
	}
}

func TestSpecValidateNamesTheProblem(t *testing.T) {
	for name, tc := range map[string]struct {
		sp   Spec
		want string
	}{
		"unknown tune":     {Spec{Tune: map[string]string{"bogus": "1"}}, `unknown setting "bogus"`},
		"bad tune value":   {Spec{Tune: map[string]string{"syncookies": "3"}}, "syncookies: 3"},
		"bad endpoint":     {Spec{Steps: []SpecStep{{Endpoint: "moon", Call: "close"}}}, "steps[0]: endpoint"},
		"bad call":         {Spec{Steps: []SpecStep{{Endpoint: "client", Call: "fly"}}}, `steps[0]: unknown call "fly"`},
		"send no bytes":    {Spec{Steps: []SpecStep{{Endpoint: "client", Call: "send"}}}, "steps[0]: send needs"},
		"bad fault":        {Spec{Faults: []SpecFault{{Action: "explode"}}}, "faults[0]: unknown action"},
		"bad flag":         {Spec{Faults: []SpecFault{{Action: "drop", Flags: "SYN XYZ"}}}, `faults[0]: unknown flag "XYZ"`},
		"flood too big":    {Spec{Flood: SpecFlood{Count: MaxSpecFlood + 1, Interval: time.Millisecond}}, "flood: count"},
		"too many steps":   {Spec{Steps: make([]SpecStep, MaxSpecSteps+1)}, "steps: 65 is more than 64"},
		"negative horizon": {Spec{Horizon: -1}, "horizon"},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.sp.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	ok := Spec{Flood: SpecFlood{Count: MaxSpecFlood, Interval: time.Millisecond}, Steps: make([]SpecStep, 0, MaxSpecSteps)}
	if err := ok.Validate(); err != nil {
		t.Fatalf("a flood of exactly MaxSpecFlood: %v", err)
	}
}

// A spec can turn keep-alives on and reboot a host: the probe of the idle connection
// meets no socket on the rebooted peer and draws <SEQ=SEG.ACK><CTL=tcp.RST> (RFC 9293
// §3.10.7.1), which resets the prober (testdata/packetdrill/keepalive-rebooted-peer.pkt
// shows Linux doing the same).
func TestSpecKeepaliveFindsARebootedPeer(t *testing.T) {
	sp := Spec{
		Listen: 16,
		Steps: []SpecStep{
			{At: 10 * time.Millisecond, Endpoint: "client", Call: "connect"},
			{At: 500 * time.Millisecond, Endpoint: "server", Call: "keepalive", Idle: 10 * time.Second, Interval: 2 * time.Second, Count: 3},
			{At: 5 * time.Second, Endpoint: "client", Call: "reboot"},
		},
	}
	tr, err := RunSpec("keepalive-reboot", sp, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	var probe, rst *tcp.SegmentEvent
	clientClosed, serverReset := false, false
	for _, e := range tr.All() {
		switch {
		case e.Kind == tcp.EventSegment && e.Segment.Src == "server" && e.At >= tcp.Time(0).Add(10*time.Second) && probe == nil:
			probe = e.Segment
		case e.Kind == tcp.EventSegment && e.Segment.Src == "client" && probe != nil:
			rst = e.Segment
		case e.Kind == tcp.EventState && e.Endpoint == "client" && e.To == tcp.Closed && e.At == tcp.Time(0).Add(5*time.Second):
			clientClosed = true
		case e.Kind == tcp.EventApp && e.Endpoint == "server" && e.Result == "ECONNRESET":
			serverReset = true
		}
	}
	if probe == nil || rst == nil {
		t.Fatal("no keep-alive probe, or no answer to it")
	}
	if probe.Seg.Flags != tcp.ACK || len(probe.Seg.Payload) != 0 {
		t.Errorf("the probe is %v with %d bytes, want a bare tcp.ACK", probe.Seg.Flags, len(probe.Seg.Payload))
	}
	if rst.Seg.Flags != tcp.RST || rst.Seg.Seq != probe.Seg.Ack {
		t.Errorf("the answer is %v seq %d, want tcp.RST with seq = the probe's ack %d", rst.Seg.Flags, rst.Seg.Seq, probe.Seg.Ack)
	}
	if !clientClosed || !serverReset {
		t.Errorf("the reboot closed the client: %v; the server's application saw ECONNRESET: %v", clientClosed, serverReset)
	}
}

// The keep-alive settings are bounded as Linux bounds them (include/net/tcp.h).
func TestSpecKeepaliveLimits(t *testing.T) {
	step := func(idle time.Duration, count int) Spec {
		return Spec{Steps: []SpecStep{{Endpoint: "server", Call: "keepalive", Idle: idle, Interval: idle, Count: count}}}
	}
	for _, tc := range []struct {
		sp Spec
		ok bool
	}{
		{step(MaxKeepaliveTime, MaxKeepaliveCount), true},
		{step(MaxKeepaliveTime+time.Second, 1), false},
		{step(time.Second, MaxKeepaliveCount+1), false},
		{step(-time.Second, 1), false},
	} {
		if err := tc.sp.Validate(); (err == nil) != tc.ok {
			t.Errorf("Validate(idle %s, count %d) = %v, want ok %v", tc.sp.Steps[0].Idle, tc.sp.Steps[0].Count, err, tc.ok)
		}
	}
}

// A spec's client can open several connections from several ports, and a server that
// does not accept by itself leaves them in the accept queue until an "accept" step:
// with listen(2) the queue holds three (sk_acceptq_is_full is "> backlog"), and the
// fourth connection's final tcp.ACK is dropped until a place is freed
// (testdata/packetdrill/accept-queue-overflow-final-ack.pkt shows Linux doing the same).
func TestSpecSlowAcceptFillsTheQueue(t *testing.T) {
	sp := Spec{
		Listen: 2,
		Server: SpecApp{Read: true, NoAccept: true},
		Steps: []SpecStep{
			{At: 10 * time.Millisecond, Endpoint: "client", Call: "connect"},
			{At: 20 * time.Millisecond, Endpoint: "client", Call: "connect", Port: 40001},
			{At: 300 * time.Millisecond, Endpoint: "client", Call: "connect", Port: 40002},
			{At: 310 * time.Millisecond, Endpoint: "client", Call: "connect", Port: 40003},
			{At: 3 * time.Second, Endpoint: "server", Call: "accept"},
		},
	}
	tr, err := RunSpec("slow-accept", sp, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	maxAccept, drops, accepted := 0, 0, 0
	var lastEstablished tcp.Time
	for _, e := range tr.All() {
		switch {
		case e.Kind == tcp.EventQueue:
			maxAccept = max(maxAccept, e.AcceptQueue)
		case e.Kind == tcp.EventNote && e.Note == "accept-queue-full":
			drops++
		case e.Kind == tcp.EventApp && e.Endpoint == "server" && e.Call == "accept" && e.Result == "ok":
			accepted++
		case e.Kind == tcp.EventState && e.Endpoint == "server" && e.To == tcp.Established:
			lastEstablished = e.At
		}
	}
	if maxAccept != 3 || drops == 0 || accepted != 1 {
		t.Errorf("accept queue up to %d (want 3), %d drops (want some), %d accepted (want 1)", maxAccept, drops, accepted)
	}
	if lastEstablished < tcp.Time(0).Add(3*time.Second) {
		t.Errorf("the fourth connection was established at %v, before the application accepted at 3 s", lastEstablished)
	}
}
