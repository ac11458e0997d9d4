package engine

import (
	"time"
)

// ConnEventKind is something an application would notice on a socket.
type ConnEventKind uint8

// The events a host reports to the application layer (through Host.Notify).
const (
	ConnEstablished ConnEventKind = iota + 1 // connect() completed, or an accept() is possible
	ConnReadable                             // data arrived
	ConnEOF                                  // the peer's FIN arrived: read() will return 0
	ConnFailed                               // the connection died with an error (Conn.Err)
	ConnClosed                               // the TCB was deleted (CLOSED)
	ConnAcceptable                           // a listener has a connection in its accept queue
)

// Conn is one TCP connection: the transmission control block of RFC 9293 §3.3.1 and the
// code that moves it between states.
type Conn struct {
	h       *Host
	tuple   Tuple
	peer    string
	state   State
	passive bool      // reached SYN-RECEIVED from LISTEN
	lst     *Listener // the listener that created it, while in its queues
	deleted bool

	// Send sequence variables (RFC 9293 §3.3.1).
	iss, sndUna, sndNxt, sndMax Seq
	sndWnd                      uint32
	maxSndWnd                   uint32
	sndWl1, sndWl2              Seq
	// Receive sequence variables.
	irs, rcvNxt Seq
	rcvBufSize  uint32

	// Negotiated options.
	mss                uint16 // effective send MSS
	wsOK               bool
	sndShift, rcvShift uint8
	sackOK, tsOK       bool
	tsRecent           uint32
	tsOff              uint32
	ecnOK              bool

	// Data.
	sendBuf   []byte // unacknowledged and unsent data; sendBuf[0] has sequence number sendStart
	sendStart Seq
	pushAt    []Seq // sequence numbers where an application write ended (PSH goes there)
	finQueued bool  // the application closed its sending side
	finSent   bool
	finSeq    Seq
	finAcked  bool
	recvBuf   []byte
	ooo       []Segment // out-of-order segments waiting for a hole to fill
	gotFin    bool
	// gotFinFromQueue is set when a queued out-of-order segment carried the FIN.
	gotFinFromQueue bool

	// Timers and retransmission (RFC 6298).
	timers           [timerCount]timerSlot
	rto              time.Duration
	srtt, rttvar     time.Duration
	rttValid         bool
	timing           bool
	rttSeq           Seq
	rttAt            Time
	rtxCount         int
	firstSynAt       Time
	synRetransmitted bool
	rtxHigh          Seq  // after a timeout, retransmit up to here as ACKs arrive
	recovering       bool // rtxHigh is meaningful
	sentNew          bool // new data or our FIN went out since the last flush
	tlpArmed         bool // the RTO slot holds a tail loss probe timeout
	tlpOut           bool // a probe is out and not yet acknowledged
	cwnd             uint32

	// Acknowledgements.
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
	lastChallenge Time
	challenged    bool

	// Application side.
	appClosed bool // close() was called: the connection is an orphan
	rdShut    bool
	corked    bool // TCP_CORK
	noDelay   bool // TCP_NODELAY: no Nagle
	sndSml    Seq  // the end of the last partial segment sent (Linux snd_sml)
	smlSent   bool // sndSml is set
	// tcp_info's chronographs (see chronoSet).
	chronoType int
	chronoAt   Time
	chronoStat [2]time.Duration
	corkPush   bool // a push overrides the cork for one flush
	moreHeld   bool // the last write had MSG_MORE
	corkProbe  bool // the RTO slot holds the probe timer for held data
	// probe0 says the RTO slot holds the probe timer for data the host's queue refused
	// (Linux ICSK_TIME_PROBE0 after a local transmit failure); probesOut counts its
	// rounds (icsk_probes_out) since probesAt (icsk_probes_tstamp, when probesStamped).
	probe0         bool
	probesOut      int
	probesAt       Time
	probesStamped  bool
	rtoFired       bool // a data retransmission timeout has fired (icsk_backoff may be > 0)
	userTimeout    time.Duration
	retransStamp   Time   // see onRTO; 0 while not retransmitting
	userMSS        uint16 // TCP_MAXSEG set by the application (Linux rx_opt.user_mss); 0: none
	lingerZero     bool
	connectPending bool
	accepted       bool
	// Err is the error the application sees (ECONNREFUSED, ETIMEDOUT, ECONNRESET).
	Err error

	// synOpts remembers what the peer's SYN offered, to build (and rebuild) our SYN-ACK.
	peerSyn synInfo
	cookie  *Cookie
	// User is free for the application layer (scenario code) to hang state on.
	User any
}

// State returns the connection's current state.
func (c *Conn) State() State { return c.state }

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

// EOF reports whether the peer's FIN has arrived and all data before it was read.
func (c *Conn) EOF() bool { return c.gotFin && len(c.recvBuf) == 0 }

// Options reports the negotiated options: send MSS, window scaling (and shifts), SACK, timestamps.
func (c *Conn) Options() (mss uint16, ws bool, sndShift, rcvShift uint8, sack, ts bool) {
	return c.mss, c.wsOK, c.sndShift, c.rcvShift, c.sackOK, c.tsOK
}

// advMSS is the MSS we offer: the profile's, or less when the application set TCP_MAXSEG
// (Linux tcp_advertise_mss and the user_mss clamp).
func (c *Conn) advMSS() uint16 {
	if c.userMSS != 0 && c.userMSS < c.h.Prof.MSS {
		return c.userMSS
	}
	return c.h.Prof.MSS
}

// SetMaxSeg is setsockopt(TCP_MAXSEG) before the handshake: the MSS offered and the send
// MSS are clamped to n.
func (c *Conn) SetMaxSeg(n uint16) { c.userMSS = n }

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
		info["backoff"] = 0
	}
	if !c.state.Synchronized() {
		return info
	}
	info["snd_mss"] = int64(c.mss)
	adv := int64(c.advMSS())
	var opts int64
	if c.tsOK {
		adv -= 12 // Linux takes the timestamp option off tp->advmss once it is negotiated
		opts |= 1 // TCPI_OPT_TIMESTAMPS
	}
	info["advmss"] = adv
	if c.sackOK {
		opts |= 2 // TCPI_OPT_SACK
	}
	if c.wsOK {
		opts |= 4 // TCPI_OPT_WSCALE
		info["snd_wscale"], info["rcv_wscale"] = int64(c.sndShift), int64(c.rcvShift)
	}
	if c.ecnOK {
		opts |= 8 // TCPI_OPT_ECN
	}
	info["options"] = opts
	info["last_data_recv"] = int64(c.h.now.Sub(c.lastDataRecv) / time.Millisecond)
	// tcp_get_info_chrono_stats: busy_time includes the window-limited time.
	busy, rwnd := c.chronoStat[0], c.chronoStat[1]
	switch c.chronoType {
	case chronoBusy:
		busy += c.h.now.Sub(c.chronoAt)
	case chronoRwnd:
		rwnd += c.h.now.Sub(c.chronoAt)
	}
	info["busy_time"] = int64((busy + rwnd) / time.Microsecond)
	info["rwnd_limited"] = int64(rwnd / time.Microsecond)
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

// setState is the one place a connection changes state (ARCHITECTURE.md rule 2).
func (c *Conn) setState(to State, cause string) {
	from := c.state
	c.state = to
	c.h.record(Event{Kind: EventState, At: c.h.now, Endpoint: c.h.Name, Peer: c.peer, From: from, To: to, Cause: cause})
}

func (c *Conn) notify(k ConnEventKind) {
	if c.h.Notify != nil {
		c.h.Notify(c, k)
	}
}

// ---- Active open -------------------------------------------------------------------

// activeOpen sends the SYN (RFC 9293 §3.10.1, active OPEN).
func (c *Conn) activeOpen() { c.activeOpenAs("active OPEN (connect)") }

