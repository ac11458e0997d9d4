package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"synack/web"
	"synack/web/classroom"
)

// classLoad is loadgen -classroom: a nats-server and replicas of
// synack (child processes) on loopback, rooms of students on WebSockets spread over
// the replicas, the teachers stepping; it times teacher step → each student's state,
// and, in the same run, a bare NATS publish → as many subscribers as a room has
// students. Memory per student is set against a bare coder/websocket connection.
type classLoad struct {
	out                       io.Writer
	rooms, students, replicas int
	steps                     int
	gap                       time.Duration
	lesson                    string
	natsURL                   string
	nats                      *childProc // the nats-server's process
	children                  []*childProc
	echo                      *childProc
	lg                        *loadgen
	teachers                  []*websocket.Conn
	codes                     []string
	text                      io.Writer    // the human-readable report (io.Discard with -format json)
	refused                   int64        // students the replicas refused or cut before their first state
	phones                    []*childProc // one process of students per replica
	perRoom                   []int        // students per room in each
	sent                      []int64      // [room*steps+step]: when the teacher sent it, Unix ns
	missed                    atomic.Int64
	profile                   string         // a folder for the phases' profiles, or ""
	teacherGot                []atomic.Int64 // [room*steps+step]: when the teacher's own socket got the state, Unix ns
	// bareAll gives bare NATS one subscriber per student (each room's publishes on a
	// subject of its own) instead of as many as a room has, all on one subject.
	bareAll bool
}

// classResult is the last line of loadgen -classroom -format json.
type classResult struct {
	Rooms            int     `json:"rooms"`
	StudentsPerRoom  int     `json:"students_per_room"`
	Replicas         int     `json:"replicas"`
	WebSockets       int     `json:"websockets"`
	Steps            int     `json:"steps"`
	FanoutP50ms      float64 `json:"fanout_p50_ms"`
	FanoutP99ms      float64 `json:"fanout_p99_ms"`
	FanoutAllP99ms   float64 `json:"fanout_all_p99_ms"` // teacher step → the room's last student
	BareMode         string  `json:"bare_mode"`         // room or all (loadgen -bare)
	BareNATSP50ms    float64 `json:"bare_nats_p50_ms"`
	BareNATSP99ms    float64 `json:"bare_nats_p99_ms"`
	FanoutP99Ratio   float64 `json:"fanout_p99_ratio"`
	Missed           int64   `json:"missed"`  // student states that never arrived
	Refused          int64   `json:"refused"` // students refused or cut before their first state
	BytesPerStudent  float64 `json:"bytes_per_student"`
	BytesPerBareConn float64 `json:"bytes_per_bare_conn"`
	MemoryRatio      float64 `json:"memory_ratio"`
	GoroutinesPerStd float64 `json:"goroutines_per_student"`
	LoadAvg          string  `json:"loadavg"`
}

// natsChild runs the nats-server for loadgen -classroom (JetStream, its store in a
// private folder removed at the end) on a loopback port: it prints its URL, then
// answers profiling and "io" commands on stdin until stdin closes.
func natsChild(stdout io.Writer) error {
	dir, err := os.MkdirTemp("", "synack-loadgen-nats-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true,
		MaxPending: 256 << 20})
	if err != nil {
		return err
	}
	ns.Start()
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	if !ns.ReadyForConnections(10 * time.Second) {
		return errors.New("loadgen: nats-server did not start")
	}
	fmt.Fprintln(stdout, ns.ClientURL())
	var prof profiler
	defer prof.stop()
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if ok, err := prof.handle(sc.Text()); ok {
			answerProfile(stdout, err)
			continue
		}
		b, _ := json.Marshal(selfSysCalls())
		fmt.Fprintln(stdout, string(b))
	}
	return nil
}

// classChild serves synack for loadgen -classroom: a replica joined to the NATS
// server at url, with the classroom's caps lifted.
func classChild(ctx context.Context, url string, stdout io.Writer) error {
	hub, err := classroom.Open(ctx, classroom.Config{URL: url, MaxStudents: 1 << 20, MaxRooms: 1 << 20})
	if err != nil {
		return err
	}
	defer hub.Close()
	return serveChild(web.NewServer(web.Config{Classroom: hub, MaxSessions: 1 << 20, MaxSessionsPerIP: 1 << 20}), stdout)
}

