package tcp

import (
	"net/netip"
	"time"
)

// cookieValidity is how long after a SYN queue overflow a listener still checks ACKs for
// SYN cookies (Linux TCP_SYNCOOKIE_VALID, tcp_synq_no_recent_overflow).
const cookieValidity = 2 * time.Minute

// maxCookieAge is how many counter periods a cookie stays valid (Linux MAX_SYNCOOKIE_AGE).
const maxCookieAge = 2

// cookiePeriod is the tick of the cookie counter (Linux tcp_cookie_time: one minute).
const cookiePeriod = time.Minute

// Listener is a socket in LISTEN: a SYN queue of half-open connections (SYN-RECEIVED) and
// an accept queue of established ones the application has not accepted yet.
type Listener struct {
	h       *Host
	Port    uint16
	Backlog int
	// MaxSeg is TCP_MAXSEG set on the listening socket (0: none): connections it creates
	// offer and use at most this MSS.
	MaxSeg uint16
	// FastOpenQueue is TCP_FASTOPEN set on the listening socket: how many Fast Open
	// connections may wait in SYN-RECEIVED (0: Fast Open only if the host's profile
	// gives every listener a queue, FastOpenServerAnyListener).
	FastOpenQueue int
	// FastOpenKey, when set, is the listener's own cookie key (TCP_FASTOPEN_KEY) in place
	// of the host's.
	FastOpenKey *[2]uint64
	anyFastOpen bool    // FastOpenServerAnyListener was on at listen()
	tfoChildren []*Conn // Fast Open connections made, pruned when they leave SYN-RECEIVED
	// RecvSpace is SO_RCVBUF set on the listening socket (0: none): connections it
	// creates advertise a window and offer a window scale for that much space.
	RecvSpace uint32
	// Keepalive is SO_KEEPALIVE and its options set on the listening socket: the
	// connections it creates inherit them.
	Keepalive Keepalive
	// Congestion is TCP_CONGESTION set on the listening socket ("": the profile's): the
	// algorithm its connections start with, as Linux's children inherit it.
	Congestion string
	// IP is IP_TOS and IP_MTU_DISCOVER set on the listening socket, which its SYN-ACKs
	// and connections inherit (sk_clone copies inet->tos and pmtudisc).
	IP SockOpts

	// twISN, while nonzero, is the ISN for a SYN that just ended a TIME-WAIT.
	twISN Seq

	synq       map[Tuple]*Conn
	synqOrder  []*Conn // for deterministic iteration
	acceptq    []*Conn
	overflowAt Time
	overflowed bool
	closed     bool
}

// SynQueueLen returns the number of half-open connections.
func (l *Listener) SynQueueLen() int { return len(l.synq) }

// AcceptQueueLen returns the number of established connections waiting for accept().
func (l *Listener) AcceptQueueLen() int { return len(l.acceptq) }

// synqFull reports whether the SYN queue holds more than the backlog, so that listen(fd, 8)
// keeps nine half-open requests (Linux 6.18 inet_csk_reqsk_queue_is_full:
// "inet_csk_reqsk_queue_len(sk) > sk_max_ack_backlog", a ">" since 2025; measured on
// 6.18.44 by testdata/packetdrill/syn-queue-backlog-plus-one.pkt).
func (l *Listener) synqFull() bool { return len(l.synq) > l.Backlog }

// synAckRetries is how many times the SYN-ACK of a half-open request c may be resent
// before the request is dropped. With the profile's SynQueuePruning it is Linux's
// reqsk_timer_handler (net/ipv4/inet_connection_sock.c): while the queue is more than
// half full (qlen*2 > max(8, backlog)), old requests get fewer retries, down to 2, unless
// young ones (no SYN-ACK timeout yet) make up enough of it ("we reserve half of room for
// young embrions; and abort old ones without pity").
func (l *Listener) synAckRetries() int {
	retries := l.h.Prof.SynAckRetries
	if !l.h.Prof.SynQueuePruning {
		return retries
	}
	qlen := len(l.synqOrder)
	if qlen*2 <= max(8, l.Backlog) {
		return retries
	}
	young := 0
	for _, c := range l.synqOrder {
		if c.rtxCount == 0 {
			young++
		}
	}
	young <<= 1
	for retries > 2 && qlen >= young {
		retries--
		young <<= 1
	}
	return retries
}

