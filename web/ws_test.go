package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"synack/engine/diagram"
)

type wsClient struct {
	t    *testing.T
	c    *websocket.Conn
	ctx  context.Context
	stop context.CancelFunc
}

func dial(t *testing.T, srv *httptest.Server, origin string) (*wsClient, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	c, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws", &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		cancel()
		return nil, res, err
	}
	return &wsClient{t: t, c: c, ctx: ctx, stop: cancel}, res, nil
}

func (w *wsClient) send(v any) {
	w.t.Helper()
	b, _ := json.Marshal(v)
	if err := w.c.Write(w.ctx, websocket.MessageText, b); err != nil {
		w.t.Fatalf("write: %v", err)
	}
}

func (w *wsClient) sendRaw(s string) error { return w.c.Write(w.ctx, websocket.MessageText, []byte(s)) }

// next reads messages until one of the given type arrives.
func (w *wsClient) next(typ string) map[string]json.RawMessage {
	w.t.Helper()
	for {
		_, b, err := w.c.Read(w.ctx)
		if err != nil {
			w.t.Fatalf("waiting for %q: %v", typ, err)
		}
		var m map[string]json.RawMessage
		json.Unmarshal(b, &m)
		var got string
		json.Unmarshal(m["type"], &got)
		if got == typ {
			return m
		}
	}
}

// closeStatus reads until the server closes and returns its status code.
func (w *wsClient) closeStatus() websocket.StatusCode {
	for {
		if _, _, err := w.c.Read(w.ctx); err != nil {
			return websocket.CloseStatus(err)
		}
	}
}

func (w *wsClient) close() {
	w.c.Close(websocket.StatusNormalClosure, "")
	w.stop()
}

func newTestServer(t testing.TB, cfg Config) (*Server, *httptest.Server) {
	s := NewServer(cfg)
	ts := httptest.NewServer(s)
	t.Cleanup(func() { s.CloseSessions(); ts.Close() })
	return s, ts
}

func TestWSStreamsAScenario(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	w, _, err := dial(t, ts, "")
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	w.next("hello")
	w.send(map[string]any{"type": "start", "scenario": "three-way-handshake", "query": "rtt=80ms&seed=7", "step": -1})
	init := w.next("init")
	var layout struct {
		RTTus int64 `json:"rtt_us"`
		Seed  uint64
		Steps []struct {
			Kind string
		}
	}
	json.Unmarshal(init["layout"], &layout)
	if layout.RTTus != 80000 || layout.Seed != 7 || len(layout.Steps) == 0 {
		t.Fatalf("init layout rtt %d seed %d steps %d; want the URL's 80 ms and seed 7", layout.RTTus, layout.Seed, len(layout.Steps))
	}
	w.send(map[string]any{"type": "seek", "step": len(layout.Steps) - 1})
	got := 0
	segs := 0
	for got < len(layout.Steps) {
		m := w.next("steps")
		var steps []struct {
			Index  int
			Event  json.RawMessage
			Bytes  string
			Fields []struct{ Name string }
		}
		json.Unmarshal(m["steps"], &steps)
		for _, s := range steps {
			if s.Index != got {
				t.Fatalf("step %d arrived where %d was due", s.Index, got)
			}
			got++
			if strings.Contains(string(s.Event), `"t":"segment"`) {
				segs++
				if len(s.Bytes) < 80 || len(s.Fields) < 20 {
					t.Errorf("segment step %d lacks bytes or fields", s.Index)
				}
			}
		}
	}
	if segs != 3 {
		t.Fatalf("%d segment steps, want the handshake's 3", segs)
	}
}

// A page that brought the layout inline gets no second copy: the steps come at once.
func TestWSStartWithLayout(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	w, _, _ := dial(t, ts, "")
	defer w.close()
	w.next("hello")
	w.send(map[string]any{"type": "start", "scenario": "three-way-handshake", "query": "", "step": 0, "have_layout": true})
	_, b, err := w.c.Read(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), `{"type":"steps"`) {
		t.Fatalf("after a start with have_layout the server sent %.40s…, want steps", b)
	}
}

