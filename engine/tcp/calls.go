package tcp

import "time"

// The user calls of RFC 9293 §3.10.2–3.10.5 (SEND, RECEIVE, CLOSE, ABORT) plus shutdown(2)
// and the socket options, as an application makes them. OPEN (§3.10.1) is in open.go;
// STATUS (§3.10.6) is Conn.Info and the accessors in tcb.go. Each call records an app
// event in the trace and sends what it must.
// A call on a connection that does not exist (a nil *Conn: connect() failed, or nothing
// was accepted yet) returns ENOTCONN and records nothing, as there is no socket to name.

// Send queues data for sending (RFC 9293 §3.10.2, SEND). In SYN-SENT and SYN-RECEIVED the
// data waits for ESTABLISHED.
func (c *Conn) Send(data []byte) (int, error) { return c.SendMore(data, false) }

// SendMore is Send with MSG_MORE when more is set: the application says more data follows,
// so a partial last segment is held back (Linux tcp_push with TCP_NAGLE_CORK) and the
// write's end is not marked for PSH. The held data leaves when a later write, an ACK, a
// full segment or the probe timer pushes it.
func (c *Conn) SendMore(data []byte, more bool) (int, error) {
	if c == nil {
		return 0, ENOTCONN
	}
	var err error
	switch {
	case c.errShown && (c.deleted || c.state == Closed):
		err = EPIPE // the error was reported; the socket is shut (tcp_done)
	case c.deleted || c.state == Closed:
		err = c.takeErr(ENOTCONN)
	case c.finQueued:
		err = EPIPE // "connection closing"
	case !c.state.CanSend():
		err = EPIPE
	}
	if err != nil {
		c.h.app(c.peer, "send", err, 0, "")
		return 0, err
	}
	start := c.sendStart.Add(uint32(len(c.sendBuf)))
	if len(data) > 0 && !c.sndNxt.LessThan(start) {
		c.chronoStart(chronoBusy) // tcp_add_write_queue_tail: the write queue was empty
	}
	c.h.app(c.peer, "send", nil, len(data), "")
	if c.h.Prof.SendBuffers {
		c.writeBuffers(data)
		if len(data) > 0 && (!more || c.forcedPush()) {
			c.markPush() // tcp_push
		}
	} else {
		c.sendBuf, c.sendMem = appendQueue(c.sendBuf, c.sendMem, data)
		if len(data) > 0 || !more {
			c.addEdge(!more)
		}
	}
	c.moreHeld = more
	c.ackNow = false
	c.flush()
	return len(data), nil
}

// TakeErr returns the pending error and clears it, as getsockopt(SO_ERROR) does; nil
// when there is none. Later reads then see the end of the stream.
func (c *Conn) TakeErr() error {
	if c == nil || c.Err == nil {
		return nil
	}
	return c.takeErr("")
}

// takeErr returns the pending error, once, as Linux's sock_error() does; e when there is
// none.
func (c *Conn) takeErr(e Errno) error {
	if c.Err != nil {
		err := c.Err
		c.Err, c.errShown = nil, true
		return err
	}
	return e
}

// Read takes up to max received bytes (RFC 9293 §3.10.3, RECEIVE). It returns 0 and no
// error at end of stream, EAGAIN when nothing is there yet. Reading opens the window.
func (c *Conn) Read(max int) ([]byte, error) {
	if c == nil {
		return nil, ENOTCONN
	}
	if len(c.recvBuf) == 0 {
		var err error
		switch {
		case c.gotFin, c.rdShut:
			err = nil
		case c.Err != nil:
			err = c.takeErr(EAGAIN)
		case c.errShown:
			err = nil // the error was reported: end of stream (SOCK_DONE)
		case c.deleted:
			err = ENOTCONN
		default:
			err = EAGAIN
		}
		c.h.app(c.peer, "read", err, 0, eofDetail((c.gotFin || c.rdShut) && err == nil))
		return nil, err
	}
	out := make([]byte, min(max, len(c.recvBuf)))
	c.consume(out)
	return out, nil
}