// acceptQueueFull is Linux's sk_acceptq_is_full: more than backlog entries.
func (l *Listener) acceptQueueFull() bool { return len(l.acceptq) > l.Backlog }

func (l *Listener) queueEvent() {
	l.h.record(Event{Kind: EventQueue, At: l.h.now, Endpoint: l.h.Name,
		SynQueue: len(l.synq), AcceptQueue: len(l.acceptq), Backlog: l.Backlog})
}

// cookiesActive reports whether an ACK to the listener may carry a cookie.
func (l *Listener) cookiesActive() bool {
	p := &l.h.Prof
	switch p.Syncookies {
	case 2:
		return true
	case 1:
		return l.overflowed && l.h.now.Sub(l.overflowAt) < cookieValidity
	}
	return false
}

// cookieCounter is the minute counter of net/ipv4/syncookies.c.
func (h *Host) cookieCounter() uint32 {
	return uint32(h.now.Sub(0)/cookiePeriod) + h.cookieBase
}

// cookieMSSIndex encodes an MSS as the largest table entry not above it.
func cookieMSSIndex(mss uint16) uint8 {
	idx := uint8(0)
	for i, m := range CookieMSSTable {
		if mss >= m {
			idx = uint8(i)
		}
	}
	return idx
}

// makeCookie computes the SYN cookie ISN for a SYN (Linux secure_tcp_syn_cookie).
func (h *Host) makeCookie(t Tuple, clientISN Seq, mss uint16) *Cookie {
	count := h.cookieCounter()
	idx := cookieMSSIndex(mss)
	h1 := tupleHash(h.cookieK1, t, 0)
	h2 := tupleHash(h.cookieK2, t, count)
	isn := h1 + uint32(clientISN) + count<<24 + ((h2 + uint32(idx)) & 0xFFFFFF)
	if len(h.cookies) == 0 {
		// Cookies come from chunks, so a flood of a million costs a thousand allocations.
		h.cookieChunk = min(max(8, 2*h.cookieChunk), 1024)
		h.cookies = make([]Cookie, h.cookieChunk)
	}
	ck := &h.cookies[0]
	h.cookies = h.cookies[1:]
	*ck = Cookie{ISN: Seq(isn), Hash1: h1, ClientISN: clientISN, Counter: count & 0xFF,
		Hash2: h2 & 0xFFFFFF, MSSIndex: idx, MSS: CookieMSSTable[idx]}
	return ck
}

// checkCookie returns the MSS index a cookie carries, or false (Linux check_tcp_syn_cookie).
func (h *Host) checkCookie(t Tuple, clientISN Seq, cookie Seq) (uint8, bool) {
	count := h.cookieCounter()
	v := uint32(cookie) - (tupleHash(h.cookieK1, t, 0) + uint32(clientISN))
	diff := (count - v>>24) & 0xFF
	if diff >= maxCookieAge {
		return 0, false
	}
	idx := (v - tupleHash(h.cookieK2, t, count-diff)) & 0xFFFFFF
	if idx >= uint32(len(CookieMSSTable)) {
		return 0, false
	}
	return uint8(idx), true
}

// sendCookie answers a SYN with a SYN-ACK whose ISN is a cookie and keeps no state.
func (l *Listener) sendCookie(syn Segment) {
	h := l.h
	p := &h.Prof
	t := syn.Tuple()
	si := parseSynOptions(syn.Options)
	peerMSS := si.mss
	if peerMSS == 0 {
		peerMSS = p.DefaultMSS
	}
	ck := h.makeCookie(t, syn.Seq, peerMSS)
	seg := Segment{Src: h.Addr, Dst: syn.Src, SrcPort: syn.DstPort, DstPort: syn.SrcPort,
		Seq: ck.ISN, Ack: syn.Seq.Add(1), Flags: SYN | ACK, Window: initialWindowFor(p, p.Timestamps && si.ts),
		TOS: l.IP.TOS &^ ECNMask, NoDF: l.IP.HasPMTUDisc && !l.IP.PMTUDisc.dontFragment()}
	reply := synInfo{mss: p.MSS}
	if p.Timestamps && si.ts {
		// The low 6 bits of TSval remember what the SYN offered (cookie_init_timestamp).
		bits := uint8(0xF)
		if p.WindowScaling && si.ws {
			bits = min(si.shift, 14)
			reply.ws, reply.shift = true, p.WindowShift // a cookie keeps no SO_RCVBUF
		}
		if p.SACK && si.sack {
			bits |= 1 << 4
			reply.sack = true
		}
		now := h.tsClock() + h.tsOffset(t)
		ts := now&^0x3F | uint32(bits)
		if ts > now {
			ts -= 1 << 6
		}
		reply.ts, reply.tsVal, reply.tsEcr = true, ts, si.tsVal
		ck.HasTS, ck.TSBits = true, bits
	}
	// Without timestamps the cookie has no room for window scaling or SACK: the SYN-ACK
	// offers neither, and the connection goes on without them (tcp_clear_options).
	seg.Options = buildSynOptions(p, reply, p.Layout)
	h.stats.CookiesSent++
	h.emit(seg, false, ck)
}