// The server does not pace: start sends the layout and the first steps at once, with no
// play command; the client's clock decides when each is shown.
func TestWSStartSendsStepsUnpaced(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	w, _, _ := dial(t, ts, "")
	defer w.close()
	w.send(map[string]any{"type": "start", "scenario": "syn-to-closed-port", "query": "", "step": 0})
	var layout struct{ Steps []json.RawMessage }
	json.Unmarshal(w.next("init")["layout"], &layout)
	var steps []struct{ Index int }
	json.Unmarshal(w.next("steps")["steps"], &steps)
	if len(steps) != 1 || steps[0].Index != 0 {
		t.Fatalf("start at step 0 first sent %d steps; want step 0 alone, the one the page shows", len(steps))
	}
	json.Unmarshal(w.next("steps")["steps"], &steps)
	if len(steps) != len(layout.Steps)-1 || steps[0].Index != 1 {
		t.Fatalf("then %d steps from %d; want the other %d of this short story, from 1", len(steps), steps[0].Index, len(layout.Steps)-1)
	}
}

// A page opened at a later step gets the steps up to it first, then the rest.
func TestWSStartSendsThePagesStepFirst(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	w, _, _ := dial(t, ts, "")
	defer w.close()
	w.send(map[string]any{"type": "start", "scenario": "three-way-handshake", "query": "", "step": 4, "have_layout": true})
	var steps []struct{ Index int }
	json.Unmarshal(w.next("steps")["steps"], &steps)
	if len(steps) != 5 || steps[0].Index != 0 || steps[4].Index != 4 {
		t.Fatalf("start at step 4 first sent %d steps; want steps 0 to 4", len(steps))
	}
	json.Unmarshal(w.next("steps")["steps"], &steps)
	if steps[0].Index != 5 {
		t.Fatalf("then steps from %d; want from 5", steps[0].Index)
	}
}

func TestWSErrorsAndAbuse(t *testing.T) {
	_, ts := newTestServer(t, Config{Limits: Limits{MaxErrors: 3}})
	w, _, _ := dial(t, ts, "")
	defer w.close()
	w.next("hello")
	w.sendRaw("{not json")
	m := w.next("error")
	if !strings.Contains(string(m["code"]), "bad-json") {
		t.Fatalf("error code %s, want bad-json", m["code"])
	}
	w.send(map[string]any{"type": "teleport"})
	m = w.next("error")
	if !strings.Contains(string(m["message"]), `unknown command \"teleport\"`) {
		t.Fatalf("error %s, want unknown command", m["message"])
	}
	w.send(map[string]any{"type": "start", "scenario": "nope"})
	if code := w.closeStatus(); code != websocket.StatusPolicyViolation {
		t.Fatalf("after MaxErrors invalid messages: close %d, want 1008", code)
	}
}

func TestWSRateLimit(t *testing.T) {
	_, ts := newTestServer(t, Config{Limits: Limits{Rate: 0.001, Burst: 2, MaxErrors: 100}})
	w, _, _ := dial(t, ts, "")
	defer w.close()
	w.next("hello")
	for i := 0; i < 3; i++ {
		w.send(map[string]any{"type": "pause"})
	}
	m := w.next("error")
	if !strings.Contains(string(m["code"]), "rate") {
		t.Fatalf("third message within the burst of 2: error %s, want rate", m["code"])
	}
}

func TestWSReadLimit(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	w, _, _ := dial(t, ts, "")
	defer w.close()
	w.next("hello")
	ok := `{"type":"pause","pad":"` + strings.Repeat("x", int(DefaultLimits.ReadLimit)-30) + `"}`
	if len(ok) > int(DefaultLimits.ReadLimit) {
		t.Fatal("test message too long")
	}
	w.sendRaw(ok)
	w.send(map[string]any{"type": "bogus"})
	w.next("error") // the message at the limit was read; the connection is alive
	w.sendRaw(`{"type":"pause","pad":"` + strings.Repeat("x", int(DefaultLimits.ReadLimit)) + `"}`)
	if code := w.closeStatus(); code != websocket.StatusMessageTooBig {
		t.Fatalf("message over the read limit: close %d, want 1009", code)
	}
}

