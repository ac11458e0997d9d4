package carry

import (
	"strings"

	"synack/engine"
	"synack/engine/tcp"
)

// span is where a message lies in its direction's byte stream.
type span struct {
	start, end int
	msg        *Message
}

// fastOpenQueue is the server's TCP_FASTOPEN queue length in a Fast Open exchange.
const fastOpenQueue = 16

// runTCP sets up a TLS (or plain HTTP) exchange over an engine TCP connection.
func runTCP(s *engine.Sim, client, server *tcp.Host, ex *Exchange) *meter {
	m := newMeter()
	// Both ends' calls go through their socket tables, the typed call layer (RFC 9293's
	// user calls: none blocks); fds holds each end's connection, conns the connection
	// itself, whose state is only read.
	socks := map[string]*tcp.Sockets{"client": tcp.NewUserSockets(client), "server": tcp.NewUserSockets(server)}
	do := func(side string, c tcp.Call) tcp.Result {
		res, _, _ := socks[side].Do(0, &c)
		return res
	}
	fds := map[string]int{}
	conns := map[string]*tcp.Conn{}
	sent := map[string]int{}     // bytes each side has written
	rcvd := map[string]int{}     // bytes each side has read
	spans := map[string][]span{} // per sender
	next := 0
	handshakeACK := false
	respOffset := -1
	for _, f := range ex.Flights {
		if f.From == "server" {
			off := 0
			for _, g := range ex.Flights {
				if g.From != "server" {
					continue
				}
				for i := range g.Messages {
					if g.Messages[i].Response && respOffset < 0 {
						respOffset = off
					}
					off += len(g.Messages[i].Data)
				}
			}
			break
		}
	}
	// need returns how many bytes side must have read before flight i may leave: all
	// earlier flights from the other side.
	need := func(i int) int {
		n := 0
		for _, f := range ex.Flights[:i] {
			if f.From != ex.Flights[i].From {
				n += f.Size()
			}
		}
		return n
	}
	var pump func()
	pump = func() {
		for next < len(ex.Flights) {
			f := &ex.Flights[next]
			c := conns[f.From]
			// A Fast Open child may answer while still in SYN-RECEIVED (RFC 7413 §3).
			if c == nil || c.State() != tcp.Established && c.State() != tcp.CloseWait && c.State() != tcp.SynReceived {
				return
			}
			if rcvd[f.From] < need(next) {
				return
			}
			var data []byte
			for i := range f.Messages {
				msg := &f.Messages[i]
				spans[f.From] = append(spans[f.From], span{start: sent[f.From], end: sent[f.From] + len(msg.Data), msg: msg})
				sent[f.From] += len(msg.Data)
				data = append(data, msg.Data...)
			}
			next++
			do(f.From, tcp.Call{Op: tcp.OpSend, FD: fds[f.From], Data: data, Size: len(data)})
		}
	}
	// Labels: which messages a segment's bytes belong to.
	s.Labeler = func(ev *tcp.SegmentEvent) tcp.AppMark {
		seg := ev.Seg
		if seg.Flags&tcp.SYN != 0 && len(seg.Payload) == 0 {
			return tcp.AppMark{Handshake: true}
		}
		c := conns[ev.Src]
		if c == nil && seg.Flags&tcp.SYN == 0 {
			return tcp.AppMark{}
		}
		if len(seg.Payload) == 0 {
			if ev.Src == "client" && seg.Flags == tcp.ACK && !handshakeACK {
				handshakeACK = true // the third segment of the TCP handshake
				return tcp.AppMark{Handshake: true}
			}
			return tcp.AppMark{}
		}
		off := 0 // a Fast Open SYN's data starts the stream
		if seg.Flags&tcp.SYN == 0 {
			off = int(seg.Seq - c.ISS() - 1)
		}
		end := off + len(seg.Payload)
		var names []string
		hs := false
		for _, sp := range spans[ev.Src] {
			if sp.end > off && sp.start < end {
				names = append(names, sp.msg.Label)
				hs = hs || sp.msg.Handshake
				if sp.msg.Request && sp.start >= off && m.requestAt < 0 {
					m.requestAt, m.requestSeg = s.Now(), ev.ID
				}
			}
		}
		if seg.Flags&tcp.SYN != 0 && !hs {
			// A Fast Open SYN carrying the request: the packet is handshake (it is the
			// SYN), its payload is not handshake bytes.
			m.plainPayload = ev.ID
			return tcp.AppMark{Label: strings.Join(names, ", "), Handshake: true}
		}
		return tcp.AppMark{Label: strings.Join(names, ", "), Handshake: hs || seg.Flags&tcp.SYN != 0}
	}
	readAll := func(side string, c *tcp.Conn) {
		fd := socks[side].Adopt(c)
		for c.Buffered() > 0 {
			rcvd[side] += int(max(do(side, tcp.Call{Op: tcp.OpRecv, FD: fd, Size: c.Buffered()}).Ret, 0))
		}
		if side == "client" && respOffset >= 0 && rcvd[side] > respOffset && m.firstByteAt < 0 {
			m.firstByteAt = s.Now()
		}
		pump()
	}
	listener := 0
	s.At(0, func() {
		listener = int(do("server", tcp.Call{Op: tcp.OpSocket}).Ret)
		if ex.FastOpen {
			do("server", tcp.Call{Op: tcp.OpSetsockopt, FD: listener, Opt: "TCP_FASTOPEN", Val: tcp.OptVal{Int: fastOpenQueue, IsInt: true}})
		}
		do("server", tcp.Call{Op: tcp.OpListen, FD: listener, Port: tlsPort, Backlog: 128})
	})
	s.OnConn(server, func(c *tcp.Conn, k tcp.ConnEventKind) {
		switch k {
		case tcp.ConnAcceptable:
			if r := do("server", tcp.Call{Op: tcp.OpAccept, FD: listener}); r.Errno == "" {
				fds["server"] = int(r.Ret)
				conns["server"] = socks["server"].Conn(fds["server"])
				readAll("server", conns["server"])
			}
		case tcp.ConnReadable:
			readAll("server", c)
		}
	})
	s.OnConn(client, func(c *tcp.Conn, k tcp.ConnEventKind) {
		switch k {
		case tcp.ConnEstablished:
			pump()
		case tcp.ConnReadable:
			readAll("client", c)
		}
	})
	// open makes the client's socket, bound to its port.
	open := func() int {
		fd := int(do("client", tcp.Call{Op: tcp.OpSocket}).Ret)
		do("client", tcp.Call{Op: tcp.OpBind, FD: fd, Port: tcp.ClientPort})
		return fd
	}
	s.At(0, func() {
		client.At(0)
		if ex.FastOpen && client.Prof.FastOpen&tcp.FastOpenClient != 0 {
			// The cookie is cached from an earlier visit; the first flight goes in the
			// SYN as far as it fits, the rest once the connection is established.
			client.CacheFastOpenCookie(tcp.ServerAddr, server.FastOpenCookieFor(tcp.ClientAddr), client.Prof.MSS)
			f := &ex.Flights[0]
			var data []byte
			for i := range f.Messages {
				msg := &f.Messages[i]
				spans["client"] = append(spans["client"], span{start: sent["client"], end: sent["client"] + len(msg.Data), msg: msg})
				sent["client"] += len(msg.Data)
				data = append(data, msg.Data...)
			}
			next = 1
			fd := open()
			do("client", tcp.Call{Op: tcp.OpSend, Name: "sendto", FD: fd, Addr: tcp.ServerAddr, Port: tlsPort,
				Data: data, Size: len(data), Flags: tcp.MsgFastOpen})
			fds["client"], conns["client"] = fd, socks["client"].Conn(fd)
			return
		}
		fd := open()
		do("client", tcp.Call{Op: tcp.OpConnect, FD: fd, Addr: tcp.ServerAddr, Port: tlsPort})
		fds["client"], conns["client"] = fd, socks["client"].Conn(fd)
	})
	return m
}
