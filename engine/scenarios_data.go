package engine

import (
	"time"

	"synack/engine/tcp"
)

// The data-phase stories: a download from the server, and what the network and the
// reader do to it. Each story's losses are fault directives (the Nth data segment, the
// segments sent while a link is down), so the same story loses the same segments at
// every RTT and in both profiles, and the engine's recovery decides the rest.

// Sizes and times of the data-phase stories.
const (
	// requestBytes is the client's request, sent as soon as connect() returns.
	requestBytes = 100
	// bulkSegments is how many full segments bulk-transfer downloads: a thousand, the
	// size a diagram must stay legible at.
	bulkSegments = 1000
	// bulkRate and bulkQueue are bulk-transfer's bottleneck: 10 Mbit/s, and a queue long
	// enough that slow start does not overflow it in this transfer.
	bulkRate  = 10_000_000
	bulkQueue = MaxQueue
	// downloadRcvbuf is the client's SO_RCVBUF in the downloads: 2 MiB, more than any
	// of them keeps in flight (Linux allows up to rmem_max, 4 MiB in the linux profile).
	downloadRcvbuf = 2 << 20
	// recoverySegments is the size of sack-recovery's download and recoveryLost the
	// data segment it loses: mid-window, with plenty sent after it.
	recoverySegments = 60
	recoveryLost     = 25
	// tlpSegments is tail-loss-probe's response; its last data segment is lost.
	tlpSegments = 10
	// outageStart and outageLength are when rto-backoff's link goes down (after the
	// handshake, counted from connect()) and for how long.
	outageStart  = 200 * ms
	outageLength = 5 * time.Second
	// zeroWindowBytes is what the server writes in zero-window; the client holds a small
	// receive buffer (zeroWindowRcvbuf, SO_RCVBUF) and reads nothing until
	// zeroWindowReadAt after connect() returns.
	zeroWindowBytes  = 40_000
	zeroWindowRcvbuf = 8192
	zeroWindowReadAt = 3 * time.Second
	// nagleFirst is the first of nagle-delayed-ack's two small writes of a request (the
	// second is the rest); nagleReply is the server's answer to each request, and
	// nagleSecondRequest when the client writes its second request, after connect().
	nagleFirst         = 40
	nagleReply         = 200
	nagleSecondRequest = 600 * ms
)

// mss is the payload of a full segment on the stories' path (1460 less 12 bytes of
// timestamps).
const storyMSS = 1448

// download makes the server answer the client's request with size bytes, at once, and
// the client read what arrives. The path is a bottleneck of bulkRate (unless the reader
// chose one), so a window's segments leave one serialization time apart, as they do
// behind a real link, and the client asks for a receive buffer (SO_RCVBUF) of
// downloadRcvbuf, as a tool tuned for throughput does, so the sender's own window is
// what limits it.
func download(s *Sim, client, server *tcp.Host, size int) {
	if s.DefaultLink.Rate == 0 {
		s.DefaultLink.Rate, s.DefaultLink.Queue = bulkRate, bulkQueue
	}
	listenServer(s, server, 128, app{readAll: true, replyBytes: size})
	s.runApp(client, app{readAll: true})
	fd := connectRcvbuf(s, client, downloadRcvbuf)
	s.afterConnect(client, 0, func() { s.sockets(client).send(*fd, payload(requestBytes, 'q')) })
}

// connectRcvbuf connects the client at 10 ms with SO_RCVBUF set to rcvbuf first (socket,
// setsockopt, bind, connect) and returns where its descriptor will be.
func connectRcvbuf(s *Sim, client *tcp.Host, rcvbuf int) *int {
	fd := new(int)
	s.at(10*ms, client, func() {
		so := s.sockets(client)
		*fd = int(so.do(tcp.Call{Op: tcp.OpSocket}).Ret)
		so.do(tcp.Call{Op: tcp.OpSetsockopt, FD: *fd, Opt: "SO_RCVBUF", Val: tcp.OptVal{Int: rcvbuf, IsInt: true}})
		so.do(tcp.Call{Op: tcp.OpBind, FD: *fd, Port: tcp.ClientPort})
		so.do(tcp.Call{Op: tcp.OpConnect, FD: *fd, Addr: tcp.ServerAddr, Port: tcp.ServerPort})
	})
	return fd
}

