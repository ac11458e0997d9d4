package tcp

import (
	"time"
)

// Round-trip time measurement and the retransmission timeout it gives, as RFC 6298 §2–3
// computes them (RFC 9293 §3.8.1).

func minSeq(a, b Seq) Seq {
	if a.LessThan(b) {
		return a
	}
	return b
}

func maxSeq(a, b Seq) Seq {
	if a.LessThan(b) {
		return b
	}
	return a
}

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
	if c.h.Prof.RTTEveryAck && c.state != SynReceived && c.state != SynSent {
		// Linux times every ACK that moves SND.UNA from the oldest segment it covers
		// (tcp_clean_rtx_queue → tcp_ack_update_rtt), unless one was sent twice.
		switch at, ok := c.sentTimes.oldest(ack); {
		case ok:
			c.rttSample(c.h.now.Sub(at))
		case c.sackRTTSample():
		case c.ackEcr != 0:
			// Nothing timed by its send time (resent data was acknowledged): the echoed
			// timestamp, in the timestamp clock's milliseconds (RFC 7323 §4.1).
			if d := c.tsVal() - c.ackEcr; int32(d) >= 0 {
				c.rttSample(time.Duration(d) * time.Millisecond)
			}
		}
		c.ackEcr = 0
		return
	}
	if !c.timing || ack.LessThan(c.rttSeq) {
		return
	}
	c.timing = false
	if c.rtxCount > 0 {
		return
	}
	c.rttSample(c.h.now.Sub(c.rttAt))
}

// sackRTTSample is Linux's fallback when an ACK gives no cumulative sample
// (tcp_ack_update_rtt's sack_rtt_us): the RTT of the first segment this ACK newly SACKed
// that was never resent, in the order the blocks were walked (tcp_sacktag_one's
// first_sackt).
func (c *Conn) sackRTTSample() bool {
	if !c.h.Prof.RTTEveryAck {
		return false
	}
	for _, s := range c.sres.marked {
		if s.flags&sbEverRetrans == 0 {
			c.rttSample(c.h.now.Sub(s.sentAt))
			return true
		}
	}
	return false
}

// rttSample feeds one round-trip measurement to SRTT, RTTVAR and the RTO.
func (c *Conn) rttSample(r time.Duration) {
	c.minRTTSample(r)
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
