package classroom

import (
	"context"
	"runtime"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// socket is what a room's messages are written to: a coder/websocket connection (a
// test gives a fake one).
type socket interface {
	Write(ctx context.Context, typ websocket.MessageType, p []byte) error
	CloseNow() error
}

// Slots of a socket's outbox: a newer message of a kind replaces one not yet written.
const (
	slotState = iota
	slotTally
	slotStudents
	slotReply // replies to this socket's own messages
	nSlots
)

// conn is one socket of a room, as the writers see it. A room's change is encoded
// once and the same bytes are put in each of its sockets' outboxes; a fixed pool of
// writers (fanout) writes them out. Students need only the newest state, so a state
// that was not yet written is replaced by a newer one and a slow phone never makes a
// queue; replies to the socket's own messages queue, at most MaxPendingReplies.
type conn struct {
	ws      *websocket.Conn // read by the socket's own goroutine
	w       socket          // written by the fan-out's writers (ws itself, but for tests)
	fan     *fanout
	teacher bool
	cancel  context.CancelFunc
	ctx     context.Context

	mu      sync.Mutex
	out     [nSlots][]byte
	replies [][]byte
	queued  bool // on the writers' queue, or being written
	dead    bool // cut: nothing more is written
}

// push puts b in the socket's outbox and, if the socket was idle, hands it to the
// writers.
func (c *conn) push(slot int, b []byte) {
	if c.put(slot, b) {
		c.fan.schedule(c)
	}
}

// put puts b in the outbox and says whether the socket must be handed to the writers.
// A socket with MaxPendingReplies replies not yet written is cut: it does not read.
func (c *conn) put(slot int, b []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return false
	}
	if slot == slotReply {
		if len(c.replies) >= MaxPendingReplies {
			c.killLocked()
			return false
		}
		c.replies = append(c.replies, b)
	} else {
		c.out[slot] = b
	}
	if c.queued {
		return false
	}
	c.queued = true
	return true
}

// pushAll puts the same bytes in the outbox of every socket in cs and hands the idle
// ones to the writers at once: a room's fan-out, with one encoding and one wake-up of
// the writers however many sockets the room has here.
func pushAll[K comparable](fan *fanout, cs map[*conn]K, keep func(*conn) bool, slot int, b []byte) {
	var idle []*conn
	for c := range cs {
		if (keep == nil || keep(c)) && c.put(slot, b) {
			idle = append(idle, c)
		}
	}
	fan.schedule(idle...)
}

// next takes the next message to write: replies first, in order, then the slots.
func (c *conn) next() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return nil
	}
	if len(c.replies) > 0 {
		b := c.replies[0]
		c.replies[0] = nil
		c.replies = c.replies[1:]
		return b
	}
	for i := range c.out {
		if c.out[i] != nil {
			b := c.out[i]
			c.out[i] = nil
			return b
		}
	}
	return nil
}

// idle takes the socket off the writers' hands unless something new waits: then it
// says so, and the socket goes back on the queue.
func (c *conn) idle() (more bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dead && len(c.replies) > 0 {
		return true
	}
	for _, b := range c.out {
		if !c.dead && b != nil {
			return true
		}
	}
	c.queued = false
	return false
}

// kill cuts the socket: it is too slow, or gone. Its reader then ends it.
func (c *conn) kill() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.killLocked()
}

func (c *conn) killLocked() {
	if c.dead {
		return
	}
	c.dead = true
	c.out, c.replies = [nSlots][]byte{}, nil
	c.cancel()
	// Closing the connection ends a write that is stuck and the reader's Read.
	c.w.CloseNow()
}

