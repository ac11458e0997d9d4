package packetdrill

import (
	"fmt"
	"strconv"
	"strings"

	"synack/engine/tcp"
)

var pollBits = []struct {
	name string
	bit  int16
}{
	{"POLLIN", tcp.PollIn}, {"POLLPRI", tcp.PollPri}, {"POLLOUT", tcp.PollOut}, {"POLLERR", tcp.PollErr},
	{"POLLHUP", tcp.PollHup}, {"POLLNVAL", tcp.PollNval}, {"POLLRDNORM", tcp.PollRdNorm},
	{"POLLRDBAND", tcp.PollRdBand}, {"POLLWRNORM", tcp.PollWrNorm}, {"POLLWRBAND", tcp.PollWrBand},
	{"POLLRDHUP", tcp.PollRdHup},
}

// ParsePoll reads poll()'s first argument, [{fd=N, events=..., revents=...}, ...].
func ParsePoll(arg string) ([]tcp.PollFD, error) {
	s := strings.TrimSpace(arg)
	if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") {
		return nil, fmt.Errorf("poll: %q is not a [{fd=..., events=..., revents=...}] array", arg)
	}
	items, ok := splitArgs(s[1 : len(s)-1])
	if !ok || len(items) == 0 {
		return nil, fmt.Errorf("poll: %q is not a [{fd=..., events=..., revents=...}] array", arg)
	}
	var out []tcp.PollFD
	for _, it := range items {
		it = strings.TrimSpace(it)
		if !strings.HasPrefix(it, "{") || !strings.HasSuffix(it, "}") {
			return nil, fmt.Errorf("poll: %q is not {fd=..., events=..., revents=...}", it)
		}
		fields, _ := splitArgs(it[1 : len(it)-1])
		var p tcp.PollFD
		seen := map[string]bool{}
		for _, f := range fields {
			k, v, ok := strings.Cut(f, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || seen[k] {
				return nil, fmt.Errorf("poll: %q: want fd=, events= and revents=", it)
			}
			seen[k] = true
			var err error
			switch k {
			case "fd":
				p.FD, err = strconv.Atoi(v)
			case "events":
				p.Events, err = ParsePollBits(v)
			case "revents":
				p.Revents, err = ParsePollBits(v)
			default:
				err = fmt.Errorf("unknown field %q", k)
			}
			if err != nil {
				return nil, fmt.Errorf("poll: %q: %v", it, err)
			}
		}
		if !seen["fd"] || !seen["events"] || !seen["revents"] {
			return nil, fmt.Errorf("poll: %q: want fd=, events= and revents=", it)
		}
		out = append(out, p)
	}
	return out, nil
}

// ParsePollBits reads POLLIN|POLLOUT (or a number, or 0).
func ParsePollBits(v string) (int16, error) {
	var bits int16
	for _, w := range strings.Split(v, "|") {
		w = strings.TrimSpace(w)
		if n, err := strconv.ParseInt(w, 0, 16); err == nil {
			bits |= int16(n)
			continue
		}
		found := false
		for _, b := range pollBits {
			if b.name == w {
				bits, found = bits|b.bit, true
			}
		}
		if !found {
			return 0, fmt.Errorf("unknown poll event %q", w)
		}
	}
	return bits, nil
}

// PollBitsString names poll bits the way a script writes them: POLLIN|POLLOUT, or 0.
func PollBitsString(bits int16) string {
	var names []string
	for _, b := range pollBits {
		if bits&b.bit != 0 {
			names = append(names, b.name)
			bits &^= b.bit
		}
	}
	if bits != 0 {
		names = append(names, fmt.Sprintf("%#x", bits))
	}
	if len(names) == 0 {
		return "0"
	}
	return strings.Join(names, "|")
}

// FormatRevents writes each entry's revents, in order, as a script writes them.
func FormatRevents(fds []tcp.PollFD) string {
	parts := make([]string, len(fds))
	for i, p := range fds {
		parts[i] = PollBitsString(p.Revents)
	}
	return strings.Join(parts, ", ")
}

// PollTimeout reads poll()'s timeout in milliseconds (negative: none).
func PollTimeout(arg string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(arg))
	if err != nil {
		return 0, fmt.Errorf("poll: timeout %q is not a number of milliseconds", arg)
	}
	return n, nil
}
