package engine

import (
	"net/netip"

	"synack/engine/tcp"
)

// appSockets is the application side of a simulated host: every call a story, a spec
// or the lab makes on a socket goes through its table, tcp.Sockets, the same typed call
// layer packetdrill's engine stack uses, so one place performs a call against the
// stack. The calls are RFC 9293's user calls (tcp.NewUserSockets): none blocks.
type appSockets struct {
	so *tcp.Sockets
	// listeners holds the descriptor listening on each port.
	listeners map[uint16]int
}

// sockets returns h's socket table, made on first use.
func (s *Sim) sockets(h *tcp.Host) *appSockets {
	if a := s.socks[h]; a != nil {
		return a
	}
	if s.socks == nil {
		s.socks = map[*tcp.Host]*appSockets{}
	}
	a := &appSockets{so: tcp.NewUserSockets(h), listeners: map[uint16]int{}}
	s.socks[h] = a
	return a
}

// do makes one call; a user call never blocks, and its errno is in the result.
func (a *appSockets) do(c tcp.Call) tcp.Result {
	res, _, _ := a.so.Do(0, &c)
	return res
}

// listen opens a socket listening on port with the given backlog (socket, setsockopt
// for each of opts, listen) and returns the listen call's result.
func (a *appSockets) listen(port uint16, backlog int, opts ...tcp.Call) tcp.Result {
	fd := int(a.do(tcp.Call{Op: tcp.OpSocket}).Ret)
	for _, o := range opts {
		o.FD = fd
		a.do(o)
	}
	res := a.do(tcp.Call{Op: tcp.OpListen, FD: fd, Port: port, Backlog: backlog})
	if res.Errno == "" {
		a.listeners[port] = fd
	}
	return res
}

// accept takes a connection from the accept queue of the socket listening on port and
// returns its descriptor.
func (a *appSockets) accept(port uint16) (int, bool) {
	lfd, ok := a.listeners[port]
	if !ok {
		return 0, false
	}
	res := a.do(tcp.Call{Op: tcp.OpAccept, FD: lfd})
	return int(res.Ret), res.Errno == ""
}

// closeListener closes the socket listening on port.
func (a *appSockets) closeListener(port uint16) {
	if lfd, ok := a.listeners[port]; ok {
		a.do(tcp.Call{Op: tcp.OpClose, FD: lfd})
		delete(a.listeners, port)
	}
}

// connect opens a connection from local port lport (0: an ephemeral one) to raddr:rport
// (socket, bind, connect) and returns its descriptor and the connect call's result.
func (a *appSockets) connect(lport uint16, raddr netip.Addr, rport uint16) (int, tcp.Result) {
	fd := int(a.do(tcp.Call{Op: tcp.OpSocket}).Ret)
	a.do(tcp.Call{Op: tcp.OpBind, FD: fd, Port: lport})
	return fd, a.do(tcp.Call{Op: tcp.OpConnect, FD: fd, Addr: raddr, Port: rport})
}

// sendFastOpen opens a connection from lport to raddr:rport with TCP Fast Open, data in
// its SYN as far as a cookie allows (sendto with MSG_FASTOPEN on a new socket), and
// returns its descriptor.
func (a *appSockets) sendFastOpen(lport uint16, raddr netip.Addr, rport uint16, data []byte) int {
	fd := int(a.do(tcp.Call{Op: tcp.OpSocket}).Ret)
	a.do(tcp.Call{Op: tcp.OpBind, FD: fd, Port: lport})
	a.do(tcp.Call{Op: tcp.OpSend, Name: "sendto", FD: fd, Addr: raddr, Port: rport, Data: data, Size: len(data), Flags: tcp.MsgFastOpen})
	return fd
}

// fd returns the descriptor of a connection the host's events name, giving it one if
// it has none yet (a connection the application reads before it accepts it).
func (a *appSockets) fd(c *tcp.Conn) int { return a.so.Adopt(c) }

// conn returns the connection behind fd, or nil: for reading its state, never for
// calls.
func (a *appSockets) conn(fd int) *tcp.Conn { return a.so.Conn(fd) }

// reboot is the host crashing and coming back up: its connections and their
// descriptors are forgotten.
func (a *appSockets) reboot() { a.so.Reboot() }

func (a *appSockets) send(fd int, data []byte) tcp.Result {
	return a.do(tcp.Call{Op: tcp.OpSend, FD: fd, Data: data, Size: len(data)})
}

func (a *appSockets) read(fd, n int) tcp.Result {
	return a.do(tcp.Call{Op: tcp.OpRecv, FD: fd, Size: n})
}

func (a *appSockets) close(fd int) tcp.Result { return a.do(tcp.Call{Op: tcp.OpClose, FD: fd}) }

// shutdown is shutdown(SHUT_WR): the sending side closes, reading goes on.
func (a *appSockets) shutdown(fd int) tcp.Result {
	return a.do(tcp.Call{Op: tcp.OpShutdown, FD: fd, How: tcp.ShutWrite})
}

func (a *appSockets) abort(fd int) tcp.Result { return a.do(tcp.Call{Op: tcp.OpAbort, FD: fd}) }

// linger0 is setsockopt(SO_LINGER, {1, 0}): close() then aborts with a RST.
func (a *appSockets) linger0(fd int) tcp.Result { return a.do(linger0Call(fd)) }

func linger0Call(fd int) tcp.Call {
	return tcp.Call{Op: tcp.OpSetsockopt, FD: fd, Opt: "SO_LINGER", Val: tcp.OptVal{LingerOn: true, IsLinger: true}}
}
