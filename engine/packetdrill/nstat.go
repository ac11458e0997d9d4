package packetdrill

import (
	"errors"
	"fmt"
	"slices"

	"synack/engine/tcp"
)

// nstatCounters are the MIB counters the engine keeps, by the name iproute2's nstat
// prints them with. None of these names is part of another counter's name, so a grep
// for one of them reads it alone.
var nstatCounters = map[string]func(tcp.HostStats) int{
	"TcpExtOutOfWindowIcmps": func(s tcp.HostStats) int { return s.OutOfWindowICMPs },
}

// errNoMatch is a grep that found nothing: status 1.
var errNoMatch = errors.New("grep: no line matched")

// nstat runs `nstat`, `nstat -n` or `nstat | grep NAME` as iproute2's nstat does: it
// prints the counters that grew since its last run (its history) and then takes the
// present values as the new history; -n prints nothing. A grep for a counter the engine
// does not keep is not modelled.
func (s *EngineStack) nstat(words []string) error {
	cmd, rest, piped := cutPipe(words)
	if len(cmd) == 0 || cmd[0] != "nstat" || len(cmd) > 2 || len(cmd) == 2 && cmd[1] != "-n" {
		return ErrNotModelled
	}
	grown := map[string]bool{}
	st := s.h.Stats()
	if s.nstatSeen == nil {
		s.nstatSeen = map[string]int{}
	}
	for name, get := range nstatCounters {
		v := get(st)
		grown[name] = v > s.nstatSeen[name]
		s.nstatSeen[name] = v
	}
	if !piped {
		return nil
	}
	if len(cmd) == 2 || len(rest) != 2 || rest[0] != "grep" {
		return ErrNotModelled
	}
	if _, ok := nstatCounters[rest[1]]; !ok {
		return fmt.Errorf("%w: nstat counter %s", ErrNotModelled, rest[1])
	}
	if !grown[rest[1]] {
		return errNoMatch
	}
	return nil
}

// cutPipe splits a pipeline's words at its first "|".
func cutPipe(words []string) (first, rest []string, piped bool) {
	i := slices.Index(words, "|")
	if i < 0 {
		return words, nil, false
	}
	return words[:i], words[i+1:], true
}
