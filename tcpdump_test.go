package main

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"synack/engine"
	"synack/engine/capture"
	"synack/engine/tcp"
	"synack/lessons"
	"synack/lessons/stories"
)

// tcpdumpPath returns the real tcpdump, or skips the test (fails it under CI=true, where
// .ci/run installs it).
func tcpdumpPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("tcpdump")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("tcpdump not found, and CI=true needs it: apt-get install -y tcpdump")
		}
		t.Skip("tcpdump not found (apt-get install -y tcpdump); skipping the comparison with it")
	}
	return p
}

// tcpdumpRead runs tcpdump -tt -n [-S] -r on a capture and returns its lines with the
// timestamp turned back into the trace's virtual time (capture.Epoch is time 0).
func tcpdumpRead(t *testing.T, tcpdump, path string, relative bool) []string {
	t.Helper()
	args := []string{"-tt", "-n", "-r", path}
	if !relative {
		args = append([]string{"-S"}, args...)
	}
	cmd := exec.Command(tcpdump, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tcpdump %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		if l == "" {
			continue
		}
		ts, rest, ok := strings.Cut(l, " ")
		sec, frac, ok2 := strings.Cut(ts, ".")
		s, err := strconv.ParseInt(sec, 10, 64)
		if !ok || !ok2 || err != nil {
			t.Fatalf("tcpdump line without a -tt timestamp: %q", l)
		}
		lines = append(lines, fmt.Sprintf("%d.%s %s", s-capture.Epoch, frac, rest))
	}
	return lines
}

// ourLines returns the segment lines of `synack run` (tags cut off) and of the player's
// tcpdump view (TcpdumpLines), both in the order the capture holds the segments.
func ourLines(t *testing.T, tr *engine.Trace, relative bool) (run, player []string) {
	t.Helper()
	var b bytes.Buffer
	if err := tr.WriteText(&b, engine.TextOptions{Relative: relative, NoTimers: true}); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(b.String(), "\n") {
		if _, rest, ok := strings.Cut(l, " "); !ok || !strings.HasPrefix(rest, "IP ") {
			continue
		}
		if i := strings.LastIndex(l, " [#"); i >= 0 {
			l = l[:i]
		}
		run = append(run, l)
	}
	byID := tr.TcpdumpLines(relative)
	for _, e := range tr.Scan() {
		if e.Kind == tcp.EventSegment {
			player = append(player, byID[e.Segment.ID])
		}
	}
	return run, player
}

func writePCAP(t *testing.T, tr *engine.Trace, path string) {
	t.Helper()
	var b bytes.Buffer
	if err := capture.WritePCAP(&b, tr); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// compareWithTcpdump checks every segment line of the text view, absolute (tcpdump -S)
// and relative (tcpdump's default), against the real tcpdump reading the exported
// capture: the same lines, in the same order, with the same times.
func compareWithTcpdump(t *testing.T, tcpdump string, tr *engine.Trace, path string) {
	t.Helper()
	writePCAP(t, tr, path)
	for _, relative := range []bool{false, true} {
		want := tcpdumpRead(t, tcpdump, path, relative)
		run, player := ourLines(t, tr, relative)
		for view, got := range map[string][]string{"synack run": run, "player": player} {
			if len(got) != len(want) {
				t.Errorf("relative=%v, %s: %d segment lines, tcpdump printed %d", relative, view, len(got), len(want))
				continue
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("relative=%v, %s, segment %d:\n got  %s\n tcpdump %s", relative, view, i+1, got[i], want[i])
					break
				}
			}
		}
	}
}

// Every story, on both profiles: `synack run ID`, `synack run ID --relative` and the
// player's tcpdump view print each segment exactly as tcpdump 4.99 prints it from the
// story's own capture (tcpdump -tt -S -n -r and tcpdump -tt -n -r).
func TestTcpdumpPrintsWhatWePrint(t *testing.T) {
	tcpdump := tcpdumpPath(t)
	dir := t.TempDir()
	for _, sc := range stories.Default().Stories() {
		for _, prof := range tcp.ProfileNames {
			t.Run(sc.ID+"/"+prof, func(t *testing.T) {
				p := engine.DefaultParams()
				p.Profile = prof
				tr, err := stories.Default().Run(sc.ID, p)
				if err != nil {
					t.Fatal(err)
				}
				compareWithTcpdump(t, tcpdump, tr, filepath.Join(dir, sc.ID+"-"+prof+".pcap"))
			})
		}
	}
}

// Every lesson's own run too (a lesson may script its story with an inline spec), on
// each profile it allows: its {tcpdump} and {tcpdump.rel} lines and the player's view
// come from the same formatter.
func TestTcpdumpPrintsWhatWePrintForLessons(t *testing.T) {
	tcpdump := tcpdumpPath(t)
	cat, err := lessons.Load(lessons.Files(), stories.Default())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, l := range cat.All() {
		for _, prof := range tcp.ProfileNames {
			p := engine.DefaultParams()
			p.Profile = prof
			if ok, _ := l.Allows(p); !ok {
				continue
			}
			t.Run(l.ID+"/"+prof, func(t *testing.T) {
				tr, err := l.Run(p)
				if err != nil {
					t.Fatal(err)
				}
				compareWithTcpdump(t, tcpdump, tr, filepath.Join(dir, l.ID+"-"+prof+".pcap"))
			})
		}
	}
}

