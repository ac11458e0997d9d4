package tcp

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// TCP Fast Open (RFC 7413) as Linux implements it (net/ipv4/tcp_fastopen.c, the SYN-data
// parts of tcp_output.c and tcp_input.c): a client that holds a cookie from an earlier
// connection to a server sends data in its SYN; the server checks the cookie and, when it
// is valid, hands the data to the application before the handshake completes.

// The bits of Profile.FastOpen: Linux's net.ipv4.tcp_fastopen (ip-sysctl.rst; the TFO_*
// flags of include/net/tcp.h).
const (
	// FastOpenClient lets an active open carry data (sendto with MSG_FASTOPEN, or
	// TCP_FASTOPEN_CONNECT): TFO_CLIENT_ENABLE, Linux's default.
	FastOpenClient = 0x1
	// FastOpenServer lets a listener with a Fast Open queue (TCP_FASTOPEN) take data in a
	// SYN: TFO_SERVER_ENABLE.
	FastOpenServer = 0x2
	// FastOpenClientNoCookie sends SYN data without a cookie: TFO_CLIENT_NO_COOKIE.
	FastOpenClientNoCookie = 0x4
	// FastOpenServerNoCookie accepts SYN data without a cookie: TFO_SERVER_COOKIE_NOT_REQD.
	FastOpenServerNoCookie = 0x200
	// FastOpenServerAnyListener gives every listener a Fast Open queue as long as its
	// backlog, without TCP_FASTOPEN: TFO_SERVER_WO_SOCKOPT1.
	FastOpenServerAnyListener = 0x400
)

// Cookie sizes (RFC 7413 §4.1.1: 4 to 16 bytes, even; Linux TCP_FASTOPEN_COOKIE_MIN,
// _MAX and _SIZE, the length its server generates).
const (
	FastOpenCookieMin  = 4
	FastOpenCookieMax  = 16
	FastOpenCookieSize = 8
)

// fastOpenSpace is what Linux keeps free of SYN data for the options
// (MAX_TCP_OPTION_SPACE in tcp_send_syn_data).
const fastOpenSpace = 40

// ParseFastOpenKey reads a server key written as Linux's net.ipv4.tcp_fastopen_key
// shows it: four groups of up to eight hex digits separated by dashes
// ("a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4"); a backup key after a comma is ignored.
// Linux stores each group as a little-endian 32-bit word and keys SipHash with the
// 16 bytes (proc_tcp_fastopen_key, tcp_fastopen_reset_cipher).
func ParseFastOpenKey(s string) ([2]uint64, error) {
	s, _, _ = strings.Cut(strings.TrimSpace(s), ",")
	parts := strings.Split(s, "-")
	if len(parts) != 4 {
		return [2]uint64{}, fmt.Errorf("fast open key %q: want four dash-separated groups of hex digits", s)
	}
	var b [16]byte
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 16, 32)
		if err != nil {
			return [2]uint64{}, fmt.Errorf("fast open key %q: %q is not up to eight hex digits", s, p)
		}
		binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
	}
	return [2]uint64{binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])}, nil
}

// FastOpenKeyBytes reads a key given as 16 bytes, as setsockopt(TCP_FASTOPEN_KEY) takes
// it (Linux reads them as two little-endian 64-bit words, tcp_fastopen_reset_cipher).
func FastOpenKeyBytes(b []byte) ([2]uint64, error) {
	if len(b) != 16 {
		return [2]uint64{}, fmt.Errorf("a fast open key is 16 bytes, not %d", len(b))
	}
	return [2]uint64{binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])}, nil
}

// FastOpenCookie is the cookie a server with key gives a client (RFC 7413 §4.1.2): as
// Linux computes it for IPv4 (__tcp_fastopen_cookie_gen_cipher), SipHash-2-4 of the
// client's address followed by the server's, its 64 bits in little-endian order.
func FastOpenCookie(key [2]uint64, client, server netip.Addr) []byte {
	c, s := client.As4(), server.As4()
	var msg [8]byte
	copy(msg[:4], c[:])
	copy(msg[4:], s[:])
	return binary.LittleEndian.AppendUint64(nil, sipHash24(key, msg[:]))
}

