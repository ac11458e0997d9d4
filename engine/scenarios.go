package engine

import (
	"fmt"
	"time"

	"synack/engine/catalog"
	"synack/engine/tcp"
)

// Story is a TCP story the engine can tell: how to set up a client, a server and the
// network between them, and what their applications do. The engine names no story: the
// catalogue above it (lessons/stories) gives each one its id, titles and place in the
// order they are told.
type Story struct {
	horizon time.Duration
	tune    func(*tcp.Profile)
	build   func(s *Sim, client, server *tcp.Host)
}

// DefaultParams are the parameters used when a reader has changed none.
func DefaultParams() Params {
	return Params{Profile: "linux", Seed: 1, RTT: 100 * time.Millisecond}
}

// Validate checks p and fills in defaults (DefaultParams') for zero values. Its errors
// are catalogue texts (catalog.Message gives them in the reader's language).
func (p *Params) Validate() error {
	def := DefaultParams()
	if p.Profile == "" {
		p.Profile = def.Profile
	}
	if _, err := tcp.ProfileByName(p.Profile); err != nil {
		return catalog.Errorf("param.err.profile", p.Profile)
	}
	if p.RTT == 0 {
		p.RTT = def.RTT
	}
	if p.RTT < MinRTT || p.RTT > MaxRTT {
		return catalog.Errorf("param.err.rtt", p.RTT, MinRTT, MaxRTT)
	}
	if len(p.Drop) > MaxDrops {
		return catalog.Errorf("param.err.drops", len(p.Drop), MaxDrops)
	}
	for _, id := range p.Drop {
		if id < 1 {
			return catalog.Errorf("param.err.drop", id)
		}
	}
	if p.Jitter < 0 || p.Jitter > p.RTT {
		return catalog.Errorf("param.err.jitter", p.Jitter, p.RTT)
	}
	if !(p.Loss >= 0 && p.Loss <= MaxLoss) {
		return catalog.Errorf("param.err.loss", p.Loss, MaxLoss)
	}
	if err := p.validateBottleneck(); err != nil {
		return err
	}
	return nil
}

