package engine

import (
	"fmt"
	"strings"
	"time"

	"synack/engine/tcp"
)

// Spec is a scenario written as data (a lesson's inline scenario): who does what when,
// what the network does, and which profile settings differ. RunSpec runs it.
type Spec struct {
	// Tune overrides profile settings by name; see TuneNames.
	Tune map[string]string `json:"tune,omitempty"`
	// Listen makes the server listen on port 80 with this backlog before anything else
	// (0: no listener).
	Listen int `json:"listen,omitempty"`
	// Server is what the server's application does with connections it accepts.
	Server SpecApp `json:"server,omitempty"`
	// Client is what the client's application does with its connection.
	Client SpecApp `json:"client,omitempty"`
	// Steps are application calls at given times.
	Steps []SpecStep `json:"steps,omitempty"`
	// Faults are network directives.
	Faults []SpecFault `json:"faults,omitempty"`
	// Flood, when Count > 0, aims spoofed SYNs at the server.
	Flood SpecFlood `json:"flood,omitempty"`
	// Horizon bounds virtual time (default DefaultHorizon).
	Horizon time.Duration `json:"horizon,omitempty"`
}

// SpecApp is a scripted application's reaction to its connection.
type SpecApp struct {
	Read       bool          `json:"read,omitempty"`         // read whatever arrives
	Reply      int           `json:"reply,omitempty"`        // answer the first data with this many bytes
	CloseOnEOF bool          `json:"close_on_eof,omitempty"` // close when the peer's FIN arrives
	CloseDelay time.Duration `json:"close_delay,omitempty"`  // ... after this long
}

// SpecStep is one application call.
type SpecStep struct {
	At       time.Duration `json:"at"`
	Endpoint string        `json:"endpoint"` // "client" or "server"
	Call     string        `json:"call"`     // listen, connect, send, read, close, shutdown, abort, linger0
	Bytes    int           `json:"bytes,omitempty"`
}

// SpecFault is a network directive: do Action to the Nth segment from From with exactly
// Flags (or to the segment with the given ID).
type SpecFault struct {
	Action string        `json:"action"` // drop, duplicate, delay, reorder
	ID     int           `json:"id,omitempty"`
	From   string        `json:"from,omitempty"`
	Flags  string        `json:"flags,omitempty"` // e.g. "SYN ACK"; empty for any
	Nth    int           `json:"nth,omitempty"`   // 0: every match
	Delay  time.Duration `json:"delay,omitempty"`
}

// SpecFlood is a SYN flood from spoofed addresses.
type SpecFlood struct {
	Count    int           `json:"count,omitempty"`
	Interval time.Duration `json:"interval,omitempty"`
	Start    time.Duration `json:"start,omitempty"`
}

// Limits on specs.
const (
	MaxSpecSteps  = 64
	MaxSpecFaults = 16
	MaxSpecFlood  = 5000
	MaxSpecBytes  = 1 << 20
)

var specCalls = map[string]bool{"listen": true, "connect": true, "send": true, "read": true,
	"close": true, "shutdown": true, "abort": true, "linger0": true}

// Validate checks a spec and says what is wrong and where.
func (sp *Spec) Validate() error {
	var prof tcp.Profile
	for k, v := range sp.Tune {
		if err := prof.ApplyTune(k, v); err != nil {
			return fmt.Errorf("tune: %w", err)
		}
	}
	if len(sp.Steps) > MaxSpecSteps {
		return fmt.Errorf("steps: %d is more than %d", len(sp.Steps), MaxSpecSteps)
	}
	for i, st := range sp.Steps {
		if st.Endpoint != "client" && st.Endpoint != "server" {
			return fmt.Errorf("steps[%d]: endpoint %q must be client or server", i, st.Endpoint)
		}
		if !specCalls[st.Call] {
			return fmt.Errorf("steps[%d]: unknown call %q", i, st.Call)
		}
		if st.At < 0 || st.At > DefaultHorizon {
			return fmt.Errorf("steps[%d]: at %s is outside 0..%s", i, st.At, DefaultHorizon)
		}
		if st.Call == "send" && (st.Bytes < 1 || st.Bytes > MaxSpecBytes) {
			return fmt.Errorf("steps[%d]: send needs 1 to %d bytes", i, MaxSpecBytes)
		}
	}
	if len(sp.Faults) > MaxSpecFaults {
		return fmt.Errorf("faults: %d is more than %d", len(sp.Faults), MaxSpecFaults)
	}
	for i, f := range sp.Faults {
		if _, err := f.fault(); err != nil {
			return fmt.Errorf("faults[%d]: %w", i, err)
		}
	}
	if sp.Flood.Count < 0 || sp.Flood.Count > MaxSpecFlood {
		return fmt.Errorf("flood: count %d is outside 0..%d", sp.Flood.Count, MaxSpecFlood)
	}
	if sp.Flood.Count > 0 && sp.Flood.Interval <= 0 {
		return fmt.Errorf("flood: interval must be positive")
	}
	if sp.Horizon < 0 || sp.Horizon > 2*DefaultHorizon {
		return fmt.Errorf("horizon %s is outside 0..%s", sp.Horizon, 2*DefaultHorizon)
	}
	if sp.Reply() > MaxSpecBytes {
		return fmt.Errorf("reply is more than %d bytes", MaxSpecBytes)
	}
	return nil
}

