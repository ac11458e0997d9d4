package packetdrill

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"synack/engine/tcp"
)

// MaxCallBytes is the most a single write() or read() may move: a larger (or negative)
// size is a script error at its line, not an allocation.
const MaxCallBytes = 1 << 20

// callOps maps the system calls a script may make to the socket call they are.
var callOps = map[string]tcp.Op{
	"socket": tcp.OpSocket, "bind": tcp.OpBind, "listen": tcp.OpListen, "accept": tcp.OpAccept,
	"connect": tcp.OpConnect, "write": tcp.OpSend, "send": tcp.OpSend, "sendto": tcp.OpSend,
	"sendmsg": tcp.OpSend, "read": tcp.OpRecv, "recv": tcp.OpRecv, "recvfrom": tcp.OpRecv,
	"recvmsg": tcp.OpRecv, "close": tcp.OpClose, "shutdown": tcp.OpShutdown,
	"setsockopt": tcp.OpSetsockopt, "getsockopt": tcp.OpGetsockopt, "ioctl": tcp.OpIoctl,
	"fcntl": tcp.OpFcntl, "poll": tcp.OpPoll,
}

// NotModelledCalls are the calls a script may make that neither stack runs: what they
// need (files, pipes) is outside TCP.
var NotModelledCalls = map[string]string{
	"open":     "open() of a file (the runner has no files)",
	"pipe":     "pipe() (the runner has no pipes)",
	"sendfile": "sendfile() from a file (the runner has no files)",
	"splice":   "splice() to a pipe (the runner has no pipes)",
}

// msgFlagNames are the message flags a script may name (Linux values); it may also write
// them as numbers.
var msgFlagNames = map[string]tcp.MsgFlags{"MSG_OOB": tcp.MsgOOB, "MSG_PEEK": tcp.MsgPeek,
	"MSG_DONTWAIT": tcp.MsgDontWait, "MSG_WAITALL": tcp.MsgWaitAll, "MSG_NOSIGNAL": tcp.MsgNoSignal,
	"MSG_MORE": tcp.MsgMore, "MSG_EOR": tcp.MsgEOR, "MSG_ERRQUEUE": tcp.MsgErrQueue, "MSG_ZEROCOPY": tcp.MsgZeroCopy, "MSG_FASTOPEN": tcp.MsgFastOpen}

// modelledFlags are the send flags the engine models.
const modelledFlags = tcp.MsgDontWait | tcp.MsgNoSignal | tcp.MsgMore | tcp.MsgFastOpen | tcp.MsgEOR

// Decode reads a script's system call into the socket call both stacks perform: the
// arguments as values, the addresses and ports the script's sockets use (remote is the
// script's peer). An error is the script's, to be reported at its line.
func Decode(sc *Syscall, remote netip.Addr) (*tcp.Call, error) {
	c := &tcp.Call{Op: callOps[sc.Name], Name: sc.Name, How: -1}
	arg := func(i int) string {
		if i < len(sc.Args) {
			return strings.TrimSpace(sc.Args[i])
		}
		return ""
	}
	if c.Op == tcp.OpSocket || c.Op == tcp.OpAccept {
		if sc.HasRet && sc.Ret >= 3 && sc.Ret < tcp.MaxFD {
			c.WantFD = int(sc.Ret)
		}
	}
	if c.Op == tcp.OpSocket {
		return c, nil
	}
	if c.Op == tcp.OpPoll {
		return c, decodePoll(c, sc)
	}
	if strings.HasPrefix(sc.Name, "epoll_") {
		return c, decodeEpoll(c, sc)
	}
	if why, ok := NotModelledCalls[sc.Name]; ok {
		return nil, fmt.Errorf("%w: %s", ErrNotModelled, why)
	}
	if len(sc.Args) == 0 {
		return nil, fmt.Errorf("no file descriptor")
	}
	fd, err := strconv.Atoi(arg(0))
	if err != nil {
		return nil, fmt.Errorf("file descriptor %q is not a number", sc.Args[0])
	}
	c.FD = fd
	switch c.Op {
	case tcp.OpBind:
		c.Port = LocalPort
	case tcp.OpListen:
		c.Port = LocalPort
		c.Backlog, _ = strconv.Atoi(arg(1))
	case tcp.OpConnect:
		c.Addr, c.Port = remote, PeerPort
	case tcp.OpSend, tcp.OpRecv:
		c.NullBuf = arg(1) == "NULL"
		flagArg := 3
		if sc.Name == "sendmsg" || sc.Name == "recvmsg" {
			flagArg = 2
			if c.Iov, err = IovSizes(sc.Name, arg(1)); err != nil {
				return nil, err
			}
			if c.Iov == nil {
				c.Iov = []int{}
			}
			for _, n := range c.Iov {
				c.Size += n
			}
		} else if c.Size, err = CallSize(sc.Name, arg(2)); err != nil {
			return nil, err
		}
		if sc.Name != "write" && sc.Name != "read" && flagArg < len(sc.Args) {
			c.Flags, c.OddFlag = decodeFlags(sc.Args[flagArg])
		}
		if c.Op == tcp.OpSend {
			c.Addr, c.Port = remote, PeerPort
			if strings.Contains(arg(4), "AF_UNSPEC") {
				c.Addr = netip.Addr{}
			}
		} else {
			c.OddFlag = "" // receive flags are the kernel's to judge; the engine ignores them
			if sc.Name == "recvmsg" {
				c.Cmsg = strings.Contains(arg(1), "cmsg")
				c.CmsgInq = strings.Contains(arg(1), "TCP_CM_INQ")
			}
		}
	case tcp.OpShutdown:
		switch arg(1) {
		case "SHUT_RD", "0":
			c.How = tcp.ShutRead
		case "SHUT_WR", "1":
			c.How = tcp.ShutWrite
		case "SHUT_RDWR", "2":
			c.How = tcp.ShutReadWrite
		}
	case tcp.OpSetsockopt:
		c.Opt = arg(2)
		c.Val = decodeOptVal(arg(3))
	case tcp.OpGetsockopt:
		c.Opt = arg(2)
	case tcp.OpIoctl:
		c.Opt = arg(1)
	case tcp.OpFcntl:
		c.Opt = arg(1)
		c.Val.NonBlock = strings.Contains(arg(2), "O_NONBLOCK")
	}
	return c, nil
}