// activeOpenAs sends the SYN and enters SYN-SENT, naming why.
func (c *Conn) activeOpenAs(cause string) {
	c.iss = c.h.isn(c.tuple)
	c.sndUna = c.iss
	c.sndNxt = c.iss.Add(1)
	c.sndMax = c.sndNxt
	c.sendStart = c.iss.Add(1)
	c.tsOff = c.h.tsOffset(c.tuple)
	c.firstSynAt = c.h.now
	c.initialWindow(c.advMSS())
	c.setState(SynSent, cause)
	c.sendSYN(false)
	c.startTiming(c.sndNxt)
	c.setTimer(TimerRTO, c.rto)
}

func (c *Conn) sendSYN(retransmit bool) {
	p := &c.h.Prof
	seg := c.template(c.iss, SYN)
	seg.Window = uint16(min(c.rcvBufSize, 65535))
	if p.ECN == 1 {
		seg.Flags |= ECE | CWR // RFC 3168 §6.1.1: an ECN-setup SYN
	}
	seg.Options = buildSynOptions(p, synInfo{mss: c.advMSS(), ws: p.WindowScaling, shift: p.WindowShift,
		sack: p.SACK, ts: p.Timestamps, tsVal: c.tsVal()}, p.Layout)
	c.h.emit(seg, retransmit, nil)
}

// synSentInput is RFC 9293 §3.10.7.3, SYN-SENT STATE.
func (c *Conn) synSentInput(seg Segment) {
	ackOK := false
	// First, check the ACK bit.
	if seg.Flags&ACK != 0 {
		// If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless the RST bit is set)
		// and discard the segment.
		if seg.Ack.LessThanEq(c.iss) || c.sndNxt.LessThan(seg.Ack) {
			if seg.Flags&RST == 0 {
				c.h.note(c.peer, "bad-ack-in-syn-sent", "SEG.ACK outside (ISS, SND.NXT]: reset")
				c.sendReset(seg.Ack, 0, false)
			}
			return
		}
		ackOK = c.sndUna.LessThan(seg.Ack) && seg.Ack.LessThanEq(c.sndNxt)
	}
	// Second, check the RST bit.
	if seg.Flags&RST != 0 {
		if ackOK {
			// "error: connection reset": connect() fails with ECONNREFUSED.
			c.fail(ECONNREFUSED, "RST in answer to our SYN")
		} else {
			c.h.note(c.peer, "rst-ignored", "RST without an acceptable ACK in SYN-SENT")
		}
		return
	}
	// Fourth, check the SYN bit.
	if seg.Flags&SYN == 0 {
		c.h.note(c.peer, "segment-dropped", "neither SYN nor RST in SYN-SENT")
		return
	}
	c.irs = seg.Seq
	c.rcvNxt = seg.Seq.Add(1)
	c.negotiate(seg)
	if seg.Flags&ACK != 0 {
		c.sndUna = seg.Ack
		c.takeRTTSample(seg.Ack)
	}
	c.sndWnd = uint32(seg.Window) // never scaled in a SYN (RFC 7323 §2.2)
	c.maxSndWnd = c.sndWnd
	c.sndWl1, c.sndWl2 = seg.Seq, seg.Ack
	if c.iss.LessThan(c.sndUna) {
		// Our SYN has been ACKed: ESTABLISHED, and ACK the peer's SYN. Data queued while in
		// SYN-SENT rides on that ACK (RFC 9293 §3.10.7.3 allows it; Linux does it when a
		// writer is already waiting: the sk_write_pending case of tcp_rcv_synsent_state_process).
		c.cancelTimer(TimerRTO)
		c.rtxCount = 0
		c.establish("received SYN,ACK")
		c.ackNow = true
		if len(seg.Payload) > 0 || seg.Flags&FIN != 0 {
			c.processText(seg)
		}
		return
	}
	// Simultaneous open (RFC 9293 §3.5 Figure 7): SYN-RECEIVED, answer with SYN,ACK
	// carrying our original ISS.
	c.setState(SynReceived, "received SYN (simultaneous open)")
	c.rtxCount = 0
	c.rto = c.h.Prof.InitialRTO
	c.sendSynAck(false)
	c.setTimer(TimerRTO, c.rto)
}

// establish enters ESTABLISHED and tells the application.
func (c *Conn) establish(cause string) {
	p := &c.h.Prof
	c.setState(Established, cause)
	c.lastDataRecv = c.h.now // Linux sets icsk_ack.lrcvtime when the connection is set up
	c.quickAcks = p.QuickACKs
	c.cwnd = uint32(p.initialCwnd()) * uint32(c.mss)
	if c.synRetransmitted && !c.rttValid && p.RTOFallback > 0 {
		c.rto = p.RTOFallback // Linux TCP_TIMEOUT_FALLBACK after a handshake retransmission
	} else if !c.rttValid {
		c.rto = p.InitialRTO
	}
	if c.connectPending {
		c.connectPending = false
		c.h.app(c.peer, "connect", nil, 0, "")
		c.notify(ConnEstablished)
	}
}

// ---- Passive open ------------------------------------------------------------------

func (c *Conn) sendSynAck(retransmit bool) {
	p := &c.h.Prof
	seg := c.template(c.iss, SYN|ACK)
	seg.Ack = c.rcvNxt
	seg.Window = uint16(min(c.rcvBufSize, 65535))
	if c.ecnOK {
		seg.Flags |= ECE // RFC 3168 §6.1.1: ECN-setup SYN-ACK
	}
	// A SYN-ACK echoes only what the SYN offered (RFC 7323 §2.2, §3.2; RFC 2018 §2).
	seg.Options = buildSynOptions(p, synInfo{
		mss:   c.advMSS(),
		ws:    c.wsOK,
		shift: c.rcvShift,
		sack:  c.sackOK,
		ts:    c.tsOK,
		tsVal: c.tsVal(), tsEcr: c.tsRecent,
	}, p.Layout)
	c.h.emit(seg, retransmit, nil)
}

// negotiate records what the peer's SYN (or SYN-ACK) offered and settles the options.
func (c *Conn) negotiate(seg Segment) {
	p := &c.h.Prof
	si := parseSynOptions(seg.Options)
	c.peerSyn = si
	c.mss = p.DefaultMSS // RFC 9293 §3.7.1: 536 when the peer sends no MSS option
	if si.mss != 0 {
		c.mss = min(si.mss, c.advMSS())
	} else if c.userMSS != 0 {
		c.mss = min(c.mss, c.userMSS)
	}
	// RFC 7323 §2.2: window scaling only if both sides offered it.
	c.wsOK = p.WindowScaling && si.ws
	if c.wsOK {
		c.sndShift = min(si.shift, 14) // §2.3: shifts above 14 are taken as 14
		c.rcvShift = p.WindowShift
	} else {
		c.sndShift, c.rcvShift = 0, 0
	}
	c.sackOK = p.SACK && si.sack
	c.tsOK = p.Timestamps && si.ts
	if c.tsOK {
		c.tsRecent = si.tsVal
		// RFC 9293 §3.7.1: the effective send MSS leaves room for the options every
		// segment carries; the timestamp option takes 12 bytes (Linux: 1460 → 1448).
		c.mss -= 12
	}
	c.ecnOK = p.ECN >= 1 && seg.Flags.Has(ECE|CWR) && seg.Flags&ACK == 0 ||
		p.ECN >= 1 && seg.Flags.Has(SYN|ACK|ECE)
}

// ---- Segment arrival in synchronized states ---------------------------------------

func (c *Conn) input(seg Segment) {
	c.ackNow, c.quickAcked = false, false
	switch c.state {
	case SynSent:
		c.synSentInput(seg)
	case TimeWait:
		c.timeWaitInput(seg)
	case Closed, Listen:
		c.h.resetForNoSocket(seg, "connection closed")
	default:
		c.syncInput(seg)
	}
	if !c.deleted {
		c.flush()
	}
}

// acceptable is RFC 9293 §3.10.7.4's segment acceptability test.
func (c *Conn) acceptable(seg Segment) bool {
	wnd := c.rcvWnd()
	segLen := seg.Len()
	switch {
	case segLen == 0 && wnd == 0:
		return seg.Seq == c.rcvNxt
	case segLen == 0:
		return seg.Seq.InWindow(c.rcvNxt, wnd)
	case wnd == 0:
		return false
	default:
		return seg.Seq.InWindow(c.rcvNxt, wnd) || seg.Seq.Add(segLen-1).InWindow(c.rcvNxt, wnd)
	}
}

