package recorder

import (
	"bytes"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// relay joins a client and a server in memory and records every write, in order.
//
// Writes are held back until both sides have been quiet for a while (quiet), then
// delivered together. Real stacks answer at once, so this groups each side's burst
// into one flight, exactly as it would leave on a real network, without the race of a
// late write (a session ticket, a delayed ACK) slipping between the other side's
// answer and its own. The time here is only the recorder's: what synack shows is
// timed by the simulator.
type relay struct {
	mu      sync.Mutex
	cond    *sync.Cond
	quiet   time.Duration
	log     []write
	pending []int
	last    time.Time
	ends    [2]*end
	done    chan struct{}
	stopped bool
}

type write struct {
	from int // 0 client, 1 server
	data []byte
}

const (
	client = 0
	server = 1
)

// relayQuiet is how long both sides must be silent before held writes are delivered.
// It must stay well under quic-go's first probe timeout (about 200 ms before any RTT
// sample): the relay's hold looks like path delay to the stacks, and a longer one makes
// quic-go resend its Initial, which changes the recorded structure.
const relayQuiet = 40 * time.Millisecond

func newRelay(datagram bool) *relay {
	r := &relay{quiet: relayQuiet, done: make(chan struct{})}
	r.cond = sync.NewCond(&r.mu)
	for i := range r.ends {
		r.ends[i] = &end{r: r, side: i, datagram: datagram}
	}
	go r.loop()
	return r
}

func (r *relay) loop() {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-r.done:
			return
		case <-t.C:
		}
		r.mu.Lock()
		if len(r.pending) > 0 && time.Since(r.last) >= r.quiet {
			for _, i := range r.pending {
				w := r.log[i]
				dst := r.ends[1-w.from]
				if dst.datagram {
					dst.packets = append(dst.packets, w.data)
				} else {
					dst.stream.Write(w.data)
				}
			}
			r.pending = nil
			r.cond.Broadcast()
		}
		r.mu.Unlock()
	}
}

// stop ends the relay; blocked reads return errors.
func (r *relay) stop() {
	r.mu.Lock()
	if !r.stopped {
		r.stopped = true
		close(r.done)
	}
	r.cond.Broadcast()
	r.mu.Unlock()
}

// writes returns the recorded writes.
func (r *relay) writes() []write {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]write(nil), r.log...)
}

// end is one side's connection: a net.Conn for TLS, a net.PacketConn for QUIC.
type end struct {
	r        *relay
	side     int
	datagram bool
	stream   bytes.Buffer
	packets  [][]byte
	closed   bool
	deadline time.Time
	timer    *time.Timer
}

var (
	addrs = [2]*net.UDPAddr{
		{IP: net.IPv4(10, 0, 0, 1), Port: 50000},
		{IP: net.IPv4(10, 0, 0, 2), Port: 443},
	}
	errClosed = net.ErrClosed
)

func (e *end) Write(p []byte) (int, error) {
	r := e.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.closed || r.stopped {
		return 0, errClosed
	}
	r.log = append(r.log, write{from: e.side, data: bytes.Clone(p)})
	r.pending = append(r.pending, len(r.log)-1)
	r.last = time.Now()
	return len(p), nil
}

func (e *end) WriteTo(p []byte, _ net.Addr) (int, error) { return e.Write(p) }

// wait blocks until ready reports true, the end closes or its deadline passes.
func (e *end) wait(ready func() bool) error {
	r := e.r
	for !ready() {
		if e.closed || r.stopped {
			return errClosed
		}
		if e.peerClosed() && !e.datagram {
			return io.EOF
		}
		if !e.deadline.IsZero() && !time.Now().Before(e.deadline) {
			return os.ErrDeadlineExceeded
		}
		r.cond.Wait()
	}
	return nil
}

func (e *end) peerClosed() bool { return e.r.ends[1-e.side].closed }

func (e *end) Read(p []byte) (int, error) {
	e.r.mu.Lock()
	defer e.r.mu.Unlock()
	if err := e.wait(func() bool { return e.stream.Len() > 0 }); err != nil {
		return 0, err
	}
	return e.stream.Read(p)
}

func (e *end) ReadFrom(p []byte) (int, net.Addr, error) {
	e.r.mu.Lock()
	defer e.r.mu.Unlock()
	if err := e.wait(func() bool { return len(e.packets) > 0 }); err != nil {
		return 0, nil, err
	}
	n := copy(p, e.packets[0])
	e.packets = e.packets[1:]
	return n, addrs[1-e.side], nil
}

func (e *end) Close() error {
	e.r.mu.Lock()
	e.closed = true
	e.r.cond.Broadcast()
	e.r.mu.Unlock()
	return nil
}

func (e *end) LocalAddr() net.Addr  { return addrs[e.side] }
func (e *end) RemoteAddr() net.Addr { return addrs[1-e.side] }

func (e *end) SetDeadline(t time.Time) error { return e.SetReadDeadline(t) }

func (e *end) SetReadDeadline(t time.Time) error {
	e.r.mu.Lock()
	defer e.r.mu.Unlock()
	e.deadline = t
	if e.timer != nil {
		e.timer.Stop()
	}
	if !t.IsZero() {
		e.timer = time.AfterFunc(time.Until(t), func() {
			e.r.mu.Lock()
			e.r.cond.Broadcast()
			e.r.mu.Unlock()
		})
	}
	e.r.cond.Broadcast()
	return nil
}

func (e *end) SetWriteDeadline(time.Time) error { return nil }
