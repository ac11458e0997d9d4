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
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"synack/web"
)

// loadgen measures the server against a bare coder/websocket echo server, both started
// by it as child processes on 127.0.0.1, with coder/websocket clients speaking the
// browser's protocol (web/PROTOCOL.md). Everything it does is bounded: a fixed number
// of sessions, commands and rounds, then it stops the children and exits.
func cmdLoadgen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("loadgen", stderr)
	child := fs.String("child", "", "internal: run as the measured server (synack or echo)")
	levels := fs.String("sessions", "1000,5000,10000", "live session counts to measure memory at")
	rate := fs.Float64("rate", 200, "commands per second to each server, sent on schedule whatever the replies (open loop)")
	commands := fs.Int("commands", 2000, "commands to time at each server")
	latSessions := fs.Int("latency-sessions", 200, "sessions the timed commands are spread over")
	churn := fs.Int("churn", 2000, "sessions opened and closed in each churn round")
	rounds := fs.Int("rounds", 4, "churn rounds")
	scenario := fs.String("scenario", "three-way-handshake", "the lesson every session starts")
	distinct := fs.Bool("distinct", false, "give every session its own seed (no two sessions share a run)")
	hammer := fs.Int("hammer", 32, "HTTP clients fetching the heaviest page while /healthz is timed")
	heavy := fs.String("heavy", "/lessons/syn-flood", "the page the HTTP clients fetch")
	probes := fs.Int("probes", 500, "/healthz requests timed while the page is hammered")
	class := fs.Bool("classroom", false, "measure classroom rooms over NATS instead: teacher step → every student, against bare NATS")
	rooms := fs.Int("rooms", 50, "-classroom: rooms")
	students := fs.Int("students", 500, "-classroom: students per room")
	replicas := fs.Int("replicas", 2, "-classroom: synack replicas sharing one nats-server")
	steps := fs.Int("steps", 20, "-classroom: steps each teacher takes")
	gap := fs.Duration("gap", 20*time.Millisecond, "-classroom: time between two rooms' steps")
	format := fs.String("format", "text", "-classroom: text, or json (only the result's JSON line)")
	bareMode := fs.String("bare", "room", "-classroom: bare NATS subscribers: room (as many as a room has students, every publish to all of them) or all (one per student, each room's publishes to its own)")
	profDir := fs.String("profile", "", "-classroom: a folder to write every process's CPU, mutex, block and goroutine profiles of the fan-out (with bare NATS) to")
	natsURL := fs.String("nats", "", "internal: the NATS server a -child classroom replica joins")
	target := fs.String("target", "", "internal: the replica a -child students process joins")
	codes := fs.String("codes", "", "internal: the rooms a -child students process joins")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	raiseFDLimit()
	switch *child {
	case "classroom":
		return classChild(ctx, *natsURL, stdout)
	case "nats":
		return natsChild(stdout)
	case "students":
		return studentsChild(ctx, *target, strings.Split(*codes, ","), *students, *steps, stdout)
	}
	if *child != "" {
		return loadChild(ctx, *child, stdout)
	}
	if *class {
		if *rooms < 1 || *students < 1 || *replicas < 1 || *steps < 1 || *gap < 0 || *rooms > 1000 || *students > 10000 || *replicas > 16 {
			return usageErr("loadgen: -rooms (1 to 1000), -students (1 to 10000), -replicas (1 to 16) and -steps must be positive")
		}
		if *format != "text" && *format != "json" {
			return usageErr("loadgen: -format must be text or json")
		}
		if *bareMode != "room" && *bareMode != "all" {
			return usageErr("loadgen: -bare must be room or all")
		}
		lg := &loadgen{out: stdout, scenario: *scenario}
		return runClassLoad(ctx, &classLoad{out: stdout, rooms: *rooms, students: *students, replicas: *replicas, steps: *steps, gap: *gap,
			lesson: "three-way-handshake", lg: lg, profile: *profDir, bareAll: *bareMode == "all"}, *format)
	}
	var counts []int
	for _, f := range strings.Split(*levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 100000 {
			return usageErr("loadgen: bad -sessions value %q (1 to 100000)", f)
		}
		counts = append(counts, n)
	}
	if *rate <= 0 || *commands < 1 || *latSessions < 1 || *rounds < 1 || *churn < 1 {
		return usageErr("loadgen: -rate, -commands, -latency-sessions, -churn and -rounds must be positive")
	}
	lg := &loadgen{out: stdout, scenario: *scenario, distinct: *distinct}
	echo, err := startChild(ctx, "echo")
	if err != nil {
		return err
	}
	defer echo.stop()
	syn, err := startChild(ctx, "synack")
	if err != nil {
		return err
	}
	defer syn.stop()

	fmt.Fprintf(stdout, "machine: %d CPUs, %s/%s, %s\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Fprintf(stdout, "\n## memory per live session (RSS after GC, child process)\n")
	fmt.Fprintf(stdout, "%-8s %12s %12s %8s %14s %14s\n", "sessions", "echo B/conn", "synack B/sess", "ratio", "echo gor/conn", "synack gor/sess")
	for _, n := range counts {
		e, eg, err := lg.memoryAt(ctx, echo, n)
		if err != nil {
			return fmt.Errorf("echo at %d: %w", n, err)
		}
		s, sg, err := lg.memoryAt(ctx, syn, n)
		if err != nil {
			return fmt.Errorf("synack at %d: %w", n, err)
		}
		fmt.Fprintf(stdout, "%-8d %12.0f %12.0f %8.2f %14.2f %14.2f\n", n, e, s, s/e, eg, sg)
	}

	fmt.Fprintf(stdout, "\n## command → first reply, %d commands at %.0f/s to each server over %d sessions each (open loop, the two servers' commands alternate)\n", *commands, *rate, *latSessions)
	firsts, alls, err := lg.latency(ctx, []*childProc{echo, syn}, *latSessions, *commands, *rate)
	if err != nil {
		return fmt.Errorf("latency: %w", err)
	}
	el, sl, sall := firsts[0], firsts[1], alls[1]
	fmt.Fprintf(stdout, "%-8s %10s %10s %10s %10s\n", "", "p50", "p90", "p99", "max")
	fmt.Fprintf(stdout, "%-8s %10s %10s %10s %10s\n", "echo", pct(el, 50), pct(el, 90), pct(el, 99), pct(el, 100))
	fmt.Fprintf(stdout, "%-8s %10s %10s %10s %10s\n", "synack", pct(sl, 50), pct(sl, 90), pct(sl, 99), pct(sl, 100))
	fmt.Fprintf(stdout, "%-8s %10s %10s %10s %10s  (to the batch's last step)\n", "synack", pct(sall, 50), pct(sall, 90), pct(sall, 99), pct(sall, 100))
	fmt.Fprintf(stdout, "p99 ratio: %.2f\n", float64(pct(sl, 99))/float64(pct(el, 99)))

	fmt.Fprintf(stdout, "\n## /healthz while %d clients fetch %s (gzip, like a browser)\n", *hammer, *heavy)
	hl, pages, err := hammerHTTP(ctx, syn.addr, *heavy, *hammer, *probes)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "/healthz p50 %s, p99 %s, max %s; %d pages served meanwhile\n", pct(hl, 50), pct(hl, 99), pct(hl, 100), pages)

	fmt.Fprintf(stdout, "\n## churn: %d rounds of %d sessions opened and closed (synack)\n", *rounds, *churn)
	var first int64
	for r := 1; r <= *rounds; r++ {
		if _, _, err := lg.memoryAt(ctx, syn, *churn); err != nil {
			return fmt.Errorf("churn round %d: %w", r, err)
		}
		st, err := syn.stats()
		if err != nil {
			return err
		}
		if r == 1 {
			first = st.RSS
		}
		fmt.Fprintf(stdout, "round %d: RSS %.1f MB after close (%+.1f%% of round 1), %d goroutines\n", r, float64(st.RSS)/1e6, 100*float64(st.RSS-first)/float64(first), st.Goroutines)
	}
	return nil
}