// acceptCookie rebuilds a connection from a valid cookie in a bare ACK. It reports whether
// the ACK carried one.
func (l *Listener) acceptCookie(seg Segment) bool {
	h := l.h
	p := &h.Prof
	t := seg.Tuple()
	idx, ok := h.checkCookie(t, seg.Seq-1, seg.Ack-1)
	if !ok {
		h.stats.CookiesRejected++
		return false
	}
	if l.acceptQueueFull() {
		h.note(h.peerName(seg.Src), "accept-queue-full", "valid cookie but the accept queue is full: ACK dropped")
		return true
	}
	h.stats.CookiesAccepted++
	c := h.newConn(t, Listen)
	c.passive, c.lst = true, l
	c.rcvSpace, c.keepalive = l.RecvSpace, l.Keepalive // the listener's options, as for any child
	c.ccName = l.Congestion
	c.iss = seg.Ack - 1
	c.irs = seg.Seq - 1
	c.sndUna, c.sndNxt, c.sndMax, c.sendStart = seg.Ack, seg.Ack, seg.Ack, seg.Ack
	c.rcvNxt = seg.Seq
	c.tsOff = h.tsOffset(t)
	c.mss = min(CookieMSSTable[idx], p.MSS)
	c.cookie = &Cookie{ISN: c.iss, ClientISN: c.irs, MSSIndex: idx, MSS: CookieMSSTable[idx]}
	if ts, ok := seg.Options.Find(OptTimestamps); ok && p.Timestamps {
		bits := uint8(ts.TSEcr & 0x3F)
		c.tsOK, c.tsRecent = true, ts.TSVal
		c.mss -= 12 // room for the timestamp option (RFC 9293 §3.7.1)
		c.cookie.HasTS, c.cookie.TSBits = true, bits
		if bits&0xF != 0xF && p.WindowScaling {
			c.wsOK, c.sndShift, c.rcvShift = true, bits&0xF, p.WindowShift
		}
		c.sackOK = p.SACK && bits&(1<<4) != 0
	}
	c.sndWnd = uint32(seg.Window) << c.sndShift
	c.maxSndWnd = c.sndWnd
	c.mssFull = c.mss
	c.syncMSS()
	c.sndWl1, c.sndWl2 = seg.Seq, seg.Ack
	h.note(c.peer, "cookie-accepted", "ACK carries a valid SYN cookie: connection rebuilt")
	c.setState(SynReceived, "ACK carries a valid SYN cookie")
	c.establish("connection rebuilt from the cookie")
	l.promote(c)
	// Data riding on the ACK is processed as in ESTABLISHED.
	if len(seg.Payload) > 0 || seg.Flags&FIN != 0 {
		c.processText(seg)
	}
	c.flush()
	return true
}

// promote moves an established connection from the SYN queue to the accept queue.
func (l *Listener) promote(c *Conn) {
	if l.synq[c.tuple] == c {
		delete(l.synq, c.tuple)
		l.removeOrder(c)
	}
	l.acceptq = append(l.acceptq, c)
	l.queueEvent()
	l.h.queueConnEvent(c, ConnAcceptable)
}

func (l *Listener) removeOrder(c *Conn) {
	for i, o := range l.synqOrder {
		if o == c {
			l.synqOrder = append(l.synqOrder[:i], l.synqOrder[i+1:]...)
			return
		}
	}
}

// queued reports whether c waits in the accept queue.
func (l *Listener) queued(c *Conn) bool {
	for _, o := range l.acceptq {
		if o == c {
			return true
		}
	}
	return false
}

