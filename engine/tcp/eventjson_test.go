package tcp

import (
	"net/netip"
	"testing"
)

// The JSON writer's addresses read as the addresses' String, quoted, for every form.
func TestAppendAddrIsQuotedString(t *testing.T) {
	for _, s := range []string{"", "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1", "fe80::1%eth0", "fe80::1%a\"b"} {
		var a netip.Addr
		if s != "" {
			a = netip.MustParseAddr(s)
		}
		if got, want := string(appendAddr(nil, "k", a)), string(appendStr(nil, "k", a.String())); got != want {
			t.Errorf("appendAddr(%q) = %s, want %s", s, got, want)
		}
	}
}