// Segments no story sends, for the corners of tcpdump's rules: HTTP on 8080, a response
// line, a request name in lower case, text without a line end, a CR at the end, binary
// data, a word too long to be a token, flag combinations and the urgent pointer, equal ports (the conversation's orientation then
// follows the addresses), SACK blocks made relative, a RST without ACK (always absolute)
// and a conversation whose first ACK is not a SYN-ACK.
func TestTcpdumpCorners(t *testing.T) {
	tcpdump := tcpdumpPath(t)
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.1")
	var tr engine.Trace
	at := tcp.Time(0)
	add := func(s tcp.Segment) {
		at += 1000
		s.TTL = 64
		tr.Append(tcp.Event{Kind: tcp.EventSegment, At: at, Segment: &tcp.SegmentEvent{
			ID: tr.Len() + 1, Src: "x", Dst: "y", Seg: s, Fate: tcp.Delivered, Arrive: at}})
	}
	seg := func(src, dst netip.Addr, sp, dp uint16, seq, ack uint32, f tcp.Flags, payload string) tcp.Segment {
		return tcp.Segment{Src: src, Dst: dst, SrcPort: sp, DstPort: dp, Seq: tcp.Seq(seq), Ack: tcp.Seq(ack),
			Flags: f, Window: 502, Payload: []byte(payload)}
	}
	const A, P = tcp.ACK, tcp.PSH
	// A conversation on 8080 that starts mid-stream: the first ACK sets the bases.
	add(seg(a, b, 40000, 8080, 1000, 5000, A, ""))
	add(seg(a, b, 40000, 8080, 1000, 5000, P|A, "get /x HTTP/1.0\r\nHost: y\r\n\r\n"))
	add(seg(b, a, 8080, 40000, 5000, 1029, P|A, "HTTP/1.0 404 Not Found\nx"))
	add(seg(b, a, 8080, 40000, 5024, 1029, P|A, "GET unterminated line"))
	add(seg(b, a, 8080, 40000, 5045, 1029, P|A, "GET / HTTP/1.1\r"))
	add(seg(b, a, 8080, 40000, 5060, 1029, P|A, "GET /\x01 HTTP/1.1\r\n"))
	// The longest word util-print.c takes as a token is MAX_TOKEN, 128 characters: after
	// 128 the response code is read, after 129 it is not.
	add(seg(b, a, 8080, 40000, 5079, 1029, P|A, strings.Repeat("G", 128)+" 200 x\r\n"))
	add(seg(b, a, 8080, 40000, 5079, 1029, P|A, strings.Repeat("G", 129)+" 200 x\r\n"))
	add(seg(b, a, 8080, 40000, 5218, 1029, P|A, "BOGUS 2000 x\r\n"))
	add(seg(b, a, 8080, 40000, 5232, 1029, P|A, "BOGUS 200 x\r\n"))
	s := seg(a, b, 40000, 8080, 1029, 5000, A, "")
	s.Options = tcp.Options{{Kind: tcp.OptNOP}, {Kind: tcp.OptNOP},
		{Kind: tcp.OptSACK, Blocks: []tcp.SACKBlock{{Left: 5100, Right: 5200}, {Left: 5300, Right: 5400}}}}
	add(s)
	s = seg(b, a, 8080, 40000, 5400, 1029, A, "")
	s.Options = tcp.Options{{Kind: tcp.OptNOP}, {Kind: tcp.OptNOP},
		{Kind: tcp.OptSACK, Blocks: []tcp.SACKBlock{{Left: 1100, Right: 1200}}}}
	add(s)
	add(seg(a, b, 40000, 8080, 1029, 0, tcp.RST, ""))
	// Flags in tcpdump's order (F S R P . U E W) and the urgent pointer it prints.
	s = seg(a, b, 40001, 80, 7000, 8000, tcp.ACK|tcp.PSH|tcp.URG|tcp.ECE|tcp.CWR|tcp.FIN, "x")
	s.Urgent = 1
	add(s)
	add(seg(a, b, 40002, 80, 9000, 0, tcp.SYN|tcp.FIN|tcp.ECE|tcp.CWR, ""))
	// Equal ports: the orientation follows the addresses, whichever side sends first.
	add(seg(b, a, 7000, 7000, 900, 0, tcp.SYN, ""))
	add(seg(a, b, 7000, 7000, 300, 901, tcp.SYN|A, ""))
	add(seg(b, a, 7000, 7000, 901, 301, A, "hello"))
	add(seg(a, b, 7000, 7000, 301, 906, A, ""))
	compareWithTcpdump(t, tcpdump, &tr, filepath.Join(t.TempDir(), "corners.pcap"))
}