// fanout is a replica's pool of FanoutWriters goroutines writing the rooms' messages to
// their sockets, in the order the sockets became ready, and a watchdog that cuts a
// socket whose write has not finished in WriteTimeout. A fixed pool keeps a room's
// change of state from making one goroutine (and one timer) per socket, which on a
// busy machine would queue everything else this replica does, the next change
// included, behind them.
type fanout struct {
	timeout time.Duration

	mu     sync.Mutex
	wake   *sync.Cond
	queue  []*conn // sockets with something to write, each once
	closed bool

	writing [FanoutWriters]writing
	stop    chan struct{}
	done    sync.WaitGroup
}

// writing is what one writer is writing, since when: the watchdog reads it.
type writing struct {
	mu    sync.Mutex
	c     *conn
	since time.Time
}

func newFanout(timeout time.Duration) *fanout {
	f := &fanout{timeout: timeout, stop: make(chan struct{})}
	f.wake = sync.NewCond(&f.mu)
	f.done.Add(FanoutWriters + 1)
	for i := range FanoutWriters {
		go f.write(&f.writing[i])
	}
	go f.watch()
	return f
}

// close stops the writers and the watchdog; a writer stuck in a write ends when its
// socket is closed. Closing again does nothing.
func (f *fanout) close() {
	f.mu.Lock()
	was := f.closed
	f.closed = true
	f.queue = nil
	f.wake.Broadcast()
	f.mu.Unlock()
	if !was {
		close(f.stop)
	}
	f.done.Wait()
}

// schedule puts sockets on the writers' queue.
func (f *fanout) schedule(cs ...*conn) {
	if len(cs) == 0 {
		return
	}
	f.mu.Lock()
	if !f.closed {
		f.queue = append(f.queue, cs...)
	}
	f.mu.Unlock()
	if len(cs) == 1 {
		f.wake.Signal()
	} else {
		f.wake.Broadcast()
	}
}

// writesPerTurn is how many messages a writer writes to one socket before it goes to
// the next one waiting: a socket never holds a writer for long.
const writesPerTurn = nSlots + 2

// write is one writer: it takes the next socket from the queue and writes what waits
// for it.
func (f *fanout) write(w *writing) {
	defer f.done.Done()
	for {
		f.mu.Lock()
		for len(f.queue) == 0 && !f.closed {
			f.wake.Wait()
		}
		if f.closed {
			f.mu.Unlock()
			return
		}
		c := f.queue[0]
		f.queue[0] = nil
		f.queue = f.queue[1:]
		if len(f.queue) == 0 {
			f.queue = f.queue[:0:0] // let the backing array go
		}
		f.mu.Unlock()
		for range writesPerTurn {
			b := c.next()
			if b == nil {
				break
			}
			w.mu.Lock()
			w.c, w.since = c, time.Now()
			w.mu.Unlock()
			// No deadline on the write itself (a context with one costs a timer a
			// write): the watchdog cuts a write that takes longer than timeout.
			err := c.w.Write(context.Background(), websocket.MessageText, b)
			w.mu.Lock()
			w.c = nil
			w.mu.Unlock()
			if err != nil {
				c.kill()
				break
			}
		}
		if c.idle() {
			f.schedule(c)
		}
		// A write to a socket seldom blocks, so a writer with a long queue would keep
		// its thread until the scheduler preempts it (10 ms), and every other goroutine
		// of the replica (a teacher's command, the NATS connection's reader, the
		// key-value store's reply) would wait behind the writers at each step of its
		// way. Between two sockets the writer lets them run.
		runtime.Gosched()
	}
}

// watch cuts the sockets whose write has taken longer than the timeout, checking a
// few times a timeout.
func (f *fanout) watch() {
	defer f.done.Done()
	t := time.NewTicker(f.timeout / 4)
	defer t.Stop()
	for {
		select {
		case <-f.stop:
			return
		case now := <-t.C:
			for i := range f.writing {
				w := &f.writing[i]
				w.mu.Lock()
				c := w.c
				late := c != nil && now.Sub(w.since) > f.timeout
				w.mu.Unlock()
				if late {
					c.kill()
				}
			}
		}
	}
}
