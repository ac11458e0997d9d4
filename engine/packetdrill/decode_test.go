package packetdrill

import (
	"fmt"
	"net/netip"
	"testing"

	"synack/engine/tcp"
)

// A script's call is decoded once into a typed call. The flag values are Linux's
// (include/linux/socket.h: MSG_DONTWAIT 0x40, MSG_MORE 0x8000, MSG_ZEROCOPY 0x4000000,
// MSG_FASTOPEN 0x20000000).
func TestDecode(t *testing.T) {
	peer := netip.MustParseAddr("192.0.2.9")
	parse := func(line string) *Syscall {
		t.Helper()
		s, err := Parse("d.pkt", []byte("0 "+line+"\n"))
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		return s.Events[0].Syscall
	}
	for line, want := range map[string]tcp.Call{
		"socket(..., SOCK_STREAM, IPPROTO_TCP) = 4": {Op: tcp.OpSocket, Name: "socket", WantFD: 4, How: -1},
		"socket(..., SOCK_STREAM, IPPROTO_TCP) = 2": {Op: tcp.OpSocket, Name: "socket", How: -1},
		"listen(3, 7) = 0":                          {Op: tcp.OpListen, Name: "listen", FD: 3, Port: LocalPort, Backlog: 7, How: -1},
		"connect(3, ..., ...) = 0":                  {Op: tcp.OpConnect, Name: "connect", FD: 3, Addr: peer, Port: PeerPort, How: -1},
		"write(4, ..., 1000) = 1000":                {Op: tcp.OpSend, Name: "write", FD: 4, Size: 1000, Addr: peer, Port: PeerPort, How: -1},
		"send(4, NULL, 10, MSG_MORE|0x40) = 10":     {Op: tcp.OpSend, Name: "send", FD: 4, Size: 10, NullBuf: true, Flags: 0x8040, Addr: peer, Port: PeerPort, How: -1},
		"send(4, ..., 10, MSG_ZEROCOPY) = 10":       {Op: tcp.OpSend, Name: "send", FD: 4, Size: 10, Flags: 0x4000000, OddFlag: "MSG_ZEROCOPY", Addr: peer, Port: PeerPort, How: -1},
		"sendto(4, ..., 10, 0x20000000, ..., ...) = 10": {Op: tcp.OpSend, Name: "sendto", FD: 4, Size: 10, Flags: 0x20000000,
			Addr: peer, Port: PeerPort, How: -1},
		"recv(4, ..., 100, MSG_PEEK) = 0": {Op: tcp.OpRecv, Name: "recv", FD: 4, Size: 100, Flags: 0x2, How: -1},
		"shutdown(4, SHUT_WR) = 0":        {Op: tcp.OpShutdown, Name: "shutdown", FD: 4, How: tcp.ShutWrite},
		"shutdown(4, 2) = 0":              {Op: tcp.OpShutdown, Name: "shutdown", FD: 4, How: tcp.ShutReadWrite},
		"fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0": {Op: tcp.OpFcntl, Name: "fcntl", FD: 4, Opt: "F_SETFL",
			Val: tcp.OptVal{NonBlock: true}, How: -1},
	} {
		got, err := Decode(parse(line), peer)
		if err != nil {
			t.Errorf("%s: %v", line, err)
			continue
		}
		if g, w := fmt.Sprintf("%+v", *got), fmt.Sprintf("%+v", want); g != w {
			t.Errorf("%s:\n got %s\nwant %s", line, g, w)
		}
	}

	c, err := Decode(parse(`sendto(4, ..., 10, MSG_FASTOPEN, {sa_family=AF_UNSPEC}, 16) = -1 EOPNOTSUPP`), peer)
	if err != nil || c.Addr.IsValid() {
		t.Errorf("AF_UNSPEC: the peer is %v (%v), want none", c.Addr, err)
	}
	c, _ = Decode(parse("setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0"), peer)
	if v := c.Val; c.Opt != "SO_LINGER" || !v.LingerOn || !v.IsLinger || v.LingerSecs != 0 {
		t.Errorf("SO_LINGER {1, 0}: %+v", v)
	}
	c, _ = Decode(parse("setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=0, linger=5}, 8) = 0"), peer)
	if v := c.Val; v.LingerOn || v.LingerSecs != 5 {
		t.Errorf("SO_LINGER {0, 5}: %+v", v)
	}
	c, _ = Decode(parse("setsockopt(4, IPPROTO_TCP, TCP_NODELAY, [1], 4) = 0"), peer)
	if v := c.Val; !v.IsInt || v.Int != 1 {
		t.Errorf("[1]: %+v", v)
	}
	c, _ = Decode(parse(`setsockopt(4, IPPROTO_TCP, TCP_CONGESTION, "cubic", 5) = 0`), peer)
	if c.Val.Text != "cubic" || c.Val.IsInt {
		t.Errorf(`"cubic": %+v`, c.Val)
	}
	c, _ = Decode(parse(`recvmsg(4, {msg_name(...)=..., msg_iov(2)=[{..., 10}, {..., 20}], msg_flags=0, msg_control=[{cmsg_level=SOL_TCP, cmsg_type=TCP_CM_INQ, cmsg_data=0}]}, 0) = 30`), peer)
	if c.Op != tcp.OpRecv || c.Size != 30 || len(c.Iov) != 2 || !c.Cmsg || !c.CmsgInq {
		t.Errorf("recvmsg: %+v", c)
	}

	// Mistakes are errors for the script's line.
	for _, line := range []string{"write(x, ..., 10) = 10", "close() = 0", "write(4, ..., lots) = 1",
		"poll([{fd=4, events=POLLIN, revents=0}], 2, 0) = 0"} {
		if _, err := Decode(parse(line), peer); err == nil {
			t.Errorf("%s: no error", line)
		}
	}
}