// syncInput processes a segment in SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2,
// CLOSE-WAIT, CLOSING and LAST-ACK, in the order of RFC 9293 §3.10.7.4.
func (c *Conn) syncInput(seg Segment) {
	p := &c.h.Prof
	// Simultaneous open: the peer's SYN,ACK reaches us in SYN-RECEIVED. RFC 9293 Figure 7
	// moves to ESTABLISHED on it; its SYN is not new (SEG.SEQ+1 = RCV.NXT), so Linux lets it
	// through (tcp_validate_incoming) and no further ACK is sent.
	if c.state == SynReceived && !c.passive && seg.Flags&(SYN|ACK|RST) == SYN|ACK &&
		seg.Seq.Add(1) == c.rcvNxt && seg.Ack == c.sndNxt {
		c.synReceivedAck(seg)
		c.ackNow = false
		if p.SimOpenACK {
			// Linux sees the SYN as a duplicate and ACKs it, with a D-SACK block for it.
			c.sendAckWithDSACK(seg.Seq, seg.Seq.Add(1))
		}
		return
	}
	// PAWS (RFC 7323 §5.3): a segment whose TSval is older than TS.Recent is a duplicate.
	if c.tsOK && seg.Flags&RST == 0 {
		if ts, ok := seg.Options.Find(OptTimestamps); ok && int32(ts.TSVal-c.tsRecent) < 0 {
			c.h.note(c.peer, "paws-reject", "TSval older than TS.Recent")
			c.sendOOWAck()
			return
		}
	}
	// First, check the sequence number.
	if !c.acceptable(seg) {
		if seg.Flags&RST != 0 {
			c.h.note(c.peer, "rst-out-of-window", "RST outside the receive window ignored")
			return
		}
		if c.state == SynReceived && c.passive && seg.Flags&SYN != 0 && seg.Seq == c.irs && p.SynAckOnDupSYN {
			// Linux tcp_check_req: a retransmitted SYN gets the SYN-ACK again.
			c.h.note(c.peer, "dup-syn", "retransmitted SYN: SYN,ACK sent again")
			c.sendSynAck(true)
			return
		}
		c.h.note(c.peer, "unacceptable-segment", "outside the receive window: ACK sent")
		c.sendOOWAck()
		return
	}
	c.updateTSRecent(seg)
	// Second, check the RST bit (RFC 5961 §3.2).
	if seg.Flags&RST != 0 {
		if seg.Seq == c.rcvNxt {
			c.resetReceived()
		} else {
			c.challengeACK("RST in the window but not at RCV.NXT")
		}
		return
	}
	// Fourth, check the SYN bit (RFC 5961 §4).
	if seg.Flags&SYN != 0 {
		if c.state == SynReceived && c.passive {
			// "If the connection was initiated with a passive OPEN, then return this
			// connection to the LISTEN state and return."
			c.backToListen("SYN in the window in SYN-RECEIVED")
			return
		}
		c.challengeACK("SYN on a synchronized connection")
		return
	}
	// Fifth, check the ACK field.
	if seg.Flags&ACK == 0 {
		c.h.note(c.peer, "no-ack-dropped", "segment without ACK in a synchronized state dropped")
		return
	}
	if c.state == SynReceived {
		if !c.synReceivedAck(seg) {
			return
		}
	}
	if !c.processAck(seg) {
		return
	}
	if c.dataAfterReadShutdown(seg) {
		return
	}
	// Seventh, process the segment text; eighth, the FIN bit.
	c.processText(seg)
}

// dataAfterReadShutdown resets the connection when new data arrives after the application
// shut down its receiving side and the connection is closing (RFC 1122 §4.2.2.13: a host
// that closes with data still arriving SHOULD reset; Linux tcp_rcv_state_process answers it
// in FIN-WAIT-1/2, and in CLOSE-WAIT/CLOSING/LAST-ACK for data below RCV.NXT, with a reset
// as for a segment to no socket). It reports whether the segment was consumed.
func (c *Conn) dataAfterReadShutdown(seg Segment) bool {
	if !c.h.Prof.ResetOnDataAfterClose || !c.appClosed && !c.rdShut {
		return false
	}
	switch c.state {
	case FinWait1, FinWait2:
	case CloseWait, Closing, LastAck:
		if !seg.Seq.LessThan(c.rcvNxt) {
			return false
		}
	default:
		return false
	}
	dataEnd := seg.Seq.Add(uint32(len(seg.Payload)))
	if len(seg.Payload) == 0 || !c.rcvNxt.LessThan(dataEnd) {
		return false
	}
	c.h.note(c.peer, "data-after-close", "new data after the receiving side was shut: reset")
	c.h.resetForNoSocket(seg, "data after close")
	if c.appClosed {
		c.closeTCB("data after close")
	} else {
		c.fail(ECONNRESET, "data after shutdown")
	}
	return true
}

// synReceivedAck handles the ACK that completes a handshake (RFC 9293 §3.10.7.4, fifth,
// SYN-RECEIVED STATE). It reports whether processing continues.
func (c *Conn) synReceivedAck(seg Segment) bool {
	if !(c.sndUna.LessThan(seg.Ack) && seg.Ack.LessThanEq(c.sndNxt)) {
		// "If the segment acknowledgment is not acceptable, form a reset segment
		// <SEQ=SEG.ACK><CTL=RST> and send it."
		c.h.note(c.peer, "bad-ack-in-syn-received", "unacceptable ACK: reset")
		c.sendReset(seg.Ack, 0, false)
		return false
	}
	if c.passive && c.lst != nil && c.lst.acceptQueueFull() {
		// Linux tcp_check_req → listen_overflow: the ACK is dropped and the SYN-ACK timer
		// keeps running, so the handshake is retried later.
		c.h.note(c.peer, "accept-queue-full", "accept queue full: final ACK dropped")
		return false
	}
	c.cancelTimer(TimerRTO)
	c.rtxCount = 0
	c.takeRTTSample(seg.Ack)
	c.sndUna = seg.Ack
	c.sndWnd = uint32(seg.Window) << c.sndShift
	c.maxSndWnd = max(c.maxSndWnd, c.sndWnd)
	c.sndWl1, c.sndWl2 = seg.Seq, seg.Ack
	c.establish("received ACK of our SYN")
	if c.passive && c.lst != nil {
		c.lst.promote(c)
	}
	return true
}

// processAck is the fifth step for ESTABLISHED and the states after it. It reports
// whether processing continues to the text and FIN.
func (c *Conn) processAck(seg Segment) bool {
	// RFC 5961 §5.2: an ACK is acceptable only in [SND.UNA - MAX.SND.WND, SND.NXT].
	if c.sndMax.LessThan(seg.Ack) {
		// RFC 9293: "If the ACK acks something not yet sent (SEG.ACK > SND.NXT), then send
		// an ACK, drop the segment, and return."
		c.challengeACK("ACK of data never sent")
		return false
	}
	if seg.Ack.LessThan(c.sndUna - Seq(c.maxSndWnd)) {
		c.challengeACK("ACK older than the send window")
		return false
	}
	c.probesOut = 0 // tcp_ack: an acceptable ACK resets icsk_probes_out
	if c.sndUna.LessThan(seg.Ack) {
		c.newlyAcked(seg.Ack)
		if len(c.sendBuf) == 0 {
			c.chronoStop(chronoBusy)
		}
		c.moreHeld = false // MSG_MORE held only that write's own push (tcp_push)
	}
	// Window update (RFC 9293 §3.10.7.4: SND.WL1 < SEG.SEQ, or equal and SND.WL2 =< SEG.ACK).
	if c.sndWl1.LessThan(seg.Seq) || c.sndWl1 == seg.Seq && c.sndWl2.LessThanEq(seg.Ack) {
		c.sndWnd = uint32(seg.Window) << c.sndShift
		c.maxSndWnd = max(c.maxSndWnd, c.sndWnd)
		c.sndWl1, c.sndWl2 = seg.Seq, seg.Ack
	}
	switch c.state {
	case FinWait1:
		if c.finAcked {
			c.setState(FinWait2, "our FIN was acknowledged")
			if c.appClosed && c.h.Prof.FinTimeout > 0 && !c.gotFinIn(seg) {
				// Linux: an orphaned FIN-WAIT-2 lives tcp_fin_timeout, not forever.
				c.setTimer(TimerFinWait2, c.h.Prof.FinTimeout)
			}
		}
	case Closing:
		if c.finAcked {
			c.enterTimeWait("our FIN was acknowledged")
			return false
		}
	case LastAck:
		if c.finAcked {
			c.closeTCB("our FIN was acknowledged")
			return false
		}
	}
	return true
}

