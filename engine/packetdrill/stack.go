package packetdrill

import (
	"errors"
	"net/netip"
	"time"

	"synack/engine/tcp"
)

// Addresses and ports the scripts use.
var (
	LocalAddr  = netip.MustParseAddr("198.51.100.1") // the stack under test
	RemoteAddr = netip.MustParseAddr("192.0.2.1")    // the script's peer
)

// Ports the scripts use.
const (
	LocalPort  = 8080  // bind() and listen() use it
	RemotePort = 40000 // the peer's port when it connects to us
	PeerPort   = 8080  // the port connect() reaches on the peer
)

// ErrNotModelled is a Stack's answer to a command whose effect it does not model.
var ErrNotModelled = errors.New("not modelled")

// Sent is a segment the stack under test sent, and when (script time).
type Sent struct {
	At  time.Duration
	Seg tcp.Segment
}

// Done is a blocking call that returned.
type Done struct {
	ID  int
	At  time.Duration
	Res tcp.Result
}

// Stack is a TCP stack under test: the engine (virtual time) or the kernel (real time).
type Stack interface {
	// Command runs a shell command of the script that is not a sysctl (tc ...): an error
	// wrapping ErrNotModelled says the stack cannot run it, any other that it ran and
	// failed.
	Command(cmd string) error
	// Tune sets a sysctl (tcp_syn_retries=2, ...); it reports false for one it ignores.
	Tune(name, value string) (bool, error)
	// Until runs up to script time t, or until the stack sends something when stopOnSend,
	// and returns what was sent and which blocking calls returned.
	Until(t time.Duration, stopOnSend bool) ([]Sent, []Done, error)
	// Inject hands the stack a segment from the peer at time t.
	Inject(t time.Duration, seg tcp.Segment) error
	// Call makes a socket call, decoded from the script's line (Decode), at time t. A
	// call that blocks returns ok=false and is reported later by Until with the given id.
	Call(t time.Duration, id int, call *tcp.Call, mayBlock bool) (res tcp.Result, ok bool, err error)
	// Now returns the stack's current script time (when the last action really happened).
	Now() time.Duration
	// Info returns the tcp_info fields the stack knows for the socket behind fd, named
	// without the tcpi_ prefix (state holds a tcp.State); false when fd is no socket.
	Info(fd int) (map[string]int64, bool)
	// FastOpenCookie returns the TCP Fast Open cookie (RFC 7413 §4.1.2) the stack's
	// server side gives the script's peer, from its current key and the two addresses:
	// what a script's TFO_COOKIE stands for.
	FastOpenCookie() ([]byte, error)
	Close() error
}

// FileStack is a Stack that makes the calls on files and pipes (NotModelledCalls: open,
// pipe, sendfile, splice): the kernel can, the engine cannot.
type FileStack interface {
	// FileCall makes one at time t from the script's arguments as written; like Call, a
	// call that blocks returns ok=false and is reported later by Until with id.
	FileCall(t time.Duration, id int, sc *Syscall, mayBlock bool) (res tcp.Result, ok bool, err error)
}

// ClockStack is a Stack on a real clock: StartClock makes now its time zero, as
// packetdrill starts the script's clock once its init command has run.
type ClockStack interface {
	StartClock()
}

// ICMPStack is a Stack that takes ICMP errors from the peer's side.
type ICMPStack interface {
	// InjectICMP hands the stack an ICMP error at time t about a segment it sent.
	InjectICMP(t time.Duration, m tcp.ICMP) error
}

// VirtualStack is a Stack that runs in virtual time (the engine): what it sends at once
// it sends at one instant.
type VirtualStack interface {
	Stack
	Virtual()
}