func TestWSOriginChecked(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	_, res, err := dial(t, ts, "http://evil.example")
	if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin upgrade: err %v, status %v; want 403", err, res)
	}
	w, _, err := dial(t, ts, ts.URL)
	if err != nil {
		t.Fatalf("same-origin upgrade: %v", err)
	}
	w.close()
}

func TestWSSessionCap(t *testing.T) {
	s, ts := newTestServer(t, Config{MaxSessions: 1})
	w, _, err := dial(t, ts, "")
	if err != nil {
		t.Fatal(err)
	}
	w.next("hello")
	if s.Sessions() != 1 {
		t.Fatalf("%d sessions, want 1", s.Sessions())
	}
	_, res, err := dial(t, ts, "")
	if err == nil || res == nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("second session over the cap: err %v; want 503 before the upgrade", err)
	}
	w.close()
}

func TestWSIdleSessionsClose(t *testing.T) {
	_, ts := newTestServer(t, Config{Limits: Limits{IdleTimeout: 50 * time.Millisecond}})
	w, _, _ := dial(t, ts, "")
	defer w.close()
	w.next("hello")
	if code := w.closeStatus(); code != websocket.StatusNormalClosure {
		t.Fatalf("idle session: close %d, want 1000", code)
	}
}

func TestShutdownSendsGoingAway(t *testing.T) {
	s, ts := newTestServer(t, Config{})
	w, _, _ := dial(t, ts, "")
	defer w.close()
	w.next("hello")
	s.CloseSessions()
	if code := w.closeStatus(); code != websocket.StatusGoingAway {
		t.Fatalf("on shutdown: close %d, want 1001", code)
	}
	if _, res, err := dial(t, ts, ""); err == nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a new session during shutdown: err %v", err)
	}
}

// A client that asks for the whole syn-flood and never reads is cut once a write cannot
// finish within WriteTimeout; the session never builds a message over MaxOutBytes.
func TestSlowReaderIsCut(t *testing.T) {
	s := NewServer(Config{Limits: Limits{WriteTimeout: 100 * time.Millisecond}})
	// Small socket buffers on both ends, so that the kernel cannot take the whole flood
	// (6.5 MB) on the client's behalf.
	ts := httptest.NewUnstartedServer(s)
	ts.Listener = smallBufListener{ts.Listener}
	ts.Start()
	t.Cleanup(func() { s.CloseSessions(); ts.Close() })
	ended := make(chan *session, 1)
	s.sessionEnded = func(ss *session) { ended <- ss }
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetReadBuffer(4096)
		}
		return c, err
	}}}
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/ws", &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.Read(ctx) // hello
	// The flood drawn in full (not bundled) is big enough to fill the socket's buffers.
	c.Write(ctx, websocket.MessageText, []byte(`{"type":"start","scenario":"syn-flood","query":"expand=1","step":1048576}`))
	// Not reading from here on.
	select {
	case ss := <-ended:
		if !ss.slow {
			t.Fatal("the session ended, but not as a slow reader")
		}
		if ss.maxOut > DefaultLimits.MaxOutBytes {
			t.Fatalf("the session built a %d-byte message, over MaxOutBytes %d", ss.maxOut, DefaultLimits.MaxOutBytes)
		}
	case <-ctx.Done():
		t.Fatal("a client that never reads was not cut")
	}
}

// smallBufListener gives accepted connections a small send buffer.
type smallBufListener struct{ net.Listener }

func (l smallBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(16 << 10)
	}
	return c, err
}

