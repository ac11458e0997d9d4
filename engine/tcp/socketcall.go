package tcp

import "net/netip"

// Op is a socket call of the BSD socket API, as Linux implements it.
type Op uint8

// The socket calls. A Call's Name keeps the spelling its caller used (write, send,
// sendto and sendmsg are all OpSend).
const (
	_            Op = iota
	OpSocket        // socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)
	OpBind          // bind() to Call.Port
	OpListen        // listen() on Call.Port with Call.Backlog
	OpAccept        // accept()
	OpConnect       // connect() to Call.Addr, Call.Port
	OpSend          // write, send, sendto, sendmsg: Call.Size bytes
	OpRecv          // read, recv, recvfrom, recvmsg: up to Call.Size bytes
	OpClose         // close()
	OpShutdown      // shutdown(Call.How)
	OpSetsockopt    // setsockopt(Call.Opt, Call.Val)
	OpGetsockopt    // getsockopt(Call.Opt)
	OpIoctl         // ioctl(Call.Opt): SIOCINQ, SIOCOUTQ
	OpFcntl         // fcntl(Call.Opt): F_GETFL, F_SETFL with Call.Val.NonBlock
	OpPoll          // poll(Call.Poll, Call.Timeout)
	OpAbort         // RFC 9293's ABORT (§3.10.5): what close() does under SO_LINGER {1, 0}
	// epoll (Linux): epoll_create/epoll_create1, epoll_ctl(Call.FD, Call.Opt,
	// Call.Epoll), epoll_wait(Call.FD, at most Call.Size events, Call.Timeout).
	OpEpollCreate
	OpEpollCtl
	OpEpollWait
)

// MsgFlags are the flags of a send or receive call, with Linux's values.
type MsgFlags uint32

// The message flags callers may name.
const (
	MsgOOB      MsgFlags = 0x1
	MsgPeek     MsgFlags = 0x2
	MsgDontWait MsgFlags = 0x40
	MsgEOR      MsgFlags = 0x80
	MsgWaitAll  MsgFlags = 0x100
	MsgErrQueue MsgFlags = 0x2000
	MsgNoSignal MsgFlags = 0x4000
	MsgMore     MsgFlags = 0x8000
	MsgZeroCopy MsgFlags = 0x4000000
	MsgFastOpen MsgFlags = 0x20000000
)

// How shutdown() closes a socket (SHUT_RD, SHUT_WR, SHUT_RDWR).
const (
	ShutRead      = 0
	ShutWrite     = 1
	ShutReadWrite = 2
)

// Poll event bits, as Linux numbers them (include/uapi/asm-generic/poll.h).
const (
	PollIn     = 0x1
	PollPri    = 0x2
	PollOut    = 0x4
	PollErr    = 0x8
	PollHup    = 0x10
	PollNval   = 0x20
	PollRdNorm = 0x40
	PollRdBand = 0x80
	PollWrNorm = 0x100
	PollWrBand = 0x200
	PollRdHup  = 0x2000
)

// PollFD is one entry of poll()'s array.
type PollFD struct {
	FD              int
	Events, Revents int16
}

// Call is one socket call with its arguments decoded: what a program (a story, the lab,
// a packetdrill script) asks of a stack. The fields an Op does not use are zero.
type Call struct {
	Op   Op
	Name string // the call as its caller wrote it: "sendto", "recvmsg", ...
	FD   int    // the socket, for every Op but OpSocket and OpPoll
	// WantFD is the descriptor socket() or accept() is expected to return (3 or more,
	// as a script writes it); 0 for the lowest free one.
	WantFD int
	// Port is our port for bind and listen, the peer's for connect and a send that
	// opens the connection (MsgFastOpen or a deferred connect); Addr is that peer,
	// invalid when the caller passed an AF_UNSPEC address.
	Port    uint16
	Addr    netip.Addr
	Backlog int
	// Size is how many bytes a send writes or a receive reads at most: for sendmsg and
	// recvmsg the sum of Iov, the lengths of the message's iovec.
	Size    int
	Data    []byte // send: the bytes, when the caller has some to say; nil for Size zeros
	Iov     []int
	NullBuf bool // the buffer pointer is NULL
	Flags   MsgFlags
	// OddFlag names a send flag the caller wrote that the engine does not model (any
	// but MSG_DONTWAIT, MSG_NOSIGNAL, MSG_MORE and MSG_FASTOPEN), as written; "" if none.
	OddFlag string
	// Cmsg says a recvmsg asks for control messages; CmsgInq that TCP_CM_INQ is one.
	Cmsg, CmsgInq bool
	How           int    // shutdown: ShutRead, ShutWrite, ShutReadWrite; -1 for anything else
	Opt           string // setsockopt, getsockopt: the option (SO_LINGER, TCP_NODELAY, ...); ioctl: the request; fcntl: the command
	Val           OptVal // setsockopt's value; fcntl F_SETFL's flags
	Poll          []PollFD
	Timeout       int // poll, epoll_wait: milliseconds, negative for none
	// Epoll is epoll_ctl's target and its struct epoll_event.
	Epoll EpollEvent
}

// EpollEvent is a struct epoll_event with the descriptor it is about: epoll_ctl's fd
// and event; what epoll_wait returns.
type EpollEvent struct {
	FD     int
	Events uint32
}

// OptVal is a setsockopt value, read every way the option may need it.
type OptVal struct {
	Int   int  // a number, written N or [N]
	IsInt bool // Int holds one
	// SO_LINGER's struct linger {onoff, linger}; IsLinger when a linger field is written.
	LingerOn   bool
	LingerSecs int
	IsLinger   bool
	// Bytes is a C string value (TCP_FASTOPEN_KEY's 16 bytes); BytesErr says why it is
	// not one.
	Bytes    []byte
	BytesErr string
	Text     string // a string value without its quotes (TCP_CONGESTION's "cubic")
	NonBlock bool   // fcntl F_SETFL: O_NONBLOCK is among the flags
	// Keepalive, with SO_KEEPALIVE, sets it and its TCP_KEEP* values in one call, in
	// durations finer than the options' whole seconds (a story's; zero fields: the
	// profile's). A script sets them one option at a time.
	Keepalive *Keepalive
}

// Result is what a socket call returned: Ret, or -1 with Errno.
type Result struct {
	Ret   int64
	Errno string
	Out   string // an out-value: getsockopt's and ioctl's, SO_ERROR's errno name ("0" for none), recvmsg's TCP_CM_INQ
	// Revents are poll()'s revents, one per entry of Call.Poll.
	Revents []int16
	// Ready are the events epoll_wait returned.
	Ready []EpollEvent
	// Unmodelled says what the stack did not do (an option it does not model).
	Unmodelled string
	// Cmsgs are the control messages a recvmsg returned, for a stack that reads them
	// (the kernel runner); nil when it does not. MsgFlags are the message's flags it
	// returned with them (MSG_TRUNC ...).
	Cmsgs    []Cmsg
	MsgFlags int
}

// Cmsg is one control message: its level and type by their C names (SOL_IP,
// IP_RECVERR), and its fields by the names packetdrill writes them with (ee_errno ...;
// a timestamp's scm_usec is microseconds since the script started).
type Cmsg struct {
	Level, Type string
	Fields      map[string]int64
}