// fastOpenMetrics is what a client remembers of a server for Fast Open (Linux keeps it
// in tcp_metrics, struct tcp_fastopen_metrics): the MSS the server last offered, its
// cookie, and whether to ask in the experimental form next time.
type fastOpenMetrics struct {
	mss    uint16
	cookie []byte
	exp    bool // the cookie came in the experimental option
	tryExp int  // 1: the server ignored a request; ask with FOEXP next
}

// fastOpen is a connection's Fast Open state.
type fastOpen struct {
	// An active open's SYN option: the cookie (empty: a request), sent only in the first
	// SYN (Linux sets fastopen_req->cookie.len to -1 for the retries).
	option    bool
	cookie    []byte
	exp       bool
	synData   int    // bytes the SYN carried (tp->syn_data)
	payload   []byte // the SYN data, until activeOpenAs queues it
	dataAcked bool   // the peer acknowledged SYN data (tp->syn_data_acked, TCPI_OPT_SYN_DATA)
	// writePending: the application waited in a blocking Fast Open sendto() with data
	// to go once the SYN-ACK came (Linux sk_write_pending: tcp_rcv_synsent_state_process
	// then sets ato, so sending it counts as a quick answer towards pingpong mode).
	writePending bool
	pendingWrite []byte // what the blocking sendto() writes once established
	// resend is how much SYN data the SYN-ACK left unacknowledged: it goes again as it
	// was, one segment with PSH, once the connection is established
	// (tcp_non_congestion_loss_retransmit).
	resend int
	// A passive connection made from a SYN with a valid cookie (tcp_fastopen_create_child):
	// it is in the accept queue and may send while in SYN-RECEIVED.
	child bool
}

// SetFastOpenKey sets the key the host's listeners make cookies with (Linux
// net.ipv4.tcp_fastopen_key). Until it is set the host uses a key drawn from its seed.
func (h *Host) SetFastOpenKey(k [2]uint64) { h.tfoKey = k }

// FastOpenCookieFor returns the cookie the host's listeners give client.
func (h *Host) FastOpenCookieFor(client netip.Addr) []byte {
	return FastOpenCookie(h.tfoKey, client, h.Addr)
}

// CacheFastOpenCookie puts a server's cookie and MSS into the host's cache, as an
// earlier connection to it would have (Linux keeps them in tcp_metrics), so that the
// next active open to server carries data in its SYN.
func (h *Host) CacheFastOpenCookie(server netip.Addr, cookie []byte, mss uint16) {
	if h.tfoCache == nil {
		h.tfoCache = map[netip.Addr]*fastOpenMetrics{}
	}
	h.tfoCache[server] = &fastOpenMetrics{mss: mss, cookie: append([]byte(nil), cookie...)}
}

// FlushFastOpenCache forgets the servers' cookies (Linux: ip tcp_metrics flush all).
func (h *Host) FlushFastOpenCache() { h.tfoCache = nil }

// FastOpenReady reports whether an active open to raddr would carry data in its SYN:
// the client side is on and a cookie is cached, or cookies are not needed
// (tcp_fastopen_cookie_check). A connect() with TCP_FASTOPEN_CONNECT then returns at
// once and the SYN waits for the first write (tcp_fastopen_defer_connect).
func (h *Host) FastOpenReady(raddr netip.Addr) bool {
	p := &h.Prof
	if p.FastOpen&FastOpenClient == 0 {
		return false
	}
	if p.FastOpen&FastOpenClientNoCookie != 0 {
		return true
	}
	m := h.tfoCache[raddr]
	return m != nil && len(m.cookie) > 0
}