func runClassLoad(ctx context.Context, c *classLoad, format string) error {
	// Each replica, and each replica's students, is a process of its own: each holds
	// its share of the sockets.
	var err error
	perProc := c.rooms * c.students / c.replicas
	if c.bareAll {
		// A students' process then also holds a NATS connection per student, and
		// the nats-server's one per student in all.
		perProc = max(2*perProc, c.rooms*c.students)
	}
	if files := raiseFDLimit(); files > 0 && uint64(perProc)+4096 > files {
		return fmt.Errorf("loadgen: %d sockets in one process need more open files than the limit of %d (raise it, add -replicas, or fewer -rooms or -students)", perProc, files)
	}
	// The nats-server is a process of its own, as a deployment's is: the teachers,
	// the bare publisher and the report's work in this process do not hold it up.
	if c.nats, err = startChild(ctx, "nats"); err != nil {
		return err
	}
	defer c.nats.stop()
	c.natsURL = c.nats.addr
	text := c.out
	if format == "json" {
		text = io.Discard
	}
	c.text = text
	fmt.Fprintf(text, "machine: %d CPUs, %s/%s, %s; nats-server %s at %s (a process of its own)\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), server.VERSION, c.natsURL)

	if c.echo, err = startChild(ctx, "echo"); err != nil {
		return err
	}
	defer c.echo.stop()
	for range c.replicas {
		ch, err := startChild(ctx, "classroom", "-nats", c.natsURL)
		if err != nil {
			return err
		}
		defer ch.stop()
		c.children = append(c.children, ch)
	}
	defer func() {
		for _, ph := range c.phones {
			if ph != nil {
				ph.stop()
			}
		}
	}()
	res := classResult{BareMode: map[bool]string{false: "room", true: "all"}[c.bareAll], Rooms: c.rooms, StudentsPerRoom: c.students, Replicas: c.replicas, WebSockets: c.rooms * (c.students + 1), Steps: c.rooms * c.steps}

	// The bare connection: as many as one replica holds, on the echo server.
	perReplica := c.rooms * c.students / c.replicas
	fmt.Fprintf(text, "\n## memory: %d bare coder/websocket connections on the echo server\n", perReplica)
	res.BytesPerBareConn, _, err = c.lg.memoryAt(ctx, c.echo, perReplica)
	if err != nil {
		return fmt.Errorf("echo: %w", err)
	}
	fmt.Fprintf(text, "%.0f B per connection\n", res.BytesPerBareConn)
	c.echo.stop()

	bases := make([]childStats, c.replicas)
	for i, ch := range c.children {
		if bases[i], err = ch.stats(); err != nil {
			return err
		}
	}
	fmt.Fprintf(text, "\n## %d rooms × %d students over %d replicas\n", c.rooms, c.students, c.replicas)
	t0 := time.Now()
	if err := c.openRooms(ctx); err != nil {
		return err
	}
	if err := c.joinStudents(ctx); err != nil {
		return err
	}
	fmt.Fprintf(text, "joined %d students in %s\n", c.rooms*c.students, time.Since(t0).Round(time.Millisecond))
	var bytes, gor float64
	for i, ch := range c.children {
		st, err := ch.stats()
		if err != nil {
			return err
		}
		n := float64(c.rooms * c.students / c.replicas)
		bytes += float64(st.RSS-bases[i].RSS) / n / float64(c.replicas)
		gor += float64(st.Goroutines-bases[i].Goroutines) / n / float64(c.replicas)
		fmt.Fprintf(text, "replica %d: RSS %+.1f MB, %+d goroutines\n", i, float64(st.RSS-bases[i].RSS)/1e6, st.Goroutines-bases[i].Goroutines)
	}
	// Per student actually connected: a refused one holds nothing.
	live := float64(c.rooms*c.students) - float64(c.refused)
	bytes *= float64(c.rooms*c.students) / live
	gor *= float64(c.rooms*c.students) / live
	res.BytesPerStudent, res.GoroutinesPerStd = bytes, gor
	res.MemoryRatio = bytes / res.BytesPerBareConn
	fmt.Fprintf(text, "%.0f B and %.2f goroutines per student (%.2f× a bare connection)\n", bytes, gor, res.MemoryRatio)

	fmt.Fprintf(text, "\n## fan-out: %d steps per room, one room's step every %s, each round followed by as many bare NATS publishes\n", c.steps, c.gap)
	var each, all, bare []time.Duration
	err = c.profiled("fanout", func() (err error) {
		each, all, bare, err = c.measure(ctx)
		return err
	})
	if err != nil {
		return err
	}
	res.Missed, res.Refused = c.missed.Load(), c.refused
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	res.FanoutP50ms, res.FanoutP99ms, res.FanoutAllP99ms = ms(pct(each, 50)), ms(pct(each, 99)), ms(pct(all, 99))
	res.BareNATSP50ms, res.BareNATSP99ms = ms(pct(bare, 50)), ms(pct(bare, 99))
	if res.BareNATSP99ms > 0 {
		res.FanoutP99Ratio = res.FanoutP99ms / res.BareNATSP99ms
	}
	fmt.Fprintf(text, "%-28s %10s %10s %10s\n", "", "p50", "p99", "max")
	fmt.Fprintf(text, "%-28s %10s %10s %10s\n", "teacher step → a student", pct(each, 50), pct(each, 99), pct(each, 100))
	fmt.Fprintf(text, "%-28s %10s %10s %10s\n", "teacher step → whole room", pct(all, 50), pct(all, 99), pct(all, 100))
	fmt.Fprintf(text, "%-28s %10s %10s %10s\n", "bare NATS → a subscriber", pct(bare, 50), pct(bare, 99), pct(bare, 100))
	fmt.Fprintf(text, "fanout p99 ratio %.2f, %d states missed\n", res.FanoutP99Ratio, res.Missed)
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		res.LoadAvg = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	b, _ := json.Marshal(res)
	fmt.Fprintln(c.out, string(b))
	return nil
}

// sysCalls adds up the system calls of the processes in chs so far.
func (c *classLoad) sysCalls(chs []*childProc) (sysCalls, error) {
	var sum sysCalls
	for _, ch := range chs {
		line, err := ch.ask("io")
		var s sysCalls
		if err == nil {
			err = json.Unmarshal(line, &s)
		}
		if err != nil {
			return sum, fmt.Errorf("loadgen: system calls of the %s process: %w", ch.kind, err)
		}
		sum.Reads, sum.Writes = sum.Reads+s.Reads, sum.Writes+s.Writes
	}
	return sum, nil
}

// profiled runs one phase of the run, with every process profiled over it when
// -profile names a folder: PHASE-replica-N.* for the replicas, PHASE-phones-N.* for
// the students' processes, PHASE-nats.* for the nats-server, PHASE-loadgen.* for this
// process (the teachers and the bare publisher).
func (c *classLoad) profiled(phase string, run func() error) error {
	if c.profile == "" {
		return run()
	}
	type target struct {
		name string
		ch   *childProc
	}
	var ts []target
	for i, ch := range c.children {
		ts = append(ts, target{fmt.Sprintf("replica-%d", i), ch})
	}
	for i, ph := range c.phones {
		if ph != nil {
			ts = append(ts, target{fmt.Sprintf("phones-%d", i), ph})
		}
	}
	ts = append(ts, target{"nats", c.nats})
	if err := os.MkdirAll(c.profile, 0o755); err != nil {
		return err
	}
	var self profiler
	for _, t := range ts {
		line, err := t.ch.ask("profile " + filepath.Join(c.profile, phase+"-"+t.name))
		if err != nil || string(line) != "ok" {
			return fmt.Errorf("loadgen: profiling %s: %v %s", t.name, err, line)
		}
	}
	if err := self.start(filepath.Join(c.profile, phase+"-loadgen")); err != nil {
		return err
	}
	err := run()
	if serr := self.stop(); err == nil {
		err = serr
	}
	for _, t := range ts {
		if line, aerr := t.ch.ask("profile-stop"); (aerr != nil || string(line) != "ok") && err == nil {
			err = fmt.Errorf("loadgen: profiling %s: %v %s", t.name, aerr, line)
		}
	}
	fmt.Fprintf(c.text, "profiles of the %s phase in %s\n", phase, c.profile)
	return err
}

// openRooms opens the rooms on replica 0 and connects each room's teacher to it.
func (c *classLoad) openRooms(ctx context.Context) error {
	c.teacherGot = make([]atomic.Int64, c.rooms*c.steps)
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 30 * time.Second}
	for range c.rooms {
		res, err := hc.Get("http://" + c.children[0].addr + "/class/new?lesson=" + c.lesson)
		if err != nil {
			return err
		}
		res.Body.Close()
		loc := strings.SplitN(res.Header.Get("Location"), "?", 2)[0]
		code := strings.TrimSuffix(strings.TrimPrefix(loc, "/class/"), "/teach")
		var key string
		for _, ck := range res.Cookies() {
			if ck.Name == web.ClassCookiePrefix+code {
				key = ck.Value
			}
		}
		if key == "" {
			return fmt.Errorf("loadgen: /class/new answered %s without a room", res.Status)
		}
		ws, err := dialRoom(ctx, c.children[0].addr, code, map[string]any{"type": "hello", "role": "teacher", "key": key})
		if err != nil {
			return err
		}
		c.codes = append(c.codes, code)
		c.teachers = append(c.teachers, ws)
		r := len(c.teachers) - 1
		go func() {
			// The teacher's socket must be read, or its replica cuts it; the room's
			// state comes back to it too, which times the command alone (teacher →
			// replica → key-value store → the replica's own sockets).
			head := make([]byte, 256)
			for {
				b, err := readHead(context.Background(), ws, head)
				if err != nil {
					return
				}
				if !bytes.HasPrefix(b, stateHead) {
					continue
				}
				rest := b[len(stateHead):]
				step, err := strconv.Atoi(string(rest[:max(bytes.IndexByte(rest, ','), 0)]))
				if err == nil && step >= 1 && step <= c.steps {
					c.teacherGot[r*c.steps+step-1].CompareAndSwap(0, time.Now().UnixNano())
				}
			}
		}()
	}
	return nil
}

