package packetdrill

import (
	"strings"
	"testing"
)

// A census line round-trips, and the table counts per directory what the kernel passes,
// what both pass, and what the stack passes with checks not evaluated.
func TestCensusTable(t *testing.T) {
	kernel := "sack/a.pkt\tpass\t\nsack/b.pkt\tfail\tb.pkt:3: error handling packet\neor/c.pkt\tpass\t\n"
	engine := "sack/a.pkt\tpass\tnot evaluated: 2: x; y\nsack/b.pkt\tpass\t\neor/c.pkt\tfail\tc.pkt:9: flags differ\n"
	k, err := ReadCensus("k.tsv", []byte(kernel))
	if err != nil {
		t.Fatal(err)
	}
	e, err := ReadCensus("e.tsv", []byte(engine))
	if err != nil {
		t.Fatal(err)
	}
	if got := FormatVerdict(k[1]); got != "sack/b.pkt\tfail\tb.pkt:3: error handling packet" {
		t.Fatalf("FormatVerdict = %q", got)
	}
	rows := CensusTable(k, e)
	want := []CensusRow{{Dir: "eor", Scripts: 1, KernelPass: 1}, {Dir: "sack", Scripts: 2, KernelPass: 1, Both: 1, StackPass: 2, NotEvaluated: 1}}
	if len(rows) != 2 || rows[0] != want[0] || rows[1] != want[1] {
		t.Fatalf("CensusTable = %+v, want %+v", rows, want)
	}
	if tab := FormatCensusTable(rows, "engine"); !strings.Contains(tab, "| **total** | **3** | **2** | **1** | **2** | **1** |") {
		t.Fatalf("table:\n%s", tab)
	}
	if d := CensusDiffers(k, e); len(d) != 1 || d[0].Path != "eor/c.pkt" || d[0].First != "c.pkt:9: flags differ" {
		t.Fatalf("CensusDiffers = %+v", d)
	}
	if _, err := ReadCensus("bad.tsv", []byte("sack/a.pkt\tpass\nsack/b.pkt\tmaybe\n")); err == nil || !strings.Contains(err.Error(), "bad.tsv:2:") {
		t.Fatalf("a bad line: %v, want an error at bad.tsv:2", err)
	}
	if _, err := ReadCensus("big.tsv", make([]byte, MaxCensusBytes+1)); err == nil {
		t.Fatal("a census past MaxCensusBytes was read")
	}
}

// run_all.py's flags: IPv6 only for a name ending in v6.pkt.
func TestRunAllFlags(t *testing.T) {
	if f := RunAllFlags("basic-v6.pkt"); f[1] != "--ip_version=ipv6" {
		t.Fatalf("v6: %v", f)
	}
	if f := RunAllFlags("basic-v4.pkt"); f[1] != "--ip_version=ipv4" {
		t.Fatalf("v4: %v", f)
	}
}

// -D definitions replace whole words, as packetdrill's lexer reads a defined symbol;
// TFO_COOKIE is left for the runner, numbers and longer words are untouched.
func TestDefine(t *testing.T) {
	defs := map[string]string{"CODE": "host_unreachable", "TFO_COOKIE": "3021b9d889017eeb"}
	got, err := Define([]byte("< icmp unreachable CODE\n<FO TFO_COOKIE> CODEX 0xCODE"), defs)
	if err != nil {
		t.Fatal(err)
	}
	if want := "< icmp unreachable host_unreachable\n<FO TFO_COOKIE> CODEX 0xCODE"; string(got) != want {
		t.Fatalf("Define = %q, want %q", got, want)
	}
	if _, _, err := ParseDefine("1X=2"); err == nil {
		t.Fatal("-D 1X=2 accepted")
	}
	many := map[string]string{}
	for i := range MaxDefines {
		many[strings.Repeat("A", i+1)] = "1"
	}
	if _, err := Define(nil, many); err != nil {
		t.Fatalf("%d definitions: %v", len(many), err)
	}
	many["B"] = "1"
	if _, err := Define(nil, many); err == nil {
		t.Fatalf("%d definitions accepted, the limit is %d", len(many), MaxDefines)
	}
}
