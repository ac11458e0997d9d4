// Package packetdrill reads packetdrill scripts and replays them against a TCP stack:
// synack's engine, or (in package kernel) the real Linux kernel. A script plays the remote
// peer: "<" lines are segments injected into the stack under test, ">" lines are segments
// the stack must send, and the other lines are the local application's socket calls.
//
// The parser turns a script into a Script: options, then events in file order, each with
// its line number and its time. The runner (Run) drives a Stack through the events and
// reports the first mismatch as file:line: what was expected, what happened.
//
// Addresses: the stack under test is 198.51.100.1 and listens on (or binds) port 8080;
// the script's peer is 192.0.2.1, port 40000 when it connects, 8080 when it is connected to.
package packetdrill

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"synack/engine/tcp"
)

// Script is a parsed packetdrill script.
type Script struct {
	File string
	// Dir is the directory the script was read from: a shell block that runs
	// "../common/defaults.sh" reads that file from there. Empty for a script that has no
	// directory (pasted on the web): the runner then uses packetdrill's defaults.
	Dir string
	// ReadFile reads a file the script names (a shell block's defaults.sh), by its path
	// joined with Dir. The caller supplies it, so the runner itself touches no file
	// system; nil means the script reads no files and packetdrill's defaults apply.
	ReadFile  func(path string) ([]byte, error)
	Tolerance time.Duration // --tolerance_usecs
	Options   map[string]string
	Events    []*Event
	Warnings  []string
	// NotEvaluated lists what the parser read and the runner will not check (an option
	// such as --tcp_ts_tick_usecs): the result reports it.
	NotEvaluated []string
	// StrictSegments (--strict_segments) makes every expected outbound segment match one
	// sent segment; by default, as in packetdrill, consecutive segments an offloading
	// device would have sent as one may satisfy one expected line.
	StrictSegments bool
	// TSTick (--tcp_ts_tick_usecs) is the stack's timestamp clock tick: with it, outbound
	// TS vals are compared, relative to the first one, within the timing tolerance.
	TSTick time.Duration
	// Local and Remote (--local_ip, --remote_ip) are the addresses of the stack under test
	// and of the script's peer; unset, LocalAddr and RemoteAddr. They matter where an
	// address is part of what is checked: a Fast Open cookie is computed from both.
	Local, Remote netip.Addr
}

// Addrs returns the stack's and the peer's addresses for the script.
func (s *Script) Addrs() (local, remote netip.Addr) {
	local, remote = LocalAddr, RemoteAddr
	if s.Local.IsValid() {
		local = s.Local
	}
	if s.Remote.IsValid() {
		remote = s.Remote
	}
	return local, remote
}

// ParseIPv4 reads an address as packetdrill's --local_ip and --remote_ip take it
// ("192.168.0.1", or with a prefix length, "192.0.2.1/24"): IPv4 only.
func ParseIPv4(v string) (netip.Addr, error) {
	v, _, _ = strings.Cut(strings.TrimSpace(v), "/")
	a, err := netip.ParseAddr(v)
	if err != nil || !a.Is4() {
		return netip.Addr{}, fmt.Errorf("%q is not an IPv4 address (the runner runs IPv4 only)", v)
	}
	return a, nil
}

// EventKind says what an event line holds.
type EventKind uint8

// The kinds of event.
const (
	PacketEvent EventKind = iota + 1
	SyscallEvent
	ShellEvent
	PythonEvent
)

// Time is when an event happens, as the script writes it.
type Time struct {
	Any      bool          // "*": any time (outbound packets only)
	Relative bool          // "+t": relative to the previous event
	At       time.Duration // the (start) time
	// Range: "+0~+.2" — the event may happen up to End (EndRelative to the previous event).
	HasEnd      bool
	End         time.Duration
	EndRelative bool
	// Blocking: "0...0.300 call()" — the call starts at At and returns at BlockEnd.
	Blocking bool
	BlockEnd time.Duration
	BlockRel bool
}

// Event is one line (or block) of a script.
type Event struct {
	Line    int
	Time    Time
	Kind    EventKind
	Packet  *Packet
	Syscall *Syscall
	Shell   *Shell
	Python  *Python
	// Init marks a block written without a time before every other event: packetdrill's
	// init command, which runs before the script's clock starts.
	Init bool
}

