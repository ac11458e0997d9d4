package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// BenchmarkWSCommandToFirstReply times what the load tool times, in process over
// loopback: a player's start (three-way-handshake, layout in the page) until the steps
// message holding the page's step arrives (first-ns/op), and until the rest of the
// batch has (ns/op), next to a bare coder/websocket echo of the same bytes.
func BenchmarkWSCommandToFirstReply(b *testing.B) {
	start := func(scenario string) []byte {
		return []byte(`{"type":"start","scenario":"` + scenario + `","query":"seed=1","step":0,"have_layout":true}`)
	}
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, m, err := c.Read(r.Context())
			if err != nil || c.Write(r.Context(), typ, m) != nil {
				return
			}
		}
	})
	synack := func() http.Handler { return NewServer(Config{Limits: Limits{Rate: 1e9, Burst: 1 << 30}}) }
	for _, bc := range []struct {
		name string
		h    func() http.Handler
		cmd  []byte
	}{
		{"echo", func() http.Handler { return echo }, start("three-way-handshake")},
		{"synack", synack, start("three-way-handshake")},
		// A long story: its ~240 KB batch is built in a pooled buffer too.
		{"synack-half-close", synack, start("half-close")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h := bc.h()
			ts := httptest.NewServer(h)
			defer ts.Close()
			if s, ok := h.(*Server); ok {
				defer s.CloseSessions()
			}
			ctx := context.Background()
			c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/ws", nil)
			if err != nil {
				b.Fatal(err)
			}
			defer c.CloseNow()
			c.SetReadLimit(-1)
			isSynack := bc.name != "echo"
			if isSynack {
				c.Read(ctx) // hello
			}
			b.ReportAllocs()
			var first time.Duration
			for b.Loop() {
				start := time.Now()
				if err := c.Write(ctx, websocket.MessageText, bc.cmd); err != nil {
					b.Fatal(err)
				}
				_, m, err := c.Read(ctx)
				if err != nil {
					b.Fatal(err)
				}
				first += time.Since(start)
				if isSynack {
					if !strings.HasPrefix(string(m), `{"type":"steps","steps":[{"index":0,`) {
						b.Fatalf("first reply %.50s…, want the steps from 0", m)
					}
					_, r, err := c.Reader(ctx) // the rest of the batch, read as it comes
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, r)
				}
			}
			b.ReportMetric(float64(first.Nanoseconds())/float64(b.N), "first-ns/op")
		})
	}
}

// commandBytes is the heap a session's start command costs, on both ends, averaged over
// n commands once the run and the pools are warm: the command goes out, the steps come
// back and are read into io.Discard.
func commandBytes(t testing.TB, scenario string, n int) float64 {
	s, ts := newTestServer(t, Config{Limits: Limits{Rate: 1e9, Burst: 1 << 30}})
	_ = s
	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.SetReadLimit(-1)
	cmd := []byte(`{"type":"start","scenario":"` + scenario + `","query":"seed=1","step":0,"have_layout":true}`)
	total := 0
	round := func() {
		if err := c.Write(ctx, websocket.MessageText, cmd); err != nil {
			t.Fatal(err)
		}
		// The page's own step comes first, in a message of its own, then the batch.
		for got := 0; got < 2; got++ {
			_, r, err := c.Reader(ctx)
			if err != nil {
				t.Fatal(err)
			}
			k, _ := io.Copy(io.Discard, r)
			total += int(k)
		}
	}
	if _, r, err := c.Reader(ctx); err == nil { // hello
		io.Copy(io.Discard, r)
	}
	for range 20 {
		round() // warm: the run, its steps' JSON, the pools
	}
	// The heap counters are the whole process's, and goroutines other tests of the
	// package left behind (servers draining, sessions ending) allocate too: the commands
	// are measured in blocks and the quietest block is taken, since that noise only adds.
	const blocks = 5
	per := max(n/blocks, 1)
	best := -1.0
	for range blocks {
		total = 0
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range per {
			round()
		}
		runtime.ReadMemStats(&after)
		if total/per < 1000 {
			t.Fatalf("%s: %d bytes a command came back; the test no longer reads the batch", scenario, total/per)
		}
		if v := float64(after.TotalAlloc-before.TotalAlloc) / float64(per); best < 0 || v < best {
			best = v
		}
	}
	return best
}

// A long story's commands allocate no more than a short one's: the buffer a "steps"
// message is built in goes back to the pool however long the batch (issue 24: a
// half-close batch, ~240 KB, used to be left to the garbage collector every command).
func TestLongStoryCommandsAllocateLikeShortOnes(t *testing.T) {
	if raceEnabled {
		// sync.Pool drops a quarter of what it is given under the race detector, on
		// purpose, so pooling cannot be measured there; the plain run measures it.
		t.Skip("the race detector makes sync.Pool drop buffers at random; measured without -race")
	}
	short := commandBytes(t, "three-way-handshake", 200)
	long := commandBytes(t, "half-close", 200)
	t.Logf("heap per start command: three-way-handshake %.0f B, half-close %.0f B", short, long)
	if long > 2*short {
		t.Errorf("half-close allocates %.0f B a command, three-way-handshake %.0f B: want no more than the short story's", long, short)
	}
}

// growSteps grows a buffer only when it must, then straight to the message limit (so it
// fits every later batch and is pooled), and past it only for a step that needs more.
func TestGrowSteps(t *testing.T) {
	const limit = 100
	buf := make([]byte, 10, 20)
	if got := growSteps(buf, 10, limit); cap(got) != 20 || &got[0] != &buf[0] {
		t.Errorf("exactly full: cap %d, want the same 20-byte buffer", cap(got))
	}
	got := growSteps(buf, 11, limit)
	if cap(got) != limit || len(got) != 10 {
		t.Errorf("one byte over: len %d cap %d, want len 10 cap %d", len(got), cap(got), limit)
	}
	if got := growSteps(buf, limit, limit); cap(got) != 10+limit {
		t.Errorf("a step larger than a message: cap %d, want %d", cap(got), 10+limit)
	}
}
