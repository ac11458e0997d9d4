package classroom

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// fakeSocket records what is written to it; a stuck one blocks every write until it
// is closed, as a write to a peer that stopped reading does once the buffers are full.
type fakeSocket struct {
	stuck  bool
	mu     sync.Mutex
	got    [][]byte
	wrote  chan struct{} // a message was written
	closed chan struct{}
	once   sync.Once
}

func newFakeSocket(stuck bool) *fakeSocket {
	return &fakeSocket{stuck: stuck, wrote: make(chan struct{}, 64), closed: make(chan struct{})}
}

func (s *fakeSocket) Write(ctx context.Context, _ websocket.MessageType, p []byte) error {
	if s.stuck {
		select {
		case <-s.closed:
			return net.ErrClosed
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	select {
	case <-s.closed:
		return net.ErrClosed
	default:
	}
	s.mu.Lock()
	s.got = append(s.got, p)
	s.mu.Unlock()
	s.wrote <- struct{}{}
	return nil
}

func (s *fakeSocket) CloseNow() error {
	s.once.Do(func() { close(s.closed) })
	return nil
}

func (s *fakeSocket) messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, b := range s.got {
		out = append(out, string(b))
	}
	return out
}

func fakeConn(f *fanout, s *fakeSocket) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	return &conn{w: s, fan: f, ctx: ctx, cancel: cancel}
}

// waitFor waits for ch, failing the test after a generous bound.
func waitFor(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s after 10 s", what)
	}
}

// A room's state reaches every socket that reads, while sockets that do not read
// each hold one writer until WriteTimeout, are then cut, and hold nothing after.
func TestFanoutCutsStuckSocketsAndServesTheOthers(t *testing.T) {
	f := newFanout(100 * time.Millisecond)
	defer f.close()
	room := map[*conn]struct{}{}
	var good, stuck []*fakeSocket
	var stuckConns []*conn
	// As many stuck sockets as writers but one: the last writer serves the room.
	for range FanoutWriters - 1 {
		s := newFakeSocket(true)
		c := fakeConn(f, s)
		stuck, stuckConns = append(stuck, s), append(stuckConns, c)
		room[c] = struct{}{}
	}
	for range 200 {
		s := newFakeSocket(false)
		good = append(good, s)
		room[fakeConn(f, s)] = struct{}{}
	}
	pushAll(f, room, nil, slotState, []byte("state 1"))
	for i, s := range good {
		waitFor(t, fmt.Sprintf("state 1 on socket %d", i), s.wrote)
	}
	for i, s := range stuck {
		waitFor(t, fmt.Sprintf("the cut of stuck socket %d", i), s.closed)
		if ctx := stuckConns[i].ctx; ctx.Err() == nil {
			t.Fatalf("stuck socket %d was closed but its reader was not told", i)
		}
	}
	pushAll(f, room, nil, slotState, []byte("state 2"))
	for i, s := range good {
		waitFor(t, fmt.Sprintf("state 2 on socket %d", i), s.wrote)
		if got := s.messages(); len(got) != 2 || got[0] != "state 1" || got[1] != "state 2" {
			t.Fatalf("socket %d got %q, want both states in order", i, got)
		}
	}
	for i, c := range stuckConns {
		if c.put(slotState, []byte("state 3")) {
			t.Fatalf("a cut socket %d was handed to the writers again", i)
		}
	}
}

// Replies wait in order, MaxPendingReplies at most: one more cuts the socket. A newer
// state replaces one not yet written.
func TestOutboxLimits(t *testing.T) {
	f := newFanout(WriteTimeout)
	defer f.close()
	s := newFakeSocket(false)
	c := fakeConn(f, s)
	c.queued = true // as if a writer had it: nothing is written meanwhile
	c.put(slotState, []byte("state 1"))
	c.put(slotState, []byte("state 2"))
	for i := range MaxPendingReplies {
		c.put(slotReply, fmt.Appendf(nil, "reply %d", i+1))
		if c.dead {
			t.Fatalf("cut at reply %d of %d", i+1, MaxPendingReplies)
		}
	}
	var want []string
	for i := range MaxPendingReplies {
		want = append(want, fmt.Sprintf("reply %d", i+1))
	}
	want = append(want, "state 2")
	var got []string
	for b := c.next(); b != nil; b = c.next() {
		got = append(got, string(b))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("outbox gives %q, want %q", got, want)
	}
	for i := range MaxPendingReplies {
		c.put(slotReply, fmt.Appendf(nil, "reply %d", i+1))
	}
	c.put(slotReply, []byte("one too many"))
	select {
	case <-s.closed:
	default:
		t.Fatalf("reply %d did not cut the socket", MaxPendingReplies+1)
	}
	if c.ctx.Err() == nil || c.next() != nil {
		t.Fatal("a cut socket still has a reader or an outbox")
	}
}