// FastOpenSend is what an application hands an active Fast Open open.
type FastOpenSend struct {
	Data []byte
	// Fault: the buffer cannot be read (EFAULT). Linux then falls back to a SYN without
	// data that asks for a cookie (tcp_send_syn_data's fallback).
	Fault bool
	// Queue writes what the SYN does not carry once the connection is established, the
	// first of it carrying the ACK of the SYN-ACK: a blocking sendto() waits for the
	// handshake and goes on writing, and Linux delays that ACK for the data (the
	// sk_write_pending case of tcp_rcv_synsent_state_process).
	Queue bool
}

// ConnectFastOpen opens a connection with TCP Fast Open (sendto with MSG_FASTOPEN, or the
// first write after a connect() with TCP_FASTOPEN_CONNECT). With a cached cookie (or
// FastOpenClientNoCookie) the SYN carries the cookie and as much of the data as fits in
// MSS − 40 bytes (tcp_send_syn_data), and that part is returned; without one the SYN asks
// for a cookie and carries no data (0 is returned). Data the SYN does not carry is
// queued only with s.Queue. With the client side off it is a plain Connect.
func (h *Host) ConnectFastOpen(localPort uint16, raddr netip.Addr, rport uint16, o SockOpts, s FastOpenSend) (*Conn, int, error) {
	p := &h.Prof
	if localPort == 0 {
		localPort = h.allocPort(raddr, rport)
	}
	t := Tuple{LocalAddr: h.Addr, LocalPort: localPort, RemoteAddr: raddr, RemotePort: rport}
	if h.conns[t] != nil {
		h.app(h.peerName(raddr), "connect", EADDRINUSE, 0, "")
		return nil, 0, EADDRINUSE
	}
	c := h.newConn(t, Closed)
	c.connectPending = true
	c.userMSS = o.MaxSeg
	c.rcvSpace = o.RecvSpace
	o.applyIP(c)
	h.record(Event{Kind: EventApp, At: h.now, Endpoint: h.Name, Peer: c.peer, Call: "connect", Result: "pending", Detail: "Fast Open"})
	if p.FastOpen&FastOpenClient == 0 {
		c.activeOpen()
		return c, 0, nil
	}
	fo := &fastOpen{option: true, cookie: []byte{}}
	m := h.tfoCache[raddr]
	clamp := p.MSS
	if m != nil {
		if m.mss != 0 {
			clamp = m.mss // the MSS the server offered last time
		}
		fo.cookie, fo.exp = m.cookie, m.exp
		if len(m.cookie) == 0 && m.tryExp == 1 {
			fo.exp = true
		}
	}
	n := 0
	ready := len(fo.cookie) > 0
	if p.FastOpen&FastOpenClientNoCookie != 0 {
		ready, fo.option = true, false
	}
	if c.userMSS != 0 {
		clamp = min(clamp, c.userMSS) // tcp_mss_clamp: TCP_MAXSEG bounds it
	}
	if ready && !s.Fault && len(s.Data) > 0 {
		// tcp_send_syn_data: the MSS (bounded by the path MTU) less the whole option
		// space, which middleboxes may fill.
		n = min(len(s.Data), max(int(min(p.MSS, clamp))-fastOpenSpace, 0))
	}
	if s.Fault && fo.option {
		// tcp_send_syn_data's fallback: the SYN asks for a cookie in place of sending one.
		fo.cookie = []byte{}
	}
	c.fastOpen = fo
	if n > 0 {
		fo.synData = n
		fo.payload = s.Data[:n]
	}
	c.activeOpenAs("active OPEN (connect, Fast Open)")
	if s.Queue && !s.Fault && n < len(s.Data) {
		fo.pendingWrite = s.Data[n:]
		fo.writePending = true
	}
	return c, n, nil
}

// fastOpenSynOption returns the Fast Open option of our first SYN, if it carries one.
func (c *Conn) fastOpenSynOption() (Option, bool) {
	fo := c.fastOpen
	if fo == nil || !fo.option {
		return Option{}, false
	}
	o := Option{Kind: OptFastOpen, Cookie: append([]byte{}, fo.cookie...)}
	if fo.exp {
		o.Kind = OptExperimental
	}
	return o, true
}

