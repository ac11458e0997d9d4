package packetdrill

import (
	"fmt"
	"strconv"
	"strings"

	"synack/engine/tcp"
)

var pollBits = []namedBit[int16]{
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
func ParsePollBits(v string) (int16, error) { return parseBits(v, pollBits, "poll") }

// PollBitsString names poll bits the way a script writes them: POLLIN|POLLOUT, or 0.
func PollBitsString(bits int16) string { return bitsString(bits, pollBits) }

// namedBit is an event bit of poll or epoll and the name a script gives it.
type namedBit[T int16 | uint32] struct {
	name string
	bit  T
}

// parseBits reads names from table joined by "|" (or a number, or 0); kind names the
// call in an error.
func parseBits[T int16 | uint32](v string, table []namedBit[T], kind string) (T, error) {
	var bits T
	for _, w := range strings.Split(v, "|") {
		w = strings.TrimSpace(w)
		if n, err := strconv.ParseInt(w, 0, 64); err == nil && int64(T(n)) == n { // a number that fits T
			bits |= T(n)
			continue
		}
		found := false
		for _, b := range table {
			if b.name == w {
				bits, found = bits|b.bit, true
			}
		}
		if !found {
			return 0, fmt.Errorf("unknown %s event %q", kind, w)
		}
	}
	return bits, nil
}

// bitsString names bits from table as a script writes them: A|B, or 0.
func bitsString[T int16 | uint32](bits T, table []namedBit[T]) string {
	var names []string
	for _, b := range table {
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
