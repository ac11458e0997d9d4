package packetdrill

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"synack/engine/tcp"
)

func TestParseConstructs(t *testing.T) {
	src := `// a comment
/* a block
   comment */
--tolerance_usecs=10000
--ip_version=ipv4
` + "`sysctl -q net.ipv4.tcp_syn_retries=2; echo 0 > /proc/sys/net/ipv4/tcp_timestamps`" + `
0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0  fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0  connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
.1  > S 0:0(0) <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>
+.1 < S. 0:0(0) ack 1 win 65535 <mss 1460,nop,nop,sack 1:2 3:4,eol>
+0~+.2 > . 1:1(0) ack 1 win 63 <...>
*   > P. 1:11(10) ack 1
0...0.3 read(3, ..., 10) = 10
+0  setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0
+0  getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0
+0 %{
assert tcpi_state == TCP_ESTABLISHED
}%
`
	s, err := Parse("t.pkt", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if s.Tolerance != 10*time.Millisecond || len(s.Warnings) != 1 {
		t.Fatalf("tolerance %s, warnings %v", s.Tolerance, s.Warnings)
	}
	if len(s.Events) != 12 {
		t.Fatalf("%d events, want 12", len(s.Events))
	}
	sh := s.Events[0].Shell
	if scs := sh.Sysctls(); s.Events[0].Line != 6 || len(scs) != 2 || scs[0] != (Sysctl{"tcp_syn_retries", "2"}) || scs[1] != (Sysctl{"tcp_timestamps", "0"}) {
		t.Fatalf("shell %+v at line %d", sh, s.Events[0].Line)
	}
	c := s.Events[3].Syscall
	if c.Name != "connect" || c.Ret != -1 || c.Errno != "EINPROGRESS" || len(c.Args) != 3 {
		t.Fatalf("connect = %+v", c)
	}
	p := s.Events[4].Packet
	if p.Inbound || p.Flags != tcp.SYN || !p.OptsList || len(p.Options) != 5 || s.Events[4].Time.At != 100*time.Millisecond {
		t.Fatalf("SYN line = %+v at %v", p, s.Events[4].Time)
	}
	in := s.Events[5].Packet
	if !in.Inbound || in.Win != 65535 || in.Ack != 1 || in.Options[3].Kind != tcp.OptSACK || len(in.Options[3].Blocks) != 2 {
		t.Fatalf("SYN-ACK line = %+v", in)
	}
	if tm := s.Events[6].Time; !tm.Relative || !tm.HasEnd || !tm.EndRelative || tm.End != 200*time.Millisecond || !s.Events[6].Packet.OptsAny {
		t.Fatalf("range line time %+v", tm)
	}
	if !s.Events[7].Time.Any || s.Events[7].Packet.Len != 10 {
		t.Fatalf("* line %+v", s.Events[7])
	}
	if tm := s.Events[8].Time; !tm.Blocking || tm.BlockEnd != 300*time.Millisecond {
		t.Fatalf("blocking read time %+v", tm)
	}
	if s.Events[10].Syscall.Args[3] != "[ECONNREFUSED]" || s.Events[9].Syscall.Args[3] != "{onoff=1, linger=0}" {
		t.Fatalf("out-value and struct args: %q %q", s.Events[10].Syscall.Args, s.Events[9].Syscall.Args)
	}
	if py := s.Events[11].Python; py == nil || len(py.Asserts) != 1 || py.Asserts[0].Field != "state" || py.Asserts[0].Value != int64(tcp.Established) || s.Events[11].Line != 17 {
		t.Fatalf("python block %+v at line %d", py, s.Events[11].Line)
	}
}

// synack's [port N] extension names another peer's flow on a packet line.
func TestParsePortExtension(t *testing.T) {
	s, err := Parse("p.pkt", []byte("0 < [port 40001] S 7:7(0) win 100 <mss 1460>\n+0 > [port 40001] S. 0:0(0) ack 8 <mss 1460>\n+0 < S 0:0(0) win 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p := s.Events[0].Packet; p.Port != 40001 || p.Seq != 7 || !p.Inbound || len(p.Options) != 1 {
		t.Errorf("inbound: %+v", p)
	}
	if p := s.Events[1].Packet; p.Port != 40001 || p.Ack != 8 || p.Inbound {
		t.Errorf("outbound: %+v", p)
	}
	if p := s.Events[2].Packet; p.Port != 0 {
		t.Errorf("a line without [port N] belongs to the main peer, got port %d", p.Port)
	}
}

func TestParseErrorsNameFileLineAndToken(t *testing.T) {
	for name, tc := range map[string]struct {
		src  string
		line int
		tok  string
	}{
		"bad time":         {"0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\nabc < S 0:0(0) win 1\n", 2, "abc"},
		"bad flag":         {"0 < Z 0:0(0) win 1\n", 1, "Z"},
		"bad seq":          {"\n\n0 > S 0:5(3)\n", 3, "0:5(3)"},
		"no win inbound":   {"0 < S 0:0(0)\n", 1, "S 0:0(0)"},
		"ack needs number": {"0 > . 1:1(0)\n", 1, ". 1:1(0)"},
		"unknown option":   {"0 > S 0:0(0) <mss 1460,bogus 3>\n", 1, "bogus"},
		"odd cookie":       {"0 > S 0:0(0) <mss 1460,FO abc>\n", 1, "abc"},
		"long cookie":      {"0 > S 0:0(0) <FOEXP " + strings.Repeat("ab", 37) + ">\n", 1, "abab"},
		"cookie words":     {"0 > S 0:0(0) <FO ab cd>\n", 1, "FO ab cd"},
		"unknown call":     {"0 frobnicate(3) = 0\n", 1, "frobnicate"},
		"errno on non -1":  {"0 close(3) = 0 EBADF\n", 1, "EBADF"},
		"unclosed comment": {"0 close(3) = 0\n/* never\n", 2, "/*"},
		"unclosed shell":   {"`sysctl -q x=1\n", 1, "`"},
		"range on inbound": {"0~+1 < S 0:0(0) win 1\n", 1, "0~+1"},
		"block on packet":  {"0...1 > S 0:0(0)\n", 1, "0...1"},
		"bad tolerance":    {"--tolerance_usecs=abc\n", 1, "--tolerance_usecs=abc"},
		"unbalanced":       {"0 close(3\n", 1, "(3"},
		"bad state":        {"0 %{ assert tcpi_state == TCP_SLEEPING }%\n", 1, "assert tcpi_state == TCP_SLEEPING"},
		"unclosed port":    {"0 < [port 40001 S 0:0(0) win 1\n", 1, "[port 40001"},
		"port word":        {"0 < [peer 40001] S 0:0(0) win 1\n", 1, "[peer 40001]"},
		"port zero":        {"0 < [port 0] S 0:0(0) win 1\n", 1, "0"},
		"port too big":     {"0 > [port 70000] S 0:0(0)\n", 1, "70000"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("s.pkt", []byte(tc.src))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse = %v, want a ParseError", err)
			}
			if pe.File != "s.pkt" || pe.Line != tc.line || !strings.Contains(pe.Token, tc.tok) {
				t.Fatalf("error %q: want line %d and token %q", err, tc.line, tc.tok)
			}
			if !strings.HasPrefix(err.Error(), "s.pkt:") {
				t.Fatalf("error %q does not start with file:line", err)
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	big := strings.Repeat("0 close(3) = 0\n", MaxEvents)
	if _, err := Parse("x", []byte(big)); err != nil {
		t.Fatalf("exactly MaxEvents events: %v", err)
	}
	if _, err := Parse("x", []byte(big+"0 close(3) = 0\n")); err == nil {
		t.Fatal("MaxEvents+1 events accepted")
	}
	if _, err := Parse("x", make([]byte, MaxScriptBytes+1)); err == nil {
		t.Fatal("a script over MaxScriptBytes accepted")
	}
}

// FuzzParse: the parser never panics, and every error names a line of the script.
func FuzzParse(f *testing.F) {
	f.Add("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0(0) win 100 <mss 1460>\n+0 > S. 0:0(0) ack 1 <...>\n")
	f.Add("`sysctl -q net.ipv4.tcp_sack=0`\n%{ assert tcpi_state == TCP_CLOSE }%\n0...1 read(4, ..., 3) = -1 EAGAIN (x)\n")
	f.Add("--tolerance_usecs=5\n/* c */ +.1~+.2 > F. 1:1(0) ack 2 win 5 <nop,sack 1:2,TS val 1 ecr 2>\n")
	f.Add("0 epoll_create(1) = 5\n+0 epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLIN|EPOLLET, fd=4}) = 0\n+0 epoll_wait(5, {events=0, ptr=0}, 1, 0) = 0\n")
	f.Add("0 < icmp unreachable frag_needed mtu 800 [0:1000(1000)]\n+0 < U. 1:2(1) ack 1 win 5 urg 1 <md5 000102030405060708090a0b0c0d0e0f>\n")
	f.Add("`a &> /dev/null ||\\\n b 2>&1 ; c && d | e # x`\n0 sendfile(4, 5, [0], 5) = 5\n")
	f.Fuzz(func(t *testing.T, src string) {
		_, err := Parse("f.pkt", []byte(src))
		if err == nil {
			return
		}
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("error of another type: %v", err)
		}
		if pe.Line < 1 || pe.Line > strings.Count(src, "\n")+1 {
			t.Fatalf("error line %d outside the script (%d lines): %v", pe.Line, strings.Count(src, "\n")+1, err)
		}
	})
}

// The parser reads scripts as packetdrill's grammar does: options first, one untimed shell
// command before the events and one after them, every other line timed.
func TestParseFollowsPacketdrillGrammar(t *testing.T) {
	for name, tc := range map[string]struct {
		src, want string
	}{
		"untimed python":        {"0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n%{ assert tcpi_state == TCP_CLOSE }%\n", "python block needs a time"},
		"second untimed shell":  {"`sysctl -q net.ipv4.tcp_sack=1`\n`sysctl -q net.ipv4.tcp_timestamps=1`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n", "only one untimed shell command"},
		"option after an event": {"0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n--tolerance_usecs=1000\n", "options must come before"},
		"after the cleanup":     {"0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n`true`\n+0 close(3) = 0\n", "nothing may follow"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("g.pkt", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	ok := "`sysctl -q net.ipv4.tcp_sack=1`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 `sysctl -q net.ipv4.tcp_timestamps=1`\n+0 %{ assert tcpi_state == TCP_CLOSE }%\n+0 close(3) = 0\n`true`\n"
	if _, err := Parse("g.pkt", []byte(ok)); err != nil {
		t.Fatal(err)
	}
}

// Numbers are mapped as packetdrill maps them: the peer's sequence numbers after its SYN,
// and the acks of our non-SYN segments, are relative to the peer's ISN; an inbound TS ecr
// must name a TS val an outbound line wrote.
func TestScriptNumberMapping(t *testing.T) {
	base := `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 5000:5000(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
+0 > S. 0:0(0) ack 5001 <mss 1460,sackOK,TS val 200 ecr 100,nop,wscale 10>
+.01 < . 1:1(0) ack 1 win 502 <nop,nop,TS val 110 ecr 200>
+0 accept(3, ..., ...) = 4
+0 < P. 1:101(100) ack 1 win 502 <nop,nop,TS val 120 ecr 200>
+0 > . 1:1(0) ack 101 <...>
`
	if res := runSrc(t, base); !res.Pass {
		t.Fatal(res)
	}
	res := runSrc(t, strings.Replace(base, "ack 101 <...>", "ack 5101 <...>", 1))
	if res.Pass || res.Line != 9 {
		t.Fatalf("absolute ack: %v", res)
	}
	// With --tcp_ts_tick_usecs the TS vals sent are compared, from the first one.
	ticked := "--tcp_ts_tick_usecs=1000\n" + strings.Replace(base, "ack 101 <...>", "ack 101 <nop,nop,TS val 210 ecr 120>", 1)
	if res := runSrc(t, ticked); !res.Pass || len(res.NotEvaluated) != 0 {
		t.Fatalf("ticked: %v", res)
	}
	if res := runSrc(t, strings.Replace(ticked, "TS val 210 ecr 120", "TS val 300 ecr 120", 1)); res.Pass || !strings.Contains(res.Msg, "outbound TS val 210, expected 300") {
		t.Fatalf("ticked, wrong TS val: %v", res)
	}
	res = runSrc(t, strings.Replace(base, "ecr 200>\n+0 > .", "ecr 210>\n+0 > .", 1))
	if res.Pass || res.Line != 8 || !strings.Contains(res.Msg, "TS ecr 210") {
		t.Fatalf("unmapped ecr: %v", res)
	}
}

// Fast Open options are read as packetdrill writes them: a request, a cookie, the
// experimental form, and the TFO_COOKIE symbol that the runner fills in.
func TestFastOpenOptions(t *testing.T) {
	s, err := Parse("fo.pkt", []byte("0 < S 0:10(10) win 1 <mss 1460,FO,nop,nop>\n"+
		"+0 > S. 0:0(0) ack 11 <mss 1460,FO 3021b9d889017eeb,nop,nop>\n"+
		"+0 < S 0:0(0) win 1 <FOEXP 12345678,FOEXP,FOEXP TFO_COOKIE>\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, ev := range s.Events {
		got = append(got, ev.Packet.Options.String())
	}
	want := []string{"mss 1460,FO,nop,nop", "mss 1460,FO 3021b9d889017eeb,nop,nop", "FOEXP 12345678,FOEXP,FOEXP"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("options = %q, want %q", got, want)
	}
	if cs := s.Events[2].Packet.CookieSym; len(cs) != 1 || cs[0] != 2 {
		t.Fatalf("CookieSym = %v, want [2]", cs)
	}
	if cs := s.Events[1].Packet.CookieSym; cs != nil {
		t.Fatalf("CookieSym of a written cookie = %v, want none", cs)
	}
	o := s.Events[2].Packet.Options[1]
	if o.Kind != tcp.OptExperimental || o.Cookie == nil || len(o.Cookie) != 0 || o.Len() != 4 {
		t.Fatalf("FOEXP request = %+v (len %d), want kind 254 with an empty cookie, 4 bytes", o, o.Len())
	}
}

// set_sysctls.py and its restore script are read as the shell would run them.
func TestShellSetSysctls(t *testing.T) {
	sh := parseShell("../common/defaults.sh\n ../common/set_sysctls.py /proc/sys/net/ipv4/tcp_fastopen=0x602 \\\n /proc/sys/net/ipv4/tcp_timestamps=0")
	if scs := sh.Sysctls(); len(sh.Steps) != 2 || sh.Steps[0].Kind != StepDefaults || len(scs) != 2 || scs[0] != (Sysctl{"tcp_fastopen", "0x602"}) || scs[1] != (Sysctl{"tcp_timestamps", "0"}) {
		t.Fatalf("set_sysctls.py: %+v", sh)
	}
	sh = parseShell("/tmp/sysctl_restore_${PPID}.sh")
	if len(sh.Steps) != 1 || sh.Steps[0].Kind != StepRestore {
		t.Fatalf("restore script: %+v, want nothing to run", sh)
	}
}

// A block is read as dash reads it (packetdrill runs it with /bin/sh -c): "&>" is "&"
// then ">", so "a &> /dev/null || b" runs a in the background and then an empty command
// whose status, 0, skips b.
func TestShellAsDash(t *testing.T) {
	type step struct {
		op   string
		bg   bool
		kind StepKind
		text string
	}
	for name, tc := range map[string]struct {
		src  string
		want []step
	}{
		"&> is & then >": {"sysctl -q net.ipv4.tcp_fastopen_cookies=0 &> /dev/null ||\\\n ip tcp_metrics flush all &> /dev/null", []step{
			{"", true, StepSysctl, "sysctl -q net.ipv4.tcp_fastopen_cookies=0"},
			{"", false, StepNone, "> /dev/null"},
			{"||", true, StepCommand, "ip tcp_metrics flush all"},
			{"", false, StepNone, "> /dev/null"},
		}},
		"lists": {"tc qdisc del dev tun0 root 2>/dev/null ; tc qdisc add dev tun0 root fq && true\n# a comment\nfalse", []step{
			{"", false, StepCommand, "tc qdisc del dev tun0 root 2>/dev/null"},
			{"", false, StepCommand, "tc qdisc add dev tun0 root fq"},
			{"&&", false, StepNone, "true"},
			{"", false, StepFalse, "false"},
		}},
		"echo to /proc": {"echo 0 > /proc/sys/net/ipv4/tcp_timestamps", []step{
			{"", false, StepSysctl, "echo 0 > /proc/sys/net/ipv4/tcp_timestamps"},
		}},
		"echo to a module parameter": {"echo 3 > /sys/module/tcp_cubic/parameters/hystart_detect", []step{
			{"", false, StepSysctl, "echo 3 > /sys/module/tcp_cubic/parameters/hystart_detect"},
		}},
		"quotes and arithmetic": {`sysctl -q net.ipv4.tcp_rmem="4096 540000 $((15*1024*1024))"`, []step{
			{"", false, StepSysctl, `sysctl -q net.ipv4.tcp_rmem="4096 540000 $((15*1024*1024))"`},
		}},
		"pipeline":         {"ip link | grep tun0", []step{{"", false, StepCommand, "ip link | grep tun0"}}},
		"negated pipeline": {"! nstat | grep TcpExtOutOfWindowIcmps > /dev/null", []step{{"", false, StepCommand, "nstat | grep TcpExtOutOfWindowIcmps > /dev/null"}}},
	} {
		t.Run(name, func(t *testing.T) {
			sh := parseShell(tc.src)
			var got []step
			for _, s := range sh.Steps {
				got = append(got, step{s.Op, s.Background, s.Kind, s.Text})
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("steps\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
	if scs := parseShell(`sysctl -q net.ipv4.tcp_rmem="4096 540000 $((15*1024*1024))"`).Sysctls(); len(scs) != 1 || scs[0] != (Sysctl{"tcp_rmem", "4096 540000 15728640"}) {
		t.Fatalf("tcp_rmem: %+v", scs)
	}
	if w := CommandWords("ip tcp_metrics flush all > /dev/null 2>&1"); strings.Join(w, " ") != "ip tcp_metrics flush all" {
		t.Fatalf("CommandWords = %q", w)
	}
	if scs := parseShell("echo 0 > /proc/sys/net/ipv4/tcp_timestamps").Sysctls(); len(scs) != 1 || scs[0] != (Sysctl{"tcp_timestamps", "0"}) {
		t.Fatalf("echo: %+v", scs)
	}
	if st := parseShell("! false").Steps; len(st) != 1 || !st[0].Negate || st[0].Kind != StepFalse || parseShell("false").Steps[0].Negate {
		t.Fatalf("! false: %+v", st)
	}
	if scs := parseShell("echo 1 > /sys/module/tcp_cubic/parameters/hystart_detect").Sysctls(); len(scs) != 1 || scs[0] != (Sysctl{"tcp_cubic.hystart_detect", "1"}) {
		t.Fatalf("module parameter: %+v", scs)
	}
}

// --local_ip and --remote_ip name the two ends (IPv4 only); a C string argument is read
// with its escapes, as setsockopt(TCP_FASTOPEN_KEY) takes one.
func TestScriptAddressesAndCString(t *testing.T) {
	s, err := Parse("a.pkt", []byte("--local_ip=192.168.0.2\n--remote_ip=10.248.0.2/24\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"))
	if err != nil {
		t.Fatal(err)
	}
	if l, r := s.Addrs(); l.String() != "192.168.0.2" || r.String() != "10.248.0.2" {
		t.Fatalf("Addrs() = %s, %s", l, r)
	}
	d, _ := Parse("d.pkt", []byte("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"))
	if l, r := d.Addrs(); l != LocalAddr || r != RemoteAddr {
		t.Fatalf("default Addrs() = %s, %s", l, r)
	}
	if _, err := Parse("v6.pkt", []byte("--local_ip=fd3d::1\n")); err == nil || !strings.Contains(err.Error(), "IPv4") {
		t.Fatalf("an IPv6 address: %v", err)
	}
	b, err := CString(`"\xf7\x63\xbf\xa0\x81\x3d\x80\xed\x30\x1d\x64\xcd\x90\x4a\xbc\xce"`)
	if err != nil || len(b) != 16 || b[0] != 0xf7 || b[15] != 0xce {
		t.Fatalf("CString = % x, %v", b, err)
	}
	if _, err := CString("f7"); err == nil {
		t.Fatal("an unquoted value was read as a string")
	}
}

// An assertion may name the value first ("assert 0 == tcpi_rwnd_limited"), as gtests'
// tcp-info-sndbuf-limited does; it is read as the field compared with the value.
func TestAssertValueFirst(t *testing.T) {
	s, err := Parse("a.pkt", []byte("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 %{ assert 0 == tcpi_rwnd_limited, tcpi_rwnd_limited; assert 5 < tcpi_rto }%\n"))
	if err != nil {
		t.Fatal(err)
	}
	as := s.Events[1].Python.Asserts
	if len(as) != 2 || as[0].Field != "rwnd_limited" || as[0].Op != "==" || as[0].Value != 0 ||
		as[1].Field != "rto" || as[1].Op != ">" || as[1].Value != 5 {
		t.Fatalf("asserts %+v", as)
	}
}

// A block may bind a name to an integer ("TCP_INFINITE_SSTHRESH = 0x7fffffff", as gtests'
// HyStart scripts do) and a later block compare with it; a name bound to anything else,
// or never bound, leaves the assertion unevaluated.
func TestAssertNamedConstant(t *testing.T) {
	src := "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n" +
		"+0 %{ TCP_INFINITE_SSTHRESH = 0x7fffffff; X = foo() }%\n" +
		"+0 %{ assert tcpi_snd_ssthresh == TCP_INFINITE_SSTHRESH, tcpi_snd_ssthresh; assert tcpi_rto == X; assert tcpi_rto == Y }%\n"
	s, err := Parse("a.pkt", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if o := s.Events[1].Python.Other; len(o) != 1 || o[0] != "X = foo()" {
		t.Errorf("first block's unevaluated statements %q, want only X = foo()", o)
	}
	py := s.Events[2].Python
	if len(py.Asserts) != 1 || py.Asserts[0].Field != "snd_ssthresh" || py.Asserts[0].Value != 0x7fffffff {
		t.Errorf("asserts %+v, want snd_ssthresh == 0x7fffffff", py.Asserts)
	}
	if len(py.Other) != 2 {
		t.Errorf("unevaluated %q, want the two assertions on X and Y", py.Other)
	}
}