func dialRoom(ctx context.Context, addr, code string, hello map[string]any) (*websocket.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(dctx, "ws://"+addr+"/class/"+code+"/ws", nil)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(hello)
	if err := ws.Write(dctx, websocket.MessageText, b); err != nil {
		return nil, err
	}
	return ws, nil
}

var stateHead = []byte(`{"type":"state","step":`)

// studentsChild is loadgen -child students: the phones of one replica, in a process
// of their own (a process may hold only so many sockets). It joins perRoom students to
// each room at addr, prints "joined N" once each has had its first state, stamps each
// state with a new step with its arrival (Unix ns), and answers a line on stdin with
// every stamp as JSON: [room*steps+step][student].
func studentsChild(ctx context.Context, addr string, codes []string, perRoom, steps int, stdout io.Writer) error {
	arrivals := make([][]atomic.Int64, len(codes)*steps)
	for i := range arrivals {
		arrivals[i] = make([]atomic.Int64, perRoom)
	}
	sem := make(chan struct{}, 64) // students dialling at once
	var joined sync.WaitGroup
	var failed atomic.Pointer[error]
	var conns sync.Map
	var refused atomic.Int64
	var why atomic.Pointer[string]
	for r, code := range codes {
		for j := range perRoom {
			joined.Add(1)
			sem <- struct{}{}
			go func() {
				first := true
				done := func() {
					if first {
						first = false
						<-sem
						joined.Done()
					}
				}
				defer done()
				ws, err := dialRoom(ctx, addr, code, map[string]any{"type": "hello", "role": "student"})
				if err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
				conns.Store(ws, true)
				head := make([]byte, 256)
				for {
					// No deadline on a read: a context with one costs a timer a
					// message, a cost of this client that the bare NATS
					// subscribers do not pay. The socket is closed at the end.
					b, err := readHead(context.Background(), ws, head)
					if err != nil {
						if first {
							refused.Add(1)
							msg := err.Error()
							why.CompareAndSwap(nil, &msg)
						}
						return
					}
					if first && bytes.HasPrefix(b, []byte(`{"type":"error"`)) {
						msg := string(b)
						why.CompareAndSwap(nil, &msg)
					}
					if !bytes.HasPrefix(b, stateHead) {
						continue
					}
					done() // joined: the next one may dial
					rest := b[len(stateHead):]
					step, err := strconv.Atoi(string(rest[:max(bytes.IndexByte(rest, ','), 0)]))
					if err != nil || step < 1 || step > steps {
						continue
					}
					arrivals[r*steps+step-1][j].CompareAndSwap(0, time.Now().UnixNano())
				}
			}()
		}
	}
	joined.Wait()
	if err := failed.Load(); err != nil {
		return fmt.Errorf("loadgen: a student could not join: %w", *err)
	}
	// The first line: how many joined, how many the server refused, and the first reason.
	reason := ""
	if w := why.Load(); w != nil {
		reason = *w
	}
	fmt.Fprintf(stdout, "joined %d refused %d %s\n", int64(len(codes)*perRoom)-refused.Load(), refused.Load(), reason)
	// Commands on stdin: "report" (the students' stamps), "bare URL N S" (subscribe N
	// bare NATS connections to each of S subjects loadgen.fanout.0…, for as many
	// messages as steps in all rooms; "ready" once subscribed), "bare-report" (their
	// stamps).
	var bare [][]atomic.Int64
	var ncs []*nats.Conn
	defer func() {
		for _, nc := range ncs {
			nc.Close()
		}
	}()
	stamps := func(a [][]atomic.Int64) {
		out := make([][]int64, len(a))
		for i := range a {
			out[i] = make([]int64, len(a[i]))
			for k := range a[i] {
				out[i][k] = a[i][k].Load()
			}
		}
		b, _ := json.Marshal(out)
		fmt.Fprintln(stdout, string(b))
	}
	sc := bufio.NewScanner(os.Stdin)
	var prof profiler
	defer prof.stop()
	for sc.Scan() {
		if ok, err := prof.handle(sc.Text()); ok {
			answerProfile(stdout, err)
			continue
		}
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 1 && f[0] == "io":
			b, _ := json.Marshal(selfSysCalls())
			fmt.Fprintln(stdout, string(b))
		case len(f) == 1 && f[0] == "report":
			stamps(arrivals)
		case len(f) == 4 && f[0] == "bare":
			// N subscribers to each of S subjects (loadgen.fanout.0 …), each on a
			// connection of its own.
			n, _ := strconv.Atoi(f[2])
			subjects, _ := strconv.Atoi(f[3])
			bare = make([][]atomic.Int64, len(arrivals))
			for i := range bare {
				bare[i] = make([]atomic.Int64, n)
			}
			var mu sync.Mutex
			var wg sync.WaitGroup
			var cerr atomic.Pointer[error]
			sem := make(chan struct{}, 64)
			for sj := range subjects {
				for k := range n {
					wg.Add(1)
					sem <- struct{}{}
					go func() {
						defer wg.Done()
						defer func() { <-sem }()
						nc, err := nats.Connect(f[1])
						if err != nil {
							cerr.CompareAndSwap(nil, &err)
							return
						}
						mu.Lock()
						ncs = append(ncs, nc)
						mu.Unlock()
						nc.Subscribe("loadgen.fanout."+strconv.Itoa(sj), func(m *nats.Msg) {
							i, err := strconv.Atoi(string(m.Data[:max(bytes.IndexByte(m.Data, ' '), 0)]))
							if err == nil && i >= 0 && i < len(bare) {
								bare[i][k].CompareAndSwap(0, time.Now().UnixNano())
							}
						})
						nc.Flush()
					}()
				}
			}
			wg.Wait()
			if err := cerr.Load(); err != nil {
				return *err
			}
			fmt.Fprintln(stdout, "ready")
		case len(f) == 1 && f[0] == "bare-report":
			stamps(bare)
		}
	}
	conns.Range(func(k, _ any) bool { k.(*websocket.Conn).CloseNow(); return true })
	return nil
}