// appendFastOpen adds a Fast Open option after the SYN options, padded with two NOPs
// when its length leaves two bytes of a word (tcp_options_write), if it fits.
func appendFastOpen(os Options, o Option) Options {
	pad := 0
	if o.Len()&3 == 2 {
		pad = 2
	}
	if os.Len()+o.Len()+pad > 40 {
		return os
	}
	out := make(Options, 0, len(os)+1+pad)
	out = append(out, os...)
	out = append(out, o)
	for range pad {
		out = append(out, Option{Kind: OptNOP})
	}
	return out
}

// synFastOpen reads a SYN's Fast Open option as Linux does (tcp_parse_fastopen_option):
// present reports an option; a cookie of a valid length is returned, an empty one is a
// request, and one of another length is no cookie (bad).
func synFastOpen(os Options) (cookie []byte, exp, present, bad bool) {
	for _, o := range os {
		if !o.IsFastOpen() {
			continue
		}
		n := len(o.Cookie)
		if n&1 != 0 {
			return nil, false, false, false // odd: ignored
		}
		if n != 0 && (n < FastOpenCookieMin || n > FastOpenCookieMax) {
			return nil, o.Kind == OptExperimental, true, true
		}
		return o.Cookie, o.Kind == OptExperimental, true, false
	}
	return nil, false, false, false
}

// fastOpenSynAck is the client's side of a SYN-ACK after a Fast Open SYN
// (tcp_rcv_fastopen_synack): the cookie and MSS are remembered for the next connection,
// and SYN data the SYN-ACK does not acknowledge is sent again at once.
func (c *Conn) fastOpenSynAck(seg Segment) {
	fo := c.fastOpen
	h := c.h
	cookie, exp, present, bad := synFastOpen(seg.Options)
	if !fo.option {
		// Our SYN had no Fast Open option (FastOpenClientNoCookie): a cookie in the
		// SYN-ACK is unsolicited and ignored (tcp_rcv_fastopen_synack, !syn_fastopen).
		present = false
	}
	si := parseSynOptions(seg.Options)
	if h.tfoCache == nil {
		h.tfoCache = map[netip.Addr]*fastOpenMetrics{}
	}
	m := h.tfoCache[c.tuple.RemoteAddr]
	if m == nil {
		m = &fastOpenMetrics{}
		h.tfoCache[c.tuple.RemoteAddr] = m
	}
	if si.mss != 0 {
		m.mss = si.mss
	}
	switch {
	case present && !bad && len(cookie) > 0:
		m.cookie, m.exp = append([]byte{}, cookie...), exp
		h.note(c.peer, "fast-open-cookie", "SYN-ACK carries a Fast Open cookie: kept for the next connection")
	case !present && fo.synData == 0 && !c.synRetransmitted && len(m.cookie) == 0 && !m.exp:
		// We asked and got no cookie: ask in the other form next time.
		if fo.exp {
			m.tryExp = max(m.tryExp, 2)
		} else {
			m.tryExp = max(m.tryExp, 1)
		}
	}
	if fo.synData > 0 {
		end := c.iss.Add(1 + uint32(fo.synData))
		if c.sndUna.LessThan(end) {
			// tcp_rcv_fastopen_synack: the SYN data is marked lost and sent again.
			h.note(c.peer, "fast-open-data-not-acked", "SYN-ACK does not acknowledge the SYN data: sent again")
			fo.resend = int(end.Sub(c.sndUna))
		} else {
			fo.dataAcked = true
		}
	}
}

// releaseAcked drops from the send buffer what ack covers (data, or the SYN's data that
// a SYN-ACK acknowledged), and the push marks inside it.
func (c *Conn) releaseAcked(ack Seq) {
	if n := ack.Sub(c.sendStart); int32(n) > 0 {
		k := min(int(n), len(c.sendBuf))
		c.sendBuf = c.sendBuf[k:]
		c.sendStart = c.sendStart.Add(uint32(k))
	}
	c.pruneEdges()
}

