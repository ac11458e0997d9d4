package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"synack/engine"
	"synack/engine/catalog"
	"synack/engine/diagram"
	"synack/engine/wire"
)

// Limits bound one WebSocket session. See PROTOCOL.md.
type Limits struct {
	ReadLimit     int64         // largest client message, bytes
	Rate          float64       // client messages per second, sustained
	Burst         int           // client messages allowed at once
	MaxErrors     int           // invalid messages before the session is closed with 1008
	MaxOutBytes   int           // bytes of one outbound message a session builds (steps are batched to fit)
	WriteTimeout  time.Duration // one write to the client; a client slower than this is cut
	IdleTimeout   time.Duration // no client message
	StepsPerBatch int           // steps in one "steps" message
}

// Default session limits.
var DefaultLimits = Limits{
	ReadLimit:     4096,
	Rate:          20,
	Burst:         40,
	MaxErrors:     10,
	MaxOutBytes:   256 << 10,
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
	if l.MaxOutBytes == 0 {
		l.MaxOutBytes = d.MaxOutBytes
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

// ProtocolVersion is sent in the hello message. Version 2: the page is the clock (the
// server paces nothing), and a lab action sends a diagram.Patch instead of the whole layout.
const ProtocolVersion = 2

// clientMsg is every command a client can send.
type clientMsg struct {
	Type     string `json:"type"`
	Scenario string `json:"scenario"`
	Query    string `json:"query"`
	Step     int    `json:"step"`
	// HaveLayout says the page brought this run's layout inline: no init is sent.
	HaveLayout bool            `json:"have_layout"` // start: the URL's step (-1: none)
	Action     json.RawMessage `json:"action"`
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
	ip     string
	cancel context.CancelFunc

	// run is what is streamed, shared with every session of the same story and
	// parameters. It is let go once every step is sent (a lab keeps it: its layout is
	// what the next patch is computed from), so a session whose run is no longer shared
	// holds no trace, layout or encoding it will not send again.
	run      *run
	started  bool // a run was started: seek and step are valid
	nsteps   int  // steps in the run
	sent     int  // steps sent
	lab      *engine.Lab
	labRTT   time.Duration
	labOpt   diagram.Options // how the lab's diagram is laid out (width=narrow on a phone)
	labLang  string          // the lab page's language, for its errors
	errors   int
	slow     bool // the client did not take a message within WriteTimeout
	maxOut   int  // the largest message this session built itself (shared layouts not counted)
	tokens   float64
	lastTick time.Time
}

// refusal says why a session was refused before the upgrade, as the catalogue key of
// its text ("" when it was not).
type refusal string

func (s *Server) register(ss *session) refusal {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closing:
		return "ws.refuse.closing"
	case len(s.sessions) >= s.cfg.MaxSessions:
		return "ws.refuse.full"
	case s.perIP[ss.ip] >= s.cfg.MaxSessionsPerIP:
		return "ws.refuse.address"
	}
	s.sessions[ss] = struct{}{}
	s.perIP[ss.ip]++
	return ""
}

func (s *Server) unregister(ss *session) {
	s.mu.Lock()
	delete(s.sessions, ss)
	if s.perIP[ss.ip]--; s.perIP[ss.ip] <= 0 {
		delete(s.perIP, ss.ip)
	}
	ended := s.sessionEnded
	s.mu.Unlock()
	if ended != nil {
		ended(ss)
	}
}

// Sessions returns the number of open WebSocket sessions.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// CloseGrace is how long shutdown waits, in all, for clients to answer the going-away
// close frame; then the remaining connections are dropped.
const CloseGrace = 3 * time.Second

// CloseSessions closes every WebSocket session with a going-away close frame and
// refuses new ones. The sessions are closed at once, with one shared deadline
// (CloseGrace), so shutdown takes no longer with many silent clients than with one.
func (s *Server) CloseSessions() {
	s.mu.Lock()
	s.closing = true
	var all []*session
	for ss := range s.sessions {
		if ss.conn != nil { // not yet upgraded: attach will close it
			all = append(all, ss)
		}
	}
	s.mu.Unlock()
	if len(all) == 0 {
		return
	}
	var wg sync.WaitGroup
	for _, ss := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ss.conn.Close(websocket.StatusGoingAway, "server shutting down")
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(CloseGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		for _, ss := range all {
			ss.cancel() // a client that has not answered by now is dropped
		}
		<-done
	}
}

// attach gives a registered session its connection, or reports false when the server
// began shutting down in between.
func (s *Server) attach(ss *session, c *websocket.Conn, cancel context.CancelFunc) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	ss.conn, ss.cancel = c, cancel
	return true
}