// childStats is what a measured server reports about itself.
type childStats struct {
	RSS        int64 `json:"rss"`
	Heap       int64 `json:"heap"`
	Goroutines int   `json:"goroutines"`
}

// loadChild serves (synack with its session caps lifted, or a bare echo) on a loopback
// port, prints the address, and answers each line on stdin with its stats until stdin
// closes.
func loadChild(ctx context.Context, kind string, stdout io.Writer) error {
	var h http.Handler
	switch kind {
	case "synack":
		h = web.NewServer(web.Config{MaxSessions: 1 << 20, MaxSessionsPerIP: 1 << 20,
			Limits: web.Limits{Rate: 1000, Burst: 1000}})
	case "echo":
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, nil)
			if err != nil {
				return
			}
			defer c.CloseNow()
			for {
				typ, b, err := c.Read(r.Context())
				if err != nil {
					return
				}
				if c.Write(r.Context(), typ, b) != nil {
					return
				}
			}
		})
	default:
		return usageErr("loadgen: unknown -child %q", kind)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	fmt.Fprintln(stdout, ln.Addr())
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		runtime.GC()
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b, _ := json.Marshal(childStats{RSS: rss(), Heap: int64(ms.HeapInuse + ms.StackInuse), Goroutines: runtime.NumGoroutine()})
		fmt.Fprintln(stdout, string(b))
	}
	srv.Close()
	return nil
}

