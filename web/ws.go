package web

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/coder/websocket"

	"synack/engine"
	"synack/engine/diagram"
	"synack/engine/wire"
)

// Limits bound one WebSocket session. See PROTOCOL.md.
type Limits struct {
	ReadLimit      int64         // largest client message, bytes
	Rate           float64       // client messages per second, sustained
	Burst          int           // client messages allowed at once
	MaxErrors      int           // invalid messages before the session is closed with 1008
	OutQueue       int           // server messages waiting for a slow reader before it is closed
	WriteTimeout   time.Duration // one write to the client
	IdleTimeout    time.Duration // no client message and nothing playing
	StepsPerBatch  int           // steps in one "steps" message
	MinStepDelay   time.Duration // pacing: every step gets at least this (at 1×)
	MaxStepGap     time.Duration // pacing: virtual gaps longer than this are shortened to it
	MaxLabSessions int           // not used per session; kept for symmetry
}

// Default session limits.
var DefaultLimits = Limits{
	ReadLimit:     4096,
	Rate:          20,
	Burst:         40,
	MaxErrors:     10,
	OutQueue:      32,
	WriteTimeout:  5 * time.Second,
	IdleTimeout:   10 * time.Minute,
	StepsPerBatch: 200,
	MinStepDelay:  250 * time.Millisecond,
	MaxStepGap:    time.Second,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.ReadLimit == 0 {
		l.ReadLimit = d.ReadLimit
	}
	if l.Rate == 0 {
		l.Rate = d.Rate
	}
	if l.Burst == 0 {
		l.Burst = d.Burst
	}
	if l.MaxErrors == 0 {
		l.MaxErrors = d.MaxErrors
	}
	if l.OutQueue == 0 {
		l.OutQueue = d.OutQueue
	}
	if l.WriteTimeout == 0 {
		l.WriteTimeout = d.WriteTimeout
	}
	if l.IdleTimeout == 0 {
		l.IdleTimeout = d.IdleTimeout
	}
	if l.StepsPerBatch == 0 {
		l.StepsPerBatch = d.StepsPerBatch
	}
	if l.MinStepDelay == 0 {
		l.MinStepDelay = d.MinStepDelay
	}
	if l.MaxStepGap == 0 {
		l.MaxStepGap = d.MaxStepGap
	}
	return l
}

// ProtocolVersion is sent in the hello message.
const ProtocolVersion = 1

// clientMsg is every command a client can send.
type clientMsg struct {
	Type     string          `json:"type"`
	Scenario string          `json:"scenario"`
	Query    string          `json:"query"`
	Speed    float64         `json:"speed"`
	Step     int             `json:"step"` // start: the URL's step (-1: none)
	Action   json.RawMessage `json:"action"`
}

// labAction is a lab command as the client writes it (delay as text: "1s", "rtt").
type labAction struct {
	Endpoint string `json:"endpoint"`
	Op       string `json:"op"`
	Bytes    int    `json:"bytes"`
	Dir      string `json:"dir"`
	Delay    string `json:"delay"`
}

// stepMsg is one step as streamed.
type stepMsg struct {
	Index  int             `json:"index"`
	Event  json.RawMessage `json:"event"`
	Bytes  string          `json:"bytes,omitempty"`
	Fields []wire.Field    `json:"fields,omitempty"`
}

type session struct {
	s      *Server
	conn   *websocket.Conn
	lim    Limits
	out    chan any
	cancel context.CancelFunc

	tr       *engine.Trace
	layout   *diagram.Layout
	sent     int // steps sent
	playing  bool
	speed    float64
	lab      *engine.Lab
	labRTT   time.Duration
	errors   int
	slow     bool
	tokens   float64
	lastTick time.Time
}

func (s *Server) register(ss *session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing || len(s.sessions) >= s.cfg.MaxSessions {
		return false
	}
	s.sessions[ss] = struct{}{}
	return true
}

func (s *Server) unregister(ss *session) {
	s.mu.Lock()
	delete(s.sessions, ss)
	s.mu.Unlock()
}

// Sessions returns the number of open WebSocket sessions.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// CloseSessions closes every WebSocket session with a going-away close frame and
// refuses new ones.
func (s *Server) CloseSessions() {
	s.mu.Lock()
	s.closing = true
	var all []*session
	for ss := range s.sessions {
		all = append(all, ss)
	}
	s.mu.Unlock()
	for _, ss := range all {
		ss.conn.Close(websocket.StatusGoingAway, "server shutting down")
	}
}

