// Package tcp is synack's TCP endpoint, sans-I/O: a Host with its listeners and
// connections, segment processing as RFC 9293 §3.10 describes it, timers kept as data,
// options, sequence arithmetic, SYN cookies, Fast Open and keep-alive, loss recovery
// (SACK blocks, the RFC 6675 scoreboard, fast retransmit, PRR, RACK-TLP, NewReno), and
// the Profile that says where Linux and the RFC text differ.
//
// A Host does nothing on its own. Its owner hands it segments (Input) and time
// (Advance), makes socket calls on it (Listen, Connect, Conn.Send, Conn.Close, ...),
// takes the segments it wants sent (TakeOutput) and pulls what an application would
// notice (NextEvent); it never calls back. What it does is recorded as Events through
// the Recorder it was given. Programs (a spec's steps, the lab, packetdrill scripts) make
// their calls through Sockets: a Call is a socket call with its arguments as values,
// and Sockets is the one place that performs it against a Host. The package imports no
// other package of the module.
package tcp
