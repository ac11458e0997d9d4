package engine

import (
	"fmt"
	"net/netip"
	"sort"
	"time"
)

// scenario is a built-in story: how to set up the simulation for it.
type scenario struct {
	info    ScenarioInfo
	horizon time.Duration
	tune    func(*Profile)
	build   func(s *Sim, client, server *Host)
	run     func(Params) (*Trace, error) // a scenario another package simulates
}

var scenarios = map[string]*scenario{}

func register(sc *scenario) { scenarios[sc.info.ID] = sc }

// RegisterRunner adds a scenario whose trace another package produces with its own
// simulation (the TLS and QUIC comparisons of engine/handshakes carry recorded
// handshakes over the same Sim). Registering an id twice panics: ids are a catalogue.
func RegisterRunner(info ScenarioInfo, run func(Params) (*Trace, error)) {
	if _, dup := scenarios[info.ID]; dup {
		panic("engine: scenario " + info.ID + " registered twice")
	}
	scenarios[info.ID] = &scenario{info: info, run: run}
}

// Scenarios lists the built-in scenarios, sorted by id.
func Scenarios() []ScenarioInfo {
	out := make([]ScenarioInfo, 0, len(scenarios))
	for _, sc := range scenarios {
		out = append(out, sc.info)
	}
	sort.Slice(out, func(i, j int) bool { return scenarioOrder(out[i].ID) < scenarioOrder(out[j].ID) })
	return out
}

// catalogueOrder is the order stories are told in.
var catalogueOrder = []string{
	"three-way-handshake", "data-on-third-ack", "syn-ack-lost", "old-duplicate-syn",
	"simultaneous-open", "four-way-close", "three-way-close", "half-close",
	"simultaneous-close", "lost-final-ack", "orphan-fin-wait-2", "syn-to-closed-port",
	"connect-timeout", "abort-rst", "syn-flood", "syn-cookies",
	"http-over-tcp", "https-tls12", "https-tls13", "https-tls13-resume", "https-tls13-0rtt",
	"https-tls13-mlkem", "http3-quic", "http3-quic-0rtt",
}

func scenarioOrder(id string) string {
	for i, c := range catalogueOrder {
		if c == id {
			return fmt.Sprintf("%03d", i)
		}
	}
	return "999" + id
}

// LookupScenario returns the scenario with the given id.
func LookupScenario(id string) (ScenarioInfo, bool) {
	sc, ok := scenarios[id]
	if !ok {
		return ScenarioInfo{}, false
	}
	return sc.info, true
}

// DefaultParams are the parameters used when a reader has changed none.
func DefaultParams() Params {
	return Params{Profile: "linux", Seed: 1, RTT: 100 * time.Millisecond}
}

// Validate checks p and fills in defaults for zero values.
func (p *Params) Validate() error {
	if p.Profile == "" {
		p.Profile = "linux"
	}
	if _, err := ProfileByName(p.Profile); err != nil {
		return err
	}
	if p.RTT == 0 {
		p.RTT = 100 * time.Millisecond
	}
	if p.RTT < MinRTT || p.RTT > MaxRTT {
		return fmt.Errorf("rtt %s is out of range (%s to %s)", p.RTT, MinRTT, MaxRTT)
	}
	if len(p.Drop) > MaxDrops {
		return fmt.Errorf("%d segments to drop is too many (at most %d)", len(p.Drop), MaxDrops)
	}
	for _, id := range p.Drop {
		if id < 1 {
			return fmt.Errorf("segment %d to drop: segment numbers start at 1", id)
		}
	}
	if p.Jitter < 0 || p.Jitter > p.RTT {
		return fmt.Errorf("jitter %s is out of range (0 to the RTT, %s)", p.Jitter, p.RTT)
	}
	if !(p.Loss >= 0 && p.Loss <= MaxLoss) {
		return fmt.Errorf("loss %g is out of range (0 to %g)", p.Loss, MaxLoss)
	}
	return nil
}

