package engine

import (
	"strings"
	"time"

	"synack/engine/catalog"
	"synack/engine/tcp"
)

// Limits of the sandbox.
const (
	// LabSettle is how long the sandbox lets the simulation run on after an action: it
	// stops once nothing has happened for this much virtual time (so a retransmission
	// schedule plays out, but TIME-WAIT's 60 s waits for an explicit "wait").
	LabSettle = 5 * time.Second
	// MaxLabWait is the longest single "wait" action.
	MaxLabWait = 10 * time.Minute
	// MaxLabBytes is the most one "send" may write.
	MaxLabBytes = 64 * 1024
	// MaxLabEvents bounds a sandbox's whole trace.
	MaxLabEvents = 20000
	// maxLabSteps bounds the simulation steps of one action.
	maxLabSteps = 20000
)

// labFaults are the network actions of the sandbox: what it does to the next segment
// in one direction (op "<action>-next").
var labFaults = map[string]bool{"drop": true, "duplicate": true, "delay": true, "reorder": true}

// LabAction is one thing the sandbox's user does.
type LabAction struct {
	Endpoint string        `json:"endpoint"` // "client", "server", "network" or "clock"
	Op       string        `json:"op"`
	Bytes    int           `json:"bytes,omitempty"` // send
	Dir      string        `json:"dir,omitempty"`   // network: "client->server" or "server->client"
	Delay    time.Duration `json:"delay,omitempty"` // network delay-next, clock wait
}

// Lab is an interactive simulation: the user drives both endpoints and the network one
// action at a time and sees what the engine does in answer.
type Lab struct {
	s     *Sim
	hosts map[string]*tcp.Host
	// Each endpoint's calls go through its socket table (Sim.sockets); conn is the
	// descriptor of its connection.
	conn map[string]int
	sent int // trace events already returned
}

// NewLab starts an empty sandbox: a client and a server, nothing listening.
func NewLab(p Params) (*Lab, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	s, client, server := newPair(p, nil)
	s.trace.Meta.Scenario = "lab"
	s.Horizon = 0
	l := &Lab{s: s, hosts: map[string]*tcp.Host{"client": client, "server": server}, conn: map[string]int{}}
	for name, h := range l.hosts {
		s.OnConn(h, func(c *tcp.Conn, k tcp.ConnEventKind) {
			if k == tcp.ConnAcceptable {
				if fd, ok := l.so(name).accept(localPort(name)); ok {
					l.conn[name] = fd
				}
			}
		})
	}
	return l, nil
}

// Trace returns the sandbox's whole trace so far.
func (l *Lab) Trace() *Trace { return l.s.Trace() }

// Now returns the sandbox's virtual time.
func (l *Lab) Now() tcp.Time { return l.s.Now() }

// so returns an endpoint's socket table, through which its every call goes.
func (l *Lab) so(endpoint string) *appSockets { return l.s.sockets(l.hosts[endpoint]) }

// listening reports whether an endpoint has a listening socket (on its own port).
func (l *Lab) listening(endpoint string) bool {
	_, ok := l.so(endpoint).listeners[localPort(endpoint)]
	return ok
}

// connOf returns an endpoint's current connection, or nil.
func (l *Lab) connOf(endpoint string) *tcp.Conn {
	if fd, ok := l.conn[endpoint]; ok {
		return l.so(endpoint).conn(fd)
	}
	return nil
}

// ConnState returns the state of an endpoint's current connection (CLOSED if none).
func (l *Lab) ConnState(endpoint string) tcp.State {
	if c := l.connOf(endpoint); c != nil && !c.Deleted() {
		return c.State()
	}
	if l.listening(endpoint) {
		return tcp.Listen
	}
	return tcp.Closed
}

// Do applies one action, lets the simulation settle, and returns the events it produced.
func (l *Lab) Do(a LabAction) ([]tcp.Event, error) {
	if l.s.trace.Len() >= MaxLabEvents {
		return nil, catalog.Errorf("lab.err.full", MaxLabEvents)
	}
	if err := l.apply(a); err != nil {
		return nil, err
	}
	if a.Endpoint != "clock" {
		l.settle() // a wait stops exactly where the user asked
	}
	n := l.s.trace.Len()
	ev := l.s.trace.Events(l.sent, n)
	l.sent = n
	return ev, nil
}