// decodeFlags reads a send or receive call's flags, by name or as numbers; odd is the
// first flag written that the engine does not model, or "".
func decodeFlags(v string) (flags tcp.MsgFlags, odd string) {
	for _, f := range strings.Split(v, "|") {
		f = strings.TrimSpace(f)
		if n, err := strconv.ParseInt(f, 0, 64); err == nil {
			flags |= tcp.MsgFlags(n)
			if tcp.MsgFlags(n)&^modelledFlags != 0 && odd == "" {
				odd = f
			}
			continue
		}
		flags |= msgFlagNames[f]
		switch f {
		case "", "MSG_DONTWAIT", "MSG_NOSIGNAL", "MSG_MORE", "MSG_FASTOPEN", "MSG_EOR":
		default:
			if odd == "" {
				odd = f
			}
		}
	}
	return flags, odd
}

// decodeOptVal reads a setsockopt value every way an option may take it.
func decodeOptVal(v string) tcp.OptVal {
	var o tcp.OptVal
	o.Int, o.IsInt = optInt(v)
	// struct linger: {onoff=1, linger=0}
	lv := strings.ReplaceAll(v, " ", "")
	o.LingerOn = strings.Contains(lv, "onoff=1")
	if i := strings.Index(lv, "linger="); i >= 0 {
		o.LingerSecs, _ = strconv.Atoi(strings.TrimRight(lv[i+7:], "}"))
		o.IsLinger = true
	}
	if b, err := CString(v); err != nil {
		o.BytesErr = err.Error()
	} else {
		o.Bytes = b
	}
	o.Text = strings.Trim(strings.TrimSpace(v), `"`)
	return o
}

// decodePoll reads poll(fds, nfds, timeout).
func decodePoll(c *tcp.Call, sc *Syscall) error {
	if len(sc.Args) != 3 {
		return fmt.Errorf("poll takes 3 arguments: fds, nfds, timeout")
	}
	fds, err := ParsePoll(sc.Args[0])
	if err != nil {
		return err
	}
	nfds, err := strconv.Atoi(strings.TrimSpace(sc.Args[1]))
	if err != nil || nfds != len(fds) {
		return fmt.Errorf("poll: nfds %q is not the %d entries given", sc.Args[1], len(fds))
	}
	if c.Timeout, err = PollTimeout(sc.Args[2]); err != nil {
		return err
	}
	c.Poll = fds
	return nil
}

