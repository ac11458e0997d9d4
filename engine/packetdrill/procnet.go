package packetdrill

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"synack/engine/tcp"
)

// The engine's sockets as Linux lists them in /proc/net/tcp (tcp4_seq_show), for a
// script that greps that file: `grep " 0A " /proc/net/tcp /proc/net/tcp6 | grep ":1F90"`
// looks for a listener on port 8080. The local and remote address and port and the
// state are the engine's; the slot number and what follows the state (queues, timers,
// uid, inode...) are not modelled, so a pattern that matches only there makes the
// command not modelled rather than guessed.

// procNetHeader is the first line of /proc/net/tcp, padded as Linux pads it (TMPSZ - 1
// columns); procNet6Header is /proc/net/tcp6's, unpadded.
var (
	procNetHeader  = fmt.Sprintf("%-149s", "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode")
	procNet6Header = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
)

// procNetStates are the state numbers Linux prints (include/net/tcp_states.h).
var procNetStates = map[tcp.State]int{
	tcp.Established: 1, tcp.SynSent: 2, tcp.SynReceived: 3, tcp.FinWait1: 4, tcp.FinWait2: 5,
	tcp.TimeWait: 6, tcp.Closed: 7, tcp.CloseWait: 8, tcp.LastAck: 9, tcp.Listen: 10, tcp.Closing: 11,
}

// procLine is one line of the file: known are the parts the engine models (a file name
// grep prefixes, the addresses, ports and state), text the whole line. A pattern found
// in a known part matches; one found only across or outside them is not evaluated.
type procLine struct {
	known []string
	text  string
}

// procNetTCP renders /proc/net/tcp: listeners first, by port, then connections by tuple.
// The slot number and the columns after the state are not modelled. A listener's
// address is the host's, as a script's bind(3, ..., ...) gives it.
func (s *EngineStack) procNetTCP() []procLine {
	out := []procLine{{known: []string{procNetHeader}, text: procNetHeader}}
	add := func(local netip.Addr, lport uint16, remote netip.Addr, rport uint16, st tcp.State) {
		sl := fmt.Sprintf("%4d: ", len(out)-1)
		known := fmt.Sprintf("%s:%04X %s:%04X %02X ", procAddr(local), lport, procAddr(remote), rport, procNetStates[st])
		rest := "00000000:00000000 00:00000000 00000000     0        0 0 1 0000000000000000 0 0 0 0 -1"
		out = append(out, procLine{known: []string{known}, text: sl + known + rest})
	}
	for _, l := range s.h.Listeners() {
		add(s.h.Addr, l.Port, netip.IPv4Unspecified(), 0, tcp.Listen)
	}
	cs := s.h.Conns()
	slices.SortFunc(cs, func(a, b *tcp.Conn) int { return strings.Compare(a.Tuple().String(), b.Tuple().String()) })
	for _, c := range cs {
		if c.State() == tcp.Closed {
			continue
		}
		t := c.Tuple()
		add(t.LocalAddr, t.LocalPort, t.RemoteAddr, t.RemotePort, c.State())
	}
	return out
}

// procAddr prints an IPv4 address as Linux does: the network-order word read as a
// little-endian number, in hex.
func procAddr(a netip.Addr) string {
	b := a.As4()
	return fmt.Sprintf("%02X%02X%02X%02X", b[3], b[2], b[1], b[0])
}

// grepProcNet runs `grep PATTERN FILE...` on /proc/net/tcp and /proc/net/tcp6, piped
// into further `grep PATTERN` stages, with literal patterns only; it returns nil when a
// line is left (grep's status 0) and errNoMatch when none is.
func (s *EngineStack) grepProcNet(words []string) error {
	stage, rest, piped := cutPipe(words)
	if len(stage) < 3 || stage[0] != "grep" {
		return ErrNotModelled
	}
	files := stage[2:]
	for _, f := range files {
		if f != "/proc/net/tcp" && f != "/proc/net/tcp6" {
			return ErrNotModelled
		}
	}
	var lines []procLine
	for _, f := range files {
		ls := []procLine{{known: []string{procNet6Header}, text: procNet6Header}} // the engine has no IPv6 sockets
		if f == "/proc/net/tcp" {
			ls = s.procNetTCP()
		}
		for _, l := range ls {
			if len(files) > 1 { // grep names the file when given several
				l.known = append([]string{f + ":"}, l.known...)
				l.text = f + ":" + l.text
			}
			lines = append(lines, l)
		}
	}
	pattern := stage[1]
	for {
		if !literalPattern(pattern) {
			return ErrNotModelled
		}
		var kept []procLine
		for _, l := range lines {
			switch {
			case slices.ContainsFunc(l.known, func(k string) bool { return strings.Contains(k, pattern) }):
				kept = append(kept, l)
			case strings.Contains(l.text, pattern):
				return fmt.Errorf("%w: %q matches columns of /proc/net/tcp the engine does not keep", ErrNotModelled, pattern)
			}
		}
		lines = kept
		if !piped {
			break
		}
		stage, rest, piped = cutPipe(rest)
		if len(stage) != 2 || stage[0] != "grep" {
			return ErrNotModelled
		}
		pattern = stage[1]
	}
	if len(lines) == 0 {
		return errNoMatch
	}
	return nil
}

// literalPattern reports whether a grep pattern (a basic regular expression) matches
// only itself: no option, no metacharacter.
func literalPattern(p string) bool {
	return p != "" && p[0] != '-' && !strings.ContainsAny(p, `.[]*^$\`)
}
