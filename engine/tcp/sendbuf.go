package tcp

// The send buffer limit as Linux accounts it (tcp_sendmsg_locked, sk_stream_memory_free,
// sk_stream_write_space, tcp_poll). A write is copied into buffers of size_goal bytes
// (tcp_xmit_size_goal: half the largest window the peer has shown, at most 64 KB of
// segmentation offload, whole segments); before each new buffer the socket must have
// room: the data it holds, sent or not, plus each buffer's overhead below sk_sndbuf, and
// its unsent bytes below TCP_NOTSENT_LOWAT. A full buffer is pushed at once, as far as
// the windows allow (tcp_push_one, forced_push). A write that finds no room returns
// what it copied (EAGAIN if nothing) or, blocking, waits until acknowledgements make the
// socket writable again: free space at least half of what it holds
// (sk_stream_wspace >= sk_stream_min_wspace) and, with TCP_NOTSENT_LOWAT, unsent bytes
// under half the mark (tcp_stream_memory_free with wake).
//
// The limit is modelled where a script asks for it (SO_SNDBUF, TCP_NOTSENT_LOWAT, the
// tcp_wmem or tcp_notsent_lowat sysctl); without, the engine keeps no limit short of
// MaxUnsentBytes, as Linux's send buffer grows with the window (tcp_sndbuf_expand, not
// modelled).

// SkbOverhead is what each buffer of queued data costs beyond its bytes in sk_wmem_queued
// (its struct sk_buff and headers: skb->truesize less the data). The gtests scripts
// bound it between 0 and 2000 bytes (blocking-write, notsent-lowat-default).
const SkbOverhead = 1024

// NotsentLowatOff is TCP_NOTSENT_LOWAT's "no mark" (net.ipv4.tcp_notsent_lowat's default,
// UINT_MAX).
const NotsentLowatOff = 1<<32 - 1

// sendBudget is what a socket's limit allows: sk_sndbuf and the notsent mark.
type sendBudget struct {
	sndbuf int
	lowat  int64
}

// limited reports whether a send limit applies to the socket, and which.
func (s *Sockets) sendLimitOf(f *socket) (sendBudget, bool) {
	b := sendBudget{sndbuf: f.sndBuf, lowat: NotsentLowatOff}
	if b.sndbuf == 0 {
		b.sndbuf = s.WmemDefault
	}
	switch {
	case f.notsentLowat > 0:
		b.lowat = int64(f.notsentLowat)
	case s.NotsentLowat > 0:
		b.lowat = s.NotsentLowat
	}
	if b.sndbuf == 0 {
		b.sndbuf = MaxUnsentBytes
	}
	return b, f.sndBuf != 0 || s.WmemDefault != 0 || b.lowat < NotsentLowatOff
}

// sizeGoalBytes is tcp_xmit_size_goal: half the largest window the peer showed, at most
// 64 KB, in whole segments of at least one.
func (c *Conn) sizeGoalBytes() int {
	mss := int(max(c.mss, 1))
	goal := 65536 - 1 - 320 // sk_gso_max_size less MAX_TCP_HEADER
	if cut := int(c.halfWindow()); cut > 0 {
		goal = min(goal, cut)
	}
	return max(goal/mss, 1) * mss
}

// writeRoom is how many of n bytes a write copies now, as tcp_sendmsg_locked's loop
// would, pushing each full buffer as far as the windows allow.
func (c *Conn) writeRoom(n int, b sendBudget) int {
	goal := c.sizeGoalBytes()
	inflight := int(c.sndNxt.Sub(c.sndUna))
	unsent := len(c.sendBuf) - int(c.sndNxt.Sub(c.sendStart))
	room := max(int(min(c.cwnd, c.sndWnd))-inflight, 0)
	unacked := len(c.sendBuf)
	skbs := (unacked + goal - 1) / goal
	tail := 0 // bytes in the last unsent buffer
	if unsent > 0 {
		tail = (unsent-1)%goal + 1
	}
	copied := 0
	for copied < n {
		if tail == 0 || tail >= goal {
			// A new buffer: sk_stream_memory_free.
			if unacked+skbs*SkbOverhead >= b.sndbuf || int64(unsent) >= b.lowat {
				break
			}
			tail = 0
			skbs++
		}
		cp := min(goal-tail, n-copied)
		copied += cp
		tail += cp
		unsent += cp
		unacked += cp
		if tail >= goal && copied < n {
			// A full buffer goes at once (tcp_push_one, or a forced push): what the
			// windows allow; the rest stays as the buffer being filled.
			sent := min(unsent, room)
			room -= sent
			unsent -= sent
			tail = min(tail, unsent)
		}
	}
	return copied
}

