package web

import (
	"context"
	"net/http"
	"net/http/httptest"
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
	cmd := []byte(`{"type":"start","scenario":"three-way-handshake","query":"seed=1","step":0,"have_layout":true}`)
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
	for _, bc := range []struct {
		name string
		h    func() http.Handler
	}{
		{"echo", func() http.Handler { return echo }},
		{"synack", func() http.Handler { return NewServer(Config{Limits: Limits{Rate: 1e9, Burst: 1 << 30}}) }},
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
			if bc.name == "synack" {
				c.Read(ctx) // hello
			}
			b.ReportAllocs()
			var first time.Duration
			for b.Loop() {
				start := time.Now()
				if err := c.Write(ctx, websocket.MessageText, cmd); err != nil {
					b.Fatal(err)
				}
				_, m, err := c.Read(ctx)
				if err != nil {
					b.Fatal(err)
				}
				first += time.Since(start)
				if bc.name == "synack" {
					if !strings.HasPrefix(string(m), `{"type":"steps","steps":[{"index":0,`) {
						b.Fatalf("first reply %.50s…, want the steps from 0", m)
					}
					if _, _, err := c.Read(ctx); err != nil { // the rest of the batch
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(first.Nanoseconds())/float64(b.N), "first-ns/op")
		})
	}
}
