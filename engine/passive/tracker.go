// Package passive follows TCP connections from the outside, as a capture shows them:
// which segments belong to which connection, the states each end went through as far
// as the segments tell (an end that was never seen to act stays "unknown"), and the
// anomalies Wireshark's TCP analysis flags, by its rules and names. It reads packets
// one at a time and keeps only what live connections need, so a million-packet capture
// costs the memory of its open connections. It reads no clock and starts no goroutine.
package passive

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"synack/engine/capture"
	"synack/engine/tcp"
)

// The tracker's default limits; Options may lower them (the web page does).
const (
	// DefaultMaxConnections bounds the connections one capture may hold.
	DefaultMaxConnections = 1 << 20
	// MaxKeptPackets bounds the packets kept for the one connection a view draws.
	MaxKeptPackets = 200000
)

// ErrTooManyConnections is returned by Add when a capture has more connections than
// the limit allows.
var ErrTooManyConnections = errors.New("too many connections")

// ErrTooManyPackets is returned by Add past Options.MaxPackets.
var ErrTooManyPackets = errors.New("too many packets")

// Options shape a Tracker.
type Options struct {
	MaxConnections int // DefaultMaxConnections when zero
	MaxPackets     int // no limit when zero
	// Keep is the index of a connection whose packets are kept (Conn.Packets) so that
	// it can be drawn; -1 keeps none. KeepAll keeps every connection's (tests of small
	// captures).
	Keep    int
	KeepAll bool
}

// Unknown is the state of an end the capture has not shown yet.
const Unknown tcp.State = 0

// StateName returns the RFC 9293 name, or "unknown".
func StateName(s tcp.State) string {
	if s == Unknown {
		return "unknown"
	}
	return s.String()
}

// Transition is one inferred state change of an end.
type Transition struct {
	At       int64 // capture time, ns since the epoch
	Frame    int   // the frame that showed it
	From, To tcp.State
	Cause    string
	Received bool // the change came from receiving the frame (not from sending it)
}

// Side is one end of a connection.
type Side struct {
	Addr    netip.AddrPort
	Packets int   // segments it sent
	Bytes   int64 // payload bytes it sent
	State   tcp.State
	Path    []Transition // every inferred change, in order

	flow
	sideState
	pending []seen // segments on their way to this end
}

// States returns the states the end went through, the first "unknown" when the capture
// did not show where it started.
func (s *Side) States() []string {
	if len(s.Path) == 0 {
		return []string{StateName(s.State)}
	}
	out := []string{StateName(s.Path[0].From)}
	for _, t := range s.Path {
		out = append(out, StateName(t.To))
	}
	return out
}

// Frame is one kept packet of a connection with what analysis said about it.
type Frame struct {
	N         int
	TimeNs    int64
	FromA     bool // sent by side A
	Seg       tcp.Segment
	IP        []byte // the packet as captured, from its IP header
	Anomalies Anomalies
}

// Conn is one TCP connection (a tshark "stream").
type Conn struct {
	Index       int // from 0, in order of first packet, as tshark's tcp.stream
	A, B        Side
	First, Last int64 // capture times of the first and last packet
	FirstFrame  int
	Packets     int
	Bytes       int64 // payload bytes both ways
	Anomalies   [NumAnomalies]int
	// Client is "A" or "B" when the capture showed who opened (sent the first SYN).
	Client   string
	Frames   []Frame // kept packets, when Options asks for them
	Closed   bool
	firstRTT int64 // SYN to the handshake's ACK, ns (tshark's initial RTT)
	synTime  int64
	hsState  int8 // 1 SYN seen, 2 SYN-ACK seen, 3 done
	keep     bool
}

// Side returns the end that sent p (first) and the other.
func (c *Conn) sides(fromA bool) (*Side, *Side) {
	if fromA {
		return &c.A, &c.B
	}
	return &c.B, &c.A
}

type connKey struct{ a, b netip.AddrPort } // a < b

// Tracker assigns packets to connections and analyses them.
type Tracker struct {
	opt    Options
	live   map[connKey]*Conn
	done   []*Conn
	closed []closedConn // closed connections still in live, oldest first
	// arriving are connections with segments on their way, by when the last of them
	// arrives (in order of capture, so nearly in order of arrival).
	arriving  []closedConn
	tombs     map[connKey]tomb
	tombOrder []connKey
	n         int
	packets   int
}

