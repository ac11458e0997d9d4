//go:build linux

package kernel

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"synack/engine/packetdrill"
)

// kernelParallel is how many scripts run at once. Each has its own namespace, but the
// timing checks (4 ms) need a machine that is not overloaded; 3 keeps a 2-core machine
// honest while the longest script (131 s of SYN backoff) bounds the total.
const kernelParallel = 3

// kernelTolerance is the timing slack of the kernel suite under go test: other packages'
// tests share the machine, so it allows 25 ms instead of packetdrill's 4 ms (12.5 % of the
// gap still applies when larger). Run by hand (synack packetdrill --kernel) the default
// 4 ms applies, and the suite passes with it on a quiet machine.
const kernelTolerance = 25 * time.Millisecond

// TestSuiteOnKernel runs every script of testdata/packetdrill against this machine's Linux
// kernel. A script that fails here is a wrong script; one that passes here and fails on the
// engine is an engine bug. It needs root and /dev/net/tun; under CI=true it must run.
func TestSuiteOnKernel(t *testing.T) {
	if testing.Short() {
		t.Skip("the kernel suite takes over two minutes; skipped in -short mode")
	}
	files, _ := filepath.Glob("../../testdata/packetdrill/*.pkt")
	if len(files) < 30 {
		t.Fatalf("%d scripts, want at least 30", len(files))
	}
	var scripts []*packetdrill.Script
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := packetdrill.Parse(filepath.Base(f), src)
		if err != nil {
			t.Fatal(err)
		}
		s.Tolerance = max(s.Tolerance, kernelTolerance)
		scripts = append(scripts, s)
	}
	// Probe once: without privileges, skip (or fail under CI).
	probe, _ := packetdrill.Parse("probe", []byte("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"))
	if _, err := Run(context.Background(), probe); errors.Is(err, ErrNoPrivilege) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the kernel suite must run under CI=true: %v", err)
		}
		t.Skipf("kernel suite skipped: %v", err)
	}
	// Longest first, so the long waits overlap.
	sort.SliceStable(scripts, func(i, j int) bool { return lastTime(scripts[i]) > lastTime(scripts[j]) })
	sem := make(chan struct{}, kernelParallel)
	var mu sync.Mutex
	var failed []*packetdrill.Script
	var wg sync.WaitGroup
	for _, s := range scripts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			res, err := Run(ctx, s)
			if err != nil || !res.Pass {
				mu.Lock()
				failed = append(failed, s)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	// The kernel is checked in real time against 4 ms tolerances; a loaded machine can make
	// a correct script miss. A failed script runs again alone, up to soloRetries times;
	// failing every time is real. (poll-events.pkt's blocking polls miss their wake-up
	// about one run in fifteen even alone, where google/packetdrill does not: a defect of
	// this runner's blocking calls, not yet found.)
	const soloRetries = 2
	var msgs []string
	for _, s := range failed {
		var last string
		passed := false
		for range soloRetries {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			res, err := Run(ctx, s)
			cancel()
			if err != nil {
				last = s.File + ": " + err.Error()
				continue
			}
			if res.Pass {
				passed = true
				break
			}
			last = res.String()
		}
		if passed {
			t.Logf("%s passed when run alone (the parallel run missed a timing check)", s.File)
		} else {
			msgs = append(msgs, last)
		}
	}
	if len(msgs) > 0 {
		t.Fatalf("%d of %d scripts failed on the kernel (in parallel and %d times alone):\n%s", len(msgs), len(scripts), soloRetries, strings.Join(msgs, "\n"))
	}
}

// lastTime estimates a script's length from its largest absolute or accumulated time.
func lastTime(s *packetdrill.Script) time.Duration {
	var t, longest time.Duration
	for _, ev := range s.Events {
		if ev.Time.Relative {
			t += ev.Time.At
		} else if !ev.Time.Any {
			t = ev.Time.At
		}
		longest = max(longest, t, ev.Time.BlockEnd)
	}
	return longest
}
