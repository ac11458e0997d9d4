package tcp

import (
	"math/bits"
	"time"
)

// What the connection sends once synchronized: RFC 9293 §3.10.2 (SEND call) queues data,
// and this file turns the queue into segments as §3.8 (data communication) and Linux's
// tcp_write_xmit do: segment size, Nagle, windows, delayed ACKs, the FIN.

// template returns a segment from us to the peer with the given sequence number and flags.
func (c *Conn) template(seq Seq, flags Flags) Segment {
	return Segment{
		Src: c.tuple.LocalAddr, Dst: c.tuple.RemoteAddr,
		SrcPort: c.tuple.LocalPort, DstPort: c.tuple.RemotePort,
		Seq: seq, Flags: flags,
		TOS: c.tos, NoDF: !c.pmtuDisc.dontFragment(),
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
	if c.rcvSpace > 0 {
		// SO_RCVBUF: the window is the space asked for, rounded down to whole segments
		// when it holds more than one (tcp_select_initial_window); a SYN carries at
		// most 65535 of it (RFC 7323 §2.2: a SYN's window is never scaled), the window
		// after the handshake all of it (measured on 6.18).
		w := c.rcvSpace
		if p.MSSRoundedWindow && mss > 0 && w > uint32(mss) {
			w = w / uint32(mss) * uint32(mss)
		}
		c.rcvBufSize = w
		return
	}
	c.rcvBufSize = p.RecvWindow
	if p.MSSRoundedWindow && mss > 0 {
		c.rcvBufSize = uint32(initialWindowFor(p, mss != c.advMSS()))
	}
}

// syncMSS sets the send MSS from the negotiated one and, where the profile bounds it,
// the largest window the peer has shown (Linux tcp_sync_mss → tcp_bound_to_half_wnd):
// half of it, or all of it while it is at most 536 bytes, and never below 68 bytes less
// the headers.
func (c *Conn) syncMSS() {
	c.mss = c.mssFull
	if !c.h.Prof.HalfWindowMSS || c.mssFull == 0 {
		return
	}
	if cutoff := c.halfWindow(); cutoff > 0 && uint32(c.mss) > cutoff {
		hdr := uint32(20)
		if c.tsOK {
			hdr += 12
		}
		c.mss = uint16(max(cutoff, 68-hdr))
	}
}

// halfWindow is tcp_bound_to_half_wnd's cutoff: half the largest window the peer has
// shown, or all of it while that is at most 536 bytes (0: none seen yet).
func (c *Conn) halfWindow() uint32 {
	if c.maxSndWnd > 536 {
		return c.maxSndWnd / 2
	}
	return c.maxSndWnd
}

// offerShift is the window scale we offer: the profile's, or with SO_RCVBUF the
// smallest that lets the window cover the space asked for (RFC 7323 §2.3; Linux
// tcp_select_initial_window: ilog2(space) − 15, from 0 to 14, once the user's buffer
// clamps the window).
func (c *Conn) offerShift() uint8 {
	if c.rcvSpace == 0 {
		return c.h.Prof.WindowShift
	}
	return ScaleFor(c.rcvSpace)
}

// ScaleFor is the window scale for a receive space of n bytes: ilog2(n) − 15, from 0 to
// 14 (RFC 7323 §2.3).
func ScaleFor(n uint32) uint8 {
	if n == 0 {
		return 0
	}
	return uint8(min(max(bits.Len32(n)-1-15, 0), 14))
}

// dataOptions are the options on a non-SYN segment: timestamps (RFC 7323 §3.2), Linux
// style as nop,nop,TS, then the receiver's SACK blocks while a hole is open (RFC 2018
// §4), as nop,nop,SACK.
func (c *Conn) dataOptions() Options {
	opts := c.tsOptions()
	if sack, ok := c.sackOption(nil); ok {
		opts = append(opts, Option{Kind: OptNOP}, Option{Kind: OptNOP}, sack) // RFC 2018 §4
	}
	return opts
}

// sendAck sends a bare ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
func (c *Conn) sendAck() {
	seg := c.template(c.sndNxt, ACK)
	c.finishAndEmit(seg, false)
}

// tsOptions is the timestamp option of a non-SYN segment, alone.
func (c *Conn) tsOptions() Options {
	if !c.tsOK {
		return nil
	}
	o := c.h.optionsCopy(3) // capacity 3: appending SACK blocks copies
	o[0], o[1], o[2] = Option{Kind: OptNOP}, Option{Kind: OptNOP}, Option{Kind: OptTimestamps, TSVal: c.tsVal(), TSEcr: c.tsRecent}
	return o
}

// sendAckWithDSACK sends an ACK reporting [left, right) as received twice (RFC 2883).
func (c *Conn) sendAckWithDSACK(left, right Seq) {
	seg := c.template(c.sndNxt, ACK)
	seg.Ack = c.rcvNxt
	seg.Window = c.windowField()
	seg.Options = c.tsOptions()
	if sack, ok := c.sackOption(&SACKBlock{Left: left, Right: right}); ok {
		seg.Options = append(seg.Options, Option{Kind: OptNOP}, Option{Kind: OptNOP}, sack)
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
	c.h.emitCC(seg, retransmit, c.ccSample())
}

// countAnswer notes data sent within the ACK timeout of data received: an interactive
// exchange (Linux tcp_event_data_sent); at the profile's threshold the connection enters
// pingpong mode.
func (c *Conn) countAnswer() {
	p := &c.h.Prof
	pending := c.fastOpen != nil && c.fastOpen.writePending
	if p.PingpongThreshold <= 0 || !c.gotData && !pending || c.h.now.Sub(c.lastDataRecv) >= p.DelayedACK {
		return
	}
	if pending {
		c.fastOpen.writePending = false
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
		c.checkSpace()
	case SynReceived:
		if c.fastOpen != nil && c.fastOpen.child {
			c.output() // a Fast Open child may send before the handshake completes (RFC 7413 §3)
		}
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
	if p.DelayedACKMax > 0 && c.ato > p.DelayedACK {
		// tcp_send_delayed_ack: the estimate, bounded by the smoothed RTT (never under
		// the minimum) and by icsk_delack_max.
		return min(c.ato, max(c.srtt, p.DelayedACK), p.DelayedACKMax)
	}
	return p.DelayedACK
}

// output sends new data and our FIN as the windows allow (RFC 9293 §3.8.6.2 is kept
// simple: no Nagle, no silly window avoidance beyond the peer's window), then notes how
// fully the flow used its congestion window, as tcp_write_xmit ends with
// tcp_cwnd_validate.
func (c *Conn) output() {
	before := c.sndNxt
	c.outputSegments()
	c.closeUnit()
	c.cwndValidate(c.sndNxt != before)
}

// outputSegments is output's loop: new data and the FIN, as far as the windows allow.
func (c *Conn) outputSegments() {
	for {
		off := int(c.sndNxt.Sub(c.sendStart))
		if c.finSent && !c.sndNxt.LessThan(c.finSeq) {
			return
		}
		avail := len(c.sendBuf) - off
		if avail > 0 {
			inflight := c.sndNxt.Sub(c.sndUna)
			room := c.sendRoom(inflight)
			if room == 0 {
				c.rwndLimited(inflight)
				if inflight == 0 && c.sndWnd == 0 && !c.armed(TimerRTO) && !c.armed(TimerPersist) {
					// A zero window and nothing in flight: the persist timer
					// (tcp_check_probe_timer, after max(RTO, TCP_RTO_MIN)).
					c.setTimer(TimerPersist, max(c.rto, c.h.Prof.MinRTO))
				}
				return
			}
			n := min(avail, int(c.mss), int(room))
			if n <= 0 {
				return
			}
			if c.h.Prof.WholeSegmentWindow && n < min(avail, int(c.mss)) {
				// With nothing in flight no ACK will open the window: the probe timer
				// sends what fits after max(RTO, TCP_RTO_MIN) (tcp_check_probe_timer,
				// tcp_write_wakeup).
				c.rwndLimited(inflight)
				if inflight == 0 && !c.armed(TimerRTO) && !c.armed(TimerPersist) {
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
			n = c.eorLimit(c.sndNxt, n) // MSG_EOR: no segment spans a record's end
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
			if c.h.Prof.SendBuffers {
				n = c.planUnit(n) // one transmission's share (tcp_write_xmit)
			}
			c.sendData(c.sndNxt, off, n, false)
			if c.pushOne && !c.unit.open {
				return // tcp_push_one: one transmission
			}
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
// data to send (busy), the part of it the peer's receive window held it back, and the
// part in which all it had was sent and the application waited for room in the send
// buffer (sndbuf_chrono.go).
const (
	chronoNone = iota
	chronoBusy
	chronoRwnd
	chronoSndbuf
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
	c.outEnds = append(c.outEnds, c.sndNxt)
	c.sentTimes.sent(c.sndNxt, c.h.now)
	c.noteSent(c.finSeq, c.sndNxt, false)
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
	if c.armed(TimerPersist) && !retransmit {
		c.cancelTimer(TimerPersist) // data in flight: its ACK or the RTO takes over
	}
	seg := c.template(seq, 0)
	seg.Payload = c.h.payloadCopy(c.sendBuf[off : off+n])
	c.markECN(&seg, !retransmit && !seq.LessThan(c.sndNxt))
	end := seq.Add(uint32(n))
	if c.segmentPush(seq, end, retransmit) {
		seg.Flags |= PSH // skb.go: where a write ends, or a transmission's last segment
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
		if c.sndUna == c.sndMax {
			c.idleRestart()
			c.ccTxStart()
		}
		if c.sndMax.LessThan(end) {
			c.outEnds = append(c.outEnds, end) // a new segment in flight (packets_out)
			c.sentTimes.sent(end, c.h.now)
		}
		if n < int(c.mss) {
			c.sndSml, c.smlSent = seq.Add(uint32(n)), true // tcp_minshall_update
		}
		c.sndNxt = end
		c.sndMax = maxSeq(c.sndMax, end)
		c.startTiming(end)
		c.sentNew = true
		c.countAnswer()
	}
	if retransmit {
		c.sentTimes.retransmitted(seq, end)
	}
	c.lastSendAt = c.h.now
	c.noteSent(seq, end, retransmit)
	c.h.sharedNext = true // the payload is from the host's slab
	c.finishAndEmit(seg, retransmit)
	c.armRTO()
}

// idleRestart is the restart window (RFC 5681 §4.1; Linux tcp_slow_start_after_idle_check
// and tcp_cwnd_restart): new data after more than an RTO with nothing in flight starts
// from min(initial window, cwnd) again, or, where the profile halves, from cwnd halved
// once per RTO of idle time, but not below that; Linux first keeps what the window had
// reached in ssthresh (tcp_current_ssthresh: at least three quarters of it), so that
// slow start climbs back there.
func (c *Conn) idleRestart() {
	p := &c.h.Prof
	idle := c.h.now.Sub(c.lastSendAt)
	if !p.IdleRestart || c.rto <= 0 || idle <= c.rto || c.mss == 0 {
		return
	}
	restart := min(uint32(p.initialCwnd()), c.cwndSegs())
	if !p.IdleHalving {
		c.setCwndSegs(restart)
		return
	}
	c.setSsthreshSegs(c.currentSsthresh())
	cwnd := c.cwndSegs()
	for idle -= c.rto; idle > 0 && cwnd > restart; idle -= c.rto {
		cwnd >>= 1
	}
	c.setCwndSegs(max(cwnd, restart))
}
