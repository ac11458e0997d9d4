package packetdrill

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"synack/engine/tcp"
)

// The engine's files: a script that tests sendfile() makes its file with a command
// (`dd if=/dev/zero of=FILE bs=N count=M`, zeroes, since packetdrill expects payloads of
// zeroes) and removes it with `rm -f FILE`. The engine runs no command and reads no real
// file: it keeps such files by path, in memory, for the run. Pipes and splice() are
// still not modelled.

// MaxFileBytes bounds a file a script's dd may make for the engine: a larger one is a
// failed command, as a full disk would make it, not an allocation.
const MaxFileBytes = MaxCallBytes

// errFileCommand is a file command that failed as the shell would see it (status 1).
var errFileCommand = errors.New("file command failed")

// fileCommand runs rm or dd (by name or path) on the engine's files; ok is false for any
// other command.
func (s *EngineStack) fileCommand(f []string) (ok bool, err error) {
	if len(f) == 0 {
		return false, nil
	}
	switch path.Base(f[0]) {
	case "rm":
		force := false
		for _, a := range f[1:] {
			switch {
			case a == "-f":
				force = true
			case strings.HasPrefix(a, "-"):
				return true, ErrNotModelled
			default:
				if _, had := s.files[a]; !had && !force {
					err = errFileCommand // rm: cannot remove: no such file
				}
				delete(s.files, a)
			}
		}
		return true, err
	case "dd":
		var in, out string
		bs, count := 512, -1
		for _, a := range f[1:] {
			k, v, _ := strings.Cut(a, "=")
			switch k {
			case "if":
				in = v
			case "of":
				out = v
			case "bs", "count":
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 {
					return true, ErrNotModelled // a size with a suffix, or not a size
				}
				if k == "bs" {
					bs = n
				} else {
					count = n
				}
			case "status":
			default:
				return true, ErrNotModelled
			}
		}
		if in != "/dev/zero" || out == "" || count < 0 {
			return true, ErrNotModelled // only a bounded copy of zeroes into a file
		}
		if bs != 0 && count > MaxFileBytes/bs {
			return true, fmt.Errorf("%w: %d bytes is more than the engine's %d for a file", errFileCommand, bs*count, MaxFileBytes)
		}
		if s.files == nil {
			s.files = map[string][]byte{}
		}
		s.files[out] = make([]byte, bs*count)
		return true, nil
	}
	return false, nil
}

// FileCall makes open() of a file the script made, and sendfile() from it; pipe() and
// splice() are not modelled.
func (s *EngineStack) FileCall(t time.Duration, id int, sc *Syscall, mayBlock bool) (tcp.Result, bool, error) {
	s.h.At(vt(t))
	s.now = t
	defer s.collect(t)
	arg := func(i int) string {
		if i < len(sc.Args) {
			return strings.TrimSpace(sc.Args[i])
		}
		return ""
	}
	switch sc.Name {
	case "open":
		p, err := strconv.Unquote(arg(0))
		if err != nil {
			return tcp.Result{}, false, fmt.Errorf("the path %s is not a quoted string", arg(0))
		}
		if fl := arg(1); fl != "O_RDONLY" && fl != "0" {
			return tcp.Result{}, false, fmt.Errorf("%w: open() with %s (the engine's files are read only)", ErrNotModelled, fl)
		}
		data, ok := s.files[p]
		if !ok {
			return tcp.Result{Ret: -1, Errno: "ENOENT"}, true, nil
		}
		want := 0
		if sc.HasRet && sc.Ret >= 3 && sc.Ret < tcp.MaxFD {
			want = int(sc.Ret)
		}
		return tcp.Result{Ret: int64(s.socks.OpenFile(want, data))}, true, nil
	case "sendfile":
		var fds [2]int
		for i := range fds {
			n, err := strconv.Atoi(arg(i))
			if err != nil {
				return tcp.Result{}, false, fmt.Errorf("descriptor %q is not a number", arg(i))
			}
			fds[i] = n
		}
		count, err := strconv.Atoi(arg(3))
		if err != nil || count < 0 || count > MaxCallBytes {
			return tcp.Result{}, false, fmt.Errorf("count %q is not a number from 0 to %d", arg(3), MaxCallBytes)
		}
		var off *int64
		if a := arg(2); a != "NULL" {
			v, err := strconv.ParseInt(strings.Trim(a, "[]"), 0, 64)
			if err != nil {
				return tcp.Result{}, false, fmt.Errorf("offset %q is not [N] or NULL", a)
			}
			off = &v
		}
		return s.socks.Sendfile(id, fds[0], fds[1], off, count)
	}
	return tcp.Result{}, false, fmt.Errorf("%w: %s", ErrNotModelled, NotModelledCalls[sc.Name])
}

var _ FileStack = (*EngineStack)(nil)