// clientIP is the address a session is counted under for MaxSessionsPerIP: the peer's,
// or, when the peer is a trusted proxy, the address the proxies put in X-Forwarded-For,
// read from the right (the nearest hop) past every trusted proxy. What a client wrote
// itself lies left of that and is never believed.
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !s.trusted(peer) {
		return host
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a proxy wrote nonsense: the last hop we could read is the client
		}
		client = a.Unmap()
		if !s.trusted(client) {
			break
		}
	}
	return client.String()
}

func (s *Server) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// hostAllowed reports whether the request's Host names this server: a loopback name by
// default, or one of Config.AllowedHosts. A DNS-rebinding page reaches the server under
// its own name, so it is refused here even though its Origin matches its Host.
func (s *Server) hostAllowed(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	for _, a := range s.cfg.AllowedHosts {
		if a == "*" || strings.EqualFold(a, host) {
			return true
		}
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// originAllowed compares the Origin's scheme and host with the request's: a page of
// this site, served over the same scheme (an https page may reach a plain-http listener
// behind a TLS proxy, never the other way), may open a session. No Origin: not a browser.
func originAllowed(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		return r.TLS == nil
	}
	return false
}

// upgradeAllowed refuses, with 403, a socket asked for under a host name this server
// does not answer to (DNS rebinding) or from a page of another site; the player's and
// the classroom's sockets both pass through it.
func (s *Server) upgradeAllowed(w http.ResponseWriter, r *http.Request) bool {
	if !s.hostAllowed(r.Host) {
		httpError(w, r, http.StatusForbidden, "ws.refuse.host", r.Host)
		return false
	}
	if !originAllowed(r) {
		httpError(w, r, http.StatusForbidden, "ws.refuse.origin")
		return false
	}
	return true
}

func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) {
	if !s.upgradeAllowed(w, r) {
		return
	}
	ss := &session{s: s, lim: s.cfg.Limits, ip: s.clientIP(r)}
	if why := s.register(ss); why != "" {
		httpError(w, r, http.StatusServiceUnavailable, string(why))
		return
	}
	defer s.unregister(ss)
	// The server's own read/write deadlines must not cut a long-lived socket.
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})
	// Origin and Host were checked above, by scheme and host.
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	c.SetReadLimit(ss.lim.ReadLimit)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	if !s.attach(ss, c, cancel) {
		c.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	ss.serve(ctx)
	cancel()
	c.CloseNow() // a slow reader is cut without waiting for it to read a close frame
}

// send writes m to the client now: the session's goroutine is its writer, so nothing
// waits in a queue. A client that does not take a message within WriteTimeout is too
// slow and is cut.
func (ss *session) send(ctx context.Context, m any) bool {
	b, err := json.Marshal(m)
	if err != nil {
		return false
	}
	return ss.write(ctx, b)
}

// joinBytes is the largest message write joins into one buffer; a larger one (a
// flood's layout) is streamed from its parts, which may be shared with other sessions.
const joinBytes = 64 << 10

