package traffic

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"synack/engine/capture"
	"synack/engine/passive"
)

// frameVerdict is what one side says about one frame: its connection and its flags.
type frameVerdict struct {
	stream int
	flags  passive.Anomalies
}

// tsharkVerdicts runs tshark's TCP analysis on file: per frame number, its stream and
// the flags the tracker names.
func tsharkVerdicts(t *testing.T, file string) map[int]frameVerdict {
	t.Helper()
	args := []string{"-n", "-r", file, "-T", "fields", "-E", "occurrence=f", "-e", "frame.number", "-e", "tcp.stream"}
	for a := passive.Anomaly(0); a < passive.NumAnomalies; a++ {
		args = append(args, "-e", a.Field())
	}
	out, err := exec.Command("tshark", args...).Output()
	if err != nil {
		t.Fatalf("tshark %s: %v", strings.Join(args, " "), err)
	}
	v := map[int]frameVerdict{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 2+int(passive.NumAnomalies) || f[1] == "" {
			continue // not TCP
		}
		n, _ := strconv.Atoi(f[0])
		st, _ := strconv.Atoi(f[1])
		var fl passive.Anomalies
		for i := range passive.NumAnomalies {
			if x := f[2+i]; x != "" && x != "0" {
				fl = fl.With(i)
			}
		}
		v[n] = frameVerdict{st, fl}
	}
	return v
}

// ourVerdicts reads file with the capture reader and the tracker.
func ourVerdicts(t *testing.T, file string) (map[int]frameVerdict, *passive.Tracker) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := capture.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tk := passive.New(passive.Options{Keep: -1})
	v := map[int]frameVerdict{}
	for {
		p, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		c, fl, err := tk.Add(p)
		if err != nil {
			t.Fatal(err)
		}
		v[p.N] = frameVerdict{c.Index, fl}
	}
	return v, tk
}

// agree requires the same connections as tshark and at least 99 % of frames with
// exactly tshark's flags, and that every flag in want occurs (so the capture tested
// what it set out to). It returns how often each flag occurred.
func agree(t *testing.T, file string, want ...passive.Anomaly) map[passive.Anomaly]int {
	t.Helper()
	if dir := os.Getenv("SYNACK_CAPTURE_DIR"); dir != "" { // keep the capture to look at
		if b, err := os.ReadFile(file); err == nil {
			os.WriteFile(filepath.Join(dir, t.Name()+".pcap"), b, 0o644)
		}
	}
	theirs := tsharkVerdicts(t, file)
	ours, _ := ourVerdicts(t, file)
	if len(ours) != len(theirs) {
		t.Errorf("we read %d TCP frames, tshark %d", len(ours), len(theirs))
	}
	// The same connections: each of tshark's streams is one of ours, frame for frame.
	streamMap := map[int]int{}
	connMismatch := 0
	for n, tv := range theirs {
		ov, ok := ours[n]
		if !ok {
			t.Errorf("frame %d: tshark reads a TCP segment, we do not", n)
			continue
		}
		if m, ok := streamMap[tv.stream]; !ok {
			streamMap[tv.stream] = ov.stream
		} else if m != ov.stream {
			connMismatch++
		}
	}
	nStreams, nConns := map[int]bool{}, map[int]bool{}
	for _, tv := range theirs {
		nStreams[tv.stream] = true
	}
	for _, ov := range ours {
		nConns[ov.stream] = true
	}
	if len(nStreams) != len(nConns) || connMismatch > 0 {
		t.Errorf("tshark finds %d connections, we find %d; %d frames in a different connection", len(nStreams), len(nConns), connMismatch)
	}
	same := 0
	count := map[passive.Anomaly]int{}
	var diffs []string
	for n, tv := range theirs {
		ov := ours[n]
		for _, a := range tv.flags.List() {
			count[a]++
		}
		if ov.flags == tv.flags {
			same++
		} else if len(diffs) < 20 {
			diffs = append(diffs, "frame "+strconv.Itoa(n)+": tshark ["+tv.flags.String()+"], we ["+ov.flags.String()+"]")
		}
	}
	pct := 100 * float64(same) / float64(max(len(theirs), 1))
	t.Logf("%s: %d TCP frames, %d connections, flags agree on %d (%.2f %%); tshark's flags: %v", file, len(theirs), len(nStreams), same, pct, count)
	if pct < 99 {
		t.Errorf("flags agree with tshark on %.2f %% of frames, want ≥ 99 %%:\n%s", pct, strings.Join(diffs, "\n"))
	} else if len(diffs) > 0 {
		t.Logf("where we differ:\n%s", strings.Join(diffs, "\n"))
	}
	for _, a := range want {
		if count[a] == 0 {
			t.Errorf("the capture has no %s (tshark), so it does not test it", a)
		}
	}
	return count
}

// sameAsOtherForms converts the capture to pcapng with Wireshark's editcap (nanosecond
// times, Wireshark's own blocks and options) and to text with tcpdump -n (relative
// numbers, as people paste it), and requires each to read as the same connections with
// the same flags as the pcap.
func sameAsOtherForms(t *testing.T, file string) {
	t.Helper()
	base, _ := ourVerdicts(t, file)
	ng := file + ".pcapng"
	if out, err := exec.Command("editcap", "-F", "pcapng", "-a", "1:synack", file, ng).CombinedOutput(); err != nil {
		t.Fatalf("editcap: %v %s", err, out)
	}
	txt := file + ".txt"
	out, err := exec.Command("tcpdump", "-n", "-r", file).Output()
	if err != nil {
		t.Fatalf("tcpdump -n -r: %v", err)
	}
	os.WriteFile(txt, out, 0o644)
	for _, other := range []string{ng, txt} {
		got, _ := ourVerdicts(t, other)
		if len(got) != len(base) {
			t.Errorf("%s: %d segments, the pcap %d", filepath.Ext(other), len(got), len(base))
			continue
		}
		diff := 0
		for n, v := range base {
			if other == txt && v.flags.Has(passive.KeepAlive) && got[n].stream == v.stream {
				// tcpdump prints no seq for a segment without payload, SYN or FIN, so a
				// zero-length keep-alive's SEQ = SND.UNA − 1 is not in the text at all.
				continue
			}
			if got[n] != v {
				if diff < 5 {
					t.Errorf("%s: frame %d: %+v, from the pcap %+v", filepath.Ext(other), n, got[n], v)
				}
				diff++
			}
		}
		if diff > 0 {
			t.Errorf("%s: %d frames differ from the pcap's reading", filepath.Ext(other), diff)
		}
	}
}