// ReadInto is Read into the caller's buffer, as recv(2) does: it returns how many bytes
// it copied into p (0 and no error at end of stream).
func (c *Conn) ReadInto(p []byte) (int, error) {
	if c == nil {
		return 0, ENOTCONN
	}
	if len(c.recvBuf) == 0 {
		_, err := c.Read(len(p))
		return 0, err
	}
	return c.consume(p), nil
}

// consume moves received bytes into p, as many as fit, and records the read.
func (c *Conn) consume(p []byte) int {
	before := c.rcvWnd()
	n := copy(p, c.recvBuf)
	c.recvBuf = c.recvBuf[n:]
	if len(c.recvBuf) == 0 {
		c.recvBuf = c.recvMem[:0] // drained: the next data goes to the front again
	}
	c.h.app(c.peer, "read", nil, n, "")
	c.windowUpdateAfterRead(before)
	return n
}

func eofDetail(eof bool) string {
	if eof {
		return "end of stream"
	}
	return ""
}

// Close is RFC 9293 §3.10.4, CLOSE, with Linux's rule that closing with unread data
// resets the connection, and SO_LINGER {on, 0} turning it into an abort.
func (c *Conn) Close() error {
	if c == nil {
		return ENOTCONN
	}
	p := &c.h.Prof
	if c.deleted {
		c.h.app(c.peer, "close", nil, 0, "already closed")
		return nil
	}
	if c.lingerZero {
		c.h.app(c.peer, "close", nil, 0, "SO_LINGER 0: abort")
		c.appClosed = true
		c.abort()
		return nil
	}
	if p.RSTOnUnreadClose && len(c.recvBuf) > 0 && c.state != SynSent {
		c.h.app(c.peer, "close", nil, 0, "unread data: reset")
		c.appClosed = true
		c.abort()
		return nil
	}
	c.h.app(c.peer, "close", nil, 0, "")
	c.appClosed = true
	if c.state == FinWait2 && p.FinTimeout > 0 && !c.armed(TimerFinWait2) {
		c.setTimer(TimerFinWait2, p.FinTimeout)
	}
	c.closeSending("CLOSE in SYN-SENT", "CLOSE")
	return nil
}

// Shutdown closes the sending side only (shutdown(SHUT_WR)): our FIN goes out, data from
// the peer still flows (half-close).
func (c *Conn) Shutdown() error {
	if c == nil {
		return ENOTCONN
	}
	if c.deleted {
		c.h.app(c.peer, "shutdown", ENOTCONN, 0, "")
		return ENOTCONN
	}
	c.h.app(c.peer, "shutdown", nil, 0, "SHUT_WR")
	c.closeSending("shutdown in SYN-SENT", "CLOSE (shutdown)")
	return nil
}

// closeSending is the step CLOSE and shutdown(SHUT_WR) share, closing our sending side
// (RFC 9293 §3.10.4; Linux tcp_close_state): in SYN-SENT the TCB is deleted ("return
// 'error: closing' responses to any queued SENDs"), in SYN-RECEIVED, ESTABLISHED and
// CLOSE-WAIT our FIN is queued. The causes name the step in the trace.
func (c *Conn) closeSending(synSentCause, finCause string) {
	switch c.state {
	case SynSent:
		c.connectPending = false
		c.closeTCB(synSentCause)
	case SynReceived, Established:
		c.queueFIN(FinWait1, finCause)
	case CloseWait:
		c.queueFIN(LastAck, finCause)
	}
}

// ShutdownRead is shutdown(SHUT_RD): read() no longer blocks and returns 0 once the
// buffered data is read (Linux sets RCV_SHUTDOWN; data still arriving is queued in
// ESTABLISHED, and resets the connection once it is closing).
func (c *Conn) ShutdownRead() error {
	if c.deleted {
		c.h.app(c.peer, "shutdown", ENOTCONN, 0, "")
		return ENOTCONN
	}
	c.h.app(c.peer, "shutdown", nil, 0, "SHUT_RD")
	c.rdShut = true
	c.notify(ConnEOF)
	return nil
}

