package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
)

// profiler writes a process's CPU, mutex, block and goroutine profiles over one phase
// of a load run (loadgen -classroom -profile DIR profiles the fan-out in every process).
type profiler struct {
	path string
	cpu  *os.File
}

// handle answers a profiling command read from loadgen ("profile PATH" starts,
// "profile-stop" writes PATH.cpu, PATH.mutex, PATH.block, PATH.goroutine); ok is false
// for any other line.
func (p *profiler) handle(line string) (ok bool, err error) {
	switch {
	case strings.HasPrefix(line, "profile "):
		return true, p.start(strings.TrimPrefix(line, "profile "))
	case line == "profile-stop":
		return true, p.stop()
	}
	return false, nil
}

func (p *profiler) start(path string) error {
	if p.cpu != nil {
		return fmt.Errorf("a profile is already running (%s)", p.path)
	}
	f, err := os.Create(path + ".cpu")
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return err
	}
	// One mutex contention event in 5, and blocking events sampled about once
	// every 10 µs blocked.
	runtime.SetMutexProfileFraction(5)
	runtime.SetBlockProfileRate(10_000)
	p.path, p.cpu = path, f
	return nil
}

func (p *profiler) stop() error {
	if p.cpu == nil {
		return nil
	}
	pprof.StopCPUProfile()
	err := p.cpu.Close()
	p.cpu = nil
	runtime.SetMutexProfileFraction(0)
	runtime.SetBlockProfileRate(0)
	for _, name := range []string{"mutex", "block", "goroutine"} {
		f, ferr := os.Create(p.path + "." + name)
		if ferr != nil {
			return ferr
		}
		if werr := pprof.Lookup(name).WriteTo(f, 0); werr != nil && err == nil {
			err = werr
		}
		if cerr := f.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	return err
}

// sysCalls is how many read and write system calls a process has made so far (Linux's
// /proc/self/io; zeros elsewhere): set against the messages it carried, they say
// whether it wrote each message with a call of its own or several with one.
type sysCalls struct {
	Reads  int64 `json:"syscr"`
	Writes int64 `json:"syscw"`
}

func selfSysCalls() sysCalls {
	var s sysCalls
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return s
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		switch k {
		case "syscr":
			s.Reads = n
		case "syscw":
			s.Writes = n
		}
	}
	return s
}