func (c *Conn) gotFinIn(seg Segment) bool { return seg.Flags&FIN != 0 }

// newlyAcked advances SND.UNA to ack and releases what it covers.
func (c *Conn) newlyAcked(ack Seq) {
	p := &c.h.Prof
	c.takeRTTSample(ack)
	c.sndUna = ack
	// Release acknowledged data.
	if n := ack.Sub(c.sendStart); int32(n) > 0 {
		k := min(int(n), len(c.sendBuf))
		c.sendBuf = c.sendBuf[k:]
		c.sendStart = c.sendStart.Add(uint32(k))
	}
	for len(c.pushAt) > 0 && c.pushAt[0].LessThanEq(c.sendStart) {
		c.pushAt = c.pushAt[1:]
	}
	if c.finSent && c.finSeq.LessThan(ack) {
		c.finAcked = true
	}
	c.rtxCount = 0
	if c.recovering && !ack.LessThan(c.rtxHigh) {
		c.recovering = false
	}
	if c.rttValid {
		c.rto = c.computeRTO()
	}
	if c.cwnd < 1<<30 {
		c.cwnd += uint32(c.mss) // slow start (RFC 5681 §3.1)
	}
	c.tlpOut = false
	c.retransStamp = 0
	if c.sndUna == c.sndMax {
		c.cancelTimer(TimerRTO)
		c.tlpArmed = false
	} else if !c.schedulePTO(true) {
		c.tlpArmed = false
		c.setTimer(TimerRTO, c.rto)
		if c.recovering && c.sndUna.LessThan(c.rtxHigh) {
			c.retransmitHead() // go on retransmitting what the timeout lost
		}
	}
	_ = p
}

// processText is RFC 9293 §3.10.7.4's seventh (text) and eighth (FIN) steps.
func (c *Conn) processText(seg Segment) {
	p := &c.h.Prof
	data := seg.Payload
	seq := seg.Seq
	fin := seg.Flags&FIN != 0
	if len(data) > 0 || fin {
		if !c.state.CanReceive() && c.state != SynReceived {
			// CLOSE-WAIT, CLOSING, LAST-ACK: "This should not occur, since a FIN has been
			// received from the remote side. Ignore the segment text."
			return
		}
		// Trim what we already have (RFC 9293 §3.10.7.4: segments are trimmed to the window).
		if seq.LessThan(c.rcvNxt) {
			skip := c.rcvNxt.Sub(seq)
			if int(skip) >= len(data) {
				if fin && seq.Add(uint32(len(data))) == c.rcvNxt {
					data = nil
				} else {
					c.ackNow = true
					return
				}
			} else {
				data = data[skip:]
			}
			seq = c.rcvNxt
		}
		if seq != c.rcvNxt {
			// Out of order: keep it for later and send a duplicate ACK at once (RFC 5681 §4.2).
			c.queueOutOfOrder(Segment{Seq: seq, Payload: append([]byte(nil), data...), Flags: seg.Flags & FIN})
			c.ackNow = true
			return
		}
		room := int(c.rcvWnd())
		if len(data) > room {
			data = data[:room]
			fin = false
		}
		if len(data) > 0 {
			c.gotData = true
			c.lastDataRecv = c.h.now
			c.recvBuf = append(c.recvBuf, data...)
			c.rcvNxt = c.rcvNxt.Add(uint32(len(data)))
			c.dataArrived(len(data), len(data) >= int(c.mss))
			c.notify(ConnReadable)
		}
		for c.drainOutOfOrder() {
			fin = fin || c.gotFinFromQueue
			c.gotFinFromQueue = false
		}
		if fin {
			c.finArrived()
		}
	}
	_ = p
}

// dataArrived decides when to acknowledge newly received data (RFC 9293 §3.8.6.3,
// RFC 1122 §4.2.3.2; Linux quick-ACK mode at the start of a connection).
func (c *Conn) dataArrived(n int, fullSized bool) {
	p := &c.h.Prof
	c.ackPending = true
	if fullSized {
		c.segsSinceAck++
	}
	c.bytesSinceAck += n
	switch {
	case p.ACKEverySecond && (c.segsSinceAck >= 2 || c.bytesSinceAck > int(c.mss)):
		// More than one full segment not yet acknowledged: ACK now, in any mode (RFC 9293
		// §3.8.6.3; Linux __tcp_ack_snd_check: rcv_nxt - rcv_wup > rcv_mss).
		c.ackNow = true
		if c.quickAcks > 0 && !c.pingpong {
			c.quickAcks--
		}
	case c.quickAcks > 0 && !c.pingpong:
		c.quickAcks--
		c.ackNow = true
		c.quickAcked = true
	case p.DelayedACK == 0:
		c.ackNow = true
	}
}

// finArrived is the eighth step: the peer's FIN is in sequence.
func (c *Conn) finArrived() {
	p := &c.h.Prof
	c.rcvNxt = c.rcvNxt.Add(1)
	c.gotFin = true
	c.ackPending = true
	switch c.state {
	case SynReceived, Established:
		c.setState(CloseWait, "received FIN")
		if p.DelayFINACK {
			// Linux tcp_fin: enter pingpong mode, so the ACK of the FIN is delayed and can
			// ride on our own FIN if the application closes quickly. Linux decides on the
			// ACK after the whole segment (__tcp_ack_snd_check), so data that came with the
			// FIN loses its quick ACK too.
			c.pingpong = true
			if c.quickAcked {
				c.ackNow, c.quickAcked = false, false
				c.quickAcks++
			}
		} else {
			c.ackNow = true
		}
	case FinWait1:
		c.ackNow = true
		if c.finAcked {
			c.enterTimeWait("received FIN that acknowledges ours")
		} else {
			c.setState(Closing, "received FIN (simultaneous close)")
		}
	case FinWait2:
		c.ackNow = true
		c.cancelTimer(TimerFinWait2)
		c.enterTimeWait("received FIN")
	}
	c.notify(ConnEOF)
}

// ---- TIME-WAIT ---------------------------------------------------------------------

func (c *Conn) enterTimeWait(cause string) {
	c.cancelTimer(TimerRTO)
	c.cancelTimer(TimerFinWait2)
	c.setState(TimeWait, cause)
	if c.ackNow || c.ackPending {
		c.sendAck()
	}
	c.cancelTimer(TimerDelayedACK)
	c.setTimer(TimerTimeWait, c.h.Prof.TimeWait)
}

