package packetdrill

import (
	"strings"
	"testing"

	"synack/engine/tcp"
)

func TestParsePoll(t *testing.T) {
	fds, err := ParsePoll("[{fd=4,\n events=POLLIN|POLLRDHUP, revents=0}, {fd=3, events=0x4, revents=POLLOUT}]")
	if err != nil || len(fds) != 2 || fds[0] != (tcp.PollFD{FD: 4, Events: tcp.PollIn | tcp.PollRdHup}) || fds[1] != (tcp.PollFD{FD: 3, Events: tcp.PollOut, Revents: tcp.PollOut}) {
		t.Fatalf("%+v %v", fds, err)
	}
	if got := FormatRevents([]tcp.PollFD{{Revents: tcp.PollIn | tcp.PollOut | tcp.PollHup}, {}}); got != "POLLIN|POLLOUT|POLLHUP, 0" {
		t.Fatalf("%q", got)
	}
	for _, bad := range []string{"", "4", "[]", "[{fd=4, events=POLLIN}]", "[{fd=4, events=POLLFOO, revents=0}]",
		"[{fd=x, events=POLLIN, revents=0}]", "[{fd=4, fd=5, events=POLLIN, revents=0}]", "[{fd=4 events=POLLIN revents=0}]"} {
		if _, err := ParsePoll(bad); err == nil || !strings.HasPrefix(err.Error(), "poll: ") {
			t.Errorf("%q: error %v", bad, err)
		}
	}
}

// A malformed poll() is an error at its line, not a panic.
func TestPollBadCall(t *testing.T) {
	for _, call := range []string{"poll([{fd=4, events=POLLIN}], 1, 0) = 0", "poll([{fd=4, events=POLLIN, revents=0}], 2, 0) = 0",
		"poll([{fd=4, events=POLLIN, revents=0}], 1, soon) = 0", "poll(4) = 0"} {
		res := runSrc(t, connected+"+0 "+call+"\n")
		if res.Pass || res.Line != 8 {
			t.Errorf("%s: %v, want a failure at line 8", call, res)
		}
	}
}
