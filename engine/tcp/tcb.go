package tcp

import (
	"fmt"
	"time"
)

// The transmission control block of RFC 9293 §3.3.1: the Conn type, what an application
// may read of it (STATUS, §3.10.6, as Linux's tcp_info gives it), and the one place its
// state changes (setState).

// ConnEventKind is something an application would notice on a socket.
type ConnEventKind uint8

// The events a host reports to the application layer (pulled with Host.NextEvent).
const (
	ConnEstablished ConnEventKind = iota + 1 // connect() completed, or an accept() is possible
	ConnReadable                             // data arrived
	ConnEOF                                  // the peer's FIN arrived: read() will return 0
	ConnFailed                               // the connection died with an error (Conn.Err)
	ConnClosed                               // the TCB was deleted (CLOSED)
	ConnAcceptable                           // a listener has a connection in its accept queue
)

var connEventNames = [...]string{ConnEstablished: "established", ConnReadable: "readable",
	ConnEOF: "eof", ConnFailed: "failed", ConnClosed: "closed", ConnAcceptable: "acceptable"}

// String returns the event's name ("acceptable"), for test failures and logs.
func (k ConnEventKind) String() string {
	if int(k) < len(connEventNames) && connEventNames[k] != "" {
		return connEventNames[k]
	}
	return fmt.Sprintf("ConnEventKind(%d)", uint8(k))
}

// sendSpace is the send sequence space of RFC 9293 §3.3.1:
//
//	     1         2          3          4
//	----------|----------|----------|----------
//	       SND.UNA    SND.NXT    SND.UNA
//	                            +SND.WND
//
// SND.UP is not modelled: the engine sends no urgent data.
type sendSpace struct {
	iss       Seq    // ISS, the initial send sequence number
	sndUna    Seq    // SND.UNA, the oldest unacknowledged sequence number
	sndNxt    Seq    // SND.NXT, the next sequence number to send
	sndMax    Seq    // the end of everything sent so far (SND.NXT may go back to retransmit)
	sndWnd    uint32 // SND.WND, the peer's window, scaled
	maxSndWnd uint32 // the largest SND.WND seen (Linux max_window)
	sndWl1    Seq    // SND.WL1, the segment sequence number of the last window update
	sndWl2    Seq    // SND.WL2, the segment acknowledgement number of the last window update
}

// recvSpace is the receive sequence space of RFC 9293 §3.3.1:
//
//	    1          2          3
//	----------|----------|----------
//	       RCV.NXT    RCV.NXT
//	                 +RCV.WND
//
// RCV.WND is computed from the buffer (rcvWnd); RCV.UP is not modelled (URG is ignored).
type recvSpace struct {
	irs        Seq    // IRS, the initial receive sequence number
	rcvNxt     Seq    // RCV.NXT, the next sequence number expected
	rcvBufSize uint32 // the receive buffer RCV.WND is taken from
}

// rttState is the round-trip time estimate and the retransmission timeout RFC 6298 §2–3
// derives from it, with the one segment being timed (RFC 6298 §3: Karn's algorithm).
type rttState struct {
	rto          time.Duration // RTO
	srtt, rttvar time.Duration // SRTT, RTTVAR
	rttValid     bool          // a first measurement has been made
	timing       bool          // a segment is being timed
	rttSeq       Seq           // the end of the segment being timed
	rttAt        Time          // when it was sent
	ackEcr       uint32        // the TS ecr of the ACK being processed (0: none), for RTTEveryAck
}

// negotiated is what the SYN exchange settled: the MSS (RFC 9293 §3.7.1), window scaling
// and timestamps (RFC 7323), SACK (RFC 2018) and ECN (RFC 3168).
type negotiated struct {
	mss                uint16 // effective send MSS
	mssFull            uint16 // the send MSS before the half-window bound (syncMSS)
	wsOK               bool
	sndShift, rcvShift uint8
	sackOK, tsOK       bool
	tsRecent           uint32 // TS.Recent (RFC 7323 §4.3)
	tsOff              uint32 // this connection's offset to the host's timestamp clock
	ecnOK              bool
}

// sendQueue is the data the application wrote and the peer has not acknowledged, and
// our FIN (Linux sk_write_queue; RFC 9293 §3.10.2, SEND, and §3.10.4, CLOSE).
type sendQueue struct {
	sendBuf   []byte // unacknowledged and unsent data; sendBuf[0] has sequence number sendStart
	sendStart Seq
	sendMem   []byte // sendBuf's backing array, from its start (appendQueue reuses it)
	finQueued bool   // the application closed its sending side
	finSent   bool
	finSeq    Seq
	finAcked  bool
	sendBuffers
}