// timeWaitInput handles a segment in TIME-WAIT: RFC 9293 §3.10.7.4 and, where the
// profile says so, Linux's tcp_timewait_state_process.
func (c *Conn) timeWaitInput(seg Segment) {
	p := &c.h.Prof
	// A retransmission of the peer's FIN: "Acknowledge it, and restart the 2 MSL timeout"
	// (RFC 9293 §3.10.7.4, eighth step, TIME-WAIT STATE).
	if seg.Flags&FIN != 0 && seg.Flags&RST == 0 && seg.End() == c.rcvNxt {
		c.h.note(c.peer, "fin-retransmitted", "retransmitted FIN in TIME-WAIT: ACK again, restart the timer")
		c.sendAck()
		c.setTimer(TimerTimeWait, p.TimeWait)
		return
	}
	// A new SYN with a higher sequence number may reopen the connection (RFC 9293 §3.10.7.4
	// allows it; RFC 6191; Linux TCP_TW_SYN).
	if seg.Flags&(SYN|ACK|RST) == SYN && c.rcvNxt.LessThan(seg.Seq) {
		c.h.note(c.peer, "time-wait-reopen", "new SYN with a higher sequence number ends TIME-WAIT")
		c.closeTCB("new SYN for the same connection")
		if l := c.h.listeners[c.tuple.LocalPort]; l != nil {
			l.input(seg)
		} else {
			c.h.resetForNoSocket(seg, "no listener")
		}
		return
	}
	if seg.Flags&RST != 0 {
		if seg.Seq == c.rcvNxt {
			c.closeTCB("received RST in TIME-WAIT")
		} else if !p.TimeWaitAbsorbsACK {
			c.challengeACK("RST in TIME-WAIT not at RCV.NXT")
		}
		return
	}
	if seg.Seq == c.rcvNxt && seg.Len() == 0 && seg.Flags&ACK != 0 && p.TimeWaitAbsorbsACK {
		// A bare in-window ACK is absorbed without reply (Linux).
		if p.TimeWaitRestartOnACK {
			c.setTimer(TimerTimeWait, p.TimeWait)
		}
		return
	}
	if seg.Flags&SYN != 0 {
		c.challengeACK("SYN in TIME-WAIT")
		return
	}
	if !c.acceptable(seg) || seg.Len() > 0 {
		c.sendOOWAck()
		if p.TimeWaitRestartOnACK && seg.Flags&ACK != 0 {
			c.setTimer(TimerTimeWait, p.TimeWait)
		}
	}
}

// ---- Resets ------------------------------------------------------------------------

// resetReceived is RFC 9293 §3.10.7.4's second step for an exact RST.
func (c *Conn) resetReceived() {
	switch c.state {
	case SynReceived:
		if c.passive {
			c.backToListen("received RST")
			return
		}
		c.fail(ECONNREFUSED, "received RST")
	case Established, FinWait1, FinWait2, CloseWait:
		c.fail(ECONNRESET, "received RST")
	default: // CLOSING, LAST-ACK, TIME-WAIT
		c.closeTCB("received RST")
	}
}

// backToListen returns a passively opened connection to LISTEN: its TCB goes away and
// the listener stays (RFC 9293 §3.10.7.4).
func (c *Conn) backToListen(cause string) {
	c.setState(Listen, cause)
	if c.lst != nil {
		c.lst.forget(c)
	}
	c.h.removeConn(c)
}

// fail ends the connection with an error the application will see.
func (c *Conn) fail(err Errno, cause string) {
	c.Err = err
	if c.connectPending {
		c.connectPending = false
		c.h.app(c.peer, "connect", err, 0, cause)
	} else if !c.appClosed {
		c.h.app(c.peer, "error", err, 0, cause)
	}
	c.closeTCB(cause)
	c.notify(ConnFailed)
}

// closeTCB enters CLOSED and deletes the TCB.
func (c *Conn) closeTCB(cause string) {
	if c.deleted {
		return
	}
	c.setState(Closed, cause)
	if c.lst != nil {
		c.lst.forget(c)
	}
	c.h.removeConn(c)
	c.notify(ConnClosed)
}

// sendReset sends <SEQ=seq><CTL=RST>, or <SEQ=seq><ACK=ack><CTL=RST,ACK> when withACK.
func (c *Conn) sendReset(seq, ack Seq, withACK bool) {
	seg := c.template(seq, RST)
	if withACK {
		seg.Flags |= ACK
		seg.Ack = ack
		if c.h.Prof.RSTTimestamps && c.state.Synchronized() {
			// Linux tcp_send_active_reset goes through tcp_transmit_skb, which fills in
			// the window and the options of an established connection (the timestamps),
			// as measured on 6.18: R. 1:1(0) ack 101 win 64 <nop,nop,TS val ... ecr 120>.
			seg.Window = c.windowField()
			seg.Options = c.dataOptions()
		}
	}
	c.h.emit(seg, false, nil)
}

// challengeACK sends <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (RFC 5961 §3.2, §4.2), rate
// limited per connection as Linux's tcp_invalid_ratelimit does.
func (c *Conn) challengeACK(why string) {
	iv := c.h.Prof.ChallengeACKInterval
	if iv > 0 && c.challenged && c.h.now.Sub(c.lastChallenge) < iv {
		c.h.note(c.peer, "challenge-ack-limited", why+": challenge ACK suppressed by the rate limit")
		return
	}
	c.challenged = true
	c.lastChallenge = c.h.now
	c.h.note(c.peer, "challenge-ack", why)
	c.sendAck()
}

// sendOOWAck answers an unacceptable segment with an ACK, rate limited like a challenge ACK.
func (c *Conn) sendOOWAck() {
	iv := c.h.Prof.ChallengeACKInterval
	if iv > 0 && c.challenged && c.h.now.Sub(c.lastChallenge) < iv {
		return
	}
	c.challenged = true
	c.lastChallenge = c.h.now
	c.sendAck()
}

// ---- Sending -------------------------------------------------------------------------

// template returns a segment from us to the peer with the given sequence number and flags.
func (c *Conn) template(seq Seq, flags Flags) Segment {
	return Segment{
		Src: c.tuple.LocalAddr, Dst: c.tuple.RemoteAddr,
		SrcPort: c.tuple.LocalPort, DstPort: c.tuple.RemotePort,
		Seq: seq, Flags: flags,
	}
}

func (c *Conn) tsVal() uint32 { return c.h.tsClock() + c.tsOff }

// rcvWnd is RCV.WND: free receive buffer space.
func (c *Conn) rcvWnd() uint32 {
	used := uint32(len(c.recvBuf))
	if used >= c.rcvBufSize {
		return 0
	}
	return c.rcvBufSize - used
}

// windowField is the 16-bit window we advertise on a non-SYN segment (RFC 7323 §2.3).
func (c *Conn) windowField() uint16 {
	w := c.rcvWnd()
	if c.h.Prof.WindowRoundUp && c.rcvShift > 0 {
		w += 1<<c.rcvShift - 1 // Linux rounds up to a whole unit of the scale
	}
	return uint16(min(w>>c.rcvShift, 65535))
}

// initialWindow sets the receive buffer the handshake advertises; mss is the segment
// size the window is rounded to (Linux tcp_select_initial_window).
func (c *Conn) initialWindow(mss uint16) {
	p := &c.h.Prof
	c.rcvBufSize = p.RecvWindow
	if p.MSSRoundedWindow && mss > 0 {
		c.rcvBufSize = uint32(initialWindowFor(p, mss != c.advMSS()))
	}
}

// dataOptions are the options on a non-SYN segment: timestamps (RFC 7323 §3.2), Linux
// style as nop,nop,TS.
func (c *Conn) dataOptions() Options {
	if !c.tsOK {
		return nil
	}
	return Options{{Kind: OptNOP}, {Kind: OptNOP}, {Kind: OptTimestamps, TSVal: c.tsVal(), TSEcr: c.tsRecent}}
}

// sendAck sends a bare ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
func (c *Conn) sendAck() {
	seg := c.template(c.sndNxt, ACK)
	c.finishAndEmit(seg, false)
}

// sendAckWithDSACK sends an ACK reporting [left, right) as received twice (RFC 2883).
func (c *Conn) sendAckWithDSACK(left, right Seq) {
	seg := c.template(c.sndNxt, ACK)
	seg.Ack = c.rcvNxt
	seg.Window = c.windowField()
	seg.Options = c.dataOptions()
	if c.sackOK {
		seg.Options = append(seg.Options, Option{Kind: OptNOP}, Option{Kind: OptNOP},
			Option{Kind: OptSACK, Blocks: []SACKBlock{{Left: left, Right: right}}})
	}
	c.ackPending, c.ackNow, c.segsSinceAck, c.bytesSinceAck = false, false, 0, 0
	c.h.emit(seg, false, nil)
}

