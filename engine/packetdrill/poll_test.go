package packetdrill

import (
	"strings"
	"testing"
)

func TestParsePoll(t *testing.T) {
	fds, err := ParsePoll("[{fd=4,\n events=POLLIN|POLLRDHUP, revents=0}, {fd=3, events=0x4, revents=POLLOUT}]")
	if err != nil || len(fds) != 2 || fds[0] != (PollFD{4, PollIn | PollRdHup, 0}) || fds[1] != (PollFD{3, PollOut, PollOut}) {
		t.Fatalf("%+v %v", fds, err)
	}
	if got := FormatRevents([]PollFD{{Revents: PollIn | PollOut | PollHup}, {}}); got != "POLLIN|POLLOUT|POLLHUP, 0" {
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