// A reader that keeps up is never cut: the whole syn-flood (about 5 MB of steps) arrives
// in messages of at most MaxOutBytes, and the session is still there afterwards.
func TestFastReaderGetsEverything(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	w, _, _ := dial(t, ts, "")
	defer w.close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // 5 MB of steps, under the race detector too
	defer cancel()
	w.ctx = ctx
	w.c.SetReadLimit(-1)
	w.next("hello")
	// Expanded: every segment of the flood its own step, as before flood bundles.
	w.send(map[string]any{"type": "start", "scenario": "syn-flood", "query": "expand=1", "step": -1})
	var layout struct{ Steps []json.RawMessage }
	json.Unmarshal(w.next("init")["layout"], &layout)
	w.send(map[string]any{"type": "seek", "step": len(layout.Steps) - 1})
	got := 0
	for got < len(layout.Steps) {
		_, b, err := w.c.Read(w.ctx)
		if err != nil {
			t.Fatalf("after %d of %d steps: %v", got, len(layout.Steps), err)
		}
		if len(b) > DefaultLimits.MaxOutBytes {
			t.Fatalf("a %d-byte message, over MaxOutBytes %d", len(b), DefaultLimits.MaxOutBytes)
		}
		var m struct{ Steps []json.RawMessage }
		json.Unmarshal(b, &m)
		got += len(m.Steps)
	}
	w.send(map[string]any{"type": "teleport"})
	w.next("error") // still served
}

// A text message that is not UTF-8 closes the session with 1007 (RFC 6455 §8.1).
func TestWSInvalidUTF8(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	w, _, _ := dial(t, ts, "")
	defer w.close()
	w.next("hello")
	w.sendRaw("{\"type\":\"pause\",\"x\":\"\xff\xfe\"}")
	if code := w.closeStatus(); code != websocket.StatusInvalidFramePayloadData {
		t.Fatalf("invalid UTF-8: close %d, want 1007", code)
	}
}

// One address may hold MaxSessionsPerIP sessions; the next is refused with 503 while
// the server still has room.
func TestWSSessionCapPerIP(t *testing.T) {
	_, ts := newTestServer(t, Config{MaxSessions: 10, MaxSessionsPerIP: 2})
	var open []*wsClient
	for i := 0; i < 2; i++ {
		w, _, err := dial(t, ts, "")
		if err != nil {
			t.Fatalf("session %d of 2: %v", i+1, err)
		}
		w.next("hello")
		open = append(open, w)
	}
	_, res, err := dial(t, ts, "")
	if err == nil || res == nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("third session from one address: err %v; want 503", err)
	}
	open[0].close()
	open[0].closeStatus()
	// Once one closes, the address has room again (the server counts it down on exit).
	for i := 0; ; i++ {
		w, _, err := dial(t, ts, "")
		if err == nil {
			w.next("hello")
			w.close()
			break
		}
		if i == 1000 {
			t.Fatal("the closed session's place was never given back")
		}
		time.Sleep(time.Millisecond)
	}
	open[1].close()
}

// Origin is compared by scheme and host, and the Host must be one this server answers
// to: a DNS-rebinding page (Origin and Host both the attacker's name) is refused.
func TestWSOriginSchemeAndHost(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	host := strings.TrimPrefix(ts.URL, "http://")
	for _, tc := range []struct {
		name, host, origin string
		ok                 bool
	}{
		{"same origin", host, "http://" + host, true},
		{"no origin (not a browser)", host, "", true},
		{"localhost by name", "localhost:1", "http://localhost:1", true},
		{"other scheme", host, "ftp://" + host, false},
		{"other host", host, "http://evil.example", false},
		{"other port", host, "http://127.0.0.1:1", false},
		{"DNS rebinding", "evil.example:80", "http://evil.example:80", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			c, res, err := websocket.Dial(ctx, "ws://"+host+"/ws", &websocket.DialOptions{HTTPHeader: h, Host: tc.host})
			if tc.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				c.Close(websocket.StatusNormalClosure, "")
				return
			}
			if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
				t.Fatalf("err %v; want 403", err)
			}
		})
	}
	s := NewServer(Config{AllowedHosts: []string{"synack.example"}})
	if !s.hostAllowed("synack.example:443") || !s.hostAllowed("SYNACK.example") || s.hostAllowed("evil.example") || !s.hostAllowed("[::1]:8080") {
		t.Fatal("AllowedHosts: a listed name (any port, any case) and loopback pass, others do not")
	}
}

