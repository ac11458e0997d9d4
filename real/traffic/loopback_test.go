package traffic

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"synack/engine/passive"
	"synack/engine/tcp"
)

// waitCount waits until n packets of the capture satisfy pred.
func (s *session) waitCount(t *testing.T, what string, n int, pred func(seen) bool) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		s.mu.Lock()
		k := 0
		for _, p := range s.pkts {
			if pred(p) {
				k++
			}
		}
		s.mu.Unlock()
		if k >= n {
			return
		}
		select {
		case <-s.notify:
		case <-deadline:
			t.Fatalf("the capture showed %d of %d %s", k, n, what)
		}
	}
}

func port(a net.Addr) uint16 { return uint16(a.(*net.TCPAddr).Port) }

// TestLoopbackTraffic records curl against a local HTTP server, a connection refused
// with RST, an abortive close, and a slow reader whose window closes, and checks the
// importer against tshark and against the kernel's own socket states.
func TestLoopbackTraffic(t *testing.T) {
	if testing.Short() {
		t.Skip("records real traffic: not in -short")
	}
	need(t, "tcpdump", "tshark", "editcap", "curl", "ss")

	// An HTTP server; curl closes first, so its end should wait in TIME-WAIT.
	web, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("synack ", 3000))
	})}
	go srv.Serve(web)
	defer srv.Close()
	// A port nobody listens on: connecting gets RST.
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedPort := port(closed.Addr())
	closed.Close()
	// A raw listener for the abortive close.
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	// A listener with a small receive buffer, for the slow reader.
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return serr
	}}
	slow, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	marker, _ := net.Listen("tcp", "127.0.0.1:0")
	markerPort := port(marker.Addr())
	marker.Close()

	webPort, rawPort, slowPort := port(web.Addr()), port(raw.Addr()), port(slow.Addr())
	filter := fmt.Sprintf("tcp and (port %d or port %d or port %d or port %d or port %d)", webPort, closedPort, rawPort, slowPort, markerPort)
	s := startCapture(t, nil, "lo", filter)

	// 1. Three HTTP fetches with curl.
	for range 3 {
		if out, err := exec.Command("curl", "-s", "-o", "/dev/null", "--max-time", "10", fmt.Sprintf("http://127.0.0.1:%d/", webPort)).CombinedOutput(); err != nil {
			t.Fatalf("curl: %v %s", err, out)
		}
	}
	// The server closes after curl: wait for its three FINs and their ACKs.
	s.waitCount(t, "FINs from the HTTP server", 3, func(p seen) bool { return p.sport == webPort && p.flags&tcp.FIN != 0 })
	s.waitCount(t, "ACKs of the HTTP server's FINs", 6, func(p seen) bool {
		return p.dport == webPort && p.flags&tcp.FIN == 0 && p.len == 0 && p.flags == tcp.ACK
	})

	// 2. Connection refused.
	if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", closedPort)); err == nil {
		c.Close()
		t.Fatal("a connection to a closed port was accepted")
	}
	// 3. Abortive close: SO_LINGER 0, then close, sends RST.
	acc := make(chan net.Conn, 1)
	go func() { c, _ := raw.Accept(); acc <- c }()
	c, err := net.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sc := <-acc
	c.Write([]byte("hello"))
	c.(*net.TCPConn).SetLinger(0)
	c.Close()
	s.waitFor(t, "the abortive close's RST", func(p seen) bool { return p.dport == rawPort && p.flags&tcp.RST != 0 })
	sc.Close()

	// 4. A slow reader: the server does not read until its window has closed and the
	// sender has probed it.
	go func() { c, _ := slow.Accept(); acc <- c }()
	sender, err := net.Dial("tcp", slow.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	reader := <-acc
	wrote := make(chan error, 1)
	go func() {
		_, err := sender.Write(make([]byte, 128<<10))
		sender.Close()
		wrote <- err
	}()
	s.waitFor(t, "a zero window from the slow reader", func(p seen) bool { return p.sport == slowPort && p.window == 0 && p.flags&tcp.SYN == 0 })
	s.waitCount(t, "the sender's window probes", 2, func(p seen) bool { return p.dport == slowPort && p.len == 0 && p.flags == tcp.ACK })
	if _, err := io.Copy(io.Discard, reader); err != nil {
		t.Fatal(err)
	}
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	reader.Close()
	s.waitFor(t, "the slow reader's FIN", func(p seen) bool { return p.sport == slowPort && p.flags&tcp.FIN != 0 })

	// The marker: once its RST is captured, everything before it is in the file.
	if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", markerPort)); err == nil {
		c.Close()
	}
	s.waitFor(t, "the marker's RST", func(p seen) bool { return p.sport == markerPort && p.flags&tcp.RST != 0 })
	// The kernel's view, while the TIME-WAIT sockets still exist.
	ssOut, err := exec.Command("ss", "-Htan", "state", "time-wait", fmt.Sprintf("( dport = :%d )", webPort)).Output()
	if err != nil {
		t.Fatalf("ss: %v", err)
	}
	file := s.stop(t)

	agree(t, file, passive.Reset, passive.ZeroWindow, passive.KeepAlive, passive.WindowFull)
	sameAsOtherForms(t, file)

	// The states: every curl connection's client end is in TIME-WAIT, as ss says, and
	// the server's end closed.
	_, tk := ourVerdicts(t, file)
	n := 0
	for _, c := range tk.Conns() {
		cl, sv := &c.A, &c.B
		if sv.Addr.Port() != webPort {
			continue
		}
		n++
		if got := strings.Join(cl.States(), " > "); got != "CLOSED > SYN-SENT > ESTABLISHED > FIN-WAIT-1 > FIN-WAIT-2 > TIME-WAIT" {
			t.Errorf("curl's end %s: states %s, want CLOSED > SYN-SENT > ESTABLISHED > FIN-WAIT-1 > FIN-WAIT-2 > TIME-WAIT", cl.Addr, got)
		}
		if got := strings.Join(sv.States(), " > "); got != "LISTEN > SYN-RECEIVED > ESTABLISHED > CLOSE-WAIT > LAST-ACK > CLOSED" {
			t.Errorf("the server's end: states %s, want LISTEN > SYN-RECEIVED > ESTABLISHED > CLOSE-WAIT > LAST-ACK > CLOSED", got)
		}
		if want := fmt.Sprintf("127.0.0.1:%d", cl.Addr.Port()); !strings.Contains(string(ssOut), want+" ") {
			t.Errorf("ss shows no TIME-WAIT socket at %s; it shows:\n%s", want, ssOut)
		}
	}
	if n != 3 {
		t.Errorf("found %d HTTP connections, want 3", n)
	}
	// The refused connection: the client went SYN-SENT then CLOSED, the port's end
	// answered without ever being a connection.
	for _, c := range tk.Conns() {
		if c.B.Addr.Port() == closedPort {
			if got := strings.Join(c.A.States(), " > "); got != "CLOSED > SYN-SENT > CLOSED" {
				t.Errorf("refused connection's client: %s, want CLOSED > SYN-SENT > CLOSED", got)
			}
		}
	}
}
