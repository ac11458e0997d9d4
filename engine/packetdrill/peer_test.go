package packetdrill

import (
	"os"
	"path/filepath"
	"testing"

	"synack/engine/tcp"
)

// peerScripts are google/packetdrill's connection-management scripts (gtests/net/tcp) that
// Linux 6.18 passes under packetdrill, with what the engine does with each. pass: it must
// pass on the linux profile (possibly listing checks it could not evaluate); otherwise
// the reason it does not, kept honest by the test (it fails if such a script starts to
// pass, so the list is updated).
var peerScripts = []struct {
	path string
	gap  string // "" : must pass
}{
	{"blocking/blocking-accept.pkt", ""},
	{"blocking/blocking-connect.pkt", ""},
	{"blocking/blocking-read.pkt", ""},
	{"close/close-local-close-then-remote-fin.pkt", ""},
	{"close/close-on-syn-sent.pkt", ""},
	{"close/close-remote-fin-then-close.pkt", ""},
	{"shutdown/shutdown-rd-close.pkt", ""},
	{"shutdown/shutdown-rd-wr-close.pkt", ""},
	{"shutdown/shutdown-rdwr-close.pkt", ""},
	{"shutdown/shutdown-wr-close.pkt", ""},
	{"validate/validate-established-no-flags.pkt", ""},
	{"ts_recent/fin_tsval.pkt", ""},
	{"ts_recent/reset_tsval.pkt", ""},
	{"user_timeout/user_timeout.pkt", ""},
	{"user_timeout/user-timeout-probe.pkt", ""},
	{"mss/mss-getsockopt-tcp_maxseg-server.pkt", ""},
	{"mss/mss-setsockopt-tcp_maxseg-client.pkt", ""},
	{"mss/mss-setsockopt-tcp_maxseg-server.pkt", ""},
	{"syscall_bad_arg/syscall-invalid-buf-ptr.pkt", ""},
	{"syscall_bad_arg/sendmsg-empty-iov.pkt", ""},
	{"syscall_bad_arg/fastopen-invalid-buf-ptr.pkt", ""},
	{"inq/client.pkt", ""},
	{"inq/server.pkt", ""},
	{"ecn/ecn-uses-ect0.pkt", ""},
	{"tcp_info/tcp-info-last_data_recv.pkt", ""},
	{"tcp_info/tcp-info-rwnd-limited.pkt", ""},
	{"nagle/sockopt_cork_nodelay.pkt", ""},
	{"nagle/sendmsg_msg_more.pkt", ""},
	// The runner's and the send path's edges (issue 21, 2026-12-07).
	{"blocking/blocking-write.pkt", ""},
	{"tcp_info/tcp-info-sndbuf-limited.pkt", ""},
	{"notsent_lowat/notsent-lowat-setsockopt.pkt", ""},
	{"notsent_lowat/notsent-lowat-sysctl.pkt", ""},
	{"epoll/epoll_in_edge.pkt", ""},
	{"eor/no-coalesce-large.pkt", ""},
	{"eor/no-coalesce-small.pkt", ""},
	{"eor/no-coalesce-subsequent.pkt", ""},
	{"md5/md5-only-on-client-ack.pkt", ""},
}

// TestPeerSuite runs google/packetdrill's own scripts on the engine, from their
// directories as packetdrill runs them, when SYNACK_PACKETDRILL_SRC names a checkout of
// it (the scripts are not copied here: they are GPL).
func TestPeerSuite(t *testing.T) {
	src := os.Getenv("SYNACK_PACKETDRILL_SRC")
	if src == "" {
		t.Skip("SYNACK_PACKETDRILL_SRC is not set to a google/packetdrill checkout")
	}
	dir := filepath.Join(src, "gtests", "net", "tcp")
	passed := 0
	for _, ps := range peerScripts {
		t.Run(ps.path, func(t *testing.T) {
			path := filepath.Join(dir, ps.path)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Parse(filepath.Base(path), b)
			var res Result
			if err == nil {
				s.Dir = filepath.Dir(path)
				s.ReadFile = os.ReadFile
				res = Run(s, NewEngineStack(tcp.LinuxProfile()))
			}
			ok := err == nil && res.Pass
			switch {
			case ok && ps.gap == "":
				passed++
				if len(res.NotEvaluated) > 0 {
					t.Logf("%v", res)
				}
			case ok:
				t.Errorf("passes now (%v): drop its gap %q from the list", res, ps.gap)
			case ps.gap != "":
				got := res.String()
				if err != nil {
					got = err.Error()
				}
				t.Skipf("known gap: %s (%s)", ps.gap, got)
			case err != nil:
				t.Error(err)
			default:
				t.Error(res)
			}
		})
	}
	t.Logf("%d of %d peer scripts pass on the engine", passed, len(peerScripts))
}