// CallSize reads the byte count of a write() or read(): a number from 0 to MaxCallBytes.
func CallSize(call, arg string) (int, error) {
	n, err := strconv.ParseInt(arg, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("the size %q is not a number", arg)
	}
	if n < 0 || n > MaxCallBytes {
		return 0, fmt.Errorf("%s of %d bytes: a script may move 0 to %d bytes in one call", call, n, MaxCallBytes)
	}
	return int(n), nil
}

// optInt reads an option value written [N] or N (N decimal or 0x hex, or one of the
// symbols optSymbols names), or as several joined by | (their bitwise or).
func optInt(v string) (int, bool) {
	n := 0
	for _, w := range strings.Split(strings.Trim(strings.TrimSpace(v), "[]"), "|") {
		w = strings.TrimSpace(w)
		if x, ok := optSymbols[w]; ok {
			n |= x
			continue
		}
		base := 10
		if h, ok := strings.CutPrefix(w, "0x"); ok { // [0x13], as packetdrill's lexer reads it
			w, base = h, 16
		}
		x, err := strconv.ParseInt(w, base, 0)
		if err != nil {
			return 0, false
		}
		n |= int(x)
	}
	return n, true
}

// optSymbols are the option values scripts write by name, with Linux's numbers
// (include/uapi/linux/in.h).
var optSymbols = map[string]int{
	"IP_PMTUDISC_DONT": 0, "IP_PMTUDISC_WANT": 1, "IP_PMTUDISC_DO": 2, "IP_PMTUDISC_PROBE": 3,
	"IP_PMTUDISC_INTERFACE": 4, "IP_PMTUDISC_OMIT": 5,
	// SO_TIMESTAMPING's flags (include/uapi/linux/net_tstamp.h).
	"SOF_TIMESTAMPING_TX_HARDWARE": 1 << 0, "SOF_TIMESTAMPING_TX_SOFTWARE": 1 << 1,
	"SOF_TIMESTAMPING_RX_HARDWARE": 1 << 2, "SOF_TIMESTAMPING_RX_SOFTWARE": 1 << 3,
	"SOF_TIMESTAMPING_SOFTWARE": 1 << 4, "SOF_TIMESTAMPING_SYS_HARDWARE": 1 << 5,
	"SOF_TIMESTAMPING_RAW_HARDWARE": 1 << 6, "SOF_TIMESTAMPING_OPT_ID": 1 << 7,
	"SOF_TIMESTAMPING_TX_SCHED": 1 << 8, "SOF_TIMESTAMPING_TX_ACK": 1 << 9,
	"SOF_TIMESTAMPING_OPT_CMSG": 1 << 10, "SOF_TIMESTAMPING_OPT_TSONLY": 1 << 11,
	"SOF_TIMESTAMPING_OPT_STATS": 1 << 12, "SOF_TIMESTAMPING_OPT_PKTINFO": 1 << 13,
	"SOF_TIMESTAMPING_OPT_TX_SWHW": 1 << 14, "SOF_TIMESTAMPING_BIND_PHC": 1 << 15,
	"SOF_TIMESTAMPING_OPT_ID_TCP": 1 << 16, "SOF_TIMESTAMPING_OPT_RX_FILTER": 1 << 17,
}

// IovSizes reads the iovec lengths of a message written msg_iov(n)=[{..., len}, ...];
// together they may hold at most MaxCallBytes.
func IovSizes(call, msg string) ([]int, error) {
	_, iov, ok := strings.Cut(msg, "msg_iov")
	if !ok {
		return nil, fmt.Errorf("%s: no msg_iov in the message", call)
	}
	if i := strings.Index(iov, "]"); i >= 0 {
		iov = iov[:i]
	}
	var out []int
	total := 0
	for _, part := range strings.Split(iov, "{")[1:] {
		part, _, _ = strings.Cut(part, "}")
		f := strings.Split(part, ",")
		n, err := CallSize(call, strings.TrimSpace(f[len(f)-1]))
		if err != nil {
			return nil, err
		}
		total += n
		if total > MaxCallBytes {
			return nil, fmt.Errorf("%s of more than %d bytes", call, MaxCallBytes)
		}
		out = append(out, n)
	}
	return out, nil
}

// CString reads a C string literal as scripts write one ("\xf7\x63abc\n"): the bytes
// between the quotes, with \x hex, octal and the common escapes.
func CString(v string) ([]byte, error) {
	v = strings.TrimSpace(v)
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return nil, fmt.Errorf("%q is not a quoted string", v)
	}
	s, err := strconv.Unquote(v)
	if err != nil {
		return nil, fmt.Errorf("%q: %v", v, err)
	}
	return []byte(s), nil
}
