package tcp

import "strings"

// Flags is the set of TCP control bits, laid out as in byte 13 of the TCP header
// (RFC 9293 §3.1, RFC 3168 §6.1 for ECE and CWR).
type Flags uint8

// The control bits, in header order from least significant.
const (
	FIN Flags = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
	ECE
	CWR
)

// flagOrder is the order in which flag names are written: the handshake reads naturally
// as SYN, SYN ACK, ACK.
var flagOrder = []struct {
	f    Flags
	name string
}{
	{SYN, "SYN"}, {FIN, "FIN"}, {RST, "RST"}, {PSH, "PSH"}, {ACK, "ACK"},
	{URG, "URG"}, {ECE, "ECE"}, {CWR, "CWR"},
}

// Has reports whether all bits of g are set in f.
func (f Flags) Has(g Flags) bool { return f&g == g }

// Names returns the upper-case names of the set bits, e.g. ["SYN", "ACK"].
func (f Flags) Names() []string {
	names := make([]string, 0, 3)
	for _, o := range flagOrder {
		if f&o.f != 0 {
			names = append(names, o.name)
		}
	}
	return names
}

// String returns the set bits joined with "|", e.g. "SYN|ACK"; "none" when no bit is set.
func (f Flags) String() string {
	if f == 0 {
		return "none"
	}
	return strings.Join(f.Names(), "|")
}

// ParseFlag returns the flag with the given upper-case name.
func ParseFlag(name string) (Flags, bool) {
	for _, o := range flagOrder {
		if o.name == name {
			return o.f, true
		}
	}
	return 0, false
}

// TcpdumpString writes the flags the way tcpdump does, in the order of print-tcp.c's
// tcp_flag_values: F, S, R, P, . (ACK), U, E, W; so an ECN-setup SYN-ACK is "S.E" and a
// FIN with data "FP.".
func (f Flags) TcpdumpString() string {
	var b strings.Builder
	for _, o := range []struct {
		f Flags
		c byte
	}{{FIN, 'F'}, {SYN, 'S'}, {RST, 'R'}, {PSH, 'P'}, {ACK, '.'}, {URG, 'U'}, {ECE, 'E'}, {CWR, 'W'}} {
		if f&o.f != 0 {
			b.WriteByte(o.c)
		}
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}