// Reply returns the larger reply size of the two applications.
func (sp *Spec) Reply() int { return max(sp.Server.Reply, sp.Client.Reply) }

// ParseFlags reads flag names separated by spaces or "|" ("SYN ACK", "FIN|ACK").
func ParseFlags(s string) (tcp.Flags, error) {
	var f tcp.Flags
	for _, n := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '|' || r == ',' }) {
		g, ok := tcp.ParseFlag(strings.ToUpper(n))
		if !ok {
			return 0, fmt.Errorf("unknown flag %q", n)
		}
		f |= g
	}
	return f, nil
}

func (sf SpecFault) fault() (Fault, error) {
	f := Fault{ID: sf.ID, From: sf.From, Nth: sf.Nth, Delay: sf.Delay}
	switch sf.Action {
	case "drop":
		f.Action = FaultDrop
	case "duplicate":
		f.Action = FaultDuplicate
	case "delay":
		f.Action = FaultDelay
		if sf.Delay <= 0 || sf.Delay > MaxRTT {
			return f, fmt.Errorf("delay %s is outside 1µs..%s", sf.Delay, MaxRTT)
		}
	case "reorder":
		f.Action = FaultReorder
	default:
		return f, fmt.Errorf("unknown action %q (want drop, duplicate, delay or reorder)", sf.Action)
	}
	if sf.From != "" && sf.From != "client" && sf.From != "server" {
		return f, fmt.Errorf("from %q must be client or server", sf.From)
	}
	if sf.Flags == "" {
		f.AnyFlags = true
	} else {
		fl, err := ParseFlags(sf.Flags)
		if err != nil {
			return f, err
		}
		f.Flags = fl
	}
	if sf.Nth < 0 || sf.ID < 0 {
		return f, fmt.Errorf("nth and id must not be negative")
	}
	return f, nil
}

// RunSpec runs a scenario given as data.
func RunSpec(name string, sp Spec, p Params) (*Trace, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := sp.Validate(); err != nil {
		return nil, err
	}
	tune := func(prof *tcp.Profile) {
		for k, v := range sp.Tune {
			prof.ApplyTune(k, v) // validated above
		}
	}
	s, client, server := newPair(p, tune)
	s.trace.Meta.Scenario = name
	if sp.Horizon > 0 {
		s.Horizon = sp.Horizon
	}
	conns := map[string]*tcp.Conn{}
	hosts := map[string]*tcp.Host{"client": client, "server": server}
	appOf := func(a SpecApp, name string) app {
		return app{readAll: a.Read || a.Reply > 0 || a.CloseOnEOF, replyBytes: a.Reply,
			closeOnEOF: a.CloseOnEOF, closeDelay: a.CloseDelay,
			onEstablish: func(c *tcp.Conn) { conns[name] = c }}
	}
	if sp.Listen > 0 {
		listenServer(s, server, sp.Listen, appOf(sp.Server, "server"))
	} else {
		s.runApp(server, appOf(sp.Server, "server"))
	}
	s.runApp(client, appOf(sp.Client, "client"))
	for _, sf := range sp.Faults {
		f, _ := sf.fault()
		s.AddFault(f)
	}
	if sp.Flood.Count > 0 {
		s.AddLane("attacker-1", tcp.AttackerNet, "attacker")
		s.Flood(FloodConfig{Lane: "attacker-1", Prefix: tcp.AttackerNet, Target: tcp.ServerAddr, Port: tcp.ServerPort,
			Count: sp.Flood.Count, Start: tcp.Time(0).Add(sp.Flood.Start), Interval: sp.Flood.Interval})
	}
	for _, st := range sp.Steps {
		st := st
		h := hosts[st.Endpoint]
		s.at(st.At, h, func() {
			c := conns[st.Endpoint]
			switch st.Call {
			case "listen":
				h.Listen(localPort(st.Endpoint), 128)
			case "connect":
				var rport, lport uint16 = tcp.ServerPort, tcp.ClientPort
				raddr := tcp.ServerAddr
				if st.Endpoint == "server" {
					rport, lport, raddr = tcp.ClientPort, tcp.ServerPort, tcp.ClientAddr
				}
				if nc, err := h.Connect(lport, raddr, rport); err == nil {
					conns[st.Endpoint] = nc
				}
			default:
				if c == nil {
					s.Record(tcp.Event{Kind: tcp.EventNote, At: s.now, Endpoint: st.Endpoint, Note: "no-connection", Detail: st.Call + " with no connection"})
					return
				}
				switch st.Call {
				case "send":
					c.Send(payload(st.Bytes, 'q'))
				case "read":
					c.Read(MaxSpecBytes)
				case "close":
					c.Close()
				case "shutdown":
					c.Shutdown()
				case "abort":
					c.Abort()
				case "linger0":
					c.SetLinger(true)
				}
			}
		})
	}
	return s.Run(), nil
}

func localPort(endpoint string) uint16 {
	if endpoint == "server" {
		return tcp.ServerPort
	}
	return tcp.ClientPort
}
