package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"synack/engine/tcp"
)

// strictPeerScripts are google/packetdrill's scripts (gtests/net/tcp) that Linux 6.18
// passes and the engine passes with every check evaluated (--strict), as the census
// runs them: the checks they rely on (tcp_info fields, nstat counters, sysctls and
// module parameters) are ones the runner evaluates.
var strictPeerScripts = []string{
	"cubic/cubic-hystart-delay-min-rtt-jumps-downward.pkt",
	"cubic/cubic-hystart-delay-rtt-jumps-upward.pkt",
	"ecn/ecn-uses-ect0.pkt",
	"fastopen/client/blocking-sendto.pkt",
	"fastopen/client/syn-data-only-syn-acked.pkt",
	"fastopen/client/syn-data-timeout.pkt",
	"fastopen/server/basic-non-tfo-listener.pkt",
	"fastopen/server/icmp-before-accept.pkt",
	"fastopen/server/opt34/basic-non-tfo-listener.pkt",
	"fastopen/server/opt34/icmp-before-accept.pkt",
	"md5/md5-only-on-client-ack.pkt",
	"tcp_info/tcp-info-sndbuf-limited.pkt",
}

// TestStrictPeerScripts runs them when SYNACK_PACKETDRILL_SRC names a google/packetdrill
// checkout (its scripts are GPL and not copied here).
func TestStrictPeerScripts(t *testing.T) {
	src := os.Getenv("SYNACK_PACKETDRILL_SRC")
	if src == "" {
		t.Skip("SYNACK_PACKETDRILL_SRC is not set to a google/packetdrill checkout")
	}
	root := filepath.Join(src, "gtests", "net", "tcp")
	judge := censusEngine(tcp.LinuxProfile(), true)
	for _, rel := range strictPeerScripts {
		t.Run(rel, func(t *testing.T) {
			if v := judge(context.Background(), root, rel); !v.Pass {
				t.Fatalf("--strict: %s", v.First)
			}
		})
	}
}