// ask sends a command to a child and returns the line it answers with.
func (c *childProc) ask(cmd string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := io.WriteString(c.in, cmd+"\n"); err != nil {
		return nil, err
	}
	if !c.out.Scan() {
		return nil, fmt.Errorf("the %s process stopped", c.kind)
	}
	return c.out.Bytes(), nil
}

// joinStudents starts one process of students per replica (room r's student j goes
// to replica j mod replicas) and waits until all have joined.
func (c *classLoad) joinStudents(ctx context.Context) error {
	c.phones = make([]*childProc, c.replicas)
	c.perRoom = make([]int, c.replicas)
	errs := make([]error, c.replicas)
	var wg sync.WaitGroup
	for i := range c.replicas {
		for j := range c.students {
			if j%c.replicas == i {
				c.perRoom[i]++
			}
		}
		if c.perRoom[i] == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.phones[i], errs[i] = startChild(ctx, "students", "-target", c.children[i].addr, "-codes", strings.Join(c.codes, ","),
				"-students", strconv.Itoa(c.perRoom[i]), "-steps", strconv.Itoa(c.steps))
		}()
	}
	wg.Wait()
	c.sent = make([]int64, c.rooms*c.steps)
	for i, ph := range c.phones {
		if ph != nil {
			fmt.Fprintf(c.text, "replica %d's students: %s\n", i, ph.addr) // "joined N refused M [first reason]"
			var n int64
			fmt.Sscanf(ph.addr, "joined %d refused %d", new(int64), &n)
			c.refused += n
		}
	}
	return errors.Join(errs...)
}