// New returns a tracker.
func New(opt Options) *Tracker {
	if opt.MaxConnections == 0 {
		opt.MaxConnections = DefaultMaxConnections
	}
	return &Tracker{opt: opt, live: map[connKey]*Conn{}}
}

// Add analyses one packet. It returns the connection it belongs to and the anomalies
// of the packet.
func (t *Tracker) Add(p *capture.Packet) (*Conn, Anomalies, error) {
	t.packets++
	if t.opt.MaxPackets > 0 && t.packets > t.opt.MaxPackets {
		return nil, 0, fmt.Errorf("%w: frame %d is past the limit of %d", ErrTooManyPackets, p.N, t.opt.MaxPackets)
	}
	src, dst := netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort)
	k := connKey{src, dst}
	if dst.Compare(src) < 0 {
		k = connKey{dst, src}
	}
	c := t.live[k]
	var flags Anomalies
	if c != nil && p.Flags&(tcp.SYN|tcp.ACK) == tcp.SYN {
		// tshark starts a new conversation for a SYN whose sequence number is not the
		// one this direction started with: the ports were reused.
		fwd := &c.B
		if c.A.Addr == src {
			fwd = &c.A
		}
		if fwd.baseSet && p.Seq != fwd.base {
			t.retire(k, c)
			c = nil
			flags = flags.With(ReusedPorts)
		}
	}
	if c == nil && p.Flags&(tcp.SYN|tcp.ACK) == tcp.SYN {
		if tb, ok := t.tombs[k]; ok {
			base, set := tb.baseB, tb.setB
			if tb.a == src {
				base, set = tb.baseA, tb.setA
			}
			if set && p.Seq != base {
				flags = flags.With(ReusedPorts)
			}
		}
	}
	if c == nil {
		if t.n >= t.opt.MaxConnections {
			return nil, 0, fmt.Errorf("%w: frame %d opens connection %d, past the limit of %d", ErrTooManyConnections, p.N, t.n+1, t.opt.MaxConnections)
		}
		c = &Conn{Index: t.n, First: p.TimeNs, FirstFrame: p.N, keep: t.opt.KeepAll || t.opt.Keep == t.n}
		c.A.Addr, c.B.Addr = src, dst
		c.A.winScale, c.B.winScale = -1, -1
		t.n++
		t.live[k] = c
	}
	for len(t.closed) > 0 && p.TimeNs-t.closed[0].at > Linger {
		old := t.closed[0]
		t.closed = t.closed[1:]
		if t.live[old.k] == old.c {
			t.retire(old.k, old.c)
		}
	}
	fromA := c.A.Addr == src
	// Segments still on their way to other connections' ends arrive by now: a
	// connection's last ACK closes it even when nothing more of it is captured.
	for len(t.arriving) > 0 && t.arriving[0].at <= p.TimeNs {
		a := t.arriving[0]
		t.arriving = t.arriving[1:]
		if t.live[a.k] == a.c && !a.c.Closed {
			a.c.arrive(p.TimeNs, false)
			if a.c.Closed {
				t.closed = append(t.closed, closedConn{a.k, a.c, p.TimeNs})
			}
		}
	}
	wasClosed := c.Closed
	flags |= c.add(p, fromA)
	if c.Closed && !wasClosed {
		t.closed = append(t.closed, closedConn{k, c, p.TimeNs})
	}
	// Only a FIN, a RST or the ACK of a FIN can close a connection when it arrives.
	if closing := p.Flags&(tcp.FIN|tcp.RST) != 0 || c.A.finSent || c.B.finSent; closing && !c.Closed &&
		len(c.A.pending)+len(c.B.pending) > 0 {
		t.arriving = append(t.arriving, closedConn{k, c, p.TimeNs + c.oneWay()})
	}
	for a := Anomaly(0); a < NumAnomalies; a++ {
		if flags.Has(a) {
			c.Anomalies[a]++
		}
	}
	if c.keep && len(c.Frames) < MaxKeptPackets {
		c.Frames = append(c.Frames, Frame{N: p.N, TimeNs: p.TimeNs, FromA: fromA, Seg: p.Segment(),
			IP: append([]byte(nil), p.IP...), Anomalies: flags})
	}
	return c, flags, nil
}