// finishAndEmit fills in ACK, window and options, and sends.
func (c *Conn) finishAndEmit(seg Segment, retransmit bool) {
	seg.Flags |= ACK
	seg.Ack = c.rcvNxt
	seg.Window = c.windowField()
	seg.Options = c.dataOptions()
	c.ackPending = false
	c.ackNow = false
	c.segsSinceAck, c.bytesSinceAck = 0, 0
	if c.armed(TimerDelayedACK) {
		c.cancelTimer(TimerDelayedACK)
	}
	c.h.emit(seg, retransmit, nil)
}

// sizeGoal is the size of the buffers a write is cut into when the profile pushes per
// buffer (Linux tcp_xmit_size_goal with tcp_tso_autosize): about 1 ms of the pacing rate
// (2·cwnd·MSS/SRTT in slow start, tcp_pacing_ss_ratio 200 %), at least 2 segments
// (tcp_min_tso_segs); 0 when the profile does not.
func (c *Conn) sizeGoal() int {
	p := &c.h.Prof
	if !p.PushPerSizeGoal || c.mss == 0 || !c.rttValid || c.srtt <= 0 {
		return 0
	}
	rate := 2 * float64(c.cwnd) / c.srtt.Seconds() // bytes per second
	segs := max(int(rate/1024)/int(c.mss), 2)      // sk_pacing_shift 10: ~1 ms
	return min(segs, 44) * int(c.mss)              // 64 KB of GSO at most
}

// SetUserTimeout is setsockopt(TCP_USER_TIMEOUT): how long transmitted data may stay
// unacknowledged before the connection is dropped with ETIMEDOUT (0: the retry count).
func (c *Conn) SetUserTimeout(d time.Duration) { c.userTimeout = d }

// countAnswer notes data sent within the ACK timeout of data received: an interactive
// exchange (Linux tcp_event_data_sent); at the profile's threshold the connection enters
// pingpong mode.
func (c *Conn) countAnswer() {
	p := &c.h.Prof
	if p.PingpongThreshold <= 0 || !c.gotData || c.h.now.Sub(c.lastDataRecv) >= p.DelayedACK {
		return
	}
	c.pingpongCnt++
	if c.pingpongCnt >= p.PingpongThreshold {
		c.pingpong = true
	}
}

// flush sends whatever the connection can and should send now.
func (c *Conn) flush() {
	if c.deleted {
		return
	}
	switch c.state {
	case Established, CloseWait, FinWait1, FinWait2, Closing, LastAck:
		c.output()
	}
	if c.sentNew && !c.deleted {
		c.sentNew = false
		c.schedulePTO(false)
	}
	if c.ackNow && !c.deleted && c.state != SynSent && c.state != Closed {
		c.sendAck()
	}
	if c.ackPending && !c.deleted && c.state.Synchronized() && c.state != TimeWait && !c.armed(TimerDelayedACK) {
		c.setTimer(TimerDelayedACK, c.delackTimeout())
	}
}

// delackTimeout is how long an ACK may wait (RFC 1122 §4.2.3.2; Linux tcp_send_delayed_ack).
func (c *Conn) delackTimeout() time.Duration {
	p := &c.h.Prof
	if !c.gotData && p.DelayedACKBeforeData > 0 {
		return p.DelayedACKBeforeData
	}
	return p.DelayedACK
}

// output sends new data and our FIN as the windows allow (RFC 9293 §3.8.6.2 is kept
// simple: no Nagle, no silly window avoidance beyond the peer's window).
func (c *Conn) output() {
	for {
		off := int(c.sndNxt.Sub(c.sendStart))
		if c.finSent && !c.sndNxt.LessThan(c.finSeq) {
			return
		}
		avail := len(c.sendBuf) - off
		if avail > 0 {
			wnd := min(c.sndWnd, c.cwnd)
			inflight := c.sndNxt.Sub(c.sndUna)
			if inflight >= wnd {
				c.rwndLimited(inflight)
				return
			}
			n := min(avail, int(c.mss), int(wnd-inflight))
			if n <= 0 {
				return
			}
			if c.h.Prof.WholeSegmentWindow && n < min(avail, int(c.mss)) {
				// With nothing in flight no ACK will open the window: the probe timer
				// sends what fits after max(RTO, TCP_RTO_MIN) (tcp_check_probe_timer,
				// tcp_write_wakeup).
				c.rwndLimited(inflight)
				if inflight == 0 && !c.armed(TimerRTO) {
					c.probe0 = true
					c.setTimer(TimerRTO, max(c.rto, c.h.Prof.MinRTO))
				}
				return
			}
			c.chronoStop(chronoRwnd)
			if n < int(c.mss) && n == avail && (c.corked && !c.corkPush || c.moreHeld) && !c.finQueued {
				// A partial segment the application asked to hold (TCP_CORK, MSG_MORE):
				// it waits for more data, a push, or the probe timer (Linux
				// tcp_check_probe_timer: after max(RTO, TCP_RTO_MIN) with nothing in
				// flight, tcp_write_wakeup sends it with PSH).
				if inflight == 0 && !c.armed(TimerRTO) {
					c.corkProbe = true
					c.setTimer(TimerRTO, max(c.rto, c.h.Prof.MinRTO))
				}
				return
			}
			if n < int(c.mss) && n == avail && c.nagleHolds() {
				// Nagle: the partial segment waits for the ACK of the earlier one, which
				// is in flight (its RTO is armed).
				return
			}
			if c.h.egressDrop && c.state.Synchronized() {
				// The host's queue refuses the segment (tcp_transmit_skb fails): it stays
				// unsent, and with nothing in flight the probe timer is armed
				// (tcp_check_probe_timer: after max(RTO, TCP_RTO_MIN)).
				if inflight == 0 && !c.armed(TimerRTO) {
					c.probe0 = true
					c.setTimer(TimerRTO, max(c.rto, c.h.Prof.MinRTO))
				}
				return
			}
			c.sendData(c.sndNxt, off, n, false)
			continue
		}
		if c.finQueued && !c.finSent {
			c.sendFIN()
		}
		return
	}
}

// nagleHolds reports whether Nagle's rule keeps a partial segment back (Linux
// tcp_nagle_check with tcp_minshall_check): the profile has Nagle, TCP_NODELAY is off, no
// push overrides it, the FIN does not ride on it, and a partial segment sent earlier is
// still unacknowledged.
func (c *Conn) nagleHolds() bool {
	if !c.h.Prof.Nagle || c.noDelay || c.corkPush || c.finQueued {
		return false
	}
	return c.smlSent && c.sndUna.LessThan(c.sndSml) && c.sndSml.LessThanEq(c.sndNxt)
}

// The chronographs of tcp_info (Linux tcp_chrono_start/stop): the time the connection had
// data to send (busy), and the part of it the peer's receive window held it back.
const (
	chronoNone = iota
	chronoBusy
	chronoRwnd
)

// chronoSet closes the current chronograph's interval and starts kind's.
func (c *Conn) chronoSet(kind int) {
	if c.chronoType != chronoNone {
		c.chronoStat[c.chronoType-1] += c.h.now.Sub(c.chronoAt)
	}
	c.chronoType, c.chronoAt = kind, c.h.now
}

// chronoStart starts kind unless a more telling one already runs.
func (c *Conn) chronoStart(kind int) {
	if kind > c.chronoType {
		c.chronoSet(kind)
	}
}

// chronoStop ends kind: back to busy while data is queued, to none when all is acked.
func (c *Conn) chronoStop(kind int) {
	switch {
	case len(c.sendBuf) == 0:
		c.chronoSet(chronoNone)
	case kind == c.chronoType:
		c.chronoSet(chronoBusy)
	}
}

// rwndLimited notes that data waits for the peer's window (tcp_write_xmit's
// is_rwnd_limited): only when the congestion window has room, so the peer's window is
// the limit.
func (c *Conn) rwndLimited(inflight uint32) {
	if inflight < c.cwnd {
		c.chronoStart(chronoRwnd)
	}
}