func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) {
	ss := &session{s: s, lim: s.cfg.Limits, speed: 1}
	if !s.register(ss) {
		http.Error(w, "too many sessions, try again later", http.StatusServiceUnavailable)
		return
	}
	defer s.unregister(ss)
	// The server's own read/write deadlines must not cut a long-lived socket.
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})
	// Origin is checked by Accept: only pages of this host may open a session.
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	ss.conn = c
	c.SetReadLimit(ss.lim.ReadLimit)
	ctx, cancel := context.WithCancel(r.Context())
	ss.cancel = cancel
	defer cancel()
	ss.out = make(chan any, ss.lim.OutQueue)
	in := make(chan []byte)
	done := make(chan struct{}, 2)
	go ss.reader(ctx, in, done)
	go ss.writer(ctx, done)
	ss.loop(ctx, in)
	cancel()
	<-done
	<-done
	c.CloseNow() // a slow reader is cut without waiting for it to read a close frame
}

func (ss *session) reader(ctx context.Context, in chan<- []byte, done chan<- struct{}) {
	defer func() { done <- struct{}{} }()
	defer ss.cancel()
	for {
		_, b, err := ss.conn.Read(ctx)
		if err != nil {
			return
		}
		select {
		case in <- b:
		case <-ctx.Done():
			return
		}
	}
}

func (ss *session) writer(ctx context.Context, done chan<- struct{}) {
	defer func() { done <- struct{}{} }()
	defer ss.cancel()
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-ss.out:
			if cl, ok := m.(closeMsg); ok {
				ss.conn.Close(cl.code, cl.reason)
				return
			}
			b, _ := json.Marshal(m)
			wctx, cancel := context.WithTimeout(ctx, ss.lim.WriteTimeout)
			err := ss.conn.Write(wctx, websocket.MessageText, b)
			cancel()
			if err != nil {
				return
			}
		}
	}
}

type closeMsg struct {
	code   websocket.StatusCode
	reason string
}

// send queues a message; a reader too slow to keep the queue below its bound is closed.
func (ss *session) send(ctx context.Context, m any) bool {
	select {
	case ss.out <- m:
		return true
	default:
		ss.slow = true
		ss.cancel()
		return false
	}
}

func (ss *session) fail(ctx context.Context, code, msg string) {
	ss.errors++
	ss.send(ctx, map[string]string{"type": "error", "code": code, "message": msg})
	if ss.errors >= ss.lim.MaxErrors {
		ss.conn.Close(websocket.StatusPolicyViolation, "too many invalid messages")
		ss.cancel()
	}
}

// allow is a token bucket: Rate per second, Burst at once.
func (ss *session) allow(now time.Time) bool {
	if ss.lastTick.IsZero() {
		ss.tokens = float64(ss.lim.Burst)
	} else {
		ss.tokens = min(float64(ss.lim.Burst), ss.tokens+now.Sub(ss.lastTick).Seconds()*ss.lim.Rate)
	}
	ss.lastTick = now
	if ss.tokens < 1 {
		return false
	}
	ss.tokens--
	return true
}

func (ss *session) loop(ctx context.Context, in <-chan []byte) {
	ss.send(ctx, map[string]any{"type": "hello", "protocol": ProtocolVersion})
	var pace *time.Timer
	paceC := func() <-chan time.Time {
		if pace == nil {
			return nil
		}
		return pace.C
	}
	idle := time.NewTimer(ss.lim.IdleTimeout)
	defer idle.Stop()
	schedule := func() {
		if pace != nil {
			pace.Stop()
			pace = nil
		}
		if ss.playing && ss.layout != nil && ss.sent < len(ss.layout.Steps) {
			pace = time.NewTimer(ss.delay())
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-idle.C:
			if ss.playing {
				idle.Reset(ss.lim.IdleTimeout)
				continue
			}
			ss.conn.Close(websocket.StatusNormalClosure, "idle")
			return
		case <-paceC():
			pace = nil
			ss.sendSteps(ctx, ss.sent+1)
			if ss.sent >= len(ss.layout.Steps) {
				ss.playing = false
				ss.send(ctx, map[string]any{"type": "end"})
			}
			schedule()
		case b := <-in:
			idle.Reset(ss.lim.IdleTimeout)
			if !ss.allow(time.Now()) {
				ss.fail(ctx, "rate", "too many messages: slow down")
				continue
			}
			var m clientMsg
			if err := json.Unmarshal(b, &m); err != nil {
				ss.fail(ctx, "bad-json", "message is not valid JSON: "+err.Error())
				continue
			}
			if err := ss.handle(ctx, m); err != nil {
				ss.fail(ctx, "bad-command", err.Error())
				continue
			}
			schedule()
		}
	}
}

// delay is the pacing rule: (MinStepDelay + min(virtual gap, MaxStepGap)) / speed.
func (ss *session) delay() time.Duration {
	i := ss.sent
	gap := time.Duration(0)
	if i > 0 && i < len(ss.layout.Steps) {
		gap = time.Duration(ss.layout.Steps[i].AtUs-ss.layout.Steps[i-1].AtUs) * time.Microsecond
	}
	d := ss.lim.MinStepDelay + min(gap, ss.lim.MaxStepGap)
	return time.Duration(float64(d) / ss.speed)
}

