package stories

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"synack/engine"
)

// The default catalogue lists every story once, in the order the index tells them.
func TestDefaultOrder(t *testing.T) {
	want := []string{
		"three-way-handshake", "data-on-third-ack", "tcp-fast-open", "syn-ack-lost", "old-duplicate-syn",
		"simultaneous-open", "four-way-close", "three-way-close", "half-close",
		"simultaneous-close", "lost-final-ack", "orphan-fin-wait-2", "syn-to-closed-port",
		"connect-timeout", "abort-rst", "syn-flood", "syn-cookies",
		"bulk-transfer", "sack-recovery", "tail-loss-probe", "rto-backoff", "zero-window", "nagle-delayed-ack",
		"http-over-tcp", "http-over-tcp-fast-open", "https-tls12", "https-tls13", "https-tls13-fast-open",
		"https-tls13-resume", "https-tls13-0rtt",
		"https-tls13-mlkem", "http3-quic", "http3-quic-0rtt",
	}
	var got []string
	for _, st := range Default().Stories() {
		got = append(got, st.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Default() ids =\n %v\nwant\n %v", got, want)
	}
}

// Every reviewed golden trace of the engine belongs to a TCP story of the same id, and
// every TCP story has one, so a renamed story cannot leave its golden trace behind.
func TestTCPStoriesHaveGoldenTraces(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "engine", "testdata", "golden", "*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden traces found: %v", err)
	}
	var golden, tcp []string
	for _, f := range files {
		golden = append(golden, strings.TrimSuffix(filepath.Base(f), ".jsonl"))
	}
	for _, st := range TCP() {
		tcp = append(tcp, st.ID)
	}
	slices.Sort(golden)
	slices.Sort(tcp)
	if !slices.Equal(golden, tcp) {
		t.Errorf("golden traces %v, TCP stories %v; want the same ids", golden, tcp)
	}
}

// Running a story through the catalogue gives the trace of the story itself, named by its
// id; an unknown id and bad parameters are clear errors.
func TestRun(t *testing.T) {
	c := Default()
	tr, err := c.Run("syn-cookies", engine.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "engine", "testdata", "golden", "syn-cookies.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if string(tr.JSONLines()) != string(want) {
		t.Error("Run(syn-cookies) differs from the engine's golden trace")
	}
	tr, err = c.Run("https-tls13", engine.DefaultParams())
	if err != nil || tr.Meta.Scenario != "https-tls13" {
		t.Errorf("Run(https-tls13): scenario %q, err %v", tr.Meta.Scenario, err)
	}
	if _, err := c.Run("no-such-story", engine.DefaultParams()); !errors.Is(err, ErrUnknownScenario) {
		t.Errorf("Run(no-such-story) error %v, want ErrUnknownScenario", err)
	}
	if _, err := c.Run("three-way-handshake", engine.Params{RTT: engine.MaxRTT + 1}); err == nil {
		t.Error("Run with an RTT over the limit: no error")
	}
	var empty *Catalogue
	if _, err := empty.Run("three-way-handshake", engine.DefaultParams()); !errors.Is(err, ErrUnknownScenario) {
		t.Errorf("nil catalogue: error %v, want ErrUnknownScenario", err)
	}
}

// New refuses a catalogue a reader could not use: a story without an id, a title or
// summary in one language, or a way to run it, and an id listed twice.
func TestNewRefuses(t *testing.T) {
	ok := Story{ID: "a", Title: engine.Text{EN: "A", ZH: "甲"}, Summary: engine.Text{EN: "a", ZH: "甲"}, Run: engine.ThreeWayHandshake.Run}
	noZH := ok
	noZH.Summary.ZH = ""
	noRun := ok
	noRun.Run = nil
	noID := ok
	noID.ID = ""
	for name, list := range map[string][]Story{
		"twice":  {ok, ok},
		"no zh":  {noZH},
		"no run": {noRun},
		"no id":  {noID},
	} {
		if _, err := New(list...); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
	c, err := New(ok)
	if err != nil || len(c.Stories()) != 1 {
		t.Fatalf("New(ok) = %v, %v", c, err)
	}
	c.Stories()[0].ID = "changed"
	if st, _ := c.Lookup("a"); st.ID != "a" {
		t.Error("Stories() lets a caller change the catalogue")
	}
}
