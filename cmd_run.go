package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"synack/engine"
	"synack/lessons/stories"
)

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args, allowing flags after positional arguments ("run ID --seed 3").
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitError{code: 0}
			}
			return nil, usageErr("%s: %v", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func cmdScenarios(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("scenarios", stderr)
	lang := fs.String("lang", "en", "language of the descriptions: en or zh")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("scenarios: unexpected argument %q", pos[0])
	}
	if *lang != "en" && *lang != "zh" {
		return usageErr("scenarios: --lang %q: want en or zh", *lang)
	}
	w := bufio.NewWriter(stdout)
	for _, sc := range stories.Default().Stories() {
		fmt.Fprintf(w, "%-22s %s\n", sc.ID, sc.Summary.In(*lang))
	}
	return w.Flush()
}

// dropList parses "--drop 3,5".
type dropList []int

func (d *dropList) String() string { return fmt.Sprint(*d) }
func (d *dropList) Set(s string) error {
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("%q is not a segment number (1, 2, 3, ...)", f)
		}
		*d = append(*d, n)
	}
	return nil
}

func cmdRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", stderr)
	profile := fs.String("profile", "linux", "behaviour profile: linux or rfc")
	seed := fs.Uint64("seed", 1, "seed for ISNs, jitter and random loss")
	rtt := fs.Duration("rtt", 100*time.Millisecond, "round-trip time of the path")
	jitter := fs.Duration("jitter", 0, "add up to this much random delay per segment (from the seed)")
	loss := fs.Float64("loss", 0, "random loss probability per segment, 0 to 0.5 (from the seed)")
	format := fs.String("format", "text", "output format: text, json, pcap or pcapng")
	out := fs.String("o", "", "write to this file instead of standard output")
	relative := fs.Bool("relative", false, "text: relative sequence numbers (default absolute, like tcpdump -S)")
	timers := fs.Bool("timers", true, "text: show timer events")
	var drops dropList
	fs.Var(&drops, "drop", "drop these segments (comma-separated numbers, 1-based)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: synack run ID [--profile linux|rfc] [--seed N] [--rtt 100ms] [--drop N,..] [--jitter 5ms] [--loss 0.1] [--format text|json|pcap|pcapng] [-o FILE]")
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("run: want exactly one scenario id (see 'synack scenarios')")
	}
	p := engine.Params{Profile: *profile, Seed: *seed, RTT: *rtt, Drop: drops, Jitter: *jitter, Loss: *loss}
	if err := p.Validate(); err != nil {
		return usageErr("run: %v", err)
	}
	switch *format {
	case "text", "json", "pcap", "pcapng":
	default:
		return usageErr("run: --format %q: want text, json, pcap or pcapng", *format)
	}
	tr, err := runScenario(pos[0], p)
	if err != nil {
		if errors.Is(err, stories.ErrUnknownScenario) {
			return usageErr("run: %v", err)
		}
		return err
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("run: %w", err)
		}
		defer f.Close()
		w = f
	}
	if err := writeTrace(w, tr, *format, engine.TextOptions{Relative: *relative, NoTimers: !*timers}); err != nil {
		return fmt.Errorf("run: writing %s: %w", *format, err)
	}
	if *out != "" {
		if f, ok := w.(*os.File); ok {
			return f.Close()
		}
	}
	return nil
}
