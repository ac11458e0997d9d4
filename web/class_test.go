package web

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats-server/v2/server"

	"synack/engine/catalog"
	"synack/web/classroom"
)

// startNATS runs a real nats-server with JetStream on a loopback port and returns
// its URL: the external server that replicas share.
func startNATS(t testing.TB) string {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	return ns.ClientURL()
}

// replica is one synack server connected to the classroom's NATS.
type replica struct {
	hub *classroom.Hub
	ts  *httptest.Server
}

func startReplica(t testing.TB, cfg classroom.Config) *replica {
	t.Helper()
	hub, err := classroom.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(Config{Classroom: hub})
	r := &replica{hub: hub, ts: httptest.NewServer(s)}
	t.Cleanup(r.stop)
	return r
}

func (r *replica) stop() {
	r.ts.CloseClientConnections()
	r.ts.Close()
	r.hub.Close()
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// newRoom opens a room on the handshake lesson as a teacher's browser would, and
// returns its code and the teacher's secret (from the cookie).
func newRoom(t *testing.T, base string) (code, key string) {
	t.Helper()
	res, err := noRedirect.Get(base + "/class/new?lesson=three-way-handshake&lang=en")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("/class/new: %s", res.Status)
	}
	loc := res.Header.Get("Location")
	code = strings.TrimSuffix(strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/class/"), "/teach")
	for _, c := range res.Cookies() {
		if c.Name == ClassCookiePrefix+code {
			key = c.Value
			if !c.HttpOnly || c.Path != "/class/"+code {
				t.Errorf("teacher cookie: HttpOnly %v, Path %q", c.HttpOnly, c.Path)
			}
		}
	}
	if classroom.NormalizeCode(code) != code || key == "" || strings.Contains(loc, key) {
		t.Fatalf("/class/new sent the teacher to %q with key %q", loc, key)
	}
	return code, key
}

// roomSocket is a test's client of a room's socket.
type roomSocket struct {
	t *testing.T
	c *websocket.Conn
}

func joinRoom(t *testing.T, base, code string, hello map[string]any) *roomSocket {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/class/"+code+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &roomSocket{t: t, c: c}
	t.Cleanup(func() { c.CloseNow() })
	hello["type"] = "hello"
	s.send(hello)
	return s
}

func (s *roomSocket) send(m map[string]any) {
	b, _ := json.Marshal(m)
	if err := s.c.Write(context.Background(), websocket.MessageText, b); err != nil {
		s.t.Fatal(err)
	}
}

// until reads messages until one satisfies ok, and returns it.
func (s *roomSocket) until(what string, ok func(m map[string]any) bool) map[string]any {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, b, err := s.c.Read(ctx)
		if err != nil {
			s.t.Fatalf("waiting for %s: %v", what, err)
		}
		var m map[string]any
		json.Unmarshal(b, &m)
		if ok(m) {
			return m
		}
	}
}

func isState(step int, phase string) func(map[string]any) bool {
	return func(m map[string]any) bool {
		return m["type"] == "state" && m["step"] == float64(step) && m["phase"] == phase
	}
}