// closedConn is a closed connection waiting out Linger before it leaves the live table.
type closedConn struct {
	k  connKey
	c  *Conn
	at int64
}

// Linger is how long (capture time) a closed connection stays in the live table, so
// that what still arrives for it (the last ACK, a retransmitted FIN inside TIME-WAIT)
// joins it: Linux's TIME-WAIT (TCP_TIMEWAIT_LEN).
const Linger = 60e9 // ns

// retire moves a connection out of the live table.
func (t *Tracker) retire(k connKey, c *Conn) {
	delete(t.live, k)
	c.arrive(0, true)
	t.done = append(t.done, c)
	// Remember where each direction's sequence numbers started, so a later SYN on the
	// same ports is known as reused (tshark never forgets a conversation).
	if t.tombs == nil {
		t.tombs = map[connKey]tomb{}
	}
	if _, ok := t.tombs[k]; !ok {
		if len(t.tombOrder) >= MaxTombstones {
			delete(t.tombs, t.tombOrder[0])
			t.tombOrder = t.tombOrder[1:]
		}
		t.tombOrder = append(t.tombOrder, k)
	}
	t.tombs[k] = tomb{a: c.A.Addr, baseA: c.A.base, baseB: c.B.base, setA: c.A.baseSet, setB: c.B.baseSet}
}

// MaxTombstones bounds how many closed connections' ports and first sequence numbers the
// tracker remembers to recognise a reused port.
const MaxTombstones = 1 << 16

// tomb is what is kept of a closed connection: where each direction started.
type tomb struct {
	a            netip.AddrPort
	baseA, baseB tcp.Seq
	setA, setB   bool
}

// Live returns the number of connections the tracker holds open.
func (t *Tracker) Live() int { return len(t.live) }

// Conns returns every connection in order of their first packet.
func (t *Tracker) Conns() []*Conn {
	all := append([]*Conn(nil), t.done...)
	for _, c := range t.live {
		c.arrive(0, true) // the capture is over: what was on its way has arrived
		all = append(all, c)
	}
	slices.SortFunc(all, func(a, b *Conn) int { return a.Index - b.Index })
	return all
}

// add updates the connection with one of its packets.
func (c *Conn) add(p *capture.Packet, fromA bool) Anomalies {
	fwd, rev := c.sides(fromA)
	c.Packets++
	c.Last = p.TimeNs
	c.Bytes += int64(p.PayloadLen)
	fwd.Packets++
	fwd.Bytes += int64(p.PayloadLen)
	if !fwd.baseSet {
		fwd.baseSet = true
		fwd.base = p.Seq
		if p.Flags&tcp.SYN == 0 {
			fwd.base = p.Seq - 1
		}
	}
	c.handshakeRTT(p, fromA)
	flags := analyse(&fwd.flow, &rev.flow, p, c.firstRTT)
	if p.Flags&tcp.RST != 0 {
		flags = flags.With(Reset)
	}
	c.infer(p, fromA, fwd, rev)
	return flags
}

// handshakeRTT measures tshark's initial RTT: from the SYN to the ACK that completes
// the handshake. It bounds how close together two segments must be to count as
// out-of-order rather than retransmitted.
func (c *Conn) handshakeRTT(p *capture.Packet, fromA bool) {
	switch {
	case p.Flags&(tcp.SYN|tcp.ACK) == tcp.SYN && c.hsState == 0:
		c.hsState, c.synTime = 1, p.TimeNs
		if fromA {
			c.Client = "A"
		} else {
			c.Client = "B"
		}
	case p.Flags&(tcp.SYN|tcp.ACK) == tcp.SYN|tcp.ACK && c.hsState == 1:
		c.hsState = 2
	case p.Flags&(tcp.SYN|tcp.ACK) == tcp.ACK && c.hsState == 2:
		c.hsState = 3
		c.firstRTT = p.TimeNs - c.synTime
	}
}