// queueFIN moves to the closing state now and sends the FIN once queued data is out.
func (c *Conn) queueFIN(to State, cause string) {
	c.finQueued = true
	if c.state == SynReceived {
		// RFC 9293 §3.10.4: in SYN-RECEIVED, "if no SENDs have been issued and there is no
		// pending data to send, then form a FIN segment and send it".
		c.setState(to, cause)
		c.sendFIN()
		return
	}
	c.setState(to, cause)
	c.ackNow = false
	c.flush()
}

// SetCork is setsockopt(TCP_CORK): while corked only full segments leave; uncorking
// sends what is held (Linux tcp_push_pending_frames).
func (c *Conn) SetCork(on bool) {
	c.corked = on
	if !on {
		c.Push()
	}
}

// SetNoDelay is setsockopt(TCP_NODELAY): on, Nagle's rule no longer holds partial
// segments, and what it held leaves now (tcp_push_pending_frames).
func (c *Conn) SetNoDelay(on bool) {
	if c == nil {
		return
	}
	c.noDelay = on
	if on {
		c.Push()
	}
}

// Push sends data held by TCP_CORK or MSG_MORE now, as setting TCP_NODELAY does.
func (c *Conn) Push() {
	if c == nil || c.deleted {
		return
	}
	c.moreHeld = false
	if len(c.sendBuf) > 0 && c.corked {
		c.corkPush = true
		defer func() { c.corkPush = false }()
	}
	c.flush()
}

// SetLinger sets SO_LINGER {on, 0}: close() will abort with a RST.
func (c *Conn) SetLinger(zero bool) {
	if c != nil {
		c.lingerZero = zero
	}
}

// Abort is RFC 9293 §3.10.5, ABORT: in a synchronized state send a reset and delete the TCB.
func (c *Conn) Abort() {
	if c == nil {
		return
	}
	c.h.app(c.peer, "abort", nil, 0, "")
	c.appClosed = true
	c.abort()
}

func (c *Conn) abort() {
	if c.deleted {
		return
	}
	p := &c.h.Prof
	switch c.state {
	case SynReceived, Established, FinWait1, FinWait2, CloseWait:
		// <SEQ=SND.NXT><CTL=RST>; Linux adds ACK=RCV.NXT (tcp_send_active_reset).
		c.sendReset(c.sndNxt, c.rcvNxt, p.AbortRSTWithACK)
	}
	c.connectPending = false
	c.closeTCB("ABORT")
}

// SetUserTimeout is setsockopt(TCP_USER_TIMEOUT): how long transmitted data may stay
// unacknowledged before the connection is dropped with ETIMEDOUT (0: the retry count).
func (c *Conn) SetUserTimeout(d time.Duration) { c.userTimeout = d }

// SetSynRetries is setsockopt(TCP_SYNCNT): the connection's own limit on SYN
// retransmissions in place of the profile's SynRetries (0: the profile's).
func (c *Conn) SetSynRetries(n int) {
	if c != nil {
		c.synRetries = n
	}
}

// appendQueue appends data to a queue q whose front is consumed by reslicing (the send
// queue as ACKs release it); mem is q's whole backing array. When q has no room left the
// data still queued moves to the front of mem, or, when mem is less than twice what is
// needed, to a new array of twice that: each byte is copied a bounded number of times
// however long the stream, without the fresh allocation append would make each time the
// consumed front has eaten the spare capacity.
func appendQueue(q, mem, data []byte) (nq, nmem []byte) {
	if need := len(q) + len(data); need > cap(q) {
		if cap(mem) < 2*need {
			mem = make([]byte, 2*need)
		}
		n := copy(mem, q)
		q = mem[:n]
	}
	return append(q, data...), mem
}