// write sends one message made of parts.
func (ss *session) write(ctx context.Context, parts ...[]byte) bool {
	if ss.slow || ctx.Err() != nil {
		return false
	}
	wctx, cancel := context.WithTimeout(ctx, ss.lim.WriteTimeout)
	defer cancel()
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	var err error
	if len(parts) == 1 || n <= joinBytes {
		// One frame, one system call: a small message is cheaper joined than streamed.
		b := parts[0]
		if len(parts) > 1 {
			b = make([]byte, 0, n)
			for _, p := range parts {
				b = append(b, p...)
			}
		}
		err = ss.conn.Write(wctx, websocket.MessageText, b)
	} else if w, werr := ss.conn.Writer(wctx, websocket.MessageText); werr != nil {
		err = werr
	} else {
		for _, p := range parts {
			if _, err = w.Write(p); err != nil {
				break
			}
		}
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		if errors.Is(wctx.Err(), context.DeadlineExceeded) {
			ss.slow = true // the write timed out: the connection is already closed
		}
		ss.cancel()
		return false
	}
	return true
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

// serve runs the session on one goroutine, the request's: it reads a command, handles
// it and writes the replies itself, so a command reaches its handler with no hop to
// another goroutine. While it writes it does not read; a write that takes longer than
// WriteTimeout cuts the client, so a ping or close frame waits at most that long. The
// idle timer closes the session from a goroutine of its own that exists only when it
// fires; Close is safe beside a Read or Write.
func (ss *session) serve(ctx context.Context) {
	defer ss.cancel()
	idle := time.AfterFunc(ss.lim.IdleTimeout, func() {
		ss.conn.Close(websocket.StatusNormalClosure, "idle")
	})
	defer idle.Stop()
	ss.write(ctx, helloMsg)
	for {
		typ, b, err := ss.conn.Read(ctx)
		if err != nil {
			return
		}
		if typ == websocket.MessageText && !utf8.Valid(b) {
			// RFC 6455 §8.1: a text message that is not UTF-8 fails the connection, 1007.
			ss.conn.Close(websocket.StatusInvalidFramePayloadData, "text message is not valid UTF-8")
			return
		}
		if !idle.Reset(ss.lim.IdleTimeout) {
			return // the idle close is under way
		}
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

// helloMsg is the first message of every session.
var helloMsg = fmt.Appendf(nil, `{"protocol":%d,"type":"hello"}`, ProtocolVersion)

// handle carries out one command of the page's.
func (ss *session) handle(ctx context.Context, m clientMsg) error {
	switch m.Type {
	case "start":
		return ss.start(ctx, m)
	case "play", "pause", "speed":
		// Accepted and ignored since protocol 2: the page is the clock.
	case "seek", "step":
		if !ss.started {
			return errors.New("nothing to seek: send start first")
		}
		if m.Step < 0 || m.Step >= ss.nsteps {
			return fmt.Errorf("step %d is outside 0 to %d", m.Step, ss.nsteps-1)
		}
		ss.sendSteps(ctx, m.Step+1)
	case "lab-start":
		q, _ := url.ParseQuery(m.Query)
		v := ParseView(q, "en", EngineBounds())
		lab, err := engine.NewLab(v.Params)
		if err != nil {
			return err
		}
		ss.lab, ss.labRTT, ss.labOpt, ss.labLang = lab, v.Params.RTT, DiagramOptions(q), normLang(q.Get("lang"))
		ss.labOpt.Growing = true // later actions must not move what is drawn
		ss.startRun(ctx, newRun(lab.Trace(), ss.labOpt))
		ss.sendLabPlots(ctx, ss.run)
	case "lab":
		return ss.labAction(ctx, m)
	default:
		return fmt.Errorf("unknown command %q", m.Type)
	}
	return nil
}

// start begins a story's run: its layout (unless the page has it) and its first steps.
func (ss *session) start(ctx context.Context, m clientMsg) error {
	if isImportScenario(m.Scenario) {
		return ss.startImport(ctx, m) // an imported connection (importplayer.go)
	}
	st, ok := ss.s.lookup(m.Scenario)
	if !ok {
		return fmt.Errorf("unknown lesson or scenario %q", m.Scenario)
	}
	q, err := url.ParseQuery(m.Query)
	if err != nil {
		return fmt.Errorf("bad query: %v", err)
	}
	_, r, err := ss.s.runView(m.Scenario, st, q, normLang(q.Get("lang")))
	if err != nil {
		return err
	}
	ss.begin(ctx, r, m)
	return nil
}

// begin makes r the session's run and sends its first steps, for a story's run and an
// imported connection's alike.
func (ss *session) begin(ctx context.Context, r *run, m clientMsg) {
	if m.HaveLayout {
		ss.setRun(r)
	} else {
		ss.startRun(ctx, r)
	}
	// The page is the clock: it has the whole layout and plays from it; steps carry
	// what the inspector shows (bytes, fields), sent unpaced: the steps up to the
	// page's first step and at least one batch now, more as the page asks. The steps
	// up to the page's own go first, in a message of their own, so what the page
	// shows now does not wait behind the rest of the batch, which follows at once.
	upTo := min(max(m.Step+1, ss.lim.StepsPerBatch), ss.nsteps)
	if first := min(m.Step+1, upTo); first > 0 && first < upTo {
		ss.sendSteps(ctx, first)
	}
	ss.sendSteps(ctx, upTo)
}

// labAction applies one of the lab's actions and sends what changed: a patch of the
// layout, the new steps and both ends' states; an action the lab refuses is answered
// with lab-error, in the page's language.
func (ss *session) labAction(ctx context.Context, m clientMsg) error {
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
		ss.send(ctx, map[string]string{"type": "lab-error", "message": catalog.Message(ss.labLang, err)})
		return nil
	}
	// Only what changed goes out: a patch of the layout, then the new steps.
	prev, sent := ss.run.layout, ss.sent
	r := newRun(ss.lab.Trace(), ss.labOpt)
	ss.setRun(r)
	p := diagram.Diff(prev, r.layout)
	if p.Full != nil {
		ss.startRun(ctx, r)
	} else {
		ss.send(ctx, map[string]any{"type": "patch", "patch": p})
		ss.sent = min(sent, p.FromStep)
	}
	ss.sendSteps(ctx, ss.nsteps)
	ss.sendLabPlots(ctx, r)
	ss.send(ctx, map[string]any{"type": "lab-state", "client": ss.lab.ConnState("client").String(), "server": ss.lab.ConnState("server").String()})
	return nil
}

// sendLabPlots sends the lab run's figures (the time-sequence graph and the cwnd plot)
// once it carries data, laid out at the diagram's width so they follow its cursor, with
// each figure's title, description and table in the page's language; a run without
// data sends none, and the page hides the figures.
func (ss *session) sendLabPlots(ctx context.Context, r *run) {
	tsg, cwnd := r.plots()
	if tsg.Sender == "" {
		ss.send(ctx, map[string]any{"type": "plots"})
		return
	}
	lang := ss.labLang
	figs := plotFigures("", url.Values{}, tsg, cwnd, lang, func(k string) string { return T(lang, k) }, func(string) string { return "" })
	ss.send(ctx, map[string]any{"type": "plots", "plots": map[string]*diagram.Plot{"tsg": tsg, "cwnd": cwnd}, "figures": figs})
}

// startRun sends a run's layout; no step has been sent yet.
func (ss *session) startRun(ctx context.Context, r *run) {
	ss.setRun(r)
	// The layout is written from the run's own encoding, shared by every session of it.
	ss.write(ctx, []byte(`{"type":"init","layout":`), r.layoutJSON, []byte(`}`))
}

// setRun makes r the session's run; no step of it has been sent yet.
func (ss *session) setRun(r *run) {
	ss.run, ss.started, ss.nsteps, ss.sent = r, true, len(r.layout.Steps), 0
}

// sendSteps sends steps up to (not including) upTo, in batches. Once every step is
// sent, a session that is not a lab lets its run go: later commands need only the
// number of steps.
func (ss *session) sendSteps(ctx context.Context, upTo int) {
	if upTo > ss.sent {
		ss.sendRange(ctx, ss.sent, upTo)
		ss.sent = upTo
	}
	if ss.sent >= ss.nsteps && ss.lab == nil {
		ss.run = nil
	}
}

// stepsBufSize is the capacity a pooled "steps" buffer starts with: a short lesson's
// whole batch (three-way-handshake's is 12 KB) fits without growing.
const stepsBufSize = 16 << 10

// growSteps makes room for n more bytes in a "steps" buffer. A buffer that must grow
// grows at once to the largest message a session builds (limit, Limits.MaxOutBytes), so
// a long story's buffer grows once, fits every later batch and goes back to the pool;
// only a single step larger than that makes it larger still.
func growSteps(buf []byte, n, limit int) []byte {
	if len(buf)+n <= cap(buf) {
		return buf
	}
	nb := make([]byte, len(buf), max(limit, len(buf)+n))
	copy(nb, buf)
	return nb
}

// sendRange sends steps [from, upTo) in "steps" messages of at most StepsPerBatch steps
// and MaxOutBytes bytes, each written before the next is built.
func (ss *session) sendRange(ctx context.Context, from, upTo int) {
	const head, tail = `{"type":"steps","steps":[`, `]}`
	// The message is built in a pooled buffer: a session holds none between commands,
	// and a command allocates none once the pool is warm.
	bp := ss.s.stepsBufs.Get().(*[]byte)
	buf := (*bp)[:0]
	defer func() {
		// Every buffer goes back but one a single oversized step made larger than a
		// whole message may be: that one is left to the garbage collector.
		if *bp = buf; cap(buf) <= ss.lim.MaxOutBytes {
			ss.s.stepsBufs.Put(bp)
		}
	}()
	for from < upTo {
		buf = append(buf[:0], head...)
		n := 0
		for ; from < upTo && n < ss.lim.StepsPerBatch; from++ {
			b := ss.run.stepJSON(from)
			if n > 0 && len(buf)+1+len(b)+len(tail) > ss.lim.MaxOutBytes {
				break
			}
			buf = growSteps(buf, 1+len(b)+len(tail), ss.lim.MaxOutBytes)
			if n > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, b...)
			n++
		}
		buf = append(buf, tail...)
		ss.maxOut = max(ss.maxOut, len(buf))
		if !ss.write(ctx, buf) {
			return
		}
	}
}
