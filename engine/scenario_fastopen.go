package engine

import "synack/engine/tcp"

// TCPFastOpen tells this story: the first connection fetches a Fast Open cookie; the
// second sends its request in the SYN, and the answer comes one round trip sooner.
//
// The client asks twice, over two connections, the way a browser comes back to a server
// (RFC 7413 §3). First: the SYN asks for a cookie (the Fast Open option, empty) and the
// SYN-ACK brings one; the request then rides on the handshake's last segment, as in
// DataOnThirdACK, and the client closes. A little later, from a new port: the SYN
// carries the cookie and the request, the server's application reads it and answers
// while its side is still in SYN-RECEIVED, so the answer is on its way one round trip
// earlier than the first time.
//
// Linux: the story turns the server side on, net.ipv4.tcp_fastopen=3 (the client side,
// 1, is Linux's default), and gives the listener a Fast Open queue
// (setsockopt TCP_FASTOPEN); the client sends with sendto(MSG_FASTOPEN) and blocks
// until the request is written.
//
// RFC profile: RFC 7413 is an Experimental RFC, not part of the TCP of RFC 9293, and a
// host speaks it only when it is turned on at both ends; the rfc profile stands for the
// standards-track text, so it keeps Fast Open off (Profile.FastOpen 0) and the story
// shows what that text does with the same two requests: two plain handshakes, each
// request on the third segment, each answer two round trips after connect(). A note on
// the second connect() says why its SYN carries nothing. Side by side with the linux
// profile, that is the round trip Fast Open saves.
var TCPFastOpen = Story{
	tune: func(p *tcp.Profile) {
		if p.FastOpen&tcp.FastOpenClient != 0 {
			p.FastOpen |= tcp.FastOpenServer // tcp_fastopen=3: client and server
		}
	},
	build: func(s *Sim, client, server *tcp.Host) {
		fastOpen := client.Prof.FastOpen&tcp.FastOpenClient != 0 && server.Prof.FastOpen&tcp.FastOpenServer != 0
		cs := s.sockets(client)
		s.at(0, server, func() {
			s.sockets(server).listen(tcp.ServerPort, 128,
				tcp.Call{Op: tcp.OpSetsockopt, Opt: "TCP_FASTOPEN", Val: tcp.OptVal{Int: fastOpenStoryQueue, IsInt: true}})
		})
		s.runApp(server, app{accept: true, readAll: true, replyBytes: 200, closeOnEOF: true})
		s.runApp(client, app{readAll: true})

		rtt := 2 * s.DefaultLink.Delay
		request := payload(100, 'q')
		open := func(port uint16) *tcp.Conn {
			if fastOpen {
				return cs.conn(cs.sendFastOpen(port, tcp.ServerAddr, tcp.ServerPort, request))
			}
			fd, _ := cs.connect(port, tcp.ServerAddr, tcp.ServerPort)
			cs.send(fd, request)
			return cs.conn(fd)
		}
		var first, second *tcp.Conn
		s.at(10*ms, client, func() { first = open(tcp.ClientPort) })
		s.wrapApp(client, func(c *tcp.Conn, k tcp.ConnEventKind) {
			if c != first || first == nil {
				return
			}
			switch k {
			case tcp.ConnReadable:
				// The answer is in: done with this connection.
				cs.close(cs.fd(c))
			case tcp.ConnEOF:
				// The server's FIN: the client is in TIME-WAIT. Come back one round
				// trip later, when its last ACK has long reached the server, so the two
				// visits stand apart at every RTT; from a new port, as the old 4-tuple
				// is in TIME-WAIT.
				s.After(rtt, func() {
					if second != nil {
						return
					}
					if !fastOpen {
						client.Note("server", "fast-open-off", "no TCP Fast Open: the request waits for the handshake")
					}
					second = open(tcp.ClientPort + 1)
				})
			}
		})
	},
}

// fastOpenStoryQueue is the listener's TCP_FASTOPEN queue length.
const fastOpenStoryQueue = 16
