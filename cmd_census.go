package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"synack/engine/packetdrill"
	"synack/engine/tcp"
)

// PeerTimeout is how long a census gives google/packetdrill for one script: run_all.py's
// max_runtime.
const PeerTimeout = 180 * time.Second

// censusJudge runs one script (its path under the census root) and returns its verdict.
type censusJudge func(ctx context.Context, root, rel string) packetdrill.Verdict

// cmdCensus runs every script under root (google/packetdrill's gtests/net/tcp) as
// run_all.py runs them, judged by google/packetdrill (peer names its binary; each script
// in its own network namespace), by the kernel runner (kernel) or by the engine, and
// prints one census line per script. A failure under packetdrill or the kernel is run a
// second time before it counts: timing-sensitive scripts flip on a loaded machine.
func cmdCensus(ctx context.Context, root, peer string, kernel, strict bool, prof tcp.Profile, stdout io.Writer) error {
	var rels []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".pkt") {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			rels = append(rels, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return usageErr("packetdrill: --census: %v", err)
	}
	if len(rels) == 0 {
		return usageErr("packetdrill: --census %s: no .pkt scripts under it", root)
	}
	sort.Strings(rels)
	judge, retry := censusEngine(prof, strict), false
	switch {
	case peer != "":
		judge, retry = censusPeer(peer), true
	case kernel:
		if kernelRunner == nil {
			return exitError{code: 3, msg: "packetdrill: --kernel needs Linux"}
		}
		judge, retry = censusKernel(strict), true
	}
	for _, rel := range rels {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		v := judge(ctx, root, rel)
		if !v.Pass && retry {
			if again := judge(ctx, root, rel); again.Pass {
				v = again
			}
		}
		fmt.Fprintln(stdout, packetdrill.FormatVerdict(v))
	}
	return nil
}

// censusPeer judges with google/packetdrill: `unshare -n BIN FLAGS SCRIPT` from the
// script's directory, as run_all.py runs it (it uses ip netns; unshare gives the same
// private namespace).
func censusPeer(bin string) censusJudge {
	return func(ctx context.Context, root, rel string) packetdrill.Verdict {
		ctx, cancel := context.WithTimeout(ctx, PeerTimeout)
		defer cancel()
		dir, name := filepath.Split(filepath.Join(root, filepath.FromSlash(rel)))
		args := append([]string{"-n", bin}, packetdrill.RunAllFlags(name)...)
		cmd := exec.CommandContext(ctx, "unshare", append(args, name)...)
		cmd.Dir = dir
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		v := packetdrill.Verdict{Path: rel, Pass: err == nil}
		switch {
		case err == nil:
		case ctx.Err() != nil:
			v.First = fmt.Sprintf("timed out after %s", PeerTimeout)
		default:
			v.First = firstError(stderr.String(), name)
			if v.First == "" {
				v.First = err.Error()
			}
		}
		return v
	}
}

// firstError picks the line of packetdrill's output that says what failed: the first
// naming the script ("x.pkt:12: error handling packet: ..."), else the first line.
func firstError(out, name string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, name+":") {
			return strings.TrimSpace(l)
		}
	}
	return strings.TrimSpace(lines[0])
}

