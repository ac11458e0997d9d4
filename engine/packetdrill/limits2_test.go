package packetdrill

import (
	"strings"
	"testing"
)

// epoll_wait's maxevents may be 1 to MaxEpollEvents.
func TestEpollEventsLimit(t *testing.T) {
	at := func(n string) error {
		s, err := Parse("e.pkt", []byte("0 epoll_create(1) = 3\n+0 epoll_wait(3, {events=0, ptr=0}, "+n+", 0) = 0\n"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Decode(s.Events[1].Syscall, RemoteAddr)
		return err
	}
	if err := at("1024"); err != nil {
		t.Fatalf("maxevents at MaxEpollEvents: %v", err)
	}
	if err := at("1025"); err == nil || !strings.Contains(err.Error(), "maxevents") {
		t.Fatalf("maxevents past MaxEpollEvents: %v", err)
	}
}

// A script that reads a file or a pipe fails at that line as not modelled, not as a
// parse error.
func TestNotModelledCalls(t *testing.T) {
	res := runSrc(t, "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 pipe([5, 6]) = 0\n")
	if res.Pass || res.Line != 2 || !strings.HasPrefix(res.Msg, "not modelled: pipe()") {
		t.Fatalf("%v", res)
	}
}
