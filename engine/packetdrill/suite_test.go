package packetdrill

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"synack/engine/tcp"
)

// loadSuite parses every script of testdata/packetdrill.
func loadSuite(t *testing.T) []*Script {
	t.Helper()
	files, _ := filepath.Glob("../../testdata/packetdrill/*.pkt")
	if len(files) < 30 {
		t.Fatalf("%d scripts in the suite, want at least 30", len(files))
	}
	var out []*Script
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Parse(filepath.Base(f), src)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// Every script of our suite passes on the engine's Linux profile (the same scripts pass on
// the kernel: see the kernel package's test).
func TestSuiteOnEngine(t *testing.T) {
	for _, s := range loadSuite(t) {
		t.Run(s.File, func(t *testing.T) {
			st := NewEngineStack(tcp.LinuxProfile())
			res := Run(s, st)
			if !res.Pass {
				t.Fatal(res)
			}
			// The runner never lets the stack run past an event it has still to play:
			// the trace's time never goes backwards.
			tr := st.Trace()
			for i := 1; i < tr.Len(); i++ {
				if a, b := tr.Event(i-1).At, tr.Event(i).At; b < a {
					t.Fatalf("event %d at %d µs comes after event %d at %d µs", i, b, i-1, a)
				}
			}
		})
	}
}

// The runner is not a yes-machine: a script whose expectations differ from what the
// stack does fails at the right line with what was expected and what happened.
func TestRunnerReportsMismatches(t *testing.T) {
	base, err := os.ReadFile("../../testdata/packetdrill/passive-open.pkt")
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		from, to, want string
	}{
		"flags":   {"> S. 0:0(0) ack 1", "> S 0:0(0) ack 1", "flags differ"},
		"ack":     {"> S. 0:0(0) ack 1", "> S. 0:0(0) ack 2", "ack differs"},
		"options": {"nop,wscale 10>", "nop,wscale 9>", "expected options"},
		"time":    {"+0    > S.", "+.5   > S.", "it was sent at 0.000000"},
		"return":  {"listen(3, 1) = 0", "listen(3, 1) = -1 EINVAL", "expected = -1 EINVAL, got = 0"},
		"state":   {"TCP_ESTABLISHED", "TCP_CLOSE_WAIT", "tcpi_state: expected CLOSE-WAIT"},
		// As in packetdrill, a segment no line expected is read by the next ">" line.
		"unread":  {"+0    accept(3, ..., ...) = 4", "+0    accept(3, ..., ...) = 4\n+0 write(4, ..., 10) = 10\n+0 close(4) = 0\n+0 > F. 11:11(0) ack 1", "got P. 1:11(10) ack 1"},
		"nothing": {"+0    accept(3, ..., ...) = 4", "+0    > . 1:1(0) ack 1", "nothing was sent"},
		"blocked": {"+0    accept(3, ..., ...) = 4", "+0    read(3, ..., 10) = 10", "read() expected = 10"},
	} {
		t.Run(name, func(t *testing.T) {
			src := strings.Replace(string(base), tc.from, tc.to, 1)
			if src == string(base) {
				t.Fatalf("the edit %q did not apply", tc.from)
			}
			s, err := Parse("p.pkt", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			res := Run(s, NewEngineStack(tcp.LinuxProfile()))
			if res.Pass || !strings.Contains(res.Msg, tc.want) || res.Line < 1 {
				t.Fatalf("result %v, want a failure mentioning %q", res, tc.want)
			}
		})
	}
}

// A script may not schedule events past MaxScriptTime (a pasted script cannot make the
// server simulate for days); an event exactly at the limit runs.
func TestScriptTimeLimit(t *testing.T) {
	at := func(sec string) Result {
		s, err := Parse("t.pkt", []byte("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"+sec+" close(3) = 0\n"))
		if err != nil {
			t.Fatal(err)
		}
		return Run(s, NewEngineStack(tcp.LinuxProfile()))
	}
	if r := at("3600"); !r.Pass {
		t.Fatalf("an event at exactly MaxScriptTime: %v", r)
	}
	if r := at("3600.000001"); r.Pass || r.Line != 2 {
		t.Fatalf("an event past MaxScriptTime: %v", r)
	}
}