// sendFIN sends our FIN at SND.NXT: it takes one sequence number (RFC 9293 §3.4).
func (c *Conn) sendFIN() {
	seg := c.template(c.sndNxt, FIN)
	c.finSent = true
	c.finSeq = c.sndNxt
	c.sndNxt = c.sndNxt.Add(1)
	c.sndMax = maxSeq(c.sndMax, c.sndNxt)
	c.sentNew = true
	c.finishAndEmit(seg, false)
	c.armRTO()
}

// sendData sends n bytes of sendBuf starting at off, with sequence number seq.
func (c *Conn) sendData(seq Seq, off, n int, retransmit bool) {
	if (c.corkProbe || c.probe0) && !retransmit {
		c.corkProbe, c.probe0 = false, false // data goes out: the RTO takes the slot again
		c.cancelTimer(TimerRTO)
	}
	seg := c.template(seq, 0)
	seg.Payload = append([]byte(nil), c.sendBuf[off:off+n]...)
	end := seq.Add(uint32(n))
	for _, pa := range c.pushAt {
		if pa == end {
			seg.Flags |= PSH // the last segment of an application write
			break
		}
	}
	// The FIN rides on the last data segment when the application has already closed.
	if c.finQueued && off+n == len(c.sendBuf) && (!c.finSent || c.finSeq == end) {
		seg.Flags |= FIN
		if !c.finSent {
			c.finSent = true
			c.finSeq = end
		}
		end = end.Add(1)
	}
	if !retransmit {
		if n < int(c.mss) {
			c.sndSml, c.smlSent = seq.Add(uint32(n)), true // tcp_minshall_update
		}
		c.sndNxt = end
		c.sndMax = maxSeq(c.sndMax, end)
		c.startTiming(end)
		c.sentNew = true
		c.countAnswer()
	}
	c.finishAndEmit(seg, retransmit)
	c.armRTO()
}

func (c *Conn) armRTO() {
	if !c.armed(TimerRTO) {
		c.setTimer(TimerRTO, c.rto)
	}
}

// retransmitHead resends the oldest unacknowledged segment (RFC 6298 §5.4).
func (c *Conn) retransmitHead() {
	off := int(c.sndUna.Sub(c.sendStart))
	if off < 0 {
		off = 0
	}
	avail := len(c.sendBuf) - off
	if avail > 0 {
		c.sendData(c.sendStart.Add(uint32(off)), off, min(avail, int(c.mss)), true)
		return
	}
	if c.finSent && !c.finAcked {
		seg := c.template(c.finSeq, FIN)
		c.finishAndEmit(seg, true)
	}
}

func maxSeq(a, b Seq) Seq {
	if a.LessThan(b) {
		return b
	}
	return a
}

// ---- RTT and timers ----------------------------------------------------------------

func (c *Conn) startTiming(end Seq) {
	if !c.timing {
		c.timing = true
		c.rttSeq = end
		c.rttAt = c.h.now
	}
}

// takeRTTSample measures one round trip if ack covers the timed segment and that segment
// was never retransmitted (Karn's algorithm, RFC 6298 §3).
func (c *Conn) takeRTTSample(ack Seq) {
	if !c.timing || ack.LessThan(c.rttSeq) {
		return
	}
	c.timing = false
	if c.rtxCount > 0 {
		return
	}
	r := c.h.now.Sub(c.rttAt)
	if !c.rttValid {
		// RFC 6298 §2.2.
		c.srtt = r
		c.rttvar = r / 2
		c.rttValid = true
	} else {
		// RFC 6298 §2.3, alpha 1/8, beta 1/4.
		d := c.srtt - r
		if d < 0 {
			d = -d
		}
		c.rttvar = (3*c.rttvar + d) / 4
		c.srtt = (7*c.srtt + r) / 8
	}
	c.rto = c.computeRTO()
}

// computeRTO is RFC 6298 §2: RTO = SRTT + max(G, 4*RTTVAR), bounded.
func (c *Conn) computeRTO() time.Duration {
	p := &c.h.Prof
	v := 4 * c.rttvar
	if p.RTOVarFloor {
		// Linux: the variance term never drops below tcp_rto_min.
		return clampDuration(c.srtt+max(v, p.MinRTO), p.MinRTO, p.MaxRTO)
	}
	return clampDuration(c.srtt+max(v, time.Millisecond), p.MinRTO, p.MaxRTO)
}

// onTimer runs when one of c's timers fires.
func (c *Conn) onTimer(k TimerKind) {
	p := &c.h.Prof
	c.ackNow = false
	switch k {
	case TimerRTO:
		c.onRTO()
	case TimerDelayedACK:
		if c.ackPending && c.state.Synchronized() && c.state != TimeWait {
			if c.pingpong && p.PingpongThreshold > 0 {
				// The answer did not come in time: not interactive after all.
				c.pingpong, c.pingpongCnt = false, 0
			}
			c.sendAck()
		}
	case TimerTimeWait:
		c.closeTCB("TIME-WAIT timer expired")
		return
	case TimerFinWait2:
		c.h.note(c.peer, "fin-wait-2-timeout", "orphaned FIN-WAIT-2 timed out (tcp_fin_timeout)")
		c.closeTCB("FIN-WAIT-2 timer expired")
		return
	}
	_ = p
	if !c.deleted {
		c.flush()
	}
}

func (c *Conn) onRTO() {
	p := &c.h.Prof
	if c.tlpArmed {
		c.tlpArmed = false
		c.sendLossProbe()
		return
	}
	if c.probe0 {
		c.probe0 = false
		c.probeTimer()
		return
	}
	if c.corkProbe {
		c.corkProbe = false
		if off := int(c.sndNxt.Sub(c.sendStart)); off < len(c.sendBuf) && c.sndUna == c.sndMax {
			c.h.note(c.peer, "cork-probe", "held partial segment sent by the probe timer")
			n := min(len(c.sendBuf)-off, int(c.mss))
			c.pushAt = append(c.pushAt, c.sndNxt.Add(uint32(n))) // tcp_write_wakeup sets PSH
			c.sendData(c.sndNxt, off, n, false)
		}
		return
	}
	c.timing = false // Karn: no sample from a retransmitted segment
	switch c.state {
	case SynSent:
		if c.h.now.Sub(c.firstSynAt) >= p.synGiveUp() {
			c.fail(ETIMEDOUT, "SYN retransmissions gave up")
			return
		}
		c.rtxCount++
		c.synRetransmitted = true
		c.sendSYN(true)
		c.rto = synBackoff(p, c.rtxCount)
		c.setTimer(TimerRTO, c.rto)
	case SynReceived:
		if c.rtxCount >= p.SynAckRetries {
			c.h.note(c.peer, "syn-ack-gave-up", "SYN-ACK retransmissions exhausted: the half-open connection is dropped")
			if c.passive {
				c.backToListen("SYN-ACK retries exhausted")
			} else {
				c.fail(ETIMEDOUT, "SYN-ACK retries exhausted")
			}
			return
		}
		c.rtxCount++
		c.synRetransmitted = true
		c.sendSynAck(true)
		c.rto = min(c.rto*2, p.MaxRTO)
		c.setTimer(TimerRTO, c.rto)
	default:
		if c.sndUna == c.sndMax {
			return
		}
		if c.rtxCount >= p.DataRetries {
			c.fail(ETIMEDOUT, "retransmissions gave up")
			return
		}
		// TCP_USER_TIMEOUT (RFC 5482; Linux retransmits_timed_out): give up once that long
		// has passed since the first timeout retransmission.
		if c.retransStamp == 0 {
			// Linux retrans_stamp: the time of the first timeout retransmission (the skb's
			// timestamp once __tcp_retransmit_skb has resent it; measured on 6.18).
			c.retransStamp = c.h.now
		}
		sinceHead := c.h.now.Sub(c.retransStamp)
		if c.userTimeout > 0 && c.rtxCount > 0 && sinceHead >= c.userTimeout {
			c.fail(ETIMEDOUT, "TCP_USER_TIMEOUT expired")
			return
		}
		c.rtxCount++
		c.rtoFired = true
		c.rtxHigh, c.recovering = c.sndMax, true
		c.cwnd = uint32(c.mss) // RFC 5681 §3.1: loss window of one segment
		c.rto = min(c.rto*2, p.MaxRTO)
		c.retransmitHead()
		next := c.rto
		if c.userTimeout > 0 {
			// tcp_clamp_rto_to_user_timeout: the timer fires when the user timeout ends.
			next = max(min(next, c.userTimeout-sinceHead), time.Millisecond)
		}
		c.setTimer(TimerRTO, next)
	}
}

