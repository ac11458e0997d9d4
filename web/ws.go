package web

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
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
	return l
}

// ProtocolVersion is sent in the hello message. Version 2: the client is the clock (the
// server no longer paces steps), steps count from 0 on the wire, and lab actions send a
// patch instead of the whole layout.
const ProtocolVersion = 2

// clientMsg is every command a client can send.
type clientMsg struct {
	Type     string          `json:"type"`
	Scenario string          `json:"scenario"`
	Query    string          `json:"query"`
	Step     int             `json:"step"` // start: the first step the page shows, from 0
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
	ss := &session{s: s, lim: s.cfg.Limits}
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
	idle := time.NewTimer(ss.lim.IdleTimeout)
	defer idle.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-idle.C:
			ss.conn.Close(websocket.StatusNormalClosure, "idle")
			return
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
		}
	}
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
		ss.start(ctx, tr)
		// The client is the clock: it has the whole layout and plays from it; steps carry
		// only what the inspector shows (bytes, fields), sent unpaced, the first batch now
		// and more as the client asks for them.
		ss.sendSteps(ctx, min(max(m.Step+1, ss.lim.StepsPerBatch), len(ss.layout.Steps)))
		return nil
	case "play", "pause", "speed":
		// Accepted and ignored since protocol 2: the page is the clock.
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
		ss.lab, ss.labRTT = lab, v.Params.RTT
		ss.start(ctx, lab.Trace())
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
		// Only what changed goes out: a patch of the layout and the new steps.
		prev := ss.layout
		ss.tr = ss.lab.Trace()
		ss.layout = diagram.Build(ss.tr, diagram.Options{})
		patch := layoutPatch(prev, ss.layout)
		ss.send(ctx, map[string]any{"type": "patch", "patch": patch})
		ss.sent = min(ss.sent, patch.StepsFrom)
		ss.sendSteps(ctx, len(ss.layout.Steps))
		ss.send(ctx, map[string]any{"type": "lab-state", "client": ss.lab.ConnState("client").String(), "server": ss.lab.ConnState("server").String()})
	default:
		return fmt.Errorf("unknown command %q", m.Type)
	}
	return nil
}

// start lays a trace out and sends the layout.
func (ss *session) start(ctx context.Context, tr *engine.Trace) {
	ss.tr = tr
	ss.layout = diagram.Build(tr, diagram.Options{})
	ss.sent = 0
	ss.send(ctx, map[string]any{"type": "init", "layout": ss.layout})
}

// LayoutPatch is what changed between two layouts of a growing trace (a lab session):
// items and steps that changed or are new, the gaps and ticks from the first that
// differs, and the new height. The client applies it to its copy of the layout.
type LayoutPatch struct {
	Height float64 `json:"height"`
	// Items are the changed or new items with their index in the new layout's items.
	Items     []IndexedItem  `json:"items"`
	ItemCount int            `json:"item_count"`
	StepsFrom int            `json:"steps_from"`
	Steps     []diagram.Step `json:"steps"`
	GapsFrom  int            `json:"gaps_from"`
	Gaps      []diagram.Gap  `json:"gaps"`
	TicksFrom int            `json:"ticks_from"`
	Ticks     []diagram.Tick `json:"ticks"`
	Lanes     []diagram.Lane `json:"lanes,omitempty"` // only when they changed
}

// IndexedItem is one item of a patch.
type IndexedItem struct {
	Index int          `json:"index"`
	Item  diagram.Item `json:"item"`
}

func layoutPatch(prev, next *diagram.Layout) LayoutPatch {
	p := LayoutPatch{Height: next.Height, ItemCount: len(next.Items), Items: []IndexedItem{}}
	for i := range next.Items {
		if i >= len(prev.Items) || !reflect.DeepEqual(prev.Items[i], next.Items[i]) {
			p.Items = append(p.Items, IndexedItem{Index: i, Item: next.Items[i]})
		}
	}
	p.StepsFrom = firstDiff(prev.Steps, next.Steps)
	p.Steps = append([]diagram.Step{}, next.Steps[p.StepsFrom:]...)
	p.GapsFrom = firstDiff(prev.Gaps, next.Gaps)
	p.Gaps = append([]diagram.Gap{}, next.Gaps[p.GapsFrom:]...)
	p.TicksFrom = firstDiff(prev.Ticks, next.Ticks)
	p.Ticks = append([]diagram.Tick{}, next.Ticks[p.TicksFrom:]...)
	if !reflect.DeepEqual(prev.Lanes, next.Lanes) {
		p.Lanes = next.Lanes
	}
	return p
}

// firstDiff returns the first index where a and b differ (len(b) when b extends a).
func firstDiff[T any](a, b []T) int {
	i := 0
	for i < len(a) && i < len(b) && reflect.DeepEqual(a[i], b[i]) {
		i++
	}
	return i
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