// censusScript reads a script as run_all.py's flags give it to packetdrill: its -D
// definitions substituted, the addresses of its --local_ip and --remote_ip.
func censusScript(root, rel string) (*packetdrill.Script, error) {
	p := filepath.Join(root, filepath.FromSlash(rel))
	src, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	flags := packetdrill.RunAllFlags(rel)
	defs := map[string]string{}
	var local, remote string
	for i := 0; i < len(flags); i++ {
		switch f := flags[i]; {
		case f == "-D" && i+1 < len(flags):
			i++
			k, v, err := packetdrill.ParseDefine(flags[i])
			if err != nil {
				return nil, err
			}
			defs[k] = v
		case f == "--ip_version=ipv6":
			return nil, errors.New("an IPv6 script (run_all.py runs it over IPv6 only): the runner runs IPv4 only")
		case strings.HasPrefix(f, "--local_ip="):
			local = strings.TrimPrefix(f, "--local_ip=")
		case strings.HasPrefix(f, "--remote_ip="):
			remote = strings.TrimPrefix(f, "--remote_ip=")
		}
	}
	src, err = packetdrill.Define(src, defs)
	if err != nil {
		return nil, err
	}
	s, err := packetdrill.Parse(filepath.Base(p), src)
	if err != nil {
		return nil, err
	}
	s.Dir = filepath.Dir(p)
	s.ReadFile = readDefaults
	if s.Local, err = packetdrill.ParseIPv4(local); err != nil {
		return nil, err
	}
	if s.Remote, err = packetdrill.ParseIPv4(remote); err != nil {
		return nil, err
	}
	return s, nil
}

// verdictOf turns a runner's result into a census verdict.
func verdictOf(rel string, res packetdrill.Result, strict bool) packetdrill.Verdict {
	if strict {
		res = res.Strict()
	}
	v := packetdrill.Verdict{Path: rel, Pass: res.Pass}
	switch {
	case res.Pass && len(res.NotEvaluated) > 0:
		v.NotEvaluated = len(res.NotEvaluated)
		v.First = fmt.Sprintf("not evaluated: %d: %s", v.NotEvaluated, strings.Join(res.NotEvaluated, "; "))
	case !res.Pass && res.Line > 0:
		v.First = fmt.Sprintf("%s:%d: %s", res.File, res.Line, res.Msg)
	case !res.Pass:
		v.First = res.File + ": " + res.Msg
	}
	return v
}

func censusEngine(prof tcp.Profile, strict bool) censusJudge {
	return func(_ context.Context, root, rel string) packetdrill.Verdict {
		s, err := censusScript(root, rel)
		if err != nil {
			return packetdrill.Verdict{Path: rel, First: err.Error()}
		}
		return verdictOf(rel, packetdrill.Run(s, packetdrill.NewEngineStack(prof)), strict)
	}
}

func censusKernel(strict bool) censusJudge {
	return func(ctx context.Context, root, rel string) packetdrill.Verdict {
		s, err := censusScript(root, rel)
		if err != nil {
			return packetdrill.Verdict{Path: rel, First: err.Error()}
		}
		ctx, cancel := context.WithTimeout(ctx, PeerTimeout)
		defer cancel()
		res, err := kernelRunner(ctx, s)
		if err != nil {
			return packetdrill.Verdict{Path: rel, First: err.Error()}
		}
		return verdictOf(rel, res, strict)
	}
}

// cmdCensusTable prints the per-directory table of two censuses (the kernel's, then the
// stack's) and the scripts the kernel passes and the stack does not.
func cmdCensusTable(files []string, stack string, stdout io.Writer) error {
	if len(files) != 2 {
		return usageErr("packetdrill: --table wants two census files: the kernel's, then the stack's")
	}
	var cs [2][]packetdrill.Verdict
	for i, f := range files {
		b, err := readLimited(f, packetdrill.MaxCensusBytes)
		if err != nil {
			return usageErr("packetdrill: %v", err)
		}
		if cs[i], err = packetdrill.ReadCensus(f, b); err != nil {
			return exitError{code: 2, msg: "packetdrill: " + err.Error()}
		}
	}
	io.WriteString(stdout, packetdrill.FormatCensusTable(packetdrill.CensusTable(cs[0], cs[1]), stack))
	diff := packetdrill.CensusDiffers(cs[0], cs[1])
	fmt.Fprintf(stdout, "\nThe kernel passes and the %s fails (%d):\n", stack, len(diff))
	for _, v := range diff {
		fmt.Fprintf(stdout, "- %s: %s\n", v.Path, v.First)
	}
	return nil
}

// readLimited reads a file, at most n bytes and one more (so a caller sees it is too big).
func readLimited(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, n+1))
}
