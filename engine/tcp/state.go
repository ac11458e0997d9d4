package tcp

// State is a TCP connection state, named as RFC 9293 §3.3.2 names it. The zero value is
// invalid, so a forgotten initialisation cannot pass for CLOSED.
type State uint8

// The eleven states of RFC 9293 §3.3.2.
const (
	_ State = iota
	Closed
	Listen
	SynSent
	SynReceived
	Established
	FinWait1
	FinWait2
	CloseWait
	Closing
	LastAck
	TimeWait
)

var stateNames = [...]string{
	"INVALID", "CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED",
	"FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT",
}

// String returns the RFC 9293 spelling, e.g. "SYN-RECEIVED".
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "INVALID"
}

// ParseState returns the state with the given RFC 9293 name.
func ParseState(name string) (State, bool) {
	for i, n := range stateNames {
		if i > 0 && n == name {
			return State(i), true
		}
	}
	return 0, false
}

// Synchronized reports whether the state is one of RFC 9293's synchronized states, in
// which both sides' sequence numbers are known (§3.10.7.4).
func (s State) Synchronized() bool {
	switch s {
	case SynReceived, Established, FinWait1, FinWait2, CloseWait, Closing, LastAck, TimeWait:
		return true
	}
	return false
}

// CanSend reports whether the local application may still queue data to send.
func (s State) CanSend() bool {
	switch s {
	case SynSent, SynReceived, Established, CloseWait:
		return true
	}
	return false
}

// CanReceive reports whether data from the peer is still accepted (the peer has not
// sent its FIN).
func (s State) CanReceive() bool {
	switch s {
	case SynReceived, Established, FinWait1, FinWait2:
		return true
	}
	return false
}