// A teacher on replica A and students on replica B are in the same room; a student
// who reconnects to A gets the room back, with the answer it gave; a replica that
// restarts finds the room in NATS.
func TestClassroomAcrossReplicas(t *testing.T) {
	url := startNATS(t)
	a := startReplica(t, classroom.Config{URL: url, Name: "A"})
	b := startReplica(t, classroom.Config{URL: url, Name: "B"})
	code, key := newRoom(t, a.ts.URL)

	teacher := joinRoom(t, a.ts.URL, code, map[string]any{"role": "teacher", "key": key})
	teacher.until("the teacher's welcome", func(m map[string]any) bool { return m["type"] == "welcome" && m["role"] == "teacher" })
	var students []*roomSocket
	var ids []string
	for range 3 {
		s := joinRoom(t, b.ts.URL, code, map[string]any{"role": "student"})
		w := s.until("a student's welcome", func(m map[string]any) bool { return m["type"] == "welcome" })
		ids = append(ids, w["student"].(string))
		students = append(students, s)
	}
	teacher.until("three students", func(m map[string]any) bool { return m["type"] == "students" && m["students"] == float64(3) })

	// The teacher steps on A; every student on B follows.
	teacher.send(map[string]any{"type": "step", "step": 5})
	for _, s := range students {
		s.until("step 5", isState(5, ""))
	}
	teacher.send(map[string]any{"type": "ask", "question": 0})
	for i, s := range students {
		s.until("the question", isState(5, "voting"))
		choice := "SYN-RECEIVED"
		if i == 2 {
			choice = "SYN-SENT"
		}
		s.send(map[string]any{"type": "answer", "question": 0, "round": 1, "choice": choice})
		s.until("the answer's receipt", func(m map[string]any) bool { return m["type"] == "answered" })
	}
	// The teacher's live count comes from B's answers; the histogram is not sent
	// to anyone until the teacher shows it.
	teacher.until("three answers", func(m map[string]any) bool { return m["type"] == "tally" && m["answers"] == float64(3) })
	students[0].send(map[string]any{"type": "answer", "question": 0, "round": 1, "choice": "LISTEN"})
	students[0].until("a second answer refused", func(m map[string]any) bool { return m["type"] == "error" && m["code"] == "answered" })

	// A phone that slept comes back through replica A, with the id it was given.
	students[2].c.CloseNow()
	back := joinRoom(t, a.ts.URL, code, map[string]any{"role": "student", "student": ids[2]})
	w := back.until("the welcome back", func(m map[string]any) bool { return m["type"] == "welcome" })
	if w["student"] != ids[2] || w["mine"] != "SYN-SENT" {
		t.Fatalf("welcome back: %v, want the same id and its answer SYN-SENT", w)
	}
	st := back.until("the room's state", func(m map[string]any) bool { return m["type"] == "state" })
	if st["step"] != float64(5) || st["phase"] != "voting" {
		t.Fatalf("state after reconnecting to the other replica: %v", st)
	}
	if _, has := st["counts"]; has {
		t.Fatalf("the votes reached a student before the teacher showed them: %v", st)
	}

	teacher.send(map[string]any{"type": "show"})
	shown := students[0].until("the histogram", isState(5, "histogram"))
	if c, _ := json.Marshal(shown["counts"]); string(c) != "[0,1,2,0]" {
		t.Fatalf("counts %s, want [0,1,2,0] (LISTEN, SYN-SENT, SYN-RECEIVED, ESTABLISHED)", c)
	}
	teacher.send(map[string]any{"type": "reveal"})
	rev := back.until("the answer", isState(5, "answer"))
	if rev["answer"] != "SYN-RECEIVED" {
		t.Fatalf("revealed %v", rev)
	}

	// Replica B restarts: the room is in NATS, not in B.
	b.stop()
	b2 := startReplica(t, classroom.Config{URL: url, Name: "B again"})
	again := joinRoom(t, b2.ts.URL, code, map[string]any{"role": "student", "student": ids[0]})
	w = again.until("the welcome after a restart", func(m map[string]any) bool { return m["type"] == "welcome" })
	if w["mine"] != "SYN-RECEIVED" {
		t.Fatalf("after B restarted: %v", w)
	}
	again.until("the state after a restart", isState(5, "answer"))

	// The teacher's export has every answer; nobody else may read it.
	req, _ := http.NewRequest("GET", b2.ts.URL+"/class/"+code+"/answers.csv", nil)
	req.AddCookie(&http.Cookie{Name: ClassCookiePrefix + code, Value: key})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if res.StatusCode != 200 || len(lines) != 4 || lines[0] != strings.Join(classroom.CSVHeader, ",") {
		t.Fatalf("answers.csv: %s\n%s", res.Status, body)
	}
	if n := strings.Count(string(body), ",SYN-RECEIVED,true"); n != 2 {
		t.Errorf("answers.csv has %d right answers, want 2:\n%s", n, body)
	}
	res, _ = http.Get(b2.ts.URL + "/class/" + code + "/answers.csv")
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("answers.csv without the teacher's cookie: %s, want 403", res.Status)
	}
}

// Students joining a room at once on a replica that has no socket of it yet: the first
// one makes the replica watch the room while the others wait for it, and every one of
// them follows the teacher's next step.
func TestClassroomJoinsAtOnce(t *testing.T) {
	url := startNATS(t)
	a := startReplica(t, classroom.Config{URL: url, Name: "A"})
	b := startReplica(t, classroom.Config{URL: url, Name: "B"})
	code, key := newRoom(t, a.ts.URL)
	teacher := joinRoom(t, a.ts.URL, code, map[string]any{"role": "teacher", "key": key})
	teacher.until("the teacher's welcome", func(m map[string]any) bool { return m["type"] == "welcome" })

	const n = 24
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conns := make([]*websocket.Conn, n)
	errs := make(chan error, n)
	for i := range n {
		go func() {
			c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(b.ts.URL, "http")+"/class/"+code+"/ws", nil)
			if err == nil {
				conns[i] = c
				err = c.Write(ctx, websocket.MessageText, []byte(`{"type":"hello","role":"student"}`))
			}
			for err == nil { // joined once the room's state has come
				var m map[string]any
				var b []byte
				if _, b, err = c.Read(ctx); err == nil && json.Unmarshal(b, &m) == nil && m["type"] == "state" {
					break
				}
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("a student joining at once: %v", err)
		}
	}
	t.Cleanup(func() {
		for _, c := range conns {
			c.CloseNow()
		}
	})
	teacher.until(fmt.Sprintf("%d students", n), func(m map[string]any) bool { return m["type"] == "students" && m["students"] == float64(n) })
	teacher.send(map[string]any{"type": "step", "step": 4})
	for i, c := range conns {
		s := &roomSocket{t: t, c: c}
		s.until(fmt.Sprintf("step 4 on student %d", i), isState(4, ""))
	}
	if got := b.hub.LocalRooms(); got != 1 {
		t.Fatalf("replica B follows %d rooms, want 1", got)
	}
}