// dataFrom matches new (not retransmitted) segments with data from an endpoint.
func dataFrom(from string) func(*tcp.SegmentEvent) bool {
	return func(ev *tcp.SegmentEvent) bool {
		return ev.Src == from && len(ev.Seg.Payload) > 0 && !ev.Retransmit
	}
}

// BulkTransfer tells this story: a thousand segments through a 10 Mbit/s bottleneck:
// slow start, then the congestion-avoidance growth of the profile's algorithm, and no
// loss.
var BulkTransfer = Story{
	build: func(s *Sim, client, server *tcp.Host) {
		download(s, client, server, bulkSegments*storyMSS)
	},
}

// SACKRecovery tells this story: one segment lost mid-window: duplicate ACKs with SACK
// blocks, a fast retransmission, and the window cut once.
var SACKRecovery = Story{
	build: func(s *Sim, client, server *tcp.Host) {
		s.AddFault(Fault{Action: FaultDrop, Match: dataFrom("server"), Nth: recoveryLost})
		download(s, client, server, recoverySegments*storyMSS)
	},
}

// TailLossProbe tells this story: the last segment of a response is lost; no duplicate
// ACK can follow it, so a probe (or the RTO) must find out.
var TailLossProbe = Story{
	build: func(s *Sim, client, server *tcp.Host) {
		s.AddFault(Fault{Action: FaultDrop, Match: dataFrom("server"), Nth: tlpSegments})
		download(s, client, server, tlpSegments*storyMSS)
	},
}

// RTOBackoff tells this story: the path goes down for five seconds in the middle of a
// download: every retransmission is lost too, and the RTO doubles each time.
var RTOBackoff = Story{
	build: func(s *Sim, client, server *tcp.Host) {
		var down tcp.Time = tcp.Never
		s.AddFault(Fault{Action: FaultDrop, Match: func(ev *tcp.SegmentEvent) bool {
			return ev.Src == "server" && s.now >= down && s.now < down.Add(outageLength)
		}})
		download(s, client, server, recoverySegments*storyMSS)
		s.afterConnect(client, outageStart, func() { down = s.now }) // after download's handlers
	},
}

// ZeroWindow tells this story: the client's application stops reading; its receive
// buffer fills, the window closes, the server probes it, and a read reopens it.
var ZeroWindow = Story{
	build: func(s *Sim, client, server *tcp.Host) {
		listenServer(s, server, 128, app{readAll: true, replyBytes: zeroWindowBytes})
		// SO_RCVBUF before connect(): a small buffer the server fills quickly.
		fd := connectRcvbuf(s, client, zeroWindowRcvbuf)
		so := s.sockets(client)
		s.afterConnect(client, 0, func() { so.send(*fd, payload(requestBytes, 'q')) })
		s.afterConnect(client, zeroWindowReadAt, func() {
			s.runApp(client, app{readAll: true})
			if c := so.conn(*fd); c != nil && c.Buffered() > 0 {
				so.read(*fd, c.Buffered())
			}
		})
	},
}

// NagleDelayedACK tells this story: after one request and its answer, the client writes
// its next request in two small pieces: Nagle holds the second until the first is
// acknowledged, and the server, now in interactive mode, delays that ACK.
var NagleDelayedACK = Story{
	// Nagle's algorithm is a SHOULD of RFC 1122 §4.2.3.4, so the RFC profile has it here
	// too (Linux has it by default).
	tune: func(p *tcp.Profile) { p.Nagle = true },
	build: func(s *Sim, client, server *tcp.Host) {
		listenServer(s, server, 128, app{})
		// The server answers each whole request of requestBytes with a reply.
		ss := s.sockets(server)
		got := 0
		s.wrapApp(server, func(c *tcp.Conn, k tcp.ConnEventKind) {
			if k != tcp.ConnReadable || c.Deleted() || c.Buffered() == 0 {
				return
			}
			fd := ss.fd(c)
			for got += int(ss.read(fd, c.Buffered()).Ret); got >= requestBytes; got -= requestBytes {
				ss.send(fd, payload(nagleReply, 'r'))
			}
		})
		s.runApp(client, app{readAll: true})
		cs := s.sockets(client)
		fd := connectAt(s, client, 10*ms)
		s.afterConnect(client, 100*ms, func() { cs.send(*fd, payload(requestBytes, 'q')) })
		s.afterConnect(client, nagleSecondRequest, func() {
			cs.send(*fd, payload(nagleFirst, 'q'))
			s.After(time.Millisecond, func() { cs.send(*fd, payload(requestBytes-nagleFirst, 'q')) })
		})
	},
}