// fastOpenQueue is the length of the listener's Fast Open queue: TCP_FASTOPEN's value, or
// the backlog with FastOpenServerAnyListener; 0 when the server side is off.
func (l *Listener) fastOpenQueue() int {
	p := &l.h.Prof
	if p.FastOpen&FastOpenServer == 0 {
		return 0
	}
	if l.FastOpenQueue > 0 {
		return l.FastOpenQueue
	}
	if l.anyFastOpen {
		return min(max(l.Backlog, 1), p.Somaxconn)
	}
	return 0
}

// fastOpenRoom reports whether the Fast Open queue has room for another child still in
// SYN-RECEIVED (tcp_fastopen_queue_check).
func (l *Listener) fastOpenRoom() bool {
	q := l.fastOpenQueue()
	if q == 0 {
		return false
	}
	keep := l.tfoChildren[:0]
	for _, c := range l.tfoChildren {
		if !c.deleted && c.state == SynReceived {
			keep = append(keep, c)
		}
	}
	l.tfoChildren = keep
	return len(keep) < q
}

// tryFastOpen is the server's side of a SYN (tcp_try_fastopen), for the connection c
// just made for it in SYN-RECEIVED. It reports whether c became a Fast Open child (the
// SYN's data is queued for the application and c goes to the accept queue), and sets
// the cookie the SYN-ACK carries: the valid one when the SYN asked or brought a wrong one.
func (l *Listener) tryFastOpen(c *Conn, syn Segment) bool {
	h := l.h
	p := &h.Prof
	cookie, exp, present, bad := synFastOpen(syn.Options)
	data := len(syn.Payload) > 0
	if !(data || present && !bad) || !l.fastOpenRoom() {
		return false
	}
	child := p.FastOpen&FastOpenServerNoCookie != 0
	valid := h.FastOpenCookieFor(syn.Src)
	if l.FastOpenKey != nil {
		valid = FastOpenCookie(*l.FastOpenKey, syn.Src, h.Addr)
	}
	switch {
	case child:
	case present && len(cookie) == 0:
		c.synAckCookie = &Option{Kind: OptFastOpen, Cookie: valid}
		h.note(c.peer, "fast-open-cookie-request", "SYN asks for a Fast Open cookie: the SYN-ACK carries one")
	case present && !bad && string(cookie) == string(valid):
		child = true
	case present && !bad:
		c.synAckCookie = &Option{Kind: OptFastOpen, Cookie: valid}
		h.note(c.peer, "fast-open-cookie-invalid", "Fast Open cookie not valid: SYN data dropped, the SYN-ACK carries the right cookie")
	}
	if c.synAckCookie != nil && exp {
		c.synAckCookie.Kind = OptExperimental
	}
	if !child {
		return false
	}
	// tcp_fastopen_create_child: a full socket, its data queued, in the accept queue.
	c.fastOpen = &fastOpen{child: true}
	c.cwnd = uint32(p.initialCwnd()) * uint32(c.mss)
	c.ssthresh = ssthreshInfinite
	c.ccInit()
	if data {
		// tcp_fastopen_add_skb queues the data without tcp_event_data_recv: the delayed
		// ACK timeout (ato) is not set up yet, so gotData stays false.
		c.fastOpen.dataAcked = true
		c.lastDataRecv = h.now
		c.recvBuf, c.recvMem = appendQueue(c.recvBuf, c.recvMem, syn.Payload)
		c.rcvNxt = c.rcvNxt.Add(uint32(len(syn.Payload)))
		// The caller reports it readable once it is in the accept queue: the
		// application reaches the data through accept().
	}
	h.note(c.peer, "fast-open-accepted", "Fast Open: the SYN's data is accepted before the handshake completes")
	l.tfoChildren = append(l.tfoChildren, c)
	return true
}
