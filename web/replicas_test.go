package web

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// replicaEnv makes this test binary serve one replica instead of running tests.
const replicaEnv = "SYNACK_TEST_REPLICA"

// startReplicaProcess starts this test binary again as a server of its own (a replica
// as a deployment runs it, with its own process-wide state) and returns its URL.
func startReplicaProcess(t *testing.T) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestETagSameInTwoProcesses$")
	cmd.Env = append(os.Environ(), replicaEnv+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close() // the replica stops when its stdin closes
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http://") {
		t.Fatalf("the replica process did not start: %q, %v", line, err)
	}
	go io.Copy(io.Discard, out)
	return strings.TrimSpace(line)
}

// Two replicas in processes of their own, as behind a load balancer (which passes
// the same Host to both), give every cached address the same ETag, and each answers
// the other's with 304. Two servers in one process would share anything drawn at random
// once per process, so this test needs two processes.
func TestETagSameInTwoProcesses(t *testing.T) {
	if os.Getenv(replicaEnv) != "" {
		ts := httptest.NewServer(NewServer(Config{}))
		fmt.Println(ts.URL)
		io.Copy(io.Discard, os.Stdin)
		ts.Close()
		return
	}
	a, b := startReplicaProcess(t), startReplicaProcess(t)
	get := func(base, path, enc, inm string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Host = "synack.example" // what the load balancer passes on
		req.Header.Set("Accept-Encoding", enc)
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		// A transport of its own: it must not decompress (or ask for gzip) itself.
		res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	for _, path := range []string{"/", "/lessons/three-way-handshake", "/lessons/half-close?lang=zh&rtt=80ms",
		"/embed/lessons/four-way-close?step=3", "/lab", "/compare", "/compare.json", "/states.svg?lang=zh",
		"/lessons/syn-flood/diagram.svg", "/lessons/three-way-handshake/diagram.png", "/lessons/https-tls13/capture.pcapng"} {
		for _, enc := range []string{"identity", "gzip"} {
			ra, rb := get(a, path, enc, ""), get(b, path, enc, "")
			ea, eb := ra.Header.Get("ETag"), rb.Header.Get("ETag")
			if ra.StatusCode != http.StatusOK || ea == "" || ea != eb {
				t.Errorf("%s (%s): status %d and %d, ETags %q and %q; want 200 and one ETag on both", path, enc, ra.StatusCode, rb.StatusCode, ea, eb)
				continue
			}
			if nm := get(b, path, enc, ea); nm.StatusCode != http.StatusNotModified {
				t.Errorf("%s (%s): replica A's ETag revalidated on replica B: status %d, want 304", path, enc, nm.StatusCode)
			}
		}
	}
}
