package engine

import (
	"fmt"
	"time"

	"synack/engine/tcp"
)

// A bottleneck is a link direction with a rate and a drop-tail queue in front of it, as a
// router's interface is (a pfifo of Queue packets ahead of a line of Rate bits per
// second): a segment is serialized after those ahead of it, arrives Delay after its last
// bit has left, and is dropped when Queue segments already wait. Everything is virtual
// time: when the line is free again is a number the path keeps.

// Limits of a bottleneck.
const (
	// MinRate and MaxRate bound a bottleneck's rate in bits per second (Link.Rate):
	// 64 kbit/s (a modem's order of magnitude) to 10 Gbit/s.
	MinRate = 64_000
	MaxRate = 10_000_000_000
	// MaxQueue is the longest queue a bottleneck may have, in packets (Linux's default
	// txqueuelen is 1000).
	MaxQueue = 1000
)

// FaultQueue is the Fault name of a segment the bottleneck's full queue dropped.
const FaultQueue = "queue"

// wireBytes is a segment's size on the line: an IPv4 header, the TCP header with its
// options, and the payload (a UDP datagram: 8 bytes of UDP header instead).
func wireBytes(g *tcp.Segment) int {
	if g.UDP {
		return 20 + 8 + len(g.Payload)
	}
	return 20 + 20 + (g.Options.Len()+3)&^3 + len(g.Payload) // options padded to 32 bits
}

// serialization is how long n bytes take on a line of rate bits per second, rounded up
// to the microsecond the clock counts.
func serialization(n int, rate int64) time.Duration {
	us := (int64(n)*8*1_000_000 + rate - 1) / rate
	return time.Duration(us) * time.Microsecond
}

// bottleneck passes a segment of n bytes sent now through p's rate and queue. It returns
// when its last bit leaves the line, or ok false when the queue is full and it is dropped.
func (p *path) bottleneck(now tcp.Time, n int, l *Link) (left tcp.Time, ok bool) {
	// Segments whose serialization has started are on the line, not in the queue.
	k := 0
	for k < len(p.waiting) && p.waiting[k] <= now {
		k++
	}
	p.waiting = p.waiting[k:]
	if len(p.waiting) >= l.Queue && p.busy > now {
		return 0, false
	}
	start := max(now, p.busy)
	p.busy = start.Add(serialization(n, l.Rate))
	if start > now {
		p.waiting = append(p.waiting, start)
	}
	return p.busy, true
}

// validateBottleneck checks Params' Rate and Queue and fills in the default queue.
func (p *Params) validateBottleneck() error {
	if p.Rate == 0 {
		if p.Queue != 0 {
			return fmt.Errorf("queue %d needs a rate: a queue forms only in front of a bottleneck", p.Queue)
		}
		return nil
	}
	if p.Rate < MinRate || p.Rate > MaxRate {
		return fmt.Errorf("rate %d bit/s is out of range (%d to %d)", p.Rate, int64(MinRate), int64(MaxRate))
	}
	if p.Queue == 0 {
		p.Queue = DefaultQueue
	}
	if p.Queue < 1 || p.Queue > MaxQueue {
		return fmt.Errorf("queue %d packets is out of range (1 to %d)", p.Queue, MaxQueue)
	}
	return nil
}