func (l *Lab) apply(a LabAction) error {
	s := l.s
	switch a.Endpoint {
	case "network":
		var from string
		switch a.Dir {
		case "client->server":
			from = "client"
		case "server->client":
			from = "server"
		default:
			return catalog.Errorf("lab.err.dir", a.Op, a.Dir)
		}
		action, ok := strings.CutSuffix(a.Op, "-next")
		if !ok || !labFaults[action] {
			return catalog.Errorf("lab.err.network-op", a.Op)
		}
		// The next segment in that direction: the same directive a lesson's spec writes.
		f, err := SpecFault{Action: action, From: from, Nth: 1, Delay: a.Delay}.fault()
		if err != nil {
			return catalog.Errorf("lab.err.delay", a.Delay, MaxRTT) // the one way a known action fails
		}
		s.AddFault(f)
		s.Record(tcp.Event{Kind: tcp.EventNote, At: s.now, Endpoint: "network", Note: "fault-armed", Detail: a.Op + " " + a.Dir})
		return nil
	case "clock":
		if a.Op != "wait" {
			return catalog.Errorf("lab.err.clock-op", a.Op)
		}
		if a.Delay <= 0 || a.Delay > MaxLabWait {
			return catalog.Errorf("lab.err.wait", a.Delay, MaxLabWait)
		}
		l.runUntil(s.now.Add(a.Delay))
		return nil
	}
	h := l.hosts[a.Endpoint]
	if h == nil {
		return catalog.Errorf("lab.err.endpoint", a.Endpoint)
	}
	other := "server"
	if a.Endpoint == "server" {
		other = "client"
	}
	h.At(s.now)
	c := l.connOf(a.Endpoint)
	live := c != nil && !c.Deleted()
	ep := a.Endpoint
	who := catalog.T("lane." + ep) // the endpoint as the reader's language names it
	so := l.so(ep)
	switch a.Op {
	case "listen":
		if l.listening(ep) {
			return catalog.Errorf("lab.err.listening", who)
		}
		if r := so.listen(localPort(ep), 16); r.Errno != "" {
			return catalog.Errorf("lab.err.call", a.Op, r.Errno)
		}
	case "connect":
		if live {
			return catalog.Errorf("lab.err.connected", who, c.State().String())
		}
		oh := l.hosts[other]
		rport, lport := tcp.ServerPort, uint16(0)
		if other == "client" {
			rport, lport = tcp.ClientPort, tcp.ServerPort
		}
		fd, r := so.connect(lport, oh.Addr, rport) // lport 0: an ephemeral port
		if r.Errno != "" {
			return catalog.Errorf("lab.err.call", a.Op, r.Errno)
		}
		l.conn[ep] = fd
	case "send":
		if !live {
			return catalog.Errorf("lab.err.no-conn", who, a.Op)
		}
		if a.Bytes < 1 || a.Bytes > MaxLabBytes {
			return catalog.Errorf("lab.err.bytes", a.Bytes, MaxLabBytes)
		}
		so.send(l.conn[ep], payload(a.Bytes, 'q'))
	case "read", "shutdown", "close", "abort":
		if c == nil {
			if l.listening(ep) && a.Op == "close" {
				so.closeListener(localPort(ep))
				break
			}
			return catalog.Errorf("lab.err.no-conn", who, a.Op)
		}
		fd := l.conn[ep]
		switch a.Op {
		case "read":
			so.read(fd, MaxLabBytes)
		case "shutdown":
			so.shutdown(fd)
		case "close":
			so.close(fd)
		case "abort":
			so.abort(fd)
		}
	default:
		return catalog.Errorf("lab.err.op", who, a.Op)
	}
	s.drain()
	return nil
}

// settle runs the simulation until nothing has happened for LabSettle.
func (l *Lab) settle() {
	s := l.s
	last := s.now
	for i := 0; i < maxLabSteps; i++ {
		next := s.NextEventTime()
		if next == tcp.Never || next > last.Add(LabSettle) {
			return
		}
		if !s.Step() {
			return
		}
		last = s.now
	}
}

func (l *Lab) runUntil(t tcp.Time) { l.s.RunUntil(t) }