// Run validates p, runs the story and returns its trace; name is the scenario name the
// trace's meta line carries.
func (st Story) Run(name string, p Params) (*Trace, error) {
	if st.build == nil {
		return nil, fmt.Errorf("story %q has nothing to run", name)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	s, client, server := newPair(p, st.tune)
	s.trace.Meta.Scenario = name
	if st.horizon > 0 {
		s.Horizon = st.horizon
	}
	st.build(s, client, server)
	// The trace is returned on its own: a pointer into the Sim would keep the whole
	// simulation (hosts, connections, queues) alive for as long as the trace is shown.
	tr := *s.Run()
	return &tr, nil
}

// newPair makes a simulation with a client and a server joined by a symmetric path.
func newPair(p Params, tune func(*tcp.Profile)) (*Sim, *tcp.Host, *tcp.Host) {
	prof, _ := tcp.ProfileByName(p.Profile)
	if tune != nil {
		tune(&prof)
	}
	s := NewSim(p.Seed)
	s.trace.Meta.Profile = p.Profile
	s.trace.Meta.RTT = p.RTT
	s.DefaultLink = Link{Delay: p.RTT / 2, Jitter: p.Jitter, Loss: p.Loss, Rate: p.Rate, Queue: p.Queue}
	client := s.AddHost("client", tcp.ClientAddr, "client", prof)
	server := s.AddHost("server", tcp.ServerAddr, "server", prof)
	for _, id := range p.Drop {
		s.AddFault(Fault{Action: FaultDrop, ID: id})
	}
	return s, client, server
}

// app is the small scripted application of a scenario endpoint.
type app struct {
	accept     bool          // accept connections as they arrive
	noAccept   bool          // ... unless this is set (a spec's server that accepts by steps)
	readAll    bool          // read whatever arrives
	closeOnEOF bool          // close when the peer's FIN has been read
	closeDelay time.Duration // ... after this long
	replyBytes int           // answer the first data with this many bytes
	// onEstablish is given the descriptor of each connection accepted or connected.
	onEstablish func(fd int)
}

// runApp installs a as h's application. Its calls, like every story's, go through h's
// socket table (Sim.sockets); the connections' state is only read.
func (s *Sim) runApp(h *tcp.Host, a app) {
	so := s.sockets(h)
	replied := map[*tcp.Conn]bool{}
	s.OnConn(h, func(c *tcp.Conn, k tcp.ConnEventKind) {
		switch k {
		case tcp.ConnAcceptable:
			if a.accept && !a.noAccept {
				if fd, ok := so.accept(c.Tuple().LocalPort); ok && a.onEstablish != nil {
					a.onEstablish(fd)
				}
			}
		case tcp.ConnEstablished:
			if a.onEstablish != nil {
				a.onEstablish(so.fd(c))
			}
		case tcp.ConnReadable:
			if a.readAll && !c.Deleted() && c.Buffered() > 0 {
				fd := so.fd(c)
				so.read(fd, c.Buffered())
				if a.replyBytes > 0 && !replied[c] {
					replied[c] = true
					so.send(fd, payload(a.replyBytes, 'r'))
				}
			}
		case tcp.ConnEOF:
			fd := so.fd(c)
			if a.readAll && c.Buffered() > 0 {
				so.read(fd, c.Buffered())
			}
			if a.closeOnEOF {
				s.After(a.closeDelay, func() {
					if !c.Deleted() {
						if a.readAll {
							so.read(fd, 1) // read() = 0: end of stream
						}
						so.close(fd)
					}
				})
			}
		}
	})
}

// payload returns n bytes of printable filler, so captures read sensibly.
func payload(n int, kind byte) []byte {
	const req = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"
	const resp = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"
	src := req
	if kind == 'r' {
		src = resp
	}
	b := make([]byte, n)
	for i := range b {
		if i < len(src) {
			b[i] = src[i]
		} else {
			b[i] = 'a' + byte(i%26)
		}
	}
	return b
}

// at runs fn on host h at virtual time t (an application call).
func (s *Sim) at(t time.Duration, h *tcp.Host, fn func()) {
	s.At(tcp.Time(0).Add(t), func() { h.At(s.now); fn() })
}

const (
	ms = time.Millisecond
	// floodBacklog is the listen() backlog of the flood scenarios: small, so the queue can
	// be seen filling.
	floodBacklog = 8
	// floodRate is the flood's SYNs per second.
	floodInterval = 100 * ms
)

// listenServer makes the server listen on tcp.ServerPort at time 0 and accept every
// connection, with a as its application.
func listenServer(s *Sim, server *tcp.Host, backlog int, a app) {
	s.at(0, server, func() { s.sockets(server).listen(tcp.ServerPort, backlog) })
	a.accept = true
	s.runApp(server, a)
}

// connectAt makes the client connect from tcp.ClientPort to the server at time t and
// returns where its descriptor will be.
func connectAt(s *Sim, client *tcp.Host, t time.Duration) *int {
	fd := new(int)
	s.at(t, client, func() { *fd, _ = s.sockets(client).connect(tcp.ClientPort, tcp.ServerAddr, tcp.ServerPort) })
	return fd
}

// ThreeWayHandshake tells this story: SYN, SYN-ACK, ACK: both sides learn the other's initial sequence number.
var ThreeWayHandshake = Story{
	build: func(s *Sim, client, server *tcp.Host) {
		listenServer(s, server, 128, app{readAll: true})
		connectAt(s, client, 10*ms)
	},
}

// DataOnThirdACK tells this story: The client writes before the handshake ends; its data rides on the final ACK.
var DataOnThirdACK = Story{
	build: func(s *Sim, client, server *tcp.Host) {
		listenServer(s, server, 128, app{readAll: true, replyBytes: 200})
		so := s.sockets(client)
		s.at(10*ms, client, func() {
			fd, _ := so.connect(tcp.ClientPort, tcp.ServerAddr, tcp.ServerPort)
			so.send(fd, payload(100, 'q'))
		})
		s.runApp(client, app{readAll: true})
	},
}

// FourWayClose tells this story: FIN, ACK, FIN, ACK: each direction is closed on its own, then TIME-WAIT.
var FourWayClose = Story{
	build: func(s *Sim, client, server *tcp.Host) {
		listenServer(s, server, 128, app{readAll: true, closeOnEOF: true, closeDelay: 300 * ms})
		fd := connectAt(s, client, 10*ms)
		s.afterConnect(client, closeAfter, func() { s.sockets(client).close(*fd) })
	},
}

// ThreeWayClose tells this story: The server closes at once, so its FIN carries the delayed ACK of the client's FIN.
var ThreeWayClose = Story{
	build: func(s *Sim, client, server *tcp.Host) {
		listenServer(s, server, 128, app{readAll: true, closeOnEOF: true, closeDelay: 0})
		fd := connectAt(s, client, 10*ms)
		s.afterConnect(client, closeAfter, func() { s.sockets(client).close(*fd) })
	},
}

// HalfClose tells this story: The client shuts down its sending side; the server keeps sending its answer.
var HalfClose = Story{
	build: func(s *Sim, client, server *tcp.Host) {
		ss, cs := s.sockets(server), s.sockets(client)
		var sc *tcp.Conn
		listenServer(s, server, 128, app{readAll: true, onEstablish: func(fd int) { sc = ss.conn(fd) }})
		s.wrapApp(server, func(c *tcp.Conn, k tcp.ConnEventKind) {
			if k == tcp.ConnEOF && c == sc {
				fd := ss.fd(c)
				s.After(20*ms, func() {
					ss.read(fd, 1)
					ss.send(fd, payload(3000, 'r'))
					ss.close(fd)
				})
			}
		})
		fd := connectAt(s, client, 10*ms)
		s.runApp(client, app{readAll: true})
		s.afterConnect(client, 290*ms, func() {
			cs.send(*fd, payload(100, 'q'))
			cs.shutdown(*fd)
		})
	},
}

// SimultaneousOpen tells this story: Both ends send a SYN at the same moment; the SYNs cross and four segments open one connection.
var SimultaneousOpen = Story{
	build: func(s *Sim, client, server *tcp.Host) {
		connectAt(s, client, 10*ms)
		s.at(10*ms, server, func() { s.sockets(server).connect(tcp.ServerPort, tcp.ClientAddr, tcp.ClientPort) })
	},
}

// SimultaneousClose tells this story: Both ends close at once; the FINs cross, both pass through CLOSING into TIME-WAIT.
var SimultaneousClose = Story{
	build: func(s *Sim, client, server *tcp.Host) {
		accepted := false
		var fd *int
		listenServer(s, server, 128, app{onEstablish: func(sfd int) {
			if accepted {
				return
			}
			accepted = true
			// Both ends close at the same moment, a while after both are established
			// (the server's accept is the handshake's last step at any RTT).
			s.After(simultaneousCloseAfter, func() { s.sockets(client).close(*fd) })
			s.After(simultaneousCloseAfter, func() { s.sockets(server).close(sfd) })
		}})
		fd = connectAt(s, client, 10*ms)
	},
}

// LostFinalACK tells this story: The client's last ACK is lost; the server resends its FIN and TIME-WAIT answers it.
var LostFinalACK = Story{
	build: func(s *Sim, client, server *tcp.Host) {
		listenServer(s, server, 128, app{readAll: true, closeOnEOF: true, closeDelay: 300 * ms})
		cs := s.sockets(client)
		fd := connectAt(s, client, 10*ms)
		s.afterConnect(client, closeAfter, func() { cs.close(*fd) })
		s.AddFault(Fault{Action: FaultDrop, Match: func(ev *tcp.SegmentEvent) bool {
			c := cs.conn(*fd)
			return ev.Src == "client" && ev.Seg.Flags == tcp.ACK && c != nil && c.State() == tcp.TimeWait
		}, Nth: 1})
	},
}

// OrphanFinWait2 tells this story: The client closes, the server never does: the orphaned client gives up after tcp_fin_timeout.
var OrphanFinWait2 = Story{
	horizon: 10 * time.Minute,
	build: func(s *Sim, client, server *tcp.Host) {
		ss := s.sockets(server)
		sfd := 0
		listenServer(s, server, 128, app{onEstablish: func(fd int) { sfd = fd }})
		fd := connectAt(s, client, 10*ms)
		s.afterConnect(client, closeAfter, func() {
			s.sockets(client).close(*fd)
			// The server closes long after the client's FIN-WAIT-2 timer has run out.
			s.After(orphanServerCloseAfter, func() {
				if sc := ss.conn(sfd); sc != nil && !sc.Deleted() {
					ss.close(sfd)
				}
			})
		})
	},
}

// SYNToClosedPort tells this story: Nothing listens on the port: the server answers RST, connect() fails with ECONNREFUSED.
var SYNToClosedPort = Story{
	build: func(s *Sim, client, server *tcp.Host) {
		connectAt(s, client, 10*ms)
	},
}

// ConnectTimeout tells this story: A firewall drops every SYN: the client retransmits with backoff until ETIMEDOUT.
var ConnectTimeout = Story{
	horizon: 10 * time.Minute,
	build: func(s *Sim, client, server *tcp.Host) {
		s.AddFault(Fault{Action: FaultDrop, From: "client", AnyFlags: true})
		connectAt(s, client, 10*ms)
	},
}

// SYNACKLost tells this story: The server's SYN-ACK is lost; both sides' timers decide who retransmits first.
var SYNACKLost = Story{
	build: func(s *Sim, client, server *tcp.Host) {
		listenServer(s, server, 128, app{})
		s.AddFault(Fault{Action: FaultDrop, From: "server", Flags: tcp.SYN | tcp.ACK, Nth: 1})
		connectAt(s, client, 10*ms)
	},
}

// OldDuplicateSYN tells this story: RFC 9293 Figure 8: a delayed SYN from an earlier connection is refused by the client's RST.
var OldDuplicateSYN = Story{
	build: func(s *Sim, client, server *tcp.Host) {
		listenServer(s, server, 128, app{})
		rtt := s.DefaultLink.Delay * 2
		// The client's real SYN takes the long way round, so the old one arrives first.
		s.AddFault(Fault{Action: FaultDelay, From: "client", Flags: tcp.SYN, Nth: 1, Delay: 2 * rtt})
		s.at(10*ms, client, func() {
			so := s.sockets(client)
			fd, _ := so.connect(tcp.ClientPort, tcp.ServerAddr, tcp.ServerPort)
			c := so.conn(fd)
			t := c.Tuple()
			old := tcp.Segment{Src: t.LocalAddr, Dst: t.RemoteAddr, SrcPort: t.LocalPort, DstPort: t.RemotePort,
				Seq: c.ISS() - 100000, Flags: tcp.SYN}
			old.Window = 65535
			old.Options = tcp.Options{{Kind: tcp.OptMSS, MSS: 1460}}
			s.Inject(s.now.Add(time.Millisecond), "client", old, "old-duplicate")
		})
	},
}

// AbortRST tells this story: The client aborts (SO_LINGER 0): one RST and the server's read fails with ECONNRESET.
var AbortRST = Story{
	build: func(s *Sim, client, server *tcp.Host) {
		listenServer(s, server, 128, app{readAll: true})
		cs := s.sockets(client)
		fd := connectAt(s, client, 10*ms)
		s.afterConnect(client, 190*ms, func() { cs.send(*fd, payload(100, 'q')) })
		s.afterConnect(client, 490*ms, func() { cs.linger0(*fd); cs.close(*fd) })
	},
}

// SYNFlood tells this story: Spoofed SYNs fill the SYN queue; without cookies a real client is turned away.
var SYNFlood = Story{
	horizon: 4 * time.Minute,
	tune:    func(p *tcp.Profile) { p.Syncookies = 0 },
	build: func(s *Sim, client, server *tcp.Host) {
		floodSetup(s, server, 1400)
		// By 0.85 s nine spoofed SYNs fill the SYN queue (backlog 8 + 1, as Linux 6.18
		// counts it); from 7 s on the oldest are pruned after three SYN-ACKs, new
		// spoofed SYNs take the freed places, and the client's SYNs keep finding the
		// queue full.
		connectAt(s, client, 1500*ms)
	},
}

// SYNCookies tells this story: The same flood with cookies on: the server keeps no state, and the real client gets in.
var SYNCookies = Story{
	horizon: 4 * time.Minute,
	tune:    func(p *tcp.Profile) { p.Syncookies = 1 },
	build: func(s *Sim, client, server *tcp.Host) {
		floodSetup(s, server, 30)
		connectAt(s, client, 1500*ms)
		cs := s.sockets(client)
		s.runApp(client, app{readAll: true, onEstablish: func(fd int) { cs.send(fd, payload(100, 'q')) }})
	},
}

// floodSetup gives the server a small-backlog listener and points a spoofed flood at it.
func floodSetup(s *Sim, server *tcp.Host, count int) {
	listenServer(s, server, floodBacklog, app{readAll: true, replyBytes: 200})
	s.AddLane("attacker-1", tcp.AttackerNet, "attacker")
	s.Flood(FloodConfig{Lane: "attacker-1", Prefix: tcp.AttackerNet, Target: tcp.ServerAddr, Port: tcp.ServerPort,
		Count: count, Start: 0, Interval: floodInterval})
}

// Times of scenario steps that follow the handshake, counted from when it ends so that a
// story keeps its shape at every RTT (at the default 100 ms they fall where they always
// did: the client's connect() returns at 110 ms, the server accepts at 160 ms).
const (
	closeAfter             = 390 * ms   // the client closes this long after connect() returns
	simultaneousCloseAfter = 340 * ms   // both close this long after the server accepts
	orphanServerCloseAfter = 74500 * ms // the orphan's peer closes long after tcp_fin_timeout
)

// afterConnect runs fn d after h's first connection is established (connect() returned).
// If the handshake never completes, fn never runs.
func (s *Sim) afterConnect(h *tcp.Host, d time.Duration, fn func()) {
	done := false
	s.wrapApp(h, func(c *tcp.Conn, k tcp.ConnEventKind) {
		if k == tcp.ConnEstablished && !done {
			done = true
			s.After(d, fn)
		}
	})
}

// wrapApp adds a handler that runs after h's current application handler.
func (s *Sim) wrapApp(h *tcp.Host, f func(*tcp.Conn, tcp.ConnEventKind)) {
	prev := s.apps[h]
	s.apps[h] = func(c *tcp.Conn, k tcp.ConnEventKind) {
		if prev != nil {
			prev(c, k)
		}
		f(c, k)
	}
}
