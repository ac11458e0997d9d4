package packetdrill

import (
	"bufio"
	"bytes"
	"fmt"
	"path"
	"sort"
	"strings"
)

// A census runs every script of google/packetdrill's gtests/net/tcp against a stack and
// keeps one verdict per script; two censuses (the kernel under google/packetdrill, and the
// engine) make the per-directory table of testdata/packetdrill/README.md.

// RunAllIPv4 are the flags google/packetdrill's run_all.py gives every script it runs over
// IPv4 (CmdTestIPv4, with its default --send_omit_free).
var RunAllIPv4 = []string{
	"--send_omit_free", "--ip_version=ipv4", "--local_ip=192.168.0.1", "--gateway_ip=192.168.0.1",
	"--netmask_ip=255.255.0.0", "--remote_ip=192.0.2.1",
	"-D", "TFO_COOKIE=3021b9d889017eeb", "-D", "CODE=host_unreachable",
	"-D", "CMSG_LEVEL_IP=SOL_IP", "-D", "CMSG_TYPE_RECVERR=IP_RECVERR",
}

// RunAllIPv6 are run_all.py's flags for a script it runs over IPv6 only (a name ending
// in v6.pkt).
var RunAllIPv6 = []string{
	"--send_omit_free", "--ip_version=ipv6", "--mtu=1520", "--local_ip=fd3d:0a0b:17d6::1",
	"--gateway_ip=fd3d:0a0b:17d6:8888::1", "--remote_ip=fd3d:fa7b:d17d::1",
	"-D", "TFO_COOKIE=c1d1e9742a47a9bc", "-D", "CMSG_LEVEL_IP=SOL_IPV6",
	"-D", "CMSG_TYPE_RECVERR=IPV6_RECVERR",
}

// RunAllFlags returns the flags run_all.py runs a script with: IPv6 for a name ending
// in v6.pkt, IPv4 for every other (run_all.py -4 runs only those).
func RunAllFlags(name string) []string {
	if strings.HasSuffix(name, "v6.pkt") {
		return RunAllIPv6
	}
	return RunAllIPv4
}

// Verdict is one script's outcome in a census.
type Verdict struct {
	Path  string // relative to gtests/net/tcp: "sack/sack-shift-sacked-1-2-3.pkt"
	Pass  bool
	First string // the first error line of a failure
	// NotEvaluated counts the checks a pass could not evaluate (engine only).
	NotEvaluated int
}

// Dir is the verdict's directory (fastopen/server/opt34, or sack).
func (v Verdict) Dir() string { return path.Dir(v.Path) }

// FormatVerdict writes a verdict as a census line: path, pass or fail, the first error
// line, separated by tabs.
func FormatVerdict(v Verdict) string {
	word := "fail"
	if v.Pass {
		word = "pass"
	}
	first := strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(v.First)
	return v.Path + "\t" + word + "\t" + first
}

// MaxCensusBytes bounds a census file ReadCensus accepts.
const MaxCensusBytes = 4 << 20

// ReadCensus reads census lines (FormatVerdict's). name is used in errors, which give
// the line.
func ReadCensus(name string, b []byte) ([]Verdict, error) {
	if len(b) > MaxCensusBytes {
		return nil, fmt.Errorf("%s: %d bytes, more than %d", name, len(b), MaxCensusBytes)
	}
	var out []Verdict
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), MaxCensusBytes)
	n := 0
	for sc.Scan() {
		n++
		l := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.SplitN(l, "\t", 3)
		if len(f) < 2 || (f[1] != "pass" && f[1] != "fail") {
			return nil, fmt.Errorf("%s:%d: want path<TAB>pass|fail<TAB>first error line", name, n)
		}
		v := Verdict{Path: f[0], Pass: f[1] == "pass"}
		if len(f) == 3 {
			v.First = f[2]
			if v.Pass && strings.HasPrefix(f[2], "not evaluated: ") {
				fmt.Sscanf(strings.TrimPrefix(f[2], "not evaluated: "), "%d", &v.NotEvaluated)
			}
		}
		out = append(out, v)
	}
	return out, sc.Err()
}

// CensusRow is one directory's counts.
type CensusRow struct {
	Dir string
	// Scripts counts the directory's scripts; KernelPass those the kernel passes;
	// Both those the kernel and the stack both pass; StackPass all the stack passes;
	// NotEvaluated the stack's passes with checks not evaluated.
	Scripts, KernelPass, Both, StackPass, NotEvaluated int
}

// CensusTable counts, per directory, what the kernel and another stack pass. Scripts
// missing from other count as its failures.
func CensusTable(kernel, other []Verdict) []CensusRow {
	byPath := map[string]Verdict{}
	for _, v := range other {
		byPath[v.Path] = v
	}
	rows := map[string]*CensusRow{}
	for _, k := range kernel {
		r := rows[k.Dir()]
		if r == nil {
			r = &CensusRow{Dir: k.Dir()}
			rows[k.Dir()] = r
		}
		r.Scripts++
		o := byPath[k.Path]
		if k.Pass {
			r.KernelPass++
			if o.Pass {
				r.Both++
			}
		}
		if o.Pass {
			r.StackPass++
			if o.NotEvaluated > 0 {
				r.NotEvaluated++
			}
		}
	}
	var out []CensusRow
	for _, r := range rows {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Dir < out[j].Dir })
	return out
}

// FormatCensusTable writes the rows as a Markdown table with a total.
func FormatCensusTable(rows []CensusRow, stack string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| directory | scripts | kernel passes | %s passes of those | %s passes, all | with checks not evaluated |\n", stack, stack)
	b.WriteString("|---|---|---|---|---|---|\n")
	var t CensusRow
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d |\n", r.Dir, r.Scripts, r.KernelPass, r.Both, r.StackPass, r.NotEvaluated)
		t.Scripts += r.Scripts
		t.KernelPass += r.KernelPass
		t.Both += r.Both
		t.StackPass += r.StackPass
		t.NotEvaluated += r.NotEvaluated
	}
	fmt.Fprintf(&b, "| **total** | **%d** | **%d** | **%d** | **%d** | **%d** |\n", t.Scripts, t.KernelPass, t.Both, t.StackPass, t.NotEvaluated)
	return b.String()
}

// CensusDiffers lists the scripts the kernel passes and other fails, with other's first
// error line: the work left.
func CensusDiffers(kernel, other []Verdict) []Verdict {
	byPath := map[string]Verdict{}
	for _, v := range other {
		byPath[v.Path] = v
	}
	var out []Verdict
	for _, k := range kernel {
		if o, ok := byPath[k.Path]; k.Pass && (!ok || !o.Pass) {
			if !ok {
				o = Verdict{Path: k.Path, First: "not run"}
			}
			out = append(out, o)
		}
	}
	return out
}
