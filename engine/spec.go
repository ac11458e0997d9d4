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
	// NoAccept keeps a listening server's application from accepting connections by
	// itself: they wait in the accept queue until an "accept" step takes one.
	NoAccept bool `json:"no_accept,omitempty"`
}

// SpecStep is one application call.
type SpecStep struct {
	At       time.Duration `json:"at"`
	Endpoint string        `json:"endpoint"` // "client" or "server"
	Call     string        `json:"call"`     // listen, connect, accept, send, read, close, shutdown, abort, linger0, keepalive, reboot
	Bytes    int           `json:"bytes,omitempty"`
	// Port is the client's local port for "connect" (0: 40000), so that one client can
	// open several connections; later steps act on the newest.
	Port uint16 `json:"port,omitempty"`
	// Idle, Interval and Count go with "keepalive": SO_KEEPALIVE on, with
	// TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT (zero: the profile's).
	Idle     time.Duration `json:"idle,omitempty"`
	Interval time.Duration `json:"interval,omitempty"`
	Count    int           `json:"count,omitempty"`
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
	// MaxKeepaliveTime and MaxKeepaliveCount are Linux's bounds on TCP_KEEPIDLE and
	// TCP_KEEPINTVL (MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL: 32767 s) and on TCP_KEEPCNT
	// (MAX_TCP_KEEPCNT: 127), include/net/tcp.h.
	MaxKeepaliveTime  = 32767 * time.Second
	MaxKeepaliveCount = 127
)

var specCalls = map[string]bool{"listen": true, "connect": true, "accept": true, "send": true, "read": true,
	"close": true, "shutdown": true, "abort": true, "linger0": true, "keepalive": true, "reboot": true}

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
		if st.Idle < 0 || st.Idle > MaxKeepaliveTime || st.Interval < 0 || st.Interval > MaxKeepaliveTime {
			return fmt.Errorf("steps[%d]: keepalive idle and interval must be within 0..%s", i, MaxKeepaliveTime)
		}
		if st.Count < 0 || st.Count > MaxKeepaliveCount {
			return fmt.Errorf("steps[%d]: keepalive count %d is outside 0..%d", i, st.Count, MaxKeepaliveCount)
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
	if sp.reply() > MaxSpecBytes {
		return fmt.Errorf("reply is more than %d bytes", MaxSpecBytes)
	}
	return nil
}

// reply returns the larger reply size of the two applications.
func (sp *Spec) reply() int { return max(sp.Server.Reply, sp.Client.Reply) }

// parseFlags reads flag names separated by spaces or "|" ("SYN ACK", "FIN|ACK").
func parseFlags(s string) (tcp.Flags, error) {
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
		fl, err := parseFlags(sf.Flags)
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
	hosts := map[string]*tcp.Host{"client": client, "server": server}
	// The steps' calls go through each endpoint's socket table; fds holds the
	// descriptor of its connection.
	fds := map[string]int{}
	appOf := func(a SpecApp, name string) app {
		return app{readAll: a.Read || a.Reply > 0 || a.CloseOnEOF, replyBytes: a.Reply, noAccept: a.NoAccept,
			closeOnEOF: a.CloseOnEOF, closeDelay: a.CloseDelay,
			onEstablish: func(fd int) { fds[name] = fd }}
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
		h := hosts[st.Endpoint]
		s.at(st.At, h, func() { s.specStep(st, s.sockets(h), fds) })
	}
	return s.Run(), nil
}

// specStep makes the call of one step at its endpoint; fds holds each endpoint's
// current connection.
func (s *Sim) specStep(st SpecStep, so *appSockets, fds map[string]int) {
	switch st.Call {
	case "listen":
		so.listen(localPort(st.Endpoint), 128)
	case "reboot":
		so.reboot()
		delete(fds, st.Endpoint) // the reboot forgot every connection
	case "accept":
		if fd, ok := so.accept(localPort(st.Endpoint)); ok {
			fds[st.Endpoint] = fd
		}
	case "connect":
		var rport, lport uint16 = tcp.ServerPort, tcp.ClientPort
		raddr := tcp.ServerAddr
		if st.Endpoint == "server" {
			rport, lport, raddr = tcp.ClientPort, tcp.ServerPort, tcp.ClientAddr
		} else if st.Port != 0 {
			lport = st.Port
		}
		if fd, res := so.connect(lport, raddr, rport); res.Errno == "" {
			fds[st.Endpoint] = fd
		}
	default:
		fd, ok := fds[st.Endpoint]
		if !ok {
			s.Record(tcp.Event{Kind: tcp.EventNote, At: s.now, Endpoint: st.Endpoint, Note: "no-connection", Detail: st.Call + " with no connection"})
			return
		}
		so.do(specCall(st, fd))
	}
}

// specCall is the socket call a step on a connection makes.
func specCall(st SpecStep, fd int) tcp.Call {
	switch st.Call {
	case "send":
		return tcp.Call{Op: tcp.OpSend, FD: fd, Data: payload(st.Bytes, 'q')}
	case "read":
		return tcp.Call{Op: tcp.OpRecv, FD: fd, Size: MaxSpecBytes}
	case "close":
		return tcp.Call{Op: tcp.OpClose, FD: fd}
	case "shutdown":
		return tcp.Call{Op: tcp.OpShutdown, FD: fd, How: tcp.ShutWrite}
	case "abort":
		return tcp.Call{Op: tcp.OpAbort, FD: fd}
	case "keepalive":
		// SO_KEEPALIVE with its TCP_KEEP* values as the step gives them (durations
		// finer than the socket options' whole seconds).
		return tcp.Call{Op: tcp.OpSetsockopt, FD: fd, Opt: "SO_KEEPALIVE",
			Val: tcp.OptVal{Keepalive: &tcp.Keepalive{On: true, Idle: st.Idle, Interval: st.Interval, Count: st.Count}}}
	}
	// linger0: SO_LINGER {on, 0 s}, so that close() aborts.
	return linger0Call(fd)
}

func localPort(endpoint string) uint16 {
	if endpoint == "server" {
		return tcp.ServerPort
	}
	return tcp.ClientPort
}