// writable is sk_stream_is_writeable with wake: free space at least half the queued
// memory, and unsent bytes (doubled) under the notsent mark.
func (c *Conn) writable(b sendBudget) bool {
	goal := c.sizeGoalBytes()
	queued := len(c.sendBuf) + (len(c.sendBuf)+goal-1)/goal*SkbOverhead
	unsent := int64(len(c.sendBuf) - int(c.sndNxt.Sub(c.sendStart)))
	return b.sndbuf-queued >= queued/2 && queued < b.sndbuf && unsent<<1 < b.lowat
}

// limitedSend is a write under the send limit: it copies what there is room for and
// returns, or (blocking) waits for room for the rest.
func (s *Sockets) limitedSend(id, fd int, f *socket, call *Call, data []byte, b sendBudget) (Result, bool, error) {
	n := f.c.writeRoom(len(data), b)
	if n < len(data) {
		f.c.setNoSpace(b)
	}
	if n > 0 {
		// A write that stops for room pushes what it copied (tcp_push without MSG_MORE
		// in wait_for_space), so PSH marks its end either way.
		if _, err := f.c.SendMore(data[:n], call.Flags&MsgMore != 0 && n == len(data)); err != nil {
			return Result{Ret: -1, Errno: errnoName(err)}, true, nil
		}
	}
	if n == len(data) {
		if call.Flags&MsgEOR != 0 {
			f.c.markEOR()
		}
		return Result{Ret: int64(n)}, true, nil
	}
	f.nospace = true
	if f.nonblock || call.Flags&MsgDontWait != 0 {
		if n == 0 {
			return Result{Ret: -1, Errno: "EAGAIN"}, true, nil
		}
		return Result{Ret: int64(n)}, true, nil
	}
	s.waits = append(s.waits, &wait{id: id, fd: fd, kind: "write", call: call, n: n, rest: data[n:]})
	return Result{}, false, nil
}

// resumeWrite goes on with a blocked write once the socket is writable; it reports
// whether the write is done.
func (s *Sockets) resumeWrite(w *wait, f *socket) (Result, bool) {
	if f.c == nil || f.c.Err != nil || f.c.deleted {
		if w.n > 0 {
			return Result{Ret: int64(w.n)}, true
		}
		return Result{Ret: -1, Errno: "EPIPE"}, true
	}
	b, _ := s.sendLimitOf(f)
	if !f.c.writable(b) {
		return Result{}, false
	}
	f.c.spaceWakeups++
	n := f.c.writeRoom(len(w.rest), b)
	if n < len(w.rest) {
		f.c.setNoSpace(b) // it waits again
	}
	if n > 0 {
		if _, err := f.c.SendMore(w.rest[:n], w.call.Flags&MsgMore != 0 && n == len(w.rest)); err != nil {
			return Result{Ret: int64(w.n)}, true
		}
	}
	w.n += n
	w.rest = w.rest[n:]
	if len(w.rest) == 0 && w.call.Flags&MsgEOR != 0 {
		f.c.markEOR()
	}
	return Result{Ret: int64(w.n)}, len(w.rest) == 0
}

// pollOut reports whether tcp_poll would say the socket is writable.
func (s *Sockets) pollOut(f *socket) bool {
	b, limited := s.sendLimitOf(f)
	if !limited || f.c == nil {
		return true
	}
	ok := f.c.writable(b)
	if ok && f.nospace {
		f.nospace = false
		f.c.spaceWakeups++ // sk_stream_write_space woke the socket
	}
	return ok
}
