package traffic

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"synack/engine/capture"
	"synack/engine/tcp"
)

// need skips the test when a tool or root is missing, except under CI=true.
func need(t *testing.T, tools ...string) {
	t.Helper()
	fail := t.Skipf
	if os.Getenv("CI") == "true" {
		fail = t.Fatalf
	}
	if runtime.GOOS != "linux" {
		fail("real traffic is recorded on Linux only")
	}
	if os.Geteuid() != 0 {
		fail("recording traffic with tcpdump needs root")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			fail("%s is not installed (apt-get install %s)", tool, map[string]string{"ip": "iproute2", "tc": "iproute2", "ss": "iproute2", "tshark": "tshark", "editcap": "wireshark-common", "tcpdump": "tcpdump", "curl": "curl"}[tool])
		}
	}
}

// seen is what a test waits for in the live capture.
type seen struct {
	sport, dport uint16
	flags        tcp.Flags
	window       uint16
	seq          tcp.Seq
	len          int
}

// session is a tcpdump run whose packets the test reads as they are captured (so it
// can wait for one without sleeping) and which also lands in a file for tshark.
type session struct {
	cmd    *exec.Cmd
	file   string
	mu     sync.Mutex
	pkts   []seen
	notify chan struct{}
	done   chan error
}

// startCapture starts tcpdump (behind prefix, e.g. "ip netns exec NS") on iface with
// filter and returns once it is listening.
func startCapture(t *testing.T, prefix []string, iface, filter string) *session {
	t.Helper()
	s := &session{file: filepath.Join(t.TempDir(), "capture.pcap"), notify: make(chan struct{}, 1), done: make(chan error, 1)}
	args := append(append([]string{}, prefix...), "tcpdump", "-i", iface, "-n", "-U", "--immediate-mode", "-s", "256", "-B", "16384", "-w", "-", filter)
	s.cmd = exec.Command(args[0], args[1:]...)
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errp, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Kill()
			s.cmd.Wait()
		}
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(errp)
		var lines []string
		for sc.Scan() {
			lines = append(lines, sc.Text())
			if strings.Contains(sc.Text(), "listening on") {
				ready <- ""
			}
		}
		ready <- strings.Join(lines, "\n")
	}()
	f, err := os.Create(s.file)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer f.Close()
		tee := io.TeeReader(out, f)
		rd, err := capture.NewReader(tee)
		if err != nil {
			s.done <- err
			return
		}
		for {
			p, err := rd.Next()
			if err != nil {
				io.Copy(io.Discard, tee) // whatever tcpdump still writes goes to the file
				if errors.Is(err, io.EOF) {
					err = nil
				}
				s.done <- err
				return
			}
			s.mu.Lock()
			s.pkts = append(s.pkts, seen{p.SrcPort, p.DstPort, p.Flags, p.Window, p.Seq, p.PayloadLen})
			s.mu.Unlock()
			select {
			case s.notify <- struct{}{}:
			default:
			}
		}
	}()
	select {
	case msg := <-ready:
		if msg != "" {
			t.Fatalf("tcpdump did not start: %s", msg)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("tcpdump did not say it was listening within 20 s")
	}
	return s
}

// waitFor waits until the capture holds a packet for which pred is true.
func (s *session) waitFor(t *testing.T, what string, pred func(seen) bool) seen {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		s.mu.Lock()
		for _, p := range s.pkts {
			if pred(p) {
				s.mu.Unlock()
				return p
			}
		}
		s.mu.Unlock()
		select {
		case <-s.notify:
		case <-deadline:
			s.mu.Lock()
			last := s.pkts[max(0, len(s.pkts)-8):]
			s.mu.Unlock()
			t.Fatalf("the capture never showed %s; its last packets: %+v (SYNACK_CAPTURE_DIR keeps a capture that agree reads)", what, last)
		}
	}
}

// stop ends tcpdump and returns the file it wrote.
func (s *session) stop(t *testing.T) string {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("reading tcpdump's output: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("tcpdump did not stop within 20 s of SIGINT")
	}
	s.cmd.Wait()
	return s.file
}
