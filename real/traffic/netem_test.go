package traffic

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"synack/engine/passive"
	"synack/engine/tcp"
)

// sh runs a command and fails the test with its output if it fails.
func sh(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestLossyPathTraffic downloads over a veth pair into a network namespace made by the
// test, with tc netem losing, delaying and reordering the server's packets, and
// captures at the receiving end: retransmissions, duplicate ACKs, segments the capture
// never saw and segments out of order, to be flagged as tshark flags them.
func TestLossyPathTraffic(t *testing.T) {
	if testing.Short() {
		t.Skip("records real traffic: not in -short")
	}
	need(t, "tcpdump", "tshark", "editcap", "curl", "ip", "tc")
	id := os.Getpid() % 10000
	ns := fmt.Sprintf("synack-imp-%d", id)
	va, vb := fmt.Sprintf("saimp%da", id), fmt.Sprintf("saimp%db", id)
	subnet := fmt.Sprintf("10.%d.%d", 100+id/250%100, id%250)
	hostAddr, nsAddr := subnet+".1", subnet+".2"
	sh(t, "ip", "netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	sh(t, "ip", "link", "add", va, "type", "veth", "peer", "name", vb)
	t.Cleanup(func() { exec.Command("ip", "link", "del", va).Run() })
	sh(t, "ip", "link", "set", vb, "netns", ns)
	sh(t, "ip", "addr", "add", hostAddr+"/24", "dev", va)
	sh(t, "ip", "link", "set", va, "up")
	sh(t, "ip", "netns", "exec", ns, "ip", "addr", "add", nsAddr+"/24", "dev", vb)
	sh(t, "ip", "netns", "exec", ns, "ip", "link", "set", vb, "up")
	sh(t, "ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
	// The server's packets: 10 ms late, a quarter of them sent at once instead (so they
	// overtake), and 2 % lost. A kernel built without netem gets a token bucket with a
	// short queue instead, which loses what overflows it (but reorders nothing).
	want := []passive.Anomaly{passive.Retransmission, passive.DuplicateACK, passive.LostSegment, passive.OutOfOrder}
	if out, err := exec.Command("tc", "qdisc", "add", "dev", va, "root", "netem", "delay", "10ms", "reorder", "25%", "50%", "loss", "2%").CombinedOutput(); err != nil {
		t.Logf("no netem in this kernel (%s): losses come from a token bucket's full queue", strings.TrimSpace(string(out)))
		sh(t, "tc", "qdisc", "add", "dev", va, "root", "tbf", "rate", "40mbit", "burst", "16kb", "limit", "24kb")
		want = want[:3]
	}

	big := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	ln, err := net.Listen("tcp", hostAddr+":0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, big) })}
	go srv.Serve(ln)
	defer srv.Close()
	webPort := port(ln.Addr())
	closed, _ := net.Listen("tcp", hostAddr+":0")
	markerPort := port(closed.Addr())
	closed.Close()

	s := startCapture(t, []string{"ip", "netns", "exec", ns}, vb, fmt.Sprintf("tcp and (port %d or port %d)", webPort, markerPort))
	for range 2 {
		out, err := exec.Command("ip", "netns", "exec", ns, "curl", "-s", "-o", "/dev/null", "-w", "%{size_download}", "--max-time", "60",
			fmt.Sprintf("http://%s:%d/", hostAddr, webPort)).CombinedOutput()
		if err != nil || string(out) != fmt.Sprint(len(big)) {
			t.Fatalf("curl over the lossy path: %v %s", err, out)
		}
	}
	exec.Command("ip", "netns", "exec", ns, "curl", "-s", "--max-time", "30", fmt.Sprintf("http://%s:%d/", hostAddr, markerPort)).Run()
	s.waitFor(t, "the marker's RST", func(p seen) bool { return p.sport == markerPort && p.flags&tcp.RST != 0 })
	file := s.stop(t)
	agree(t, file, want...)
	sameAsOtherForms(t, file)
}
