package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"

	"synack/engine"
	"synack/engine/packetdrill"
	"synack/engine/tcp"
)

// kernelRunner is set on Linux builds: it runs a script against the real kernel.
var kernelRunner func(ctx context.Context, s *packetdrill.Script) (packetdrill.Result, error)

// errNoPrivilege marks a kernel run that lacks root, /dev/net/tun or a network namespace.
var errNoPrivilege = errors.New("no privilege")

func cmdPacketdrill(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("packetdrill", stderr)
	profile := fs.String("profile", "linux", "engine profile: linux or rfc")
	verbose := fs.Bool("verbose", false, "print warnings")
	format := fs.String("format", "", "also print the run's trace: text, json or pcap")
	kernel := fs.Bool("kernel", false, "run against this machine's Linux kernel (root, /dev/net/tun, a private network namespace; the script's shell commands run as root)")
	strict := fs.Bool("strict", false, "fail a script when some of its checks could not be evaluated")
	localIP := fs.String("local_ip", "", "the stack under test's IPv4 address, over the script's --local_ip (default "+packetdrill.LocalAddr.String()+")")
	remoteIP := fs.String("remote_ip", "", "the script's peer's IPv4 address, over the script's --remote_ip (default "+packetdrill.RemoteAddr.String()+")")
	census := fs.String("census", "", "run every script under DIR (google/packetdrill's gtests/net/tcp) with run_all.py's flags and print one line per script: path, pass|fail, first error")
	peer := fs.String("peer", "", "with --census: judge with google/packetdrill, the binary at this path (each script under unshare -n)")
	table := fs.Bool("table", false, "print the per-directory table of two census files: the kernel's, then the stack's")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: synack packetdrill [--profile linux|rfc] [--kernel] [--strict] [--verbose] [--format text|json|pcap] [--local_ip A] [--remote_ip A] FILE...")
		fmt.Fprintln(stderr, "       synack packetdrill --census DIR [--peer PACKETDRILL | --kernel] [--strict] [--profile P]")
		fmt.Fprintln(stderr, "       synack packetdrill --table KERNEL.tsv STACK.tsv")
		fs.PrintDefaults()
	}
	files, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *table {
		stack := "engine"
		if *kernel {
			stack = "--kernel"
		}
		return cmdCensusTable(files, stack, stdout)
	}
	prof, err := tcp.ProfileByName(*profile)
	if err != nil {
		return usageErr("packetdrill: %v", err)
	}
	if *census != "" {
		if len(files) > 0 {
			return usageErr("packetdrill: --census takes a directory, not scripts")
		}
		return cmdCensus(ctx, *census, *peer, *kernel, *strict, prof, stdout)
	}
	if len(files) == 0 {
		return usageErr("packetdrill: no script given")
	}
	switch *format {
	case "", "text", "json", "pcap":
	default:
		return usageErr("packetdrill: --format %q: want text, json or pcap", *format)
	}
	// As in packetdrill, addresses given on the command line win over the script's.
	var local, remote netip.Addr
	for _, a := range []struct {
		flag, v string
		to      *netip.Addr
	}{{"local_ip", *localIP, &local}, {"remote_ip", *remoteIP, &remote}} {
		if a.v == "" {
			continue
		}
		ip, err := packetdrill.ParseIPv4(a.v)
		if err != nil {
			return usageErr("packetdrill: --%s: %v", a.flag, err)
		}
		*a.to = ip
	}
	var scripts []*packetdrill.Script
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return usageErr("packetdrill: %v", err)
		}
		s, err := packetdrill.Parse(f, src)
		if err != nil {
			return exitError{code: 2, msg: err.Error()}
		}
		s.Dir = filepath.Dir(f)
		s.ReadFile = readDefaults
		if local.IsValid() {
			s.Local = local
		}
		if remote.IsValid() {
			s.Remote = remote
		}
		scripts = append(scripts, s)
	}
	failed := 0
	for _, s := range scripts {
		var res packetdrill.Result
		var st *packetdrill.EngineStack
		if *kernel {
			if kernelRunner == nil {
				return exitError{code: 3, msg: "packetdrill: --kernel needs Linux"}
			}
			r, err := kernelRunner(ctx, s)
			if errors.Is(err, errNoPrivilege) {
				return exitError{code: 3, msg: "packetdrill: " + err.Error()}
			}
			if err != nil {
				return err
			}
			res = r
		} else {
			st = packetdrill.NewEngineStack(prof)
			res = packetdrill.Run(s, st)
		}
		if *strict {
			res = res.Strict()
		}
		fmt.Fprintln(stdout, res)
		if *verbose {
			for _, w := range res.Warnings {
				fmt.Fprintln(stderr, "warning:", w)
			}
		}
		if !res.Pass {
			failed++
		}
		if *format != "" && st != nil {
			if err := writeTrace(stdout, st.Trace(), *format, engine.TextOptions{}); err != nil {
				return err
			}
		}
	}
	if failed > 0 {
		return exitError{code: 1, msg: fmt.Sprintf("%d of %d scripts failed", failed, len(scripts))}
	}
	return nil
}

// readDefaults reads a file a packetdrill script names (its defaults.sh), reading at
// most one byte more than the runner accepts.
func readDefaults(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, packetdrill.MaxDefaultsBytes+1))
}