// rss is this process's resident set in bytes (Linux; 0 elsewhere).
func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

type childProc struct {
	kind string
	addr string
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Scanner
	mu   sync.Mutex
}

func startChild(ctx context.Context, kind string, extra ...string) (*childProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, append([]string{"loadgen", "-child", kind}, extra...)...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outp, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &childProc{kind: kind, cmd: cmd, in: in, out: bufio.NewScanner(outp)}
	c.out.Buffer(make([]byte, 64<<10), 256<<20) // a report of every student's stamps is one long line
	if !c.out.Scan() {
		c.stop()
		return nil, fmt.Errorf("the %s server did not start", kind)
	}
	c.addr = strings.TrimSpace(c.out.Text())
	return c, nil
}

func (c *childProc) stats() (childStats, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var st childStats
	if _, err := io.WriteString(c.in, "stats\n"); err != nil {
		return st, err
	}
	if !c.out.Scan() {
		return st, fmt.Errorf("the %s server stopped", c.kind)
	}
	return st, json.Unmarshal(c.out.Bytes(), &st)
}

func (c *childProc) stop() {
	c.in.Close()
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}

type loadgen struct {
	out      io.Writer
	scenario string
	distinct bool
	seq      atomic.Int64
}

// client is one browser-like session: it reads every message on its own goroutine and
// hands the arrival time of each to whoever waits for a reply.
type client struct {
	c       *websocket.Conn
	replies chan reply
	hello   chan struct{}
}

func (lg *loadgen) dial(ctx context.Context, ch *childProc) (*client, error) {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(dctx, "ws://"+ch.addr+"/ws", nil)
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(-1)
	cl := &client{c: c, replies: make(chan reply, 64)}
	go func() {
		// Only a message's head is kept (the rest is read into a reused buffer and
		// dropped), so that the clients' own garbage collection, which a 12 KB reply
		// would drive and an echo would not, stays out of the figures.
		head := make([]byte, len(firstSteps))
		for {
			b, err := readHead(ctx, c, head)
			if err != nil {
				close(cl.replies)
				return
			}
			r := reply{t: time.Now(), first: ch.kind == "echo" || bytes.HasPrefix(b, firstSteps)}
			r.rest = !r.first && bytes.HasPrefix(b, stepsHead)
			select {
			case cl.replies <- r:
			default: // nobody is timing this one
			}
		}
	}()
	return cl, nil
}

