package lessons

import (
	"fmt"
	"strconv"
	"strings"

	"synack/engine"
	"synack/engine/tcp"
)

// Anchor names one event of a trace by what it is, not by its position:
//
//	@segment SYN ACK              the segment whose flags are exactly SYN ACK
//	@segment FIN ACK from server  ... sent by the server
//	@segment ACK from client #2   the second such segment
//	@segment SYN ACK to client    the SYN-ACK sent to the client
//	@segment id 7                 the segment with ID 7
//	@dropped #1                   the first segment the network lost
//	@retransmit from client       the retransmission the client sent
//	@state server SYN-RECEIVED    the server entering SYN-RECEIVED
//	@app client connect ETIMEDOUT the client's connect() returning ETIMEDOUT
//	@timer client TIME-WAIT fired the client's TIME-WAIT timer firing
//	@note challenge-ack           a note the engine wrote
//	@message ServerHello          the packet that carries a message so named (TLS
//	                              record, QUIC packet), by its label
//
// Without #N an anchor must match exactly one event.
type Anchor struct {
	Text  string
	Kind  string // segment, dropped, retransmit, state, app, timer, note
	Words []string
	From  string
	To    string
	ID    int
	Nth   int
}

// ParseAnchor reads an anchor such as "@segment SYN ACK from server #2".
func ParseAnchor(s string) (Anchor, error) {
	a := Anchor{Text: s}
	if !strings.HasPrefix(s, "@") {
		return a, fmt.Errorf("an anchor starts with @ (e.g. @segment SYN ACK), got %q", s)
	}
	f := strings.Fields(s[1:])
	if len(f) == 0 {
		return a, fmt.Errorf("empty anchor")
	}
	a.Kind = f[0]
	for i := 1; i < len(f); i++ {
		w := f[i]
		switch {
		case strings.HasPrefix(w, "#"):
			n, err := strconv.Atoi(w[1:])
			if err != nil || n < 1 {
				return a, fmt.Errorf("anchor %q: %s is not an ordinal like #2", s, w)
			}
			a.Nth = n
		case w == "from" && i+1 < len(f):
			a.From = f[i+1]
			i++
		case w == "to" && i+1 < len(f):
			a.To = f[i+1]
			i++
		case w == "id" && a.Kind == "segment" && i+1 < len(f):
			n, err := strconv.Atoi(f[i+1])
			if err != nil || n < 1 {
				return a, fmt.Errorf("anchor %q: segment id must be a number", s)
			}
			a.ID = n
			i++
		default:
			a.Words = append(a.Words, w)
		}
	}
	switch a.Kind {
	case "segment":
		if a.ID == 0 && len(a.Words) == 0 {
			return a, fmt.Errorf("anchor %q: name the flags (SYN ACK) or an id", s)
		}
		for _, w := range a.Words {
			if _, ok := tcp.ParseFlag(w); !ok {
				return a, fmt.Errorf("anchor %q: %q is not a flag name", s, w)
			}
		}
	case "dropped", "retransmit":
	case "message":
		if len(a.Words) == 0 {
			return a, fmt.Errorf("anchor %q: name the message (@message ClientHello)", s)
		}
	case "state":
		if len(a.Words) != 2 {
			return a, fmt.Errorf("anchor %q: want @state ENDPOINT STATE", s)
		}
		if _, ok := tcp.ParseState(a.Words[1]); !ok {
			return a, fmt.Errorf("anchor %q: %q is not an RFC 9293 state name", s, a.Words[1])
		}
	case "app":
		if len(a.Words) < 2 || len(a.Words) > 3 {
			return a, fmt.Errorf("anchor %q: want @app ENDPOINT CALL [RESULT]", s)
		}
	case "timer":
		if len(a.Words) != 3 {
			return a, fmt.Errorf("anchor %q: want @timer ENDPOINT TIMER set|fired|cancelled", s)
		}
	case "note":
		if len(a.Words) != 1 {
			return a, fmt.Errorf("anchor %q: want @note KEY", s)
		}
	default:
		return a, fmt.Errorf("anchor %q: unknown kind %q (segment, dropped, retransmit, message, state, app, timer, note)", s, a.Kind)
	}
	return a, nil
}

func (a Anchor) matches(e *tcp.Event) bool {
	switch a.Kind {
	case "segment", "dropped", "retransmit", "message":
		if e.Kind != tcp.EventSegment {
			return false
		}
		s := e.Segment
		if a.From != "" && s.Src != a.From || a.To != "" && s.Dst != a.To {
			return false
		}
		switch a.Kind {
		case "dropped":
			return s.Fate == tcp.Dropped
		case "retransmit":
			return s.Retransmit
		case "message":
			return strings.Contains(s.Label, strings.Join(a.Words, " "))
		}
		if a.ID != 0 {
			return s.ID == a.ID
		}
		return strings.Join(s.Seg.Flags.Names(), " ") == strings.Join(a.Words, " ")
	case "state":
		return e.Kind == tcp.EventState && e.Endpoint == a.Words[0] && e.To.String() == a.Words[1] && mainPeer(e)
	case "app":
		ok := e.Kind == tcp.EventApp && e.Endpoint == a.Words[0] && e.Call == a.Words[1]
		if ok && len(a.Words) == 3 {
			ok = e.Result == a.Words[2]
		}
		return ok
	case "timer":
		return e.Kind == tcp.EventTimer && e.Endpoint == a.Words[0] && e.Timer.String() == a.Words[1] && e.Action.String() == a.Words[2]
	case "note":
		return e.Kind == tcp.EventNote && e.Note == a.Words[0]
	}
	return false
}

// mainPeer keeps the state changes of the story's connection (not a flood's half-open ones).
func mainPeer(e *tcp.Event) bool {
	return e.Peer == "" || !strings.HasPrefix(e.Peer, "attacker")
}

// resolveFirst is Resolve for a reader's own parameters: the lesson was checked to name
// exactly one event of the default run, and where a retransmission or a duplicate adds
// a second match, the narration belongs with the first.
func (a Anchor) resolveFirst(tr *engine.Trace) (int, error) {
	if a.Nth == 0 {
		for i, e := range tr.Scan() {
			if a.matches(e) {
				return i, nil
			}
		}
	}
	return a.Resolve(tr)
}

// Resolve returns the index of the trace event the anchor names.
func (a Anchor) Resolve(tr *engine.Trace) (int, error) {
	var hits []int
	for i, e := range tr.Scan() {
		if a.matches(e) {
			hits = append(hits, i)
		}
	}
	switch {
	case len(hits) == 0:
		return -1, fmt.Errorf("anchor %s matches no event of the run", a.Text)
	case a.Nth > 0:
		if a.Nth > len(hits) {
			return -1, fmt.Errorf("anchor %s: only %d events match", a.Text, len(hits))
		}
		return hits[a.Nth-1], nil
	case len(hits) > 1:
		return -1, fmt.Errorf("anchor %s matches %d events: add #1, #2, ... or from ENDPOINT", a.Text, len(hits))
	}
	return hits[0], nil
}
