package engine

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"synack/engine/tcp"
)

// Bulk transfer limits: the benchmark's path and the application's writes.
const (
	bulkRTT      = 50 * time.Millisecond // round-trip time of the benchmark's path
	bulkLoss     = 0.01                  // each segment is lost with this probability, both ways
	bulkWrite    = 256 << 10             // the sender's application writes this much at a time
	bulkQueued   = 4 << 20               // ... while less than this waits unacknowledged
	bulkRecvWnd  = 4 << 20               // the receiver's window (Linux grows it by autotuning)
	bulkTopUpGap = 10 * time.Millisecond // how often the sender's application looks at its queue
)

// bulkRun sends n bytes from client to server over a path of bulkRTT with bulkLoss
// random loss each way (seeded), keeping the full trace, and returns the trace, the
// bytes the server read and why the run stopped early, if it did.
func bulkRun(n int, seed uint64) (tr *Trace, read int, truncated string) {
	s := NewSim(seed)
	s.Horizon = 0
	s.DefaultLink = Link{Delay: bulkRTT / 2, Loss: bulkLoss}
	prof := tcp.LinuxProfile()
	client := s.AddHost("client", tcp.ClientAddr, "client", prof)
	sprof := prof
	sprof.RecvWindow = bulkRecvWnd
	server := s.AddHost("server", tcp.ServerAddr, "server", sprof)
	rbuf := make([]byte, bulkWrite) // the receiving application's buffer, reused
	s.OnConn(server, func(c *tcp.Conn, k tcp.ConnEventKind) {
		switch k {
		case tcp.ConnAcceptable:
			if l := server.Listener(tcp.ServerPort); l != nil {
				l.Accept()
			}
		case tcp.ConnReadable, tcp.ConnEOF:
			for c.Buffered() > 0 {
				n, _ := c.ReadInto(rbuf)
				read += n
			}
			if c.FinReceived() && c.Buffered() == 0 && !c.WriteShut() {
				c.Close()
			}
		}
	})
	chunk := make([]byte, bulkWrite)
	for i := range chunk {
		chunk[i] = byte('a' + i%26)
	}
	sent := 0
	var topUp func(c *tcp.Conn)
	topUp = func(c *tcp.Conn) {
		if c.Deleted() || c.WriteShut() {
			return
		}
		for sent < n && c.Unacked() < bulkQueued {
			w := min(n-sent, len(chunk))
			c.Send(chunk[:w])
			sent += w
		}
		if sent == n {
			c.Close()
			return
		}
		s.After(bulkTopUpGap, func() { topUp(c) })
	}
	s.OnConn(client, func(c *tcp.Conn, k tcp.ConnEventKind) {
		if k == tcp.ConnEstablished {
			topUp(c)
		}
	})
	s.At(0, func() { server.Listen(tcp.ServerPort, 128) })
	s.At(1000, func() { client.Connect(40000, tcp.ServerAddr, tcp.ServerPort) })
	tr = s.Run()
	return tr, read, s.Truncated
}

// BenchmarkBulkTransfer is 100 MB (and 1 GB) sent over a 50 ms RTT with 1 % random loss
// each way, the whole trace kept (BENCHMARKS.md, "Bulk transfer").
func BenchmarkBulkTransfer(b *testing.B) {
	for _, mb := range []int{100, 1000} {
		b.Run(fmt.Sprintf("%dMB", mb), func(b *testing.B) {
			n := mb << 20
			b.SetBytes(int64(n))
			cpu0 := cpuTime()
			for b.Loop() {
				tr, read, trunc := bulkRun(n, 1)
				if read != n {
					b.Fatalf("server read %d bytes, want %d (trace: %d events, %s)", read, n, tr.Len(), trunc)
				}
				b.ReportMetric(float64(tr.Len()), "events")
			}
			// On a shared machine the wall time includes waiting for a core; the CPU
			// time (all threads, the collector's too) is what the run costs.
			b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}

// cpuTime is the CPU time the process has used, user and system, all threads.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