// recvQueue is the data received and not yet read, the out-of-order segments waiting for
// a hole to fill (Linux sk_receive_queue, out_of_order_queue), and the peer's FIN.
type recvQueue struct {
	recvBuf []byte
	recvMem []byte // recvBuf's backing array, from its start (appendQueue reuses it)
	ooo     []Segment
	gotFin  bool
}

// retransmission is what RFC 6298 §5 and Linux keep about resending: the count and
// start of the current retransmissions, recovery after a timeout, and the tail loss
// probe.
type retransmission struct {
	rtxCount         int
	firstSynAt       Time
	synRetransmitted bool
	rtxHigh          Seq  // after a timeout, retransmit up to here as ACKs arrive
	recovering       bool // rtxHigh is meaningful
	sentNew          bool // new data or our FIN went out since the last flush
	tlpArmed         bool // the RTO slot holds a tail loss probe timeout
	tlpOut           bool // a probe is out and not yet acknowledged
	rtoFired         bool // a data retransmission timeout has fired (icsk_backoff may be > 0)
	retransStamp     Time // see onRTO; 0 while not retransmitting
	lastAckAt        Time // when an acceptable ACK last arrived (Linux rcv_tstamp)
}

// congestion is the congestion window and what it is judged by (RFC 5681; Linux
// snd_cwnd, packets_out, lsndtime).
type congestion struct {
	cwnd     uint32
	ssthresh uint32 // slow-start threshold (RFC 5681 §3.1; Linux snd_ssthresh); ssthreshInfinite before a loss
	// outEnds holds the end of every segment sent and not yet wholly acknowledged, in
	// order (Linux packets_out counts them); lastSendAt is when data last left
	// (lsndtime); cwndLost says a retransmission timeout has cut the congestion
	// window at least once.
	outEnds    []Seq
	lastSendAt Time
	cwndLost   bool
	// cwndUse is how fully the flow uses its congestion window (Linux is_cwnd_limited,
	// max_packets_out and cwnd_usage_seq, kept by tcp_cwnd_validate).
	cwndUse cwndUse
	// ccState is the algorithm's own state (cc.go, cubic.go).
	ccState
}

// ackState is how and when we acknowledge (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2; Linux
// icsk_ack: delayed ACKs, quick-ACK and pingpong modes), and challenge ACKs (RFC 5961).
type ackState struct {
	ackPending    bool
	ackNow        bool
	gotData       bool // some data has arrived (Linux initialises its ato then)
	lastDataRecv  Time // when data last arrived
	segsSinceAck  int
	quickAcks     int
	pingpong      bool
	pingpongCnt   int  // quick answers counted towards pingpong mode
	quickAcked    bool // this segment's ACK is immediate only because of quick-ACK mode
	bytesSinceAck int  // data received since our last ACK
	// ato is the delayed-ACK timeout estimate (Linux icsk_ack.ato): 0 until data
	// arrives, then from the gaps between data segments; rcvMSS is the estimate of the
	// peer's segment size (icsk_ack.rcv_mss), lastSegSize the size of the last small
	// segment (last_seg_size).
	ato           time.Duration
	rcvMSS        int
	lastSegSize   int
	lastChallenge Time
	challenged    bool
}

// probeState is the probing of a peer or a path that does not answer: the probe timer
// for held or refused data (Linux ICSK_TIME_PROBE0) and zero-window probes' backoff.
type probeState struct {
	corkProbe bool // the RTO slot holds the probe timer for held data
	// probe0 says the RTO slot holds the probe timer for data the host's queue refused
	// (Linux ICSK_TIME_PROBE0 after a local transmit failure); probesOut counts its
	// rounds (icsk_probes_out) since probesAt (icsk_probes_tstamp, when probesStamped).
	probe0         bool
	probesOut      int
	probesAt       Time
	probesStamped  bool
	persistBackoff int // zero-window probes sent since the window closed (icsk_backoff)
}

// appState is the application's side of the socket: what it called and the options it
// set.
type appState struct {
	appClosed bool // close() was called: the connection is an orphan
	rdShut    bool
	corked    bool // TCP_CORK
	noDelay   bool // TCP_NODELAY: no Nagle
	sndSml    Seq  // the end of the last partial segment sent (Linux snd_sml)
	smlSent   bool // sndSml is set
	corkPush  bool // a push overrides the cork for one flush
	moreHeld  bool // the last write had MSG_MORE
	// Socket options.
	userTimeout    time.Duration
	synRetries     int       // TCP_SYNCNT; 0: the profile's SynRetries
	keepalive      Keepalive // SO_KEEPALIVE and its TCP_KEEP* options, as the application set them
	userMSS        uint16    // TCP_MAXSEG set by the application (Linux rx_opt.user_mss); 0: none
	rcvSpace       uint32    // receive space from SO_RCVBUF (Linux window_clamp under SOCK_RCVBUF_LOCK); 0: none
	lingerZero     bool
	connectPending bool
	// errShown: Err was reported to a read or write, so the closed socket now reads as
	// at its end and refuses writes with EPIPE.
	errShown bool
}