// resourceProbeInterval is how often a connection retries data its host's queue refused
// (Linux TCP_RESOURCE_PROBE_INTERVAL).
const resourceProbeInterval = 500 * time.Millisecond

// probeTimer is Linux's tcp_probe_timer for data the host's queue refused: give up once
// TCP_USER_TIMEOUT has passed since the first probe (or after tcp_retries2 probes), else
// try again (tcp_send_probe0). A refused try counts a probe and comes back after
// TCP_RESOURCE_PROBE_INTERVAL, clamped to the user timeout, without backoff; one that
// gets out goes as tcp_write_wakeup sends it (with PSH) and the RTO takes over.
func (c *Conn) probeTimer() {
	off := int(c.sndNxt.Sub(c.sendStart))
	if c.sndUna != c.sndMax || off >= len(c.sendBuf) {
		c.probesOut, c.probesStamped = 0, false
		return
	}
	if !c.probesStamped {
		c.probesAt, c.probesStamped = c.h.now, true
	} else if c.userTimeout > 0 && c.h.now.Sub(c.probesAt) >= c.userTimeout {
		c.fail(ETIMEDOUT, "TCP_USER_TIMEOUT expired while the host's queue refused the data")
		return
	}
	if c.probesOut >= c.h.Prof.DataRetries {
		c.fail(ETIMEDOUT, "probes gave up")
		return
	}
	if !c.h.egressDrop {
		// tcp_write_wakeup: as much as the window takes, up to an MSS, with PSH. A zero
		// window would take a zero-window probe, which the engine does not send.
		n := min(len(c.sendBuf)-off, int(c.mss), int(c.sndWnd))
		if n <= 0 {
			c.probesOut, c.probesStamped = 0, false
			return
		}
		c.pushAt = append(c.pushAt, c.sndNxt.Add(uint32(n)))
		c.sendData(c.sndNxt, off, n, false)
		c.probesOut, c.probesStamped = 0, false
		return
	}
	c.probesOut++
	c.h.note(c.peer, "local-congestion-probe", "the host's queue refused the data again: retry in 500 ms")
	next := resourceProbeInterval
	if c.userTimeout > 0 {
		// tcp_clamp_probe0_to_user_timeout, at least TCP_TIMEOUT_MIN (2 jiffies).
		next = min(next, max(c.userTimeout-c.h.now.Sub(c.probesAt), 2*time.Millisecond))
	}
	c.probe0 = true
	c.setTimer(TimerRTO, next)
}

// schedulePTO arms the tail loss probe instead of the RTO where the profile has it
// (Linux tcp_schedule_loss_probe): on a SACK connection with data or a FIN out, not in
// recovery, no probe already out. advanced says an ACK just moved SND.UNA, so the RTO
// would run a whole RTO from now. It reports whether it armed the probe.
func (c *Conn) schedulePTO(advanced bool) bool {
	p := &c.h.Prof
	if !p.TailLossProbe || !c.sackOK || c.recovering || c.tlpOut || c.sndUna == c.sndMax {
		return false
	}
	switch c.state {
	case Established, CloseWait, FinWait1, Closing, LastAck:
	default:
		return false
	}
	out := c.sndMax.Sub(c.sndUna)
	if c.finSent && !c.finAcked {
		out-- // the FIN's sequence number is no byte of a segment
	}
	if out > uint32(c.mss) {
		// Several segments out: Linux probes with the last one and lets the SACK it brings
		// back drive RACK recovery of the earlier ones. The engine has no SACK recovery, so
		// a probe would only delay the RTO: it keeps the RTO there.
		return false
	}
	pto := p.InitialRTO
	if c.rttValid {
		// One segment out: 2·SRTT plus TCP_RTO_MIN, time for the peer's delayed ACK.
		pto = 2*c.srtt + p.MinRTO
	}
	rtoIn := c.rto
	if !advanced && c.armed(TimerRTO) && !c.tlpArmed {
		rtoIn = c.timers[TimerRTO].deadline.Sub(c.h.now)
	}
	if rtoIn > 0 {
		pto = min(pto, rtoIn)
	}
	if !c.armed(TimerRTO) || c.timers[TimerRTO].deadline != c.h.now.Add(pto) {
		c.setTimer(TimerRTO, pto)
	}
	c.tlpArmed = true
	return true
}

// sendLossProbe is the probe (Linux tcp_send_loss_probe): one new segment if the window
// allows, else the last segment again; then the RTO runs from now, not backed off.
func (c *Conn) sendLossProbe() {
	c.h.note(c.peer, "tail-loss-probe", "no ACK within the probe timeout: tail loss probe")
	c.tlpOut = true
	off := int(c.sndNxt.Sub(c.sendStart))
	avail := len(c.sendBuf) - off
	if avail > 0 && c.sndNxt.Sub(c.sndUna) < c.sndWnd {
		c.sendData(c.sndNxt, off, min(avail, int(c.mss)), false)
		c.sentNew = false
	} else {
		data := int(c.sndMax.Sub(c.sendStart))
		if c.finSent {
			data = int(c.finSeq.Sub(c.sendStart))
		}
		data = min(data, len(c.sendBuf))
		if data > 0 {
			n := min(data, int(c.mss))
			c.sendData(c.sendStart.Add(uint32(data-n)), data-n, n, true)
		} else if c.finSent && !c.finAcked {
			c.finishAndEmit(c.template(c.finSeq, FIN), true)
		}

	}
	c.setTimer(TimerRTO, c.rto)
}

// synBackoff returns the RTO after the n-th SYN retransmission: Linux keeps the initial
// RTO for tcp_syn_linear_timeouts retransmissions, then doubles (RFC 6298 §5.5).
func synBackoff(p *Profile, n int) time.Duration {
	if n <= p.SynLinearTimeouts {
		return p.InitialRTO
	}
	d := p.InitialRTO
	for i := 0; i < n-p.SynLinearTimeouts && d < p.MaxRTO; i++ {
		d *= 2
	}
	return min(d, p.MaxRTO)
}

// ---- Timestamps and out-of-order data -----------------------------------------------

// updateTSRecent keeps TS.Recent (RFC 7323 §4.3).
func (c *Conn) updateTSRecent(seg Segment) {
	if !c.tsOK {
		return
	}
	if ts, ok := seg.Options.Find(OptTimestamps); ok && seg.Seq.LessThanEq(c.rcvNxt) && int32(ts.TSVal-c.tsRecent) >= 0 {
		c.tsRecent = ts.TSVal
	}
}

func (c *Conn) queueOutOfOrder(s Segment) {
	for _, o := range c.ooo {
		if o.Seq == s.Seq && len(o.Payload) == len(s.Payload) {
			return
		}
	}
	c.ooo = append(c.ooo, s)
}

// drainOutOfOrder moves one queued segment that now fits into the receive buffer.
func (c *Conn) drainOutOfOrder() bool {
	for i, o := range c.ooo {
		if o.Seq.LessThanEq(c.rcvNxt) && c.rcvNxt.LessThanEq(o.Seq.Add(uint32(len(o.Payload)))) {
			c.ooo = append(c.ooo[:i], c.ooo[i+1:]...)
			skip := c.rcvNxt.Sub(o.Seq)
			data := o.Payload[skip:]
			c.recvBuf = append(c.recvBuf, data...)
			c.rcvNxt = c.rcvNxt.Add(uint32(len(data)))
			c.ackNow = true
			if o.Flags&FIN != 0 {
				c.gotFinFromQueue = true
			}
			return true
		}
	}
	return false
}