// forget removes a connection from whichever queue holds it.
func (l *Listener) forget(c *Conn) {
	changed := false
	if l.synq[c.tuple] == c {
		delete(l.synq, c.tuple)
		l.removeOrder(c)
		changed = true
	}
	for i, o := range l.acceptq {
		if o == c {
			l.acceptq = append(l.acceptq[:i], l.acceptq[i+1:]...)
			changed = true
			break
		}
	}
	c.lst = nil
	if changed {
		l.queueEvent()
	}
}

// Accept takes the oldest connection from the accept queue (EAGAIN when empty).
func (l *Listener) Accept() (*Conn, error) {
	h := l.h
	if len(l.acceptq) == 0 {
		return nil, EAGAIN
	}
	c := l.acceptq[0]
	l.acceptq = l.acceptq[1:]
	c.lst = nil
	h.app(c.peer, "accept", nil, 0, "")
	l.queueEvent()
	return c, nil
}

// Close closes the listening socket: half-open connections are dropped and connections
// never accepted are reset (Linux inet_csk_listen_stop).
func (l *Listener) Close() {
	h := l.h
	if l.closed {
		return
	}
	l.closed = true
	h.app("", "close", nil, 0, "listener")
	for _, c := range append([]*Conn(nil), l.synqOrder...) {
		c.lst = nil
		h.removeConn(c)
	}
	for _, c := range append([]*Conn(nil), l.acceptq...) {
		c.lst = nil
		c.Abort()
	}
	l.synq, l.synqOrder, l.acceptq = map[Tuple]*Conn{}, nil, nil
	delete(h.listeners, l.Port)
	h.record(Event{Kind: EventState, At: h.now, Endpoint: h.Name, From: Listen, To: Closed, Cause: "CLOSE of the listening socket"})
}

// Send is RFC 9293's SEND on a listening TCB once the foreign socket is known (§3.10.2,
// LISTEN STATE): the connection changes from passive to active — an ISS is selected, a
// SYN sent (SND.UNA = ISS, SND.NXT = ISS+1) and the TCB enters SYN-SENT; the data is
// queued for transmission after ESTABLISHED. The listener is gone: it has become this
// connection. The sockets API has no such call (a listening socket cannot send), so
// only a model of the RFC's user interface uses it. A listener that already holds
// connections in its queues cannot change (EISCONN); an unspecified foreign socket is
// the RFC's "error: foreign socket unspecified" (EDESTADDRREQ).
func (l *Listener) Send(raddr netip.Addr, rport uint16, data []byte) (*Conn, error) {
	h := l.h
	if l.closed {
		return nil, EBADF
	}
	if !raddr.IsValid() || rport == 0 {
		h.app("", "send", EDESTADDRREQ, 0, "listening TCB: foreign socket unspecified")
		return nil, EDESTADDRREQ
	}
	if len(l.synqOrder) > 0 || len(l.acceptq) > 0 {
		h.app(h.peerName(raddr), "send", EISCONN, 0, "listening TCB already has connections")
		return nil, EISCONN
	}
	t := Tuple{LocalAddr: h.Addr, LocalPort: l.Port, RemoteAddr: raddr, RemotePort: rport}
	if h.conns[t] != nil {
		h.app(h.peerName(raddr), "send", EADDRINUSE, 0, "")
		return nil, EADDRINUSE
	}
	l.closed = true
	delete(h.listeners, l.Port)
	c := h.newConn(t, Listen) // the same TCB, now turning active
	c.connectPending = true
	h.app(c.peer, "send", nil, len(data), "on a listening TCB: passive to active")
	c.activeOpenAs("SEND on a listening TCB (passive to active)")
	if len(data) > 0 {
		c.Send(data)
	}
	return c, nil
}

// initialWindowFor is the window a SYN-ACK advertises: the receive buffer, rounded down
// to a multiple of the MSS (less the timestamp option when it is on) where the profile
// says so (tcp_select_initial_window).
func initialWindowFor(p *Profile, ts bool) uint16 {
	w := min(p.RecvWindow, 65535)
	mss := uint32(p.MSS)
	if ts {
		mss -= 12
	}
	if p.MSSRoundedWindow && mss > 0 {
		w = w / mss * mss
	}
	return uint16(w)
}