// chronographs are tcp_info's (see chronoSet): what limits sending, since when, and the
// time each limit has held.
type chronographs struct {
	chronoType int
	chronoAt   Time
	chronoStat [3]time.Duration
	// space is what tcp_info's send-buffer chronograph follows (sndbuf_chrono.go).
	space sndSpace
}

// Conn is one TCP connection: the transmission control block of RFC 9293 §3.3.1 and the
// code that moves it between states. Its variables are grouped as RFC 9293 and Linux
// group them; the groups are embedded, so code names a variable without its group.
type Conn struct {
	h       *Host
	tuple   Tuple
	peer    string
	state   State
	passive bool      // reached SYN-RECEIVED from LISTEN
	lst     *Listener // the listener that created it, while in its queues
	deleted bool

	sendSpace      // RFC 9293 §3.3.1, send sequence variables
	recvSpace      // RFC 9293 §3.3.1, receive sequence variables
	sendQueue      // data written and not acknowledged, and our FIN
	recvQueue      // data received and not read, and the peer's FIN
	rttState       // RFC 6298, the round-trip time and the retransmission timeout
	retransmission // RFC 6298 §5, resending
	congestion     // RFC 5681, the congestion window
	ackState       // acknowledgements and delayed ACKs
	probeState     // probe timers and zero-window probes
	negotiated     // what the SYN exchange settled (RFC 9293 §3.7.1, RFC 7323, RFC 2018, RFC 3168)
	appState       // the application's side
	chronographs   // tcp_info's chronographs
	recovery       // loss recovery: the SACK scoreboard, fast recovery, PRR, RACK (recovery.go)
	sendLimit      // the send buffer limit, TCP_NOTSENT_LOWAT and MSG_EOR (sendlimit.go)
	pathMTU        // what ICMP errors left: the path MTU's MSS, a soft error (icmp.go)
	ipOpts         // IP_TOS and IP_MTU_DISCOVER: the IP header's TOS byte and DF bit (iptos.go)

	// timers are the connection's timers, as data (timer.go).
	timers [timerCount]timerSlot

	// Err is the error the application sees (ECONNREFUSED, ETIMEDOUT, ECONNRESET); a
	// read or write reports it once and clears it, as Linux's sock_error does.
	Err error

	cookie *Cookie

	// TCP Fast Open (RFC 7413): nil for a connection that does not use it.
	fastOpen *fastOpen
	// synAckCookie is the Fast Open option the first SYN-ACK carries, if any.
	synAckCookie *Option
}

// State returns the connection's current state.
func (c *Conn) State() State { return c.state }

// Deleted reports whether the TCB is gone (RFC 9293's "delete the TCB"): the connection
// has reached CLOSED and the host no longer knows it.
func (c *Conn) Deleted() bool { return c.deleted }

// Tuple returns the connection's addresses and ports.
func (c *Conn) Tuple() Tuple { return c.tuple }

// Peer returns the name of the remote endpoint.
func (c *Conn) Peer() string { return c.peer }

// ISS returns our initial send sequence number.
func (c *Conn) ISS() Seq { return c.iss }

// IRS returns the peer's initial sequence number.
func (c *Conn) IRS() Seq { return c.irs }

// SndUna returns the oldest unacknowledged sequence number.
func (c *Conn) SndUna() Seq { return c.sndUna }

// SndNxt returns the next sequence number to send.
func (c *Conn) SndNxt() Seq { return c.sndNxt }

// RcvNxt returns the next sequence number expected from the peer.
func (c *Conn) RcvNxt() Seq { return c.rcvNxt }

// Buffered returns how many received bytes wait to be read.
func (c *Conn) Buffered() int { return len(c.recvBuf) }

// EOF reports whether the peer's FIN has arrived (or the connection's error was
// reported) and all data before it was read.
func (c *Conn) EOF() bool { return (c.gotFin || c.errShown) && len(c.recvBuf) == 0 }

// advMSS is the MSS we offer: the profile's, or less when the application set TCP_MAXSEG
// (Linux tcp_advertise_mss and the user_mss clamp).
func (c *Conn) advMSS() uint16 {
	mss := c.h.Prof.MSS
	if c.pmtuMSS != 0 && c.pmtuMSS < mss {
		mss = c.pmtuMSS // the path MTU an ICMP message reported (icmp.go)
	}
	if c.userMSS != 0 && c.userMSS < mss {
		return c.userMSS
	}
	return mss
}

