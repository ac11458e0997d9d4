package engine

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"synack/engine/tcp"
)

// A bulk transfer over a lossy path arrives whole and in order, under both profiles
// and with SACK on or off, and loss recovery (not only the retransmission timeout)
// repairs most losses: the run ends well before a timeout per lost segment would allow.
func TestBulkTransferOverLossyPath(t *testing.T) {
	const size = 1 << 20
	seeds := uint64(3)
	if testing.Short() {
		seeds = 1
	}
	for _, tc := range []struct {
		prof string
		sack bool
		loss float64
	}{
		{"linux", true, 0.01}, {"linux", true, 0.05}, {"linux", false, 0.01},
		{"rfc", true, 0.01}, {"rfc", false, 0.02}, {"linux", true, 0.15},
	} {
		for seed := uint64(1); seed <= seeds; seed++ {
			t.Run(fmt.Sprintf("%s/sack=%v/loss=%v/seed=%d", tc.prof, tc.sack, tc.loss, seed), func(t *testing.T) {
				prof, _ := tcp.ProfileByName(tc.prof)
				prof.SACK = tc.sack
				prof.RecvWindow = 1 << 20
				prof.WindowShift = 7
				s := NewSim(seed)
				srv := s.AddHost("server", tcp.ServerAddr, "server", prof)
				cli := s.AddHost("client", tcp.ClientAddr, "client", prof)
				link := Link{Delay: 25 * time.Millisecond, Loss: tc.loss}
				s.SetLink("client", "server", link)
				s.SetLink("server", "client", link)
				l, err := srv.Listen(80, 16)
				if err != nil {
					t.Fatal(err)
				}
				var got []byte
				var sc *tcp.Conn
				var doneAt tcp.Time
				s.OnConn(srv, func(c *tcp.Conn, k tcp.ConnEventKind) {
					switch k {
					case tcp.ConnAcceptable:
						sc, _ = l.Accept()
					case tcp.ConnReadable, tcp.ConnEOF:
						if b, err := c.Read(c.Buffered()); err == nil {
							got = append(got, b...)
						}
						if len(got) == size && doneAt == 0 {
							doneAt = s.Now()
						}
					}
				})
				want := make([]byte, size)
				for i := range want {
					want[i] = byte(i * 7)
				}
				c, err := cli.Connect(40000, tcp.ServerAddr, 80)
				if err != nil {
					t.Fatal(err)
				}
				s.OnConn(cli, func(cc *tcp.Conn, k tcp.ConnEventKind) {
					if k == tcp.ConnEstablished {
						cc.Send(want)
						cc.Close()
					}
				})
				s.RunUntil(tcp.Time(0).Add(10 * time.Minute))
				if !bytes.Equal(got, want) {
					t.Fatalf("received %d bytes, want the %d sent, in order", len(got), size)
				}
				if sc == nil || !sc.FinReceived() {
					t.Fatalf("the server never saw the client's FIN")
				}
				_ = c
				tr := s.Trace()
				fast, rto := 0, 0
				for i := 0; i < tr.Len(); i++ {
					e := tr.Event(i)
					if e.Kind == tcp.EventNote && e.Note == "fast-recovery" {
						fast++
					}
					if e.Kind == tcp.EventTimer && e.Timer == tcp.TimerRTO && e.Action == tcp.TimerFired {
						rto++
					}
				}
				if fast == 0 {
					t.Errorf("no fast recovery in %d lost segments' worth of run: only timeouts repaired the losses", rto)
				}
				t.Logf("all data at %s: %d fast recoveries, %d firings of the RTO slot (RTO, probe or reorder timer)", doneAt, fast, rto)
			})
		}
	}
}