// Run runs a built-in scenario and returns its trace.
func Run(id string, p Params) (*Trace, error) {
	sc, ok := scenarios[id]
	if !ok {
		return nil, fmt.Errorf("%w %q (see 'synack scenarios')", ErrUnknownScenario, id)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if sc.run != nil {
		return sc.run(p)
	}
	s, client, server := newPair(p, sc.tune)
	s.trace.Meta.Scenario = id
	if sc.horizon > 0 {
		s.Horizon = sc.horizon
	}
	sc.build(s, client, server)
	// The trace is returned on its own: a pointer into the Sim would keep the whole
	// simulation (hosts, connections, queues) alive for as long as the trace is shown.
	tr := *s.Run()
	return &tr, nil
}

// newPair makes a simulation with a client and a server joined by a symmetric path.
func newPair(p Params, tune func(*Profile)) (*Sim, *Host, *Host) {
	prof, _ := ProfileByName(p.Profile)
	if tune != nil {
		tune(&prof)
	}
	s := NewSim(p.Seed)
	s.trace.Meta.Profile = p.Profile
	s.trace.Meta.RTT = p.RTT
	s.DefaultLink = Link{Delay: p.RTT / 2, Jitter: p.Jitter, Loss: p.Loss}
	client := s.AddHost("client", ClientAddr, "client", prof)
	server := s.AddHost("server", ServerAddr, "server", prof)
	for _, id := range p.Drop {
		s.AddFault(Fault{Action: FaultDrop, ID: id})
	}
	return s, client, server
}

// app is the small scripted application of a scenario endpoint.
type app struct {
	accept      bool          // accept connections as they arrive
	readAll     bool          // read whatever arrives
	closeOnEOF  bool          // close when the peer's FIN has been read
	closeDelay  time.Duration // ... after this long
	replyBytes  int           // answer the first data with this many bytes
	onEstablish func(*Conn)
}

func (s *Sim) runApp(h *Host, a app) {
	replied := map[*Conn]bool{}
	s.OnConn(h, func(c *Conn, k ConnEventKind) {
		switch k {
		case ConnAcceptable:
			if a.accept {
				if l := h.listeners[c.tuple.LocalPort]; l != nil {
					if ac, err := l.Accept(); err == nil && a.onEstablish != nil {
						a.onEstablish(ac)
					}
				}
			}
		case ConnEstablished:
			if a.onEstablish != nil {
				a.onEstablish(c)
			}
		case ConnReadable:
			if a.readAll && !c.deleted && c.Buffered() > 0 {
				c.Read(c.Buffered())
				if a.replyBytes > 0 && !replied[c] {
					replied[c] = true
					c.Send(payload(a.replyBytes, 'r'))
				}
			}
		case ConnEOF:
			if a.readAll && c.Buffered() > 0 {
				c.Read(c.Buffered())
			}
			if a.closeOnEOF {
				s.After(a.closeDelay, func() {
					if !c.deleted {
						if a.readAll {
							c.Read(1) // read() = 0: end of stream
						}
						c.Close()
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
func (s *Sim) at(t time.Duration, h *Host, fn func()) {
	s.At(Time(0).Add(t), func() { h.At(s.now); fn() })
}

const (
	ms = time.Millisecond
	// floodBacklog is the listen() backlog of the flood scenarios: small, so the queue can
	// be seen filling.
	floodBacklog = 8
	// floodRate is the flood's SYNs per second.
	floodInterval = 100 * ms
)

func listenServer(s *Sim, server *Host, backlog int, a app) {
	s.at(0, server, func() { server.Listen(ServerPort, backlog) })
	a.accept = true
	s.runApp(server, a)
}

func init() {
	register(&scenario{
		info: ScenarioInfo{ID: "three-way-handshake",
			Title:   Text{"The three-way handshake", "三次握手"},
			Summary: Text{"SYN, SYN-ACK, ACK: both sides learn the other's initial sequence number.", "SYN、SYN-ACK、ACK：双方互相确认对方的初始序列号。"}},
		build: func(s *Sim, client, server *Host) {
			listenServer(s, server, 128, app{readAll: true})
			s.at(10*ms, client, func() { client.Connect(ClientPort, ServerAddr, ServerPort) })
		},
	})
	register(&scenario{
		info: ScenarioInfo{ID: "data-on-third-ack",
			Title:   Text{"Data on the third segment", "第三次握手携带数据"},
			Summary: Text{"The client writes before the handshake ends; its data rides on the final ACK.", "客户端在握手完成前就写入数据，数据搭载在第三个报文（ACK）上。"}},
		build: func(s *Sim, client, server *Host) {
			listenServer(s, server, 128, app{readAll: true, replyBytes: 200})
			s.at(10*ms, client, func() {
				c, _ := client.Connect(ClientPort, ServerAddr, ServerPort)
				c.Send(payload(100, 'q'))
			})
			s.runApp(client, app{readAll: true})
		},
	})
	register(&scenario{
		info: ScenarioInfo{ID: "four-way-close",
			Title:   Text{"The four-way close", "四次挥手"},
			Summary: Text{"FIN, ACK, FIN, ACK: each direction is closed on its own, then TIME-WAIT.", "FIN、ACK、FIN、ACK：两个方向各自关闭，主动关闭方进入 TIME-WAIT。"}},
		build: func(s *Sim, client, server *Host) {
			listenServer(s, server, 128, app{readAll: true, closeOnEOF: true, closeDelay: 300 * ms})
			var c *Conn
			s.at(10*ms, client, func() { c, _ = client.Connect(ClientPort, ServerAddr, ServerPort) })
			s.afterConnect(client, closeAfter, func() { c.Close() })
		},
	})
	register(&scenario{
		info: ScenarioInfo{ID: "three-way-close",
			Title:   Text{"The three-segment close", "三次挥手"},
			Summary: Text{"The server closes at once, so its FIN carries the delayed ACK of the client's FIN.", "服务器立即关闭，它的 FIN 顺带确认了客户端的 FIN（延迟确认被合并）。"}},
		build: func(s *Sim, client, server *Host) {
			listenServer(s, server, 128, app{readAll: true, closeOnEOF: true, closeDelay: 0})
			var c *Conn
			s.at(10*ms, client, func() { c, _ = client.Connect(ClientPort, ServerAddr, ServerPort) })
			s.afterConnect(client, closeAfter, func() { c.Close() })
		},
	})
	register(&scenario{
		info: ScenarioInfo{ID: "half-close",
			Title:   Text{"Half-close", "半关闭"},
			Summary: Text{"The client shuts down its sending side; the server keeps sending its answer.", "客户端关闭发送方向（shutdown），服务器仍继续发送响应数据。"}},
		build: func(s *Sim, client, server *Host) {
			var sc *Conn
			listenServer(s, server, 128, app{readAll: true, onEstablish: func(c *Conn) { sc = c }})
			server.app0Wrap(func(c *Conn, k ConnEventKind) {
				if k == ConnEOF && c == sc {
					s.After(20*ms, func() {
						c.Read(1)
						c.Send(payload(3000, 'r'))
						c.Close()
					})
				}
			})
			var c *Conn
			s.at(10*ms, client, func() { c, _ = client.Connect(ClientPort, ServerAddr, ServerPort) })
			s.runApp(client, app{readAll: true})
			s.afterConnect(client, 290*ms, func() {
				c.Send(payload(100, 'q'))
				c.Shutdown()
			})
		},
	})
	register(&scenario{
		info: ScenarioInfo{ID: "simultaneous-open",
			Title:   Text{"Simultaneous open", "同时打开"},
			Summary: Text{"Both ends send a SYN at the same moment; the SYNs cross and four segments open one connection.", "两端同时发送 SYN，报文在路上交叉，四个报文建立起一条连接。"}},
		build: func(s *Sim, client, server *Host) {
			s.at(10*ms, client, func() { client.Connect(ClientPort, ServerAddr, ServerPort) })
			s.at(10*ms, server, func() { server.Connect(ServerPort, ClientAddr, ClientPort) })
		},
	})
	register(&scenario{
		info: ScenarioInfo{ID: "simultaneous-close",
			Title:   Text{"Simultaneous close", "同时关闭"},
			Summary: Text{"Both ends close at once; the FINs cross, both pass through CLOSING into TIME-WAIT.", "两端同时关闭，FIN 交叉而过，双方都经过 CLOSING 进入 TIME-WAIT。"}},
		build: func(s *Sim, client, server *Host) {
			var sc, c *Conn
			listenServer(s, server, 128, app{onEstablish: func(x *Conn) {
				if sc != nil {
					return
				}
				sc = x
				// Both ends close at the same moment, a while after both are established
				// (the server's accept is the handshake's last step at any RTT).
				s.After(simultaneousCloseAfter, func() { c.Close() })
				s.After(simultaneousCloseAfter, func() { sc.Close() })
			}})
			s.at(10*ms, client, func() { c, _ = client.Connect(ClientPort, ServerAddr, ServerPort) })
		},
	})
	register(&scenario{
		info: ScenarioInfo{ID: "lost-final-ack",
			Title:   Text{"The lost final ACK", "最后一个 ACK 丢失"},
			Summary: Text{"The client's last ACK is lost; the server resends its FIN and TIME-WAIT answers it.", "客户端的最后一个 ACK 丢失，服务器重传 FIN，处于 TIME-WAIT 的客户端再次确认。"}},
		build: func(s *Sim, client, server *Host) {
			listenServer(s, server, 128, app{readAll: true, closeOnEOF: true, closeDelay: 300 * ms})
			var c *Conn
			s.at(10*ms, client, func() { c, _ = client.Connect(ClientPort, ServerAddr, ServerPort) })
			s.afterConnect(client, closeAfter, func() { c.Close() })
			s.AddFault(Fault{Action: FaultDrop, Match: func(ev *SegmentEvent) bool {
				return ev.Src == "client" && ev.Seg.Flags == ACK && c != nil && c.state == TimeWait
			}, Nth: 1})
		},
	})
	register(&scenario{
		info: ScenarioInfo{ID: "orphan-fin-wait-2",
			Title:   Text{"An orphan in FIN-WAIT-2", "FIN-WAIT-2 中的孤儿连接"},
			Summary: Text{"The client closes, the server never does: the orphaned client gives up after tcp_fin_timeout.", "客户端关闭后服务器迟迟不关闭：孤儿连接在 tcp_fin_timeout 后被回收。"}},
		horizon: 10 * time.Minute,
		build: func(s *Sim, client, server *Host) {
			var sc, c *Conn
			listenServer(s, server, 128, app{onEstablish: func(x *Conn) { sc = x }})
			s.at(10*ms, client, func() { c, _ = client.Connect(ClientPort, ServerAddr, ServerPort) })
			s.afterConnect(client, closeAfter, func() {
				c.Close()
				// The server closes long after the client's FIN-WAIT-2 timer has run out.
				s.After(orphanServerCloseAfter, func() {
					if sc != nil && !sc.deleted {
						sc.Close()
					}
				})
			})
		},
	})
	register(&scenario{
		info: ScenarioInfo{ID: "syn-to-closed-port",
			Title:   Text{"SYN to a closed port", "连接未监听的端口"},
			Summary: Text{"Nothing listens on the port: the server answers RST, connect() fails with ECONNREFUSED.", "端口上没有监听者：服务器回复 RST，connect() 返回 ECONNREFUSED。"}},
		build: func(s *Sim, client, server *Host) {
			s.at(10*ms, client, func() { client.Connect(ClientPort, ServerAddr, ServerPort) })
		},
	})
	register(&scenario{
		info: ScenarioInfo{ID: "connect-timeout",
			Title:   Text{"connect() timing out", "connect() 超时"},
			Summary: Text{"A firewall drops every SYN: the client retransmits with backoff until ETIMEDOUT.", "防火墙丢弃所有 SYN：客户端按退避规则重传，直到 ETIMEDOUT。"}},
		horizon: 10 * time.Minute,
		build: func(s *Sim, client, server *Host) {
			s.AddFault(Fault{Action: FaultDrop, From: "client", AnyFlags: true})
			s.at(10*ms, client, func() { client.Connect(ClientPort, ServerAddr, ServerPort) })
		},
	})
	register(&scenario{
		info: ScenarioInfo{ID: "syn-ack-lost",
			Title:   Text{"The SYN-ACK is lost", "SYN-ACK 丢失"},
			Summary: Text{"The server's SYN-ACK is lost; both sides' timers decide who retransmits first.", "服务器的 SYN-ACK 丢失，双方的重传定时器决定谁先重传。"}},
		build: func(s *Sim, client, server *Host) {
			listenServer(s, server, 128, app{})
			s.AddFault(Fault{Action: FaultDrop, From: "server", Flags: SYN | ACK, Nth: 1})
			s.at(10*ms, client, func() { client.Connect(ClientPort, ServerAddr, ServerPort) })
		},
	})
	register(&scenario{
		info: ScenarioInfo{ID: "old-duplicate-syn",
			Title:   Text{"An old duplicate SYN", "旧的重复 SYN"},
			Summary: Text{"RFC 9293 Figure 8: a delayed SYN from an earlier connection is refused by the client's RST.", "RFC 9293 图 8：早先连接遗留的 SYN 到达，客户端用 RST 拒绝，随后正常握手。"}},
		build: func(s *Sim, client, server *Host) {
			listenServer(s, server, 128, app{})
			rtt := s.DefaultLink.Delay * 2
			// The client's real SYN takes the long way round, so the old one arrives first.
			s.AddFault(Fault{Action: FaultDelay, From: "client", Flags: SYN, Nth: 1, Delay: 2 * rtt})
			s.at(10*ms, client, func() {
				c, _ := client.Connect(ClientPort, ServerAddr, ServerPort)
				old := c.template(c.iss-Seq(100000), SYN)
				old.Window = 65535
				old.Options = Options{{Kind: OptMSS, MSS: 1460}}
				s.Inject(s.now.Add(time.Millisecond), "client", old, "old-duplicate")
			})
		},
	})
	register(&scenario{
		info: ScenarioInfo{ID: "abort-rst",
			Title:   Text{"Abort: closing with a reset", "异常终止：用 RST 关闭"},
			Summary: Text{"The client aborts (SO_LINGER 0): one RST and the server's read fails with ECONNRESET.", "客户端以 SO_LINGER 0 中止连接：发送 RST，服务器读取时得到 ECONNRESET。"}},
		build: func(s *Sim, client, server *Host) {
			listenServer(s, server, 128, app{readAll: true})
			var c *Conn
			s.at(10*ms, client, func() { c, _ = client.Connect(ClientPort, ServerAddr, ServerPort) })
			s.afterConnect(client, 190*ms, func() { c.Send(payload(100, 'q')) })
			s.afterConnect(client, 490*ms, func() { c.SetLinger(true); c.Close() })
		},
	})
	register(&scenario{
		info: ScenarioInfo{ID: "syn-flood",
			Title:   Text{"A SYN flood", "SYN 洪泛攻击"},
			Summary: Text{"Spoofed SYNs fill the SYN queue; without cookies a real client is turned away.", "伪造源地址的 SYN 塞满半连接队列；不启用 SYN cookie 时，正常客户端无法连接。"}},
		horizon: 4 * time.Minute,
		tune:    func(p *Profile) { p.Syncookies = 0 },
		build: func(s *Sim, client, server *Host) {
			floodSetup(s, server, 1400)
			// By 1.5 s fifteen spoofed SYNs have filled the backlog of 8.
			s.at(1500*ms, client, func() { client.Connect(ClientPort, ServerAddr, ServerPort) })
		},
	})
	register(&scenario{
		info: ScenarioInfo{ID: "syn-cookies",
			Title:   Text{"SYN cookies", "SYN cookie"},
			Summary: Text{"The same flood with cookies on: the server keeps no state, and the real client gets in.", "同样的洪泛，开启 SYN cookie：服务器不保存状态，正常客户端仍能连接。"}},
		horizon: 4 * time.Minute,
		tune:    func(p *Profile) { p.Syncookies = 1 },
		build: func(s *Sim, client, server *Host) {
			floodSetup(s, server, 30)
			var c *Conn
			s.at(1500*ms, client, func() { c, _ = client.Connect(ClientPort, ServerAddr, ServerPort) })
			s.runApp(client, app{readAll: true, onEstablish: func(x *Conn) { x.Send(payload(100, 'q')) }})
			_ = c
		},
	})
}

// floodSetup gives the server a small-backlog listener and points a spoofed flood at it.
func floodSetup(s *Sim, server *Host, count int) {
	listenServer(s, server, floodBacklog, app{readAll: true, replyBytes: 200})
	s.AddLane("attacker-1", AttackerNet, "attacker")
	s.Flood(FloodConfig{Lane: "attacker-1", Prefix: AttackerNet, Target: ServerAddr, Port: ServerPort,
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
func (s *Sim) afterConnect(h *Host, d time.Duration, fn func()) {
	done := false
	h.app0Wrap(func(c *Conn, k ConnEventKind) {
		if k == ConnEstablished && !done {
			done = true
			s.After(d, fn)
		}
	})
}

// app0Wrap adds a handler that runs after the host's current application handler.
func (h *Host) app0Wrap(f func(*Conn, ConnEventKind)) {
	prev := h.app0
	h.app0 = func(c *Conn, k ConnEventKind) {
		if prev != nil {
			prev(c, k)
		}
		f(c, k)
	}
}

var _ = netip.Addr{}
