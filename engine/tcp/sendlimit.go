package tcp

// sendLimit is what bounds the data a socket queues for sending, and what marks its
// boundaries: Linux's send buffer (sk_sndbuf), TCP_NOTSENT_LOWAT, MSG_EOR.
type sendLimit struct {
	// spaceWakeups counts the times acknowledged data freed room a writer was waiting
	// for (sk_stream_write_space after SOCK_NOSPACE): an epoll wakeup.
	spaceWakeups uint64
}
