package tcp

import "time"

// Keep-alives (RFC 1122 §4.2.3.6; Linux SO_KEEPALIVE, tcp_keepalive_timer): an idle
// connection asks the peer whether it is still there. RFC 1122 makes them optional, off
// by default, with an idle time of at least two hours; Linux's defaults are 7200 s idle,
// then 9 probes 75 s apart (tcp_keepalive_time, tcp_keepalive_intvl,
// tcp_keepalive_probes).

// Keepalive is SO_KEEPALIVE with TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT. A zero
// Idle, Interval or Count takes the profile's.
type Keepalive struct {
	On       bool
	Idle     time.Duration // idle time before the first probe
	Interval time.Duration // time between unanswered probes
	Count    int           // unanswered probes before the connection is dropped
}

// WithDefaults returns k with its zero fields taken from p.
func (k Keepalive) WithDefaults(p *Profile) Keepalive {
	if k.Idle <= 0 {
		k.Idle = p.KeepaliveIdle
	}
	if k.Interval <= 0 {
		k.Interval = p.KeepaliveInterval
	}
	if k.Count <= 0 {
		k.Count = p.KeepaliveProbes
	}
	return k
}

// Keepalive returns the connection's keep-alive settings, with the profile's values
// where the application set none (what getsockopt reads).
func (c *Conn) Keepalive() Keepalive { return c.keepalive.WithDefaults(&c.h.Prof) }

// SetKeepalive is setsockopt(SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT)
// on the connection. On a synchronized connection, turning keep-alives on arms the
// timer for the idle time from now; a new idle time while they are on counts from the
// last segment received (tcp_sock_set_keepidle_locked); turning them off stops it.
func (c *Conn) SetKeepalive(k Keepalive) {
	old := c.keepalive
	c.keepalive = k
	if !c.keepaliveRuns() {
		if old.On {
			c.cancelTimer(TimerKeepalive)
		}
		return
	}
	idle := c.Keepalive().Idle
	switch {
	case !old.On:
		c.setTimer(TimerKeepalive, idle)
	case old.Idle != k.Idle:
		c.setTimer(TimerKeepalive, max(idle-c.sinceHeard(), 0))
	}
}

// keepaliveRuns reports whether the keep-alive timer belongs to this connection now:
// keep-alives on, in a state with a peer to ask.
func (c *Conn) keepaliveRuns() bool {
	return c.keepalive.On && c.state.Synchronized() && c.state != TimeWait && !c.deleted
}

// sinceHeard is how long ago the peer was last heard from: data or an acceptable ACK
// (keepalive_time_elapsed: icsk_ack.lrcvtime and rcv_tstamp).
func (c *Conn) sinceHeard() time.Duration {
	last := c.lastDataRecv
	if c.lastAckAt > last {
		last = c.lastAckAt
	}
	return c.h.now.Sub(last)
}

// onKeepalive is the keep-alive timer (tcp_keepalive_timer). With data in flight or
// waiting, the connection is not idle: look again an idle time later. Otherwise, once
// the peer has been silent for the idle time, send a probe (SEQ = SND.UNA − 1 and no
// data, which the peer must answer with an ACK: tcp_write_wakeup) and look again an
// interval later; after Count unanswered probes (or, with TCP_USER_TIMEOUT, once that
// long has passed since the peer was heard) the connection is reset and the
// application gets ETIMEDOUT. An answer resets the count (tcp_ack).
func (c *Conn) onKeepalive() {
	if !c.keepaliveRuns() {
		return
	}
	p := &c.h.Prof
	k := c.Keepalive()
	when := k.Idle
	if c.sndUna == c.sndMax && len(c.sendBuf) == 0 {
		elapsed := c.sinceHeard()
		if elapsed < k.Idle {
			when = k.Idle - elapsed
		} else {
			if c.userTimeout > 0 && elapsed >= c.userTimeout && c.probesOut > 0 ||
				c.userTimeout == 0 && c.probesOut >= k.Count {
				c.h.note(c.peer, "keepalive-timeout", "keepalive probes unanswered: the connection is dropped")
				if p.KeepaliveRST {
					c.sendReset(c.sndNxt, c.rcvNxt, p.AbortRSTWithACK)
				}
				if c.userTimeout > 0 {
					c.fail(ETIMEDOUT, "TCP_USER_TIMEOUT expired during keepalive probes")
				} else {
					c.fail(ETIMEDOUT, "keepalive probes unanswered")
				}
				return
			}
			if c.h.egressDrop {
				// The probe could not leave (local congestion): try again soon, not
				// counting it (TCP_RESOURCE_PROBE_INTERVAL).
				when = resourceProbeInterval
			} else {
				c.h.note(c.peer, "keepalive-probe", "idle connection: keepalive probe (SEQ = SND.UNA - 1)")
				c.finishAndEmit(c.template(c.sndUna-1, 0), false)
				c.probesOut++
				when = k.Interval
			}
		}
	}
	c.setTimer(TimerKeepalive, when)
}
