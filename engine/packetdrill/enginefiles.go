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

// The engine's files: a script may make a file of zeroes with dd, as packetdrill's own
// sendfile test does (its payloads are zeroes), open it and send it with sendfile().
// Nothing is read from or written to the machine's disk; pipes and splice() are not
// modelled.

// MaxEngineFileBytes bounds a file a script makes on the engine (dd's bs × count).
const MaxEngineFileBytes = 16 << 20

// engineFile is an open file: its path and the offset sendfile() with a NULL offset
// reads from.
type engineFile struct {
	path string
	off  int
}

// fileCommand runs the dd and rm a script uses to make its file; ok is false for any
// other command.
func (s *EngineStack) fileCommand(f []string) (ok bool, err error) {
	if len(f) == 0 {
		return false, nil
	}
	switch path.Base(f[0]) {
	case "rm":
		for _, a := range f[1:] {
			if strings.HasPrefix(a, "-") {
				continue
			}
			if _, found := s.files[a]; !found && !strings.Contains(strings.Join(f[1:], " "), "-f") {
				return true, fmt.Errorf("rm: %s: no such file", a)
			}
			delete(s.files, a)
		}
		return true, nil
	case "dd":
		bs, count, in, out := 512, -1, "", ""
		for _, a := range f[1:] {
			k, v, _ := strings.Cut(a, "=")
			var err error
			switch k {
			case "bs":
				bs, err = strconv.Atoi(v)
			case "count":
				count, err = strconv.Atoi(v)
			case "if":
				in = v
			case "of":
				out = v
			case "status":
			default:
				return false, nil
			}
			if err != nil || bs < 0 || (k == "count" && count < 0) {
				return true, fmt.Errorf("dd: %q is not a number", a)
			}
		}
		if in != "/dev/zero" || out == "" || count < 0 {
			return false, nil // only a file of zeroes of a given size is modelled
		}
		if bs*count > MaxEngineFileBytes {
			return true, fmt.Errorf("dd: %d bytes is more than the %d a script's file may hold", bs*count, MaxEngineFileBytes)
		}
		if s.files == nil {
			s.files = map[string]int{}
		}
		s.files[out] = bs * count
		return true, nil
	}
	return false, nil
}

// FileCall makes open() and sendfile() on the files a script made (fileCommand);
// pipe() and splice() are not modelled.
func (s *EngineStack) FileCall(t time.Duration, id int, sc *Syscall, mayBlock bool) (tcp.Result, bool, error) {
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
		if _, ok := s.files[p]; !ok {
			return tcp.Result{Ret: -1, Errno: "ENOENT"}, true, nil
		}
		fd := 3
		if sc.HasRet && sc.Ret >= 3 && sc.Ret < tcp.MaxFD {
			fd = int(sc.Ret)
		}
		for s.fileFDs[fd] != nil || s.socks.Conn(fd) != nil {
			fd++
		}
		if s.fileFDs == nil {
			s.fileFDs = map[int]*engineFile{}
		}
		s.fileFDs[fd] = &engineFile{path: p}
		return tcp.Result{Ret: int64(fd)}, true, nil
	case "sendfile":
		out, err1 := strconv.Atoi(arg(0))
		in, err2 := strconv.Atoi(arg(1))
		count, err3 := strconv.Atoi(arg(3))
		if err := errors.Join(err1, err2, err3); err != nil || count < 0 {
			return tcp.Result{}, false, fmt.Errorf("want sendfile(out_fd, in_fd, [offset] or NULL, count): %s", strings.Join(sc.Args, ", "))
		}
		f := s.fileFDs[in]
		if f == nil {
			return tcp.Result{Ret: -1, Errno: "EBADF"}, true, nil
		}
		off := f.off
		if o := arg(2); o != "NULL" {
			v, err := strconv.Atoi(strings.Trim(o, "[] "))
			if err != nil || v < 0 {
				return tcp.Result{}, false, fmt.Errorf("offset %q is not [N] or NULL", o)
			}
			off = v
		}
		n := min(count, max(s.files[f.path]-off, 0))
		if n == 0 {
			return tcp.Result{}, true, nil
		}
		res, ok, err := s.Call(t, id, &tcp.Call{Op: tcp.OpSend, Name: "sendfile", FD: out, Size: n, How: -1}, mayBlock)
		if err == nil && ok && res.Ret > 0 && arg(2) == "NULL" {
			f.off += int(res.Ret)
		}
		return res, ok, err
	}
	return tcp.Result{}, false, fmt.Errorf("%w: %s", ErrNotModelled, NotModelledCalls[sc.Name])
}

var _ FileStack = (*EngineStack)(nil)