func classGet(t *testing.T, u string, cookies ...*http.Cookie) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// The pages: the teacher's view needs the secret, a student's page carries no answer,
// and a wrong or expired code gets a page that says so, in both languages.
func TestClassroomPages(t *testing.T) {
	clk := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { return clk }
	r := startReplica(t, classroom.Config{Now: now})
	code, key := newRoom(t, r.ts.URL)
	teach := &http.Cookie{Name: ClassCookiePrefix + code, Value: key}

	status, body := classGet(t, r.ts.URL+"/class/"+code+"/teach?lang=en", teach)
	if status != 200 || !strings.Contains(body, `data-testid="room-code">`+code+`<`) || !strings.Contains(body, `data-testid="class-qr"`) ||
		!strings.Contains(body, r.ts.URL+"/class/"+code) {
		t.Fatalf("teacher's view: %d", status)
	}
	if status, _ := classGet(t, r.ts.URL+"/class/"+code+"/teach"); status != http.StatusForbidden {
		t.Errorf("teacher's view without the secret: %d, want 403", status)
	}
	status, body = classGet(t, r.ts.URL+"/class/"+code+"?lang=en")
	if status != 200 || !strings.Contains(body, `data-testid="stepno"`) || strings.Contains(body, key) {
		t.Fatalf("student's page: %d", status)
	}
	for _, leak := range []string{`"answer":"SYN-RECEIVED"`, `data-testid="lesson-text"`, `"key":`} {
		if strings.Contains(body, leak) {
			t.Errorf("a student's page contains %s", leak)
		}
	}
	if status, _ := classGet(t, r.ts.URL+"/class/"+strings.ToLower(code)); status != http.StatusSeeOther {
		t.Errorf("a code typed in lower case: %d, want a redirect", status)
	}
	if status, _ := classGet(t, r.ts.URL+"/class?code="+url.QueryEscape(strings.ToLower(code))); status != http.StatusSeeOther {
		t.Errorf("the join form: %d, want a redirect", status)
	}

	for _, tc := range []struct {
		path   string
		status int
		en, zh string
	}{
		{"/class/ZZZZZZ", 404, catalog.In("en", "class.noroom"), catalog.In("zh", "class.noroom")},
		{"/class/nonsense-code", 404, catalog.In("en", "class.noroom"), catalog.In("zh", "class.noroom")},
		{"/class/new?lesson=no-such-lesson", 400, catalog.In("en", "class.nolesson"), catalog.In("zh", "class.nolesson")},
	} {
		for lang, want := range map[string]string{"en": tc.en, "zh": tc.zh} {
			sep := "?"
			if strings.Contains(tc.path, "?") {
				sep = "&"
			}
			status, body := classGet(t, r.ts.URL+tc.path+sep+"lang="+lang)
			if status != tc.status || !strings.Contains(body, html.EscapeString(want)) {
				t.Errorf("%s in %s: %d, want %d with %q", tc.path, lang, status, tc.status, want)
			}
		}
	}
	// A socket for a room that does not exist is refused before the upgrade.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(r.ts.URL, "http")+"/class/ZZZZZZ/ws", nil); err == nil || res == nil || res.StatusCode != http.StatusNotFound {
		t.Errorf("a socket for no room: %v, want 404", err)
	}
	// A teacher's hello without the secret is refused, and the socket closed.
	fake := joinRoom(t, r.ts.URL, code, map[string]any{"role": "teacher", "key": "0123"})
	fake.until("the refusal", func(m map[string]any) bool { return m["type"] == "error" && m["code"] == "not-teacher" })

	clk = clk.Add(classroom.RoomLifetime)
	for _, lang := range []string{"en", "zh"} {
		status, body := classGet(t, r.ts.URL+"/class/"+code+"?lang="+lang)
		if status != http.StatusGone || !strings.Contains(body, catalog.In(lang, "class.expired")) {
			t.Errorf("an expired room in %s: %d", lang, status)
		}
	}
}