// report collects every student's (or bare subscriber's) stamps from the students'
// processes, in room order then student order.
func (c *classLoad) report(cmd string) ([][]int64, error) {
	all := make([][]int64, c.rooms*c.steps)
	for _, ph := range c.phones {
		if ph == nil {
			continue
		}
		line, err := ph.ask(cmd)
		var part [][]int64
		if err == nil {
			err = json.Unmarshal(line, &part)
		}
		if err != nil {
			return nil, err
		}
		for k := range all {
			all[k] = append(all[k], part[k]...)
		}
	}
	return all, nil
}

// measure has the teachers step and a bare NATS publisher publish in alternating
// rounds, so that both meet the same machine: in round s each room's teacher takes step
// s+1, one room every gap, then the publisher sends as many messages, one every gap, to
// as many subscribers as a room has students. Every send is on a fixed schedule (open
// loop), stamped just before it is written; every arrival is stamped once read whole.
// It returns each student's delay, each step's delay to its room's last student and
// each bare subscriber's delay, each sorted.
func (c *classLoad) measure(ctx context.Context) (each, all, bare []time.Duration, err error) {
	for i, ph := range c.phones {
		if ph == nil {
			continue
		}
		subjects := 1
		if c.bareAll {
			subjects = c.rooms
		}
		if line, err := ph.ask(fmt.Sprintf("bare %s %d %d", c.natsURL, c.perRoom[i], subjects)); err != nil || string(line) != "ready" {
			return nil, nil, nil, fmt.Errorf("loadgen: bare NATS subscribers: %v %s", err, line)
		}
	}
	pub, err := nats.Connect(c.natsURL)
	if err != nil {
		return nil, nil, nil, err
	}
	defer pub.Close()
	// A payload the size of a student's state message.
	pad := strings.Repeat("x", 100)
	bareSent := make([]int64, c.rooms*c.steps)
	replicasIO, err := c.sysCalls(c.children)
	if err != nil {
		return nil, nil, nil, err
	}
	natsIO, err := c.sysCalls([]*childProc{c.nats})
	if err != nil {
		return nil, nil, nil, err
	}
	start := time.Now()
	k := 0
	tick := func() {
		time.Sleep(time.Until(start.Add(time.Duration(k) * c.gap)))
		k++
	}
	for s := range c.steps {
		b, _ := json.Marshal(map[string]any{"type": "step", "step": s + 1})
		for r := range c.rooms {
			tick()
			c.sent[r*c.steps+s] = time.Now().UnixNano()
			if err := c.teachers[r].Write(ctx, websocket.MessageText, b); err != nil {
				return nil, nil, nil, err
			}
		}
		for r := range c.rooms {
			tick()
			i := r*c.steps + s
			bareSent[i] = time.Now().UnixNano()
			subj := "loadgen.fanout.0"
			if c.bareAll {
				subj = "loadgen.fanout." + strconv.Itoa(r)
			}
			pub.Publish(subj, []byte(strconv.Itoa(i)+" "+pad))
			pub.Flush()
		}
	}
	fmt.Fprintf(c.text, "sent in %s (%s scheduled)\n", time.Since(start).Round(time.Millisecond), (time.Duration(k-1) * c.gap).Round(time.Millisecond))
	time.Sleep(2 * time.Second) // the last states in flight
	replicasIO2, err := c.sysCalls(c.children)
	if err != nil {
		return nil, nil, nil, err
	}
	natsIO2, err := c.sysCalls([]*childProc{c.nats})
	if err != nil {
		return nil, nil, nil, err
	}
	// How many messages went out with each write: nats-server batches what waits for
	// one connection into one write, a socket per student cannot.
	delivered := float64(c.rooms * c.steps * c.students)
	fmt.Fprintf(c.text, "write system calls: replicas %d (%.2f per student state), nats-server %d (%.2f per bare delivery)\n",
		replicasIO2.Writes-replicasIO.Writes, float64(replicasIO2.Writes-replicasIO.Writes)/delivered,
		natsIO2.Writes-natsIO.Writes, float64(natsIO2.Writes-natsIO.Writes)/delivered)
	arrivals, err := c.report("report")
	if err != nil {
		return nil, nil, nil, err
	}
	bareArr, err := c.report("bare-report")
	if err != nil {
		return nil, nil, nil, err
	}
	var back []time.Duration
	for i, sent := range c.sent {
		if at := c.teacherGot[i].Load(); at != 0 {
			back = append(back, time.Duration(at-sent))
		}
	}
	slices.Sort(back)
	fmt.Fprintf(c.text, "teacher step → its own state back: p50 %s, p99 %s (%d of %d)\n", pct(back, 50), pct(back, 99), len(back), len(c.sent))
	// The tail of each round, to see whether it is steady or a moment of the run.
	fmt.Fprintf(c.text, "%-6s %10s %10s %10s %10s\n", "round", "p50", "p99", "bare p50", "bare p99")
	for s := range c.steps {
		var ours, theirs []time.Duration
		for r := range c.rooms {
			i := r*c.steps + s
			var last int64
			for _, at := range arrivals[i] {
				if at == 0 {
					c.missed.Add(1)
					continue
				}
				ours = append(ours, time.Duration(at-c.sent[i]))
				last = max(last, at-c.sent[i])
			}
			all = append(all, time.Duration(last))
			for _, at := range bareArr[i] {
				if at != 0 {
					theirs = append(theirs, time.Duration(at-bareSent[i]))
				}
			}
		}
		each, bare = append(each, ours...), append(bare, theirs...)
		slices.Sort(ours)
		slices.Sort(theirs)
		fmt.Fprintf(c.text, "%-6d %10s %10s %10s %10s\n", s+1, pct(ours, 50), pct(ours, 99), pct(theirs, 50), pct(theirs, 99))
	}
	slices.Sort(each)
	slices.Sort(all)
	slices.Sort(bare)
	return each, all, bare, nil
}

// serveChild serves h on a loopback port for loadgen: it prints the address, then
// answers each line on stdin with its stats until stdin closes.
func serveChild(h http.Handler, stdout io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	fmt.Fprintln(stdout, ln.Addr())
	sc := bufio.NewScanner(os.Stdin)
	var prof profiler
	for sc.Scan() {
		if ok, err := prof.handle(sc.Text()); ok {
			answerProfile(stdout, err)
			continue
		}
		if sc.Text() == "io" {
			b, _ := json.Marshal(selfSysCalls())
			fmt.Fprintln(stdout, string(b))
			continue
		}
		b, _ := json.Marshal(selfStats())
		fmt.Fprintln(stdout, string(b))
	}
	prof.stop()
	srv.Close()
	return nil
}

// answerProfile answers a profiling command: "ok", or the error.
func answerProfile(w io.Writer, err error) {
	if err != nil {
		fmt.Fprintln(w, "error", err)
		return
	}
	fmt.Fprintln(w, "ok")
}

// selfStats is this process's memory and goroutines, after a garbage collection.
func selfStats() childStats {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return childStats{RSS: rss(), Heap: int64(ms.HeapInuse + ms.StackInuse), Goroutines: runtime.NumGoroutine()}
}