func (ss *session) handle(ctx context.Context, m clientMsg) error {
	switch m.Type {
	case "start":
		st, ok := ss.s.lookup(m.Scenario)
		if !ok {
			return fmt.Errorf("unknown lesson or scenario %q", m.Scenario)
		}
		q, err := url.ParseQuery(m.Query)
		if err != nil {
			return fmt.Errorf("bad query: %v", err)
		}
		v := ParseView(q, normLang(q.Get("lang")))
		fitLesson(st.lesson, &v)
		tr, err := st.run(v.Params)
		if err != nil {
			return err
		}
		ss.start(ctx, tr, 0)
		ss.speed = v.Speed
		if m.Step >= 0 {
			ss.sendSteps(ctx, min(m.Step+1, len(ss.layout.Steps)))
		}
		return nil
	case "play":
		if ss.layout == nil {
			return errors.New("nothing to play: send start first")
		}
		ss.playing = ss.sent < len(ss.layout.Steps)
	case "pause":
		ss.playing = false
	case "speed":
		if m.Speed < MinSpeed || m.Speed > MaxSpeed {
			return fmt.Errorf("speed %g is outside %g to %g", m.Speed, MinSpeed, MaxSpeed)
		}
		ss.speed = m.Speed
	case "seek", "step":
		if ss.layout == nil {
			return errors.New("nothing to seek: send start first")
		}
		if m.Step < 0 || m.Step >= len(ss.layout.Steps) {
			return fmt.Errorf("step %d is outside 0 to %d", m.Step, len(ss.layout.Steps)-1)
		}
		ss.sendSteps(ctx, m.Step+1)
	case "lab-start":
		q, _ := url.ParseQuery(m.Query)
		v := ParseView(q, "en")
		lab, err := engine.NewLab(v.Params)
		if err != nil {
			return err
		}
		ss.lab, ss.labRTT, ss.playing = lab, v.Params.RTT, false
		ss.start(ctx, lab.Trace(), 0)
	case "lab":
		if ss.lab == nil {
			return errors.New("no lab: send lab-start first")
		}
		var a labAction
		if err := json.Unmarshal(m.Action, &a); err != nil {
			return fmt.Errorf("bad lab action: %v", err)
		}
		act := engine.LabAction{Endpoint: a.Endpoint, Op: a.Op, Bytes: a.Bytes, Dir: a.Dir}
		if a.Op == "send" && a.Bytes == 0 {
			act.Bytes = 100
		}
		switch a.Delay {
		case "":
		case "rtt":
			act.Delay = ss.labRTT
		default:
			d, err := time.ParseDuration(a.Delay)
			if err != nil {
				return fmt.Errorf("bad delay %q", a.Delay)
			}
			act.Delay = d
		}
		if _, err := ss.lab.Do(act); err != nil {
			ss.send(ctx, map[string]string{"type": "lab-error", "message": err.Error()})
			return nil
		}
		from := ss.sent
		ss.start(ctx, ss.lab.Trace(), from)
		ss.send(ctx, map[string]any{"type": "lab-state", "client": ss.lab.ConnState("client").String(), "server": ss.lab.ConnState("server").String()})
		ss.playing = true
	default:
		return fmt.Errorf("unknown command %q", m.Type)
	}
	return nil
}

// start lays a trace out and sends it; steps before from count as already sent.
func (ss *session) start(ctx context.Context, tr *engine.Trace, from int) {
	ss.tr = tr
	ss.layout = diagram.Build(tr, diagram.Options{})
	ss.sent = min(from, len(ss.layout.Steps))
	ss.playing = false
	ss.send(ctx, map[string]any{"type": "init", "layout": ss.layout, "from": ss.sent})
	if from > 0 {
		ss.sendRange(ctx, 0, ss.sent)
	}
}

// sendSteps sends steps up to (not including) upTo, in batches.
func (ss *session) sendSteps(ctx context.Context, upTo int) {
	if upTo <= ss.sent {
		return
	}
	ss.sendRange(ctx, ss.sent, upTo)
	ss.sent = upTo
}

func (ss *session) sendRange(ctx context.Context, from, upTo int) {
	for from < upTo {
		end := min(upTo, from+ss.lim.StepsPerBatch)
		batch := make([]stepMsg, 0, end-from)
		for i := from; i < end; i++ {
			batch = append(batch, ss.step(i))
		}
		if !ss.send(ctx, map[string]any{"type": "steps", "steps": batch}) {
			return
		}
		from = end
	}
}

func (ss *session) step(i int) stepMsg {
	st := ss.layout.Steps[i]
	e := &ss.tr.Events[st.Event]
	m := stepMsg{Index: i, Event: e.AppendJSON(nil)}
	if e.Kind == engine.EventSegment {
		b := wire.Encode(e.Segment.Seg)
		m.Bytes = hex.EncodeToString(b)
		m.Fields, _ = wire.Fields(b)
	}
	return m
}
