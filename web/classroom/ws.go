package classroom

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/coder/websocket"
)

// hello is the first message on a room's socket: who is speaking.
type hello struct {
	Type    string `json:"type"` // "hello"
	Role    string `json:"role"` // "teacher" or "student"
	Key     string `json:"key,omitempty"`
	Student string `json:"student,omitempty"` // the id a phone was given before, if any
	Nick    string `json:"nick,omitempty"`
}

// clientMsg is any later message: a teacher's Command, or a student's answer.
type clientMsg struct {
	Type     string `json:"type"`
	Step     int    `json:"step"`
	Question int    `json:"question"`
	Round    int    `json:"round"`
	Choice   string `json:"choice"`
	Nick     string `json:"nick"`
}

// Welcome answers a hello: the student's id (kept by the phone so a reconnect is the
// same student) and the answer it gave to the open question, if any.
type Welcome struct {
	Type    string `json:"type"` // "welcome"
	Role    string `json:"role"`
	Code    string `json:"code"`
	Student string `json:"student,omitempty"`
	Mine    string `json:"mine,omitempty"`
}

// ErrorMsg tells a socket what went wrong; Code is stable (the page words it).
type ErrorMsg struct {
	Type    string `json:"type"` // "error"
	Code    string `json:"code"`
	Message string `json:"message"`
}

// errCode is the stable name of an error, for the page to word it.
func errCode(err error) string {
	switch {
	case errors.Is(err, ErrNoRoom):
		return "no-room"
	case errors.Is(err, ErrExpired):
		return "expired"
	case errors.Is(err, ErrRoomFull):
		return "full"
	case errors.Is(err, ErrNotTeacher):
		return "not-teacher"
	case errors.Is(err, ErrAnswered):
		return "answered"
	case errors.Is(err, ErrNotVoting):
		return "not-voting"
	case errors.Is(err, ErrBadChoice):
		return "bad-choice"
	case errors.Is(err, ErrTooManyRounds):
		return "rounds"
	case errors.Is(err, errRate):
		return "rate"
	}
	return "bad-request"
}

var errRate = errors.New("too many messages: slow down")

// bucket is a token bucket: MessageRate per second, MessageBurst at once.
type bucket struct {
	tokens float64
	last   time.Time
}