// command is what a session sends, a start of the lesson at its first step, answered
// with the steps: the echo server gets the same bytes back.
func (lg *loadgen) command(ch *childProc) []byte {
	seed := 1
	if lg.distinct {
		seed = int(lg.seq.Add(1))
	}
	// As the player does for a lesson whose layout came inline in the page.
	b, _ := json.Marshal(map[string]any{"type": "start", "scenario": lg.scenario, "query": "seed=" + strconv.Itoa(seed), "step": 0, "have_layout": true})
	return b
}

// open opens n sessions, each started on the lesson (synack) or echoed once (echo), and
// waits for its first reply.
func (lg *loadgen) open(ctx context.Context, ch *childProc, n int) ([]*client, error) {
	out := make([]*client, n)
	errc := make(chan error, n)
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for i := range out {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cl, err := lg.dial(ctx, ch)
			if err != nil {
				errc <- err
				return
			}
			out[i] = cl
			if err := lg.roundTrip(ctx, cl, ch, nil, nil); err != nil {
				errc <- err
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		closeAll(out)
		return nil, err
	}
	return out, nil
}

// readHead reads one message whole, keeping at most len(head) bytes of it in head.
func readHead(ctx context.Context, c *websocket.Conn, head []byte) ([]byte, error) {
	_, r, err := c.Reader(ctx)
	if err != nil {
		return nil, err
	}
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.ErrUnexpectedEOF {
		return nil, err
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return nil, err
	}
	return head[:n], nil
}

// reply is one message a client received: when, and whether it is the first reply to a
// command (the echo; for synack the steps message that starts at step 0, the page's
// step) or a later steps message (the rest of the batch).
type reply struct {
	t           time.Time
	first, rest bool
}

var (
	stepsHead  = []byte(`{"type":"steps","steps":[`)
	firstSteps = []byte(`{"type":"steps","steps":[{"index":0,`)
)

// restWait is how long roundTrip waits for the rest of a batch after the first reply.
const restWait = time.Second

// roundTrip sends one command and waits for its first reply (the steps for synack, or
// the echo), recording the time it took; for synack it also waits for the rest of the
// batch and records the time to it in all (the first reply's time when none comes).
func (lg *loadgen) roundTrip(ctx context.Context, cl *client, ch *childProc, took, all *time.Duration) error {
	for len(cl.replies) > 0 {
		<-cl.replies // replies still arriving from the previous command
	}
	b := lg.command(ch)
	start := time.Now()
	if err := cl.c.Write(ctx, websocket.MessageText, b); err != nil {
		return err
	}
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case r, ok := <-cl.replies:
			if !ok {
				return errors.New("the session closed")
			}
			if !r.first {
				continue // hello, or what is left of an earlier command
			}
			if took != nil {
				*took = r.t.Sub(start)
			}
			if all == nil {
				return nil
			}
			*all = r.t.Sub(start)
			if ch.kind == "echo" {
				return nil
			}
			rest := time.NewTimer(restWait)
			defer rest.Stop()
			for {
				select {
				case r, ok := <-cl.replies:
					if !ok {
						return errors.New("the session closed")
					}
					if r.rest {
						*all = r.t.Sub(start)
						return nil
					}
				case <-rest.C:
					return nil // the first reply held the whole batch
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		case <-timeout.C:
			return errors.New("no reply in 30 s")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func closeAll(cs []*client) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256)
	for _, c := range cs {
		if c == nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c.c.Close(websocket.StatusNormalClosure, "")
		}()
	}
	wg.Wait()
}

// memoryAt opens n sessions and reports the child's RSS and goroutines per session over
// its idle baseline, then closes them.
func (lg *loadgen) memoryAt(ctx context.Context, ch *childProc, n int) (bytesPer, goroutinesPer float64, err error) {
	base, err := ch.stats()
	if err != nil {
		return 0, 0, err
	}
	cs, err := lg.open(ctx, ch, n)
	if err != nil {
		return 0, 0, err
	}
	live, err := ch.stats()
	closeAll(cs)
	if err != nil {
		return 0, 0, err
	}
	// Wait (bounded) for the child to notice every close.
	for i := 0; i < 100; i++ {
		st, err := ch.stats()
		if err != nil || st.Goroutines <= base.Goroutines+2 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return float64(live.RSS-base.RSS) / float64(n), float64(live.Goroutines-base.Goroutines) / float64(n), nil
}

// latency sends commands at a fixed rate to each server, each on the next of its n
// sessions, without waiting for replies before sending the next (open loop). The
// servers' commands alternate on one schedule, so that each meets the same machine: on
// a shared host the load moves within seconds, and servers timed one after the other
// would be timed on different machines. It returns, per server, each command's time to
// its first reply and to the end of its batch of steps, each sorted.
func (lg *loadgen) latency(ctx context.Context, chs []*childProc, n, commands int, rate float64) (first, all [][]time.Duration, err error) {
	cs := make([][]*client, len(chs))
	for k, ch := range chs {
		if cs[k], err = lg.open(ctx, ch, n); err != nil {
			return nil, nil, err
		}
		defer closeAll(cs[k])
	}
	busy := make([][]sync.Mutex, len(chs))
	first, all = make([][]time.Duration, len(chs)), make([][]time.Duration, len(chs))
	for k := range chs {
		busy[k] = make([]sync.Mutex, n)
		first[k], all[k] = make([]time.Duration, commands), make([]time.Duration, commands)
	}
	errc := make(chan error, commands*len(chs))
	var wg sync.WaitGroup
	interval := time.Duration(float64(time.Second) / rate / float64(len(chs)))
	start := time.Now()
	for i := 0; i < commands*len(chs); i++ {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		k, c := i%len(chs), i/len(chs)
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := c % n
			busy[k][s].Lock() // one command at a time on a session, as one reader clicks
			defer busy[k][s].Unlock()
			if err := lg.roundTrip(ctx, cs[k][s], chs[k], &first[k][c], &all[k][c]); err != nil {
				errc <- fmt.Errorf("%s: %w", chs[k].kind, err)
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return nil, nil, err
	}
	for k := range chs {
		slices.Sort(first[k])
		slices.Sort(all[k])
	}
	return first, all, nil
}

// pct is the p-th percentile of sorted durations (p = 100: the largest).
func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := min(len(d)-1, len(d)*p/100)
	return d[i].Round(time.Microsecond)
}

// hammerHTTP has clients fetch page as fast as they can while /healthz is asked probes
// times, one after another; it returns the /healthz times, sorted, and the pages served.
func hammerHTTP(ctx context.Context, addr, page string, clients, probes int) ([]time.Duration, int64, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: clients + 1, DisableCompression: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	probe := &http.Client{Transport: &http.Transport{}, Timeout: 60 * time.Second} // its own connection, as another user's
	defer probe.CloseIdleConnections()
	get := func(path string) error {
		hc := hc
		if path == "/healthz" {
			hc = probe
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := hc.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", path, res.Status)
		}
		return nil
	}
	hctx, stop := context.WithCancel(ctx)
	var pages atomic.Int64
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for hctx.Err() == nil {
				if get(page) == nil {
					pages.Add(1)
				}
			}
		}()
	}
	out := make([]time.Duration, 0, probes)
	var err error
	for range probes {
		start := time.Now()
		if err = get("/healthz"); err != nil {
			break
		}
		out = append(out, time.Since(start))
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	wg.Wait()
	slices.Sort(out)
	return out, pages.Load(), err
}