// MaxSeg is getsockopt(TCP_MAXSEG): the send MSS once synchronized, the user's value or
// 536 before (Linux do_tcp_getsockopt reads mss_cache, TCP_MSS_DEFAULT until it is set).
func (c *Conn) MaxSeg() uint16 {
	if c.state == Closed || c.state == SynSent {
		if c.userMSS != 0 {
			return c.userMSS
		}
		return c.h.Prof.DefaultMSS
	}
	return c.mss
}

// Info returns the tcp_info fields (tcpi_*, without the prefix) the engine keeps, in
// tcp_info's units: times in microseconds, last_data_recv in milliseconds.
func (c *Conn) Info() map[string]int64 {
	info := map[string]int64{
		"rto":         int64(c.rto / time.Microsecond),
		"retransmits": int64(c.rtxCount),
		"probes":      int64(c.probesOut),
	}
	if !c.rtoFired && !c.synRetransmitted {
		// icsk_backoff only grows on a timeout or a sent zero-window probe; neither
		// happened, so it is 0 (after one the engine does not know when Linux resets it).
		info["backoff"] = int64(c.persistBackoff)
	}
	// tcpi_options is what the handshake settled, so it is reported in every state (0
	// before the peer's SYN), and after a reset too.
	var opts int64
	if c.tsOK {
		opts |= 1 // TCPI_OPT_TIMESTAMPS
	}
	if c.sackOK {
		opts |= 2 // TCPI_OPT_SACK
	}
	if c.wsOK {
		opts |= 4 // TCPI_OPT_WSCALE
	}
	if c.ecnOK {
		opts |= 8 // TCPI_OPT_ECN
	}
	if c.fastOpen != nil && c.fastOpen.dataAcked {
		opts |= 32 // TCPI_OPT_SYN_DATA: SYN data was acknowledged (sent or received)
	}
	info["options"] = opts
	if !c.state.Synchronized() {
		return info
	}
	info["snd_mss"] = int64(c.mss)
	adv := int64(c.advMSS())
	if c.tsOK {
		adv -= 12 // Linux takes the timestamp option off tp->advmss once it is negotiated
	}
	info["advmss"] = adv
	if c.wsOK {
		info["snd_wscale"], info["rcv_wscale"] = int64(c.sndShift), int64(c.rcvShift)
	}
	info["last_data_recv"] = int64(c.h.now.Sub(c.lastDataRecv) / time.Millisecond)
	info["unacked"] = int64(len(c.outEnds)) // packets_out
	info["rcv_mss"] = int64(c.rcvMSS)
	info["ato"] = int64(c.ato / time.Microsecond)
	if c.mss > 0 {
		// In segments, as Linux counts them; ssthresh is TCP_INFINITE_SSTHRESH
		// (0x7fffffff) until a loss or HyStart sets it.
		info["snd_cwnd"] = int64(c.cwndSegs())
		info["snd_ssthresh"] = int64(c.ssthreshSegs())
	}
	// tcp_get_info_chrono_stats: busy_time includes the window-limited time.
	stat := c.chronoStat
	if c.chronoType != chronoNone {
		stat[c.chronoType-1] += c.h.now.Sub(c.chronoAt)
	}
	busy, rwnd, sndbuf := stat[chronoBusy-1], stat[chronoRwnd-1], stat[chronoSndbuf-1]
	info["busy_time"] = int64((busy + rwnd + sndbuf) / time.Microsecond)
	info["rwnd_limited"] = int64(rwnd / time.Microsecond)
	info["sndbuf_limited"] = int64(sndbuf / time.Microsecond)
	c.recoveryInfo(info)
	return info
}

// Unacked returns the bytes sent or queued and not yet acknowledged (ioctl SIOCOUTQ).
func (c *Conn) Unacked() int { return len(c.sendBuf) }

// FinReceived reports whether the peer's FIN has arrived (in order).
func (c *Conn) FinReceived() bool { return c.gotFin }

// WriteShut reports whether the application closed its sending side (shutdown(SHUT_WR)
// or close()).
func (c *Conn) WriteShut() bool { return c.finQueued }

// ReadShut reports whether shutdown(SHUT_RD) was called.
func (c *Conn) ReadShut() bool { return c.rdShut }

// Cookie returns the SYN cookie this connection was rebuilt from, if any.
func (c *Conn) Cookie() *Cookie { return c.cookie }

// setState is the one place a connection changes state (statechange_test.go checks it),
// and every change it makes is recorded. A TCB's birth state is set once, by newConn.
func (c *Conn) setState(to State, cause string) {
	from := c.state
	c.state = to
	c.h.record(Event{Kind: EventState, At: c.h.now, Endpoint: c.h.Name, Peer: c.peer, From: from, To: to, Cause: cause})
}

func (c *Conn) notify(k ConnEventKind) { c.h.queueConnEvent(c, k) }