// Packet is a "<" or ">" line.
type Packet struct {
	Inbound  bool // "<": the script sends it
	Flags    tcp.Flags
	Seq      uint32
	End      uint32
	Len      int
	HasAck   bool
	Ack      uint32
	HasWin   bool
	Win      uint16
	Options  tcp.Options
	OptsList bool // an option list was written
	OptsAny  bool // "<...>": do not check options
	// Port is the remote port of the flow, from synack's "[port N]" extension written
	// after the direction (< [port 40001] S ...); 0 for the script's one flow. It lets a
	// script play several peers, as a listen backlog test needs.
	Port uint16
	// IPECN is the ECN codepoint written in brackets ("ect0", "ce" ...), or "".
	IPECN string
	// TOS is the whole TOS byte written [tos 0xNN], to check on what the stack sends;
	// HasTOS says it was written.
	TOS    uint8
	HasTOS bool
	// CookieSym lists the Fast Open options (indexes into Options) written with the
	// symbol TFO_COOKIE: the runner fills in the cookie the stack under test computes
	// for the script's peer (Stack.FastOpenCookie), as packetdrill's test runner defines
	// it for its addresses and key.
	CookieSym []int
	// ICMP is set for an "< icmp ..." line: an ICMP error about a segment of ours.
	ICMP *ICMPSpec
	// Urgent is the urgent pointer ("urg N").
	Urgent uint16
}

// ICMPSpec is an inbound ICMP error as packetdrill writes it: icmp TYPE [CODE] [mtu N]
// [[start:end(len)]], the bracket naming the segment of ours it echoes (its sequence
// number relative to our ISN; 0 when absent).
type ICMPSpec struct {
	Type, Code uint8
	MTU        uint16
	Seq        uint32
}

// Syscall is a socket call with its expected result.
type Syscall struct {
	Name   string
	Args   []string // raw argument text; "..." for don't-care
	Ret    int64
	Errno  string // expected errno when Ret is -1
	HasRet bool
}

// Sysctl is one setting written by a shell block.
type Sysctl struct {
	Name  string // e.g. "tcp_syn_retries" (without the net.ipv4. prefix)
	Value string
}

// Shell is a backquoted shell block.
type Shell struct {
	Command string
	// Steps are its simple commands, read as /bin/sh (dash) reads them (see shellSteps).
	Steps []ShellStep
}

// Python is a %{ }% block. The runner evaluates assertions on tcp_info fields
// ("assert tcpi_snd_mss == 1100, ..."); any other statement is kept in Other and reported
// as not evaluated.
type Python struct {
	Code    string
	Asserts []Assert
	Other   []string
}

// Assert is "assert tcpi_<field> <op> <value>".
type Assert struct {
	Field string // without the tcpi_ prefix: "state", "snd_mss", "rto" ...
	Op    string // ==, !=, <, <=, >, >=
	Value int64  // for state, an engine.State
	Text  string // the statement as written
	// Mask, when not 0, is a bit mask the field is ANDed with before the comparison:
	// "assert (tcpi_options & TCPI_OPT_SYN_DATA) != 0".
	Mask int64
}

// tcpiOptBits are the tcpi_options bits of linux/tcp.h a script may name.
var tcpiOptBits = map[string]int64{"TCPI_OPT_TIMESTAMPS": 1, "TCPI_OPT_SACK": 2, "TCPI_OPT_WSCALE": 4,
	"TCPI_OPT_ECN": 8, "TCPI_OPT_ECN_SEEN": 16, "TCPI_OPT_SYN_DATA": 32, "TCPI_OPT_USEC_TS": 64}

// ParseError is a script the parser cannot read, with where and what.
type ParseError struct {
	File  string
	Line  int
	Token string
	Msg   string
	// Key and Args name Msg for views in other languages: the catalogue's
	// "packetdrill."+Key formatted with Args.
	Key  string
	Args []any
}

func (e *ParseError) Error() string {
	if e.Token != "" {
		return fmt.Sprintf("%s:%d: %s near %q", e.File, e.Line, e.Msg, e.Token)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// Limits of the parser, so a pasted script cannot exhaust the server.
const (
	MaxScriptBytes = 256 << 10
	MaxEvents      = 5000
	MaxPayload     = 1 << 20
	// MaxScriptTime is the latest time an event may be scheduled at.
	MaxScriptTime = time.Hour
)
