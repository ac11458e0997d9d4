package tcp

import "errors"

// Errno is an error an application sees, named after its POSIX errno.
type Errno string

// The errors the engine reports to applications.
const (
	ECONNREFUSED Errno = "ECONNREFUSED" // RST in answer to our SYN (RFC 9293 §3.10.7.3)
	ETIMEDOUT    Errno = "ETIMEDOUT"    // retransmissions gave up (RFC 9293 §3.8.3, R2)
	ECONNRESET   Errno = "ECONNRESET"   // RST on a synchronized connection (RFC 9293 §3.10.7.4)
	EPIPE        Errno = "EPIPE"        // send after our own FIN
	ENOTCONN     Errno = "ENOTCONN"     // the connection does not exist or is not open yet
	EADDRINUSE   Errno = "EADDRINUSE"   // the port is taken
	EAGAIN       Errno = "EAGAIN"       // nothing to accept or read yet
	EINVAL       Errno = "EINVAL"       // the call makes no sense in this state
	EISCONN      Errno = "EISCONN"      // connect on a connected socket
	EDESTADDRREQ Errno = "EDESTADDRREQ" // SEND on a listening TCB without a foreign socket
	EBADF        Errno = "EBADF"        // the socket is closed
)

// The errors an ICMP message gives (Linux icmp_err_convert; see icmp.go).
const (
	ENETUNREACH  Errno = "ENETUNREACH"
	EHOSTUNREACH Errno = "EHOSTUNREACH"
	ENOPROTOOPT  Errno = "ENOPROTOOPT"
	EMSGSIZE     Errno = "EMSGSIZE"
	EOPNOTSUPP   Errno = "EOPNOTSUPP"
	EHOSTDOWN    Errno = "EHOSTDOWN"
	ENONET       Errno = "ENONET"
	EPROTO       Errno = "EPROTO"
)

// Error returns the errno's name.
func (e Errno) Error() string { return string(e) }

// errnoOf returns the errno name of err for the trace ("ok" for nil).
func errnoOf(err error) string {
	if err == nil {
		return "ok"
	}
	var e Errno
	if errors.As(err, &e) {
		return string(e)
	}
	return err.Error()
}