func (b *bucket) allow(now time.Time) bool {
	if b.last.IsZero() {
		b.tokens = MessageBurst
	} else {
		b.tokens = min(MessageBurst, b.tokens+now.Sub(b.last).Seconds()*MessageRate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// ServeWS runs a room's socket on the request's goroutine. The caller has checked the
// request's Host and Origin.
func (h *Hub) ServeWS(w http.ResponseWriter, r *http.Request, code string) {
	if _, _, err := h.Get(r.Context(), code); err != nil {
		status := http.StatusNotFound
		if !errors.Is(err, ErrNoRoom) && !errors.Is(err, ErrExpired) {
			status = http.StatusServiceUnavailable
		}
		http.Error(w, err.Error(), status)
		return
	}
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	ws.SetReadLimit(MaxMessageBytes)
	// The socket outlives this handler: the hello is handled here, then the socket is
	// read by a goroutine of its own that starts small and stays small (the deep calls
	// into NATS run on goroutines that end), so an idle phone costs one small stack.
	// It ends with the hub.
	ctx, cancel := context.WithCancel(h.ctx)
	c := &conn{ws: ws, w: ws, fan: h.fan, ctx: ctx, cancel: cancel}
	h.sessions.Add(1)
	end := func() {
		cancel()
		ws.CloseNow()
		h.sessions.Done()
	}
	l, hi, ok := h.hello(ctx, c, code)
	if !ok {
		end()
		return
	}
	go func() {
		defer end()
		defer h.detach(l, c)
		h.serve(ctx, c, code, hi)
	}()
}

// hello reads the first message, admits the teacher or the student, attaches the
// socket to its room and sends it the room as it is now.
func (h *Hub) hello(ctx context.Context, c *conn, code string) (*local, hello, bool) {
	ws := c.ws
	hctx, hcancel := context.WithTimeout(ctx, 30*time.Second)
	var hi hello
	_, b, err := ws.Read(hctx)
	hcancel()
	if err != nil || json.Unmarshal(b, &hi) != nil || hi.Type != "hello" {
		ws.Close(websocket.StatusPolicyViolation, "the first message must be a hello")
		return nil, hi, false
	}
	var room *Room
	switch hi.Role {
	case "teacher":
		room, _, err = h.Get(ctx, code)
		if err == nil && !room.IsTeacher(hi.Key) {
			err = ErrNotTeacher
		}
		c.teacher = true
	case "student":
		hi.Student, room, err = h.Join(ctx, code, hi.Student, hi.Nick)
	default:
		err = ErrBadRequest
	}
	if err != nil {
		b, _ := json.Marshal(ErrorMsg{Type: "error", Code: errCode(err), Message: err.Error()})
		wctx, wcancel := context.WithTimeout(ctx, WriteTimeout)
		ws.Write(wctx, websocket.MessageText, b)
		wcancel()
		ws.Close(websocket.StatusPolicyViolation, errCode(err))
		return nil, hi, false
	}
	l, err := h.attach(code, c)
	if err != nil {
		ws.Close(websocket.StatusInternalError, "the room's channel is not reachable")
		return nil, hi, false
	}
	// The room's state as it is now, so a phone that slept or reconnected to another
	// replica catches up at once; later changes come through the room's subject.
	welcome := Welcome{Type: "welcome", Role: hi.Role, Code: code, Student: hi.Student}
	if !c.teacher {
		if mi := h.Mine(ctx, room, hi.Student); mi >= 0 && mi < len(room.Questions[room.Question].Choices) {
			welcome.Mine = room.Questions[room.Question].Choices[mi]
		}
	}
	c.reply(welcome)
	// Read again now that the room is watched: nothing changed between the first read
	// and the watch goes unseen.
	if r2, rev, err := h.Get(ctx, code); err == nil {
		room = r2
		l.mu.Lock()
		if rev > l.rev {
			l.mu.Unlock()
			l.setState(room, rev)
			l.mu.Lock()
		}
		c.push(slotState, l.state)
		l.mu.Unlock()
	}
	if c.teacher {
		h.loadTally(ctx, l, room)
		c.push(slotStudents, []byte(`{"type":"students","students":`+strconv.Itoa(h.Students(ctx, code))+`}`))
	}
	return l, hi, true
}

func (c *conn) reply(m any) {
	b, _ := json.Marshal(m)
	c.push(slotReply, b)
}

func (c *conn) fail(err error) {
	c.reply(ErrorMsg{Type: "error", Code: errCode(err), Message: err.Error()})
}

// offStack runs f on a goroutine of its own and waits for it: the stack that f grows
// (JSON, the key-value store, NATS) goes away with that goroutine instead of staying
// with the socket's.
func offStack(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

// serve reads a socket's messages until it closes.
func (h *Hub) serve(ctx context.Context, c *conn, code string, hi hello) {
	var lim bucket
	for {
		_, b, err := c.ws.Read(ctx)
		if err != nil {
			return
		}
		if !lim.allow(time.Now()) {
			c.fail(errRate)
			continue
		}
		offStack(func() { h.handle(ctx, c, code, hi, b) })
	}
}

// handle carries out one message of a socket.
func (h *Hub) handle(ctx context.Context, c *conn, code string, hi hello, b []byte) {
	var m clientMsg
	if json.Unmarshal(b, &m) != nil {
		c.fail(ErrBadRequest)
		return
	}
	if c.teacher {
		if _, err := h.Command(ctx, code, hi.Key, Command{Type: m.Type, Step: m.Step, Question: m.Question}); err != nil {
			c.fail(err)
		}
		return
	}
	var err error
	switch m.Type {
	case "nick":
		err = h.SetNick(ctx, code, hi.Student, m.Nick)
	case "answer":
		if err = h.Answer(ctx, code, hi.Student, m.Question, m.Round, m.Choice); err == nil {
			c.reply(map[string]any{"type": "answered", "question": m.Question, "round": m.Round, "choice": m.Choice})
		}
	default:
		err = ErrBadRequest
	}
	if err != nil {
		c.fail(err)
	}
}