// Shutdown closes every session at once with one deadline: clients that never answer
// the close frame do not add up, and a client that reads gets 1001.
func TestShutdownWithSilentClients(t *testing.T) {
	s, ts := newTestServer(t, Config{})
	host := strings.TrimPrefix(ts.URL, "http://")
	var silent []net.Conn
	for i := 0; i < 20; i++ {
		// A raw upgrade that is never read from again.
		c, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", host)
		silent = append(silent, c)
	}
	w, _, _ := dial(t, ts, "")
	defer w.close()
	w.next("hello")
	for s.Sessions() < 21 {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	s.CloseSessions()
	if d := time.Since(start); d > CloseGrace+time.Second {
		t.Fatalf("closing 21 sessions took %s; the shared deadline is %s", d, CloseGrace)
	}
	if code := w.closeStatus(); code != websocket.StatusGoingAway {
		t.Fatalf("a reading client: close %d, want 1001", code)
	}
}

func TestWSLab(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	w, _, _ := dial(t, ts, "")
	defer w.close()
	w.send(map[string]any{"type": "lab-start", "query": "rtt=50ms"})
	w.next("init")
	w.send(map[string]any{"type": "lab", "action": map[string]any{"endpoint": "server", "op": "listen"}})
	w.next("lab-state")
	w.send(map[string]any{"type": "lab", "action": map[string]any{"endpoint": "client", "op": "connect"}})
	// An action sends a patch, not the whole layout: the new steps and items, and the few
	// earlier items that changed (open state bands grow).
	var p diagram.Patch
	if err := json.Unmarshal(w.next("patch")["patch"], &p); err != nil {
		t.Fatal(err)
	}
	if p.Full != nil || p.FromStep == 0 || len(p.NewSteps) == 0 || len(p.Items) == 0 {
		t.Fatalf("connect patch: full %v, steps from %d (%d new), %d items", p.Full != nil, p.FromStep, len(p.NewSteps), len(p.Items))
	}
	var steps []struct{ Index int }
	json.Unmarshal(w.next("steps")["steps"], &steps)
	if steps[0].Index != p.FromStep {
		t.Fatalf("after the patch, steps are sent from %d; want the patch's first new step %d", steps[0].Index, p.FromStep)
	}
	m := w.next("lab-state")
	if string(m["client"]) != `"ESTABLISHED"` || string(m["server"]) != `"ESTABLISHED"` {
		t.Fatalf("after connect: client %s server %s", m["client"], m["server"])
	}
	w.send(map[string]any{"type": "lab", "action": map[string]any{"endpoint": "client", "op": "send", "bytes": 1 << 30}})
	e := w.next("lab-error")
	if !strings.Contains(string(e["message"]), "out of range") {
		t.Fatalf("oversized send: %s", e["message"])
	}
}

var _ = errors.New

// A session whose every step is sent holds no run: its trace, layout and encodings go
// when no other session shares them. Seek still checks the step against the run's length.
func TestWSSessionLetsGoOfASentRun(t *testing.T) {
	s, ts := newTestServer(t, Config{})
	ended := make(chan *session, 1)
	s.sessionEnded = func(ss *session) { ended <- ss }
	w, _, _ := dial(t, ts, "")
	w.send(map[string]any{"type": "start", "scenario": "three-way-handshake", "query": "seed=11", "step": -1, "have_layout": true})
	var steps []struct{ Index int }
	json.Unmarshal(w.next("steps")["steps"], &steps)
	n := len(steps)
	w.send(map[string]any{"type": "seek", "step": n - 1}) // already sent: nothing to do
	w.send(map[string]any{"type": "seek", "step": n})
	e := w.next("error")
	if want := fmt.Sprintf("step %d is outside 0 to %d", n, n-1); !strings.Contains(string(e["message"]), want) {
		t.Fatalf("seek past the end: %s, want %q", e["message"], want)
	}
	w.close()
	if ss := <-ended; ss.run != nil || ss.nsteps != n || ss.sent != n {
		t.Fatalf("after every step was sent the session holds run %v, nsteps %d, sent %d; want no run, %d, %d", ss.run != nil, ss.nsteps, ss.sent, n, n)
	}
}

// A session that has not sent every step keeps its run, to send the rest on seek.
func TestWSSessionKeepsAnUnsentRun(t *testing.T) {
	s, ts := newTestServer(t, Config{Limits: Limits{StepsPerBatch: 5}})
	ended := make(chan *session, 1)
	s.sessionEnded = func(ss *session) { ended <- ss }
	w, _, _ := dial(t, ts, "")
	w.send(map[string]any{"type": "start", "scenario": "three-way-handshake", "query": "", "step": 0, "have_layout": true})
	w.next("steps")
	w.close()
	if ss := <-ended; ss.run == nil || ss.sent != 5 || ss.nsteps <= 5 {
		t.Fatalf("with %d of %d steps sent the session holds run %v; want it kept", ss.sent, ss.nsteps, ss.run != nil)
	}
}

// Behind trusted proxies a session is counted under the client the proxies name; a
// client's own X-Forwarded-For is believed only as far as trusted hops vouch for it.
func TestClientIPBehindTrustedProxies(t *testing.T) {
	s := NewServer(Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32")}})
	for _, c := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"no proxy in front", "198.51.100.7:5000", []string{"203.0.113.9"}, "198.51.100.7"},
		{"one trusted proxy", "10.0.0.2:5000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"a forged hop left of the real one", "10.0.0.2:5000", []string{"192.0.2.66, 203.0.113.9"}, "203.0.113.9"},
		{"two trusted proxies, two headers", "127.0.0.1:5000", []string{"203.0.113.9, 10.1.2.3", "10.0.0.4"}, "203.0.113.9"},
		{"every hop trusted", "10.0.0.2:5000", []string{"10.9.9.9"}, "10.9.9.9"},
		{"trusted proxy, no header", "10.0.0.2:5000", nil, "10.0.0.2"},
		{"nonsense nearest hop", "10.0.0.2:5000", []string{"203.0.113.9, not-an-address"}, "10.0.0.2"},
		{"nonsense behind a real hop", "10.0.0.2:5000", []string{"junk, 10.0.0.3, 203.0.113.9"}, "203.0.113.9"},
		{"IPv6 client", "10.0.0.2:5000", []string{"2001:db8::1"}, "2001:db8::1"},
	} {
		r := httptest.NewRequest("GET", "/ws", nil)
		r.RemoteAddr = c.peer
		for _, h := range c.xff {
			r.Header.Add("X-Forwarded-For", h)
		}
		if got := s.clientIP(r); got != c.want {
			t.Errorf("%s: counted under %s, want %s", c.name, got, c.want)
		}
	}
}

// A lecture hall behind one trusted proxy: each student's address has its own cap.
func TestWSSessionCapPerClientBehindProxy(t *testing.T) {
	_, ts := newTestServer(t, Config{MaxSessions: 10, MaxSessionsPerIP: 1, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	dialAs := func(client string) (*wsClient, *http.Response, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		h := http.Header{"X-Forwarded-For": {client}}
		c, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/ws", &websocket.DialOptions{HTTPHeader: h})
		if err != nil {
			cancel()
			return nil, res, err
		}
		return &wsClient{t: t, c: c, ctx: ctx, stop: cancel}, res, nil
	}
	a, _, err := dialAs("203.0.113.1")
	if err != nil {
		t.Fatal(err)
	}
	a.next("hello")
	b, _, err := dialAs("203.0.113.2")
	if err != nil {
		t.Fatalf("a second student behind the same proxy: %v", err)
	}
	b.next("hello")
	if _, res, err := dialAs("203.0.113.1"); err == nil || res == nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("the first student's second session: err %v; want 503", err)
	}
	a.close()
	b.close()
}
